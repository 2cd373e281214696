"""One wording for the ways a score table on disk cannot be read.

The worklist (:meth:`dicegui.core.review.Cohort.from_csv`) and the paired
comparison (:func:`dicegui.core.paired_stats.read_score_table`) open the same
kind of file; a user should read the same sentence for the same problem.
"""
from __future__ import annotations

import csv
import json
from contextlib import contextmanager


@contextmanager
def table_read_errors(path, error: type[Exception], folder_hint: str):
    """Turn the read errors raised inside the block into one ``error`` naming ``path``.

    Parameters
    ----------
    path : path-like
        The table being read; every message starts with it.
    error : Exception subclass
        What to raise (the caller's own error type).
    folder_hint : str
        What to say when ``path`` is a folder, e.g. "open the CSV table inside it".

    Raises
    ------
    error
        For a missing file, a folder, text that is not UTF-8, broken JSON or
        CSV, and any other OS error (with its reason).
    """
    label = str(path)
    try:
        yield
    except FileNotFoundError:
        raise error(f"{label}: no such file") from None
    except IsADirectoryError:
        raise error(f"{label}: is a folder; {folder_hint}") from None
    except UnicodeDecodeError:
        raise error(f"{label}: not a UTF-8 text file (is it a dicegui score table?)") from None
    except json.JSONDecodeError as exc:
        raise error(f"{label}: not valid JSON: {exc}") from None
    except csv.Error as exc:
        raise error(f"{label}: not a readable CSV table: {exc}") from None
    except OSError as exc:
        raise error(f"{label}: cannot read: {exc.strerror or exc}") from None


#: Columns of a score table that hold or quote file names. ``dicegui score``
#: writes a file name that is not UTF-8 as its own bytes (the name on disk), so
#: only these cells may hold bytes that are not UTF-8 text.
FILE_NAME_COLUMNS = frozenset({"case", "gt", "pred", "image", "error", "warnings"})


def read_table_text(path) -> str:
    """The text of a CSV score table, bytes that are not UTF-8 kept as surrogate escapes.

    The escapes are how Python spells such bytes in file names
    (:func:`os.fsdecode`), so a case path read back opens the file it names;
    :func:`refuse_stray_bytes` then refuses them anywhere else. A leading
    byte-order mark is dropped.
    """
    with open(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as fh:
        return fh.read()


def _escaped(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def refuse_stray_bytes(label: str, text: str, header: list[str], rows, error: type[Exception]) -> None:
    """Raise ``error`` if bytes that are not UTF-8 sit outside the file-name columns.

    Parameters
    ----------
    label : str
        The table's path, starting every message.
    text : str
        The whole text (from :func:`read_table_text`); when it is all UTF-8,
        which is nearly always, no cell is looked at.
    header : list of str
        The column names.
    rows : iterable of (int, list of str)
        ``(line number, cells)`` of the data rows.
    error : Exception subclass
        What to raise.
    """
    if not _escaped(text):
        return
    if any(_escaped(h) for h in header):
        raise error(f"{label}: not a UTF-8 text file (is it a dicegui score table?)")
    for line, row in rows:
        for column, cell in zip(header, row):
            if column not in FILE_NAME_COLUMNS and _escaped(cell):
                raise error(f"{label}, line {line}, column {column!r}: not UTF-8 text "
                            "(only case names, file paths and messages may hold other bytes)")
