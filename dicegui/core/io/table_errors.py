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
