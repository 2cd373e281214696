"""Command-line entry point.

``dicegui score ...`` and ``dicegui compare ...`` run on the Qt-free core only, ``dicegui doctor`` checks
what the window needs without Qt; anything else starts the
GUI, whose modules are imported lazily so that scoring never loads PySide6.
"""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Dispatch to ``dicegui score``, ``compare``, ``doctor`` or to the GUI; return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "score":
        from .score_cli import main as score_main

        return score_main(argv[1:])
    if argv and argv[0] == "compare":
        from .compare_cli import main as compare_main

        return compare_main(argv[1:])
    if argv and argv[0] == "doctor":
        from .platform_check import doctor

        return doctor()
    from .gui.app import main as gui_main

    return gui_main(argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
