"""Start dicegui from a source checkout: ``python main.py [args]``."""
import sys

from dicegui.cli import main

if __name__ == "__main__":
    sys.exit(main())
