"""Reading the small JSON files behind ``--regions`` and ``--tolerance``, safely.

A regions or tolerance file is a few lines a person wrote. Anything else
handed in its place must give one clear line naming the file, at once: a
named pipe would block ``open`` until someone writes to it, ``/dev/zero``
never ends, a 20 MB file or 10,000 nested brackets is not a table, and
``json`` itself raises ``RecursionError`` (not a ``ValueError``) on deep
nesting and refuses integers of more than 4,300 digits. Two equal keys in
one JSON object are refused too: ``json`` would silently keep the last.

:func:`read_json_spec` does every check and raises the caller's own error
class, so ``parse_regions`` and ``parse_tolerances`` keep their exceptions.
Qt-free.
"""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

#: A spec file is a few lines; far more than this is not one.
MAX_SPEC_BYTES = 1 << 20


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    from .io.safe_paths import special_kind  # lazy: a spec is read before any image

    return "a " + special_kind(mode)


def _read_bytes(path: Path, what: str, error: type) -> bytes:
    where = str(path)
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise error(f"{where}: not a regular file ({_kind(st.st_mode)}), so not a {what}")
        if st.st_size > MAX_SPEC_BYTES:
            raise error(f"{where}: {st.st_size} bytes is too large for a {what} (limit {MAX_SPEC_BYTES})")
        # O_NONBLOCK: if the path was swapped for a pipe after the check, open must not wait
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise error(f"{where}: not a regular file, so not a {what}")
            raw = fh.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise error(f"{where}: cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_SPEC_BYTES:
        raise error(f"{where}: too large for a {what} (limit {MAX_SPEC_BYTES} bytes)")
    return raw


def _no_repeats(where: str, error: type):
    def hook(pairs):
        seen = set()
        for key, _value in pairs:
            if key in seen:
                raise error(f"{where}: {key[:40]!r} is given twice in one JSON object")
            seen.add(key)
        return dict(pairs)
    return hook


def read_json_spec(path, what: str, error: type = ValueError):
    """The JSON document of a small spec file, or ``error`` with one line naming it.

    Parameters
    ----------
    path : path-like
        The file.
    what : str
        What the file should be, for messages ("regions file").
    error : type
        Exception class raised (a ``ValueError`` subclass).

    Returns
    -------
    object
        The parsed document (objects as dicts).

    Raises
    ------
    error
        Missing or unreadable; not a regular file (folder, pipe, device);
        larger than :data:`MAX_SPEC_BYTES`; not UTF-8 (a leading BOM is
        accepted); not JSON; nested too deeply; a number too long to read;
        a key repeated in one object. The message starts with the path.
    """
    path = Path(path)
    where = str(path)
    raw = _read_bytes(path, what, error)
    try:
        text = raw.decode("utf-8-sig")  # Windows editors start UTF-8 files with a BOM
    except UnicodeDecodeError as exc:
        raise error(f"{where}: not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start}), "
                    f"so not a JSON {what}") from None
    try:
        return json.loads(text, object_pairs_hook=_no_repeats(where, error))
    except json.JSONDecodeError as exc:
        raise error(f"{where}: not a JSON {what} (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise error(f"{where}: JSON nested too deeply to be a {what}") from None
    except error:
        raise
    except ValueError:  # json refuses integers of more than 4,300 digits
        raise error(f"{where}: holds a number thousands of digits long, so not a {what}") from None
