"""The error contract every ``dicegui`` subcommand keeps, in one place.

A user's mistake (a missing file, a bad flag value) is one line on stderr and
exit 2; Ctrl+C is one line and exit 130; anything else is one line naming the
exception and exit 1, with the traceback only under ``--debug``. ``--help``
exits 0 having printed to stdout.
"""
from __future__ import annotations

import sys
from typing import Callable


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line, naming the file of an OS error when the message does not."""
    text = " ".join(str(exc).split())
    if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in text:
        text = f"{exc.filename}: {text}"
    return text or type(exc).__name__


def run_command(prog: str, build_parser: Callable, run: Callable, argv: list[str] | None, stdout=None,
                stderr=None, is_user_error: Callable[[BaseException], bool] | None = None,
                debug_flag: bool = False) -> int:
    """Parse ``argv`` with ``build_parser()``, call ``run(args, stdout, stderr)`` and map failures to exit codes.

    Parameters
    ----------
    prog : str
        Name written before every message, e.g. ``"dicegui score"``.
    build_parser : callable
        Returns the argparse parser; its ``stream`` attribute receives ``--help``.
    run : callable
        ``run(args, stdout, stderr) -> int``, the command itself.
    argv : list of str or None
        Arguments without the subcommand word; None reads ``sys.argv[1:]``.
    stdout, stderr : file-like, optional
        Default ``sys.stdout`` and ``sys.stderr``.
    is_user_error : callable, optional
        Says whether an exception other than ValueError/OSError is also the
        user's mistake (exit 2 rather than 1).
    debug_flag : bool
        The command has a ``--debug`` flag: print the traceback of an
        unexpected error when it is given, and mention it otherwise.

    Returns
    -------
    int
        The exit code.
    """
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = debug_flag and "--debug" in argv
    try:
        try:
            parser = build_parser()
            parser.stream = stdout
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, or argparse's own usage error (already printed)
            return int(exc.code or 0)
        return run(args, stdout, stderr)
    except KeyboardInterrupt:
        stderr.write(f"{prog}: interrupted\n")
        return 130
    except Exception as exc:  # noqa: BLE001 - the contract is one line whatever went wrong
        if isinstance(exc, (ValueError, OSError)) or (is_user_error is not None and is_user_error(exc)):
            stderr.write(f"{prog}: error: {one_line(exc)}\n")
            return 2
        if debug:
            import traceback

            traceback.print_exc(file=stderr)
        hint = " (run with --debug for details)" if debug_flag else ""
        stderr.write(f"{prog}: unexpected error: {type(exc).__name__}: {one_line(exc)}{hint}\n")
        return 1
