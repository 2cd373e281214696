"""Case and file names as text a person can read."""
from __future__ import annotations


def readable(text) -> str:
    """A file or case name fit to show: bytes that are not UTF-8 as ``\\xff`` escapes.

    Python keeps such bytes of a file name as lone surrogates
    (:func:`os.fsdecode`); printed they raise, and Qt drops them without a word.
    """
    return str(text).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
