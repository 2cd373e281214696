"""One rule for a path written inside a file: it must stay in that file's folder.

An NRRD header's ``data file:`` and a worklist table's ``gt``/``pred`` cells are
text chosen by whoever wrote the file. Followed blindly, ``../../etc/passwd``
is read and scored, a named pipe blocks forever and ``/dev/zero`` never ends.
:func:`resolve_inside` applies the same checks to both, in this order, and the
refusal says which rule failed:

1. ``absolute``: an absolute path (unless the caller accepts one that lands inside);
2. ``parent``: ``..`` steps that climb out of the folder;
3. ``link-outside``: a symbolic link somewhere on the way leads out of the folder;
4. ``loop``: a symbolic link loop;
5. ``missing``: nothing there;
6. ``not-regular``: a folder, named pipe, device or socket.

A caller that trusts the file (the user said so) passes ``trust_outside=True``:
rules 1-3 are skipped, 4-6 still hold.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class PathRefused(ValueError):
    """A path from inside a file broke one of the rules of :func:`resolve_inside`.

    Attributes
    ----------
    rule : str
        ``"absolute"``, ``"parent"``, ``"link-outside"``, ``"loop"``, ``"missing"``
        or ``"not-regular"``.
    path : pathlib.Path or None
        Where the text led, when that could be worked out.
    """

    def __init__(self, rule: str, message: str, path: Path | None = None):
        super().__init__(message)
        self.rule = rule
        self.path = path


def special_kind(mode: int) -> str:
    """Words for a file that is not a regular file (from ``st_mode``)."""
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def _climbs_out(parts) -> bool:
    depth = 0
    for part in parts:
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


def resolve_inside(text: str, base, *, trust_outside: bool = False, absolute_ok: bool = False,
                   folders_ok: bool = False) -> Path:
    """The regular file that ``text`` names, relative to folder ``base``, or :class:`PathRefused`.

    Parameters
    ----------
    text : str
        The path as written in the file.
    base : str or Path
        The folder of the file that holds ``text``.
    trust_outside : bool
        Accept a path anywhere (absolute, ``..``, links out); the file must
        still exist and be a regular file.
    absolute_ok : bool
        Accept an absolute path when it lands inside ``base``.
    folders_ok : bool
        Accept a folder too (a DICOM series).

    Returns
    -------
    pathlib.Path
        The resolved (real) path of a regular file (or folder, with ``folders_ok``).

    Raises
    ------
    PathRefused
        Naming the rule that refused the path (see the module docstring).
    """
    base = Path(base)
    given = Path(text)
    if not trust_outside:
        if given.is_absolute() and not absolute_ok:
            raise PathRefused("absolute", f"{text!r} is an absolute path; only a file in the same folder is read")
        if _climbs_out(given.parts):
            raise PathRefused("parent", f"{text!r} goes up out of the folder with '..'; refused")
    candidate = given if given.is_absolute() else base / given
    try:
        real = candidate.resolve(strict=False)
        real_base = base.resolve()
    except RuntimeError:  # Python < 3.13 reports a loop this way
        raise PathRefused("loop", f"{text!r}: symlink loop: a link leads back to itself") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PathRefused("loop", f"{text!r}: symlink loop: a link leads back to itself") from None
        raise PathRefused("missing", f"{text!r} cannot be resolved: {exc.strerror or exc}") from None
    if not trust_outside and not real.is_relative_to(real_base):
        raise PathRefused("link-outside", f"{text!r} leads outside the folder {real_base} "
                                          f"(to {real}); refused", real)
    try:
        st = os.stat(candidate)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PathRefused("loop", f"{text!r}: symlink loop: a link leads back to itself", real) from None
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise PathRefused("missing", f"{text!r}: no such file (looked for {real})", real) from None
        raise PathRefused("missing", f"{text!r} cannot be checked: {exc.strerror or exc}", real) from None
    if not (stat.S_ISREG(st.st_mode) or (folders_ok and stat.S_ISDIR(st.st_mode))):
        raise PathRefused("not-regular", f"{text!r} is not a regular file (a {special_kind(st.st_mode)}); "
                                         "refused", real)
    return real
