"""Rows of a cohort run kept on disk as they finish, so a stopped run can resume.

A table is written once, at the end; a run killed before then (Ctrl-C, a
closed terminal, the machine going down) used to lose every finished case.
Each row is therefore appended to ``<out>.partial`` the moment it arrives,
one JSON object per line (floats, ``NaN`` and ``Infinity`` read back
exactly; ``ensure_ascii`` keeps file names that are not valid UTF-8 as
``\\udcXX`` escapes, so they read back as the same str). The first line
names the options the rows were scored with: resuming with other options
would mix two kinds of numbers in one table, so it is refused. A last line
cut short by the kill is ignored; damage elsewhere is an error naming the
line.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

#: Appended to the table's file name: ``results.csv`` → ``results.csv.partial``.
PARTIAL_SUFFIX = ".partial"
_FORMAT = "dicegui-partial-results"
_VERSION = 1


class PartialResultsError(ValueError):
    """A partial file that cannot be used to resume (another run's, or damaged)."""


def partial_path(out) -> Path:
    """Where the rows of a run writing ``out`` are kept until the table is written."""
    out = Path(out)
    return out.with_name(out.name + PARTIAL_SUFFIX)


def options_fingerprint(options) -> str:
    """A short digest of the scoring options (their ``repr``), stored in the partial file."""
    return hashlib.sha256(repr(options).encode("utf-8", "surrogateescape")).hexdigest()[:16]


def _plain(value):
    # numpy scalars have .item(); anything else unknown is written as text
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def read_partial(path, fingerprint: str) -> list[dict]:
    """Rows finished by an earlier run of the same options.

    Parameters
    ----------
    path : path-like
        A file written by :class:`PartialWriter`.
    fingerprint : str
        :func:`options_fingerprint` of this run.

    Returns
    -------
    list of dict
        The rows in the order they finished (the last of two rows of one
        case wins).

    Raises
    ------
    PartialResultsError
        Not a partial file, written with other options, or damaged before
        its last line.
    """
    path = Path(path)
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    try:
        head = json.loads(lines[0])
    except ValueError:
        head = None
    if not isinstance(head, dict) or head.get("format") != _FORMAT:
        raise PartialResultsError(f"{path}: not a partial results file of dicegui score")
    if head.get("options") != fingerprint:
        raise PartialResultsError(
            f"{path}: its cases were scored with other options; rerun with the same options "
            "or delete the file to start over")
    rows: dict[str, dict] = {}
    body = lines[1:]
    for number, line in enumerate(body, start=2):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            if number == len(body) + 1:
                break  # the write the kill cut short
            raise PartialResultsError(f"{path}, line {number}: damaged row; delete the file to start over") from None
        if not isinstance(row, dict) or not isinstance(row.get("case"), str):
            raise PartialResultsError(f"{path}, line {number}: not a row of a case")
        rows[row["case"]] = row
    return list(rows.values())


class PartialWriter:
    """Appends rows to a partial file, one line each, flushed as they come.

    Parameters
    ----------
    path : path-like
        The partial file; replaced (its earlier rows rewritten first).
    fingerprint : str
        :func:`options_fingerprint` of the run.
    rows : iterable of dict, optional
        Rows kept from an earlier run (``--resume``).
    """

    def __init__(self, path, fingerprint: str, rows=()):
        self.path = Path(path)
        self._fh = open(self.path, "w", encoding="utf-8", newline="\n")
        self._write({"format": _FORMAT, "version": _VERSION, "options": fingerprint})
        for row in rows:
            self._write(row)

    def _write(self, obj) -> None:
        # flushed, not fsynced: the kernel keeps the line when the process is
        # killed; only a power cut could lose the last rows, which a resume rescores
        self._fh.write(json.dumps(obj, default=_plain) + "\n")
        self._fh.flush()

    def append(self, row: dict) -> None:
        """Keep one finished row."""
        self._write(row)

    def close(self) -> None:
        """Close the file, keeping it (a resume reads it)."""
        if not self._fh.closed:
            self._fh.close()

    def discard(self) -> None:
        """Close and delete the file (the table it fed was written)."""
        self.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
