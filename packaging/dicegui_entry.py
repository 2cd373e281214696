"""Entry script of the frozen app: PyInstaller runs a script, not a package's ``__main__``.

``dicegui/__main__.py`` imports ``.cli`` relatively, which fails when run as a
top-level script, so the app starts here with the same dispatch as the
``dicegui`` console script (window, ``score``, ``compare``, ``doctor``).
"""
import sys

from dicegui.cli import main

if __name__ == "__main__":
    sys.exit(main())
