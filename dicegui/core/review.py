"""Cohort worklist: cases with their scores, sorted worst first, with a review record.

A :class:`Cohort` is opened from two folders (paired exactly as
``dicegui score`` pairs them, by :func:`dicegui.core.cohort.pair_files`) or
from the CSV table ``dicegui score --out`` writes. Each :class:`CohortCase`
carries its file paths, its scores, and a review status (unreviewed /
approved / corrected / rejected) with a free-text note. Qt-free.

The review record
-----------------
Statuses and notes live in a sidecar JSON file, written atomically after
every change so a review survives closing the program or a crash:

* beside the CSV, named ``<csv stem>.review.json`` (``results.csv`` →
  ``results.review.json``);
* in the prediction folder, named ``dicegui.review.json``, for a cohort
  opened from folders.

It is plain JSON (never pickle, never evaluated)::

    {"format": "dicegui-review", "version": 1, "source": "results.csv",
     "cases": {"case001": {"status": "approved", "note": "", "updated": "2025-01-31T10:02:11+00:00"}}}

Entries of cases that are not in the table are kept as they are, so
reopening a cohort with fewer cases loses nothing. A sidecar that cannot be
read or does not have this shape raises :class:`ReviewFileError` naming the
file; it is never silently replaced.

Paths in a CSV
--------------
A CSV is data that may come from elsewhere, so the ``gt``, ``pred`` (and
``image``) paths it names are resolved relative to the CSV's own folder,
symlinks included, and must stay inside that folder: an absolute path or a
``../`` path leading out of it is refused for that case (the case stays in
the table with a problem message and cannot be opened) unless the cohort is
opened with ``allow_absolute=True``, which trusts every path of the CSV.
"""
from __future__ import annotations

import csv
import io
import json
import numbers
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from . import cohort as cohort_mod
from .io.atomic import atomic_write
from .io.bounded_read import ReadRefused, read_regular
from .io.safe_paths import PathRefused, resolve_inside
from .io.table_errors import read_table_text, refuse_stray_bytes, table_read_errors
# Metrics for which a larger value is worse (distances, error counts), with
# any ``label<L>_`` / ``region<NAME>_`` scope and NSD tolerance: one rule,
# shared with the worklist window.
from .metric_columns import LOWER_IS_BETTER, order_worst_first, parse_column

#: Review statuses, in the order a status column sorts by.
REVIEW_STATUSES = ("unreviewed", "approved", "corrected", "rejected")
UNREVIEWED = REVIEW_STATUSES[0]
#: Name of the sidecar of a cohort opened from folders (in the prediction folder).
DIRS_SIDECAR = "dicegui.review.json"
SIDECAR_FORMAT = "dicegui-review"
SIDECAR_VERSION = 1
#: Columns holding file paths.
PATH_COLUMNS = ("gt", "pred", "image")
#: Columns added by :meth:`Cohort.export` (and read back by :meth:`Cohort.from_csv`).
REVIEW_COLUMNS = ("review_status", "review_note")
# Refuse sidecars larger than this: a review of 100 000 cases with notes is
# a few MB; anything far larger is not a sidecar.
_MAX_SIDECAR_BYTES = 64 << 20
_TEXT_COLUMNS = frozenset(cohort_mod.NON_METRIC_COLUMNS) | set(PATH_COLUMNS) | set(REVIEW_COLUMNS)
_INT_RE = re.compile(r"^[+-]?\d+$")
# Spreadsheet programs run cells starting with these as formulas.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class CohortError(ValueError):
    """A cohort cannot be opened or used as asked (the message names the file)."""


class ReviewFileError(CohortError):
    """The review sidecar file cannot be read or does not hold a review."""


@dataclass
class CohortCase:
    """One case of a cohort.

    Attributes
    ----------
    name : str
        Case name (unique in the cohort).
    gt, pred, image : Path or None
        Resolved file paths (None when absent or refused).
    scores : dict
        Numeric columns: ``{"dice": 0.87, "tp": 312, ...}`` (nan kept as nan).
    fields : dict
        Text columns: ``status`` (ok / bad_input / internal_error of the
        scoring run), ``error``, ``gt_kind``, ``warnings``, ...
    problems : list of str
        Why the case cannot be opened (a path refused or missing).
    review : str
        One of :data:`REVIEW_STATUSES`.
    note : str
        Free-text review note.
    updated : str
        ISO time of the last review change ("" if never).
    """

    name: str
    gt: Path | None = None
    pred: Path | None = None
    image: Path | None = None
    scores: dict = field(default_factory=dict)
    fields: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    review: str = UNREVIEWED
    note: str = ""
    updated: str = ""
    _path_text: dict = field(default_factory=dict, repr=False)

    @property
    def openable(self) -> bool:
        """Whether both masks have a usable path."""
        return self.gt is not None and self.pred is not None and not self.problems

    @property
    def score_status(self) -> str:
        """Status of the scoring run (``ok``, ``bad_input``, ...; "" if not scored)."""
        return str(self.fields.get("status", ""))

    def score(self, metric: str) -> float:
        """Value of ``metric`` as a float (nan when missing)."""
        v = self.scores.get(metric)
        return float("nan") if v is None else float(v)

    def load(self, sigmoid: bool = False):
        """Load the case's files with :func:`dicegui.core.io.opening.open_case` (SEG and RT Structure Sets too).

        Raises
        ------
        CohortError
            The case has no usable paths (see :attr:`problems`).
        dicegui.core.io.LoadError
            A file cannot be read.
        """
        if not self.openable:
            why = "; ".join(self.problems) or "no ground-truth or prediction path"
            raise CohortError(f"case {self.name} cannot be opened: {why}")
        from .io.opening import open_case  # lazy: the IO stack is heavy

        return open_case(image=self.image, gt=self.gt, pred=self.pred, sigmoid=sigmoid)


# ---------------------------------------------------------------------------
# cells and paths


def _unquote(text: str) -> str:
    """Undo the formula guard of :func:`_cell_text` (a ``'`` before ``= + - @``)."""
    if text.startswith("'") and text[1:].startswith(_FORMULA_START):
        return text[1:]
    return text


def _parse_cell(text: str):
    """A CSV cell as int, float (nan/inf included), None (empty) or the text itself."""
    text = text.strip()
    if text == "":
        return None
    if _INT_RE.match(text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text


def csv_cell_text(value) -> str:
    """Text of one exported cell, with formula-looking text neutralised (also used by ``dicegui score``)."""
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))  # full precision; nan, inf, -inf as dicegui score writes them
    text = str(value)
    if text.startswith(_FORMULA_START):
        text = "'" + text  # OWASP: a leading quote keeps spreadsheets from running it
    return text


_cell_text = csv_cell_text


def _resolve(text: str, role: str, base: Path, allow_absolute: bool) -> tuple[Path | None, str | None]:
    """Resolve a path cell of a CSV in folder ``base``; ``(path, problem)``.

    The rule is :func:`~dicegui.core.io.safe_paths.resolve_inside`, the one an
    NRRD ``data file:`` obeys: inside the table's folder unless the user trusts
    the table, and a regular file or a folder (a DICOM series), never a pipe
    or device that would block or never end.
    """
    if not text:
        return None, None
    try:
        return resolve_inside(text, base, trust_outside=allow_absolute, absolute_ok=True, folders_ok=True), None
    except PathRefused as exc:
        if exc.rule in ("absolute", "parent", "link-outside"):
            return None, (
                f"{role} path {text!r} leads outside the table's folder {base.resolve()}; refused "
                "(choose to trust the paths of this table when the worklist asks, or write it with --out "
                "inside the folder that holds the cases)"
            )
        if exc.rule == "missing" and exc.path is not None:
            return exc.path, f"{role} file {text!r} not found (looked for {exc.path})"
        return exc.path, f"{role} file {exc}"


#: The only columns whose text may run over several lines (a reviewer's note).
_MULTILINE_COLUMNS = frozenset({"review_note", "note"})


def _table_rows(fh, label: str) -> list[tuple[int, list[str]]]:
    """``(first line, cells)`` of each row of a CSV table; a malformed row is a CohortError naming its line.

    A stray ``"`` opens a quoted cell that swallows the following lines up to
    the next quote: read leniently, 12 cases become 4 without a word. Strict
    parsing refuses text after a closing quote and a quote left open at the
    end; a cell running over several lines is accepted only in a note column.
    """
    reader = csv.reader(fh, strict=True)
    rows, header, last = [], None, 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            raise CohortError(f"{label}, line {last + 1}: malformed row ({exc}); a stray '\"' "
                              "merges the lines after it: fix the quotes of this row") from None
        first, last = last + 1, reader.line_num
        if header is None:
            header = [h.strip() for h in row]
        elif last > first:
            columns = header + [""] * max(0, len(row) - len(header))
            spans = [col or f"column {i + 1}" for i, (col, cell) in enumerate(zip(columns, row))
                     if ("\n" in cell or "\r" in cell) and col not in _MULTILINE_COLUMNS]
            if spans:
                raise CohortError(f"{label}, line {first}: malformed row: the {spans[0]!r} cell runs over "
                                  f"lines {first}-{last}; a stray '\"' merges the lines after it: "
                                  "fix the quotes of this row")
        rows.append((first, row))


def _metric_base(metric: str) -> str:
    """The metric without its label/region scope or NSD tolerance (``regionET_nsd_1mm`` → ``nsd``)."""
    return parse_column(metric).base


def _is_text_column(col: str) -> bool:
    # A label or region name is text even when it reads as a number ("5").
    return col in _TEXT_COLUMNS or parse_column(col).key == "name"


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


# ---------------------------------------------------------------------------
# the cohort


class Cohort:
    """Cases of a cohort in a sortable order, with a persistent review record.

    Build one with :meth:`from_dirs` or :meth:`from_csv`. Iterating yields
    the cases in the current order (:meth:`sort`); ``cohort["case001"]``
    gets one by name.

    Attributes
    ----------
    source : Path
        The CSV, or the prediction folder.
    sidecar : Path
        The review file (see the module notes).
    order : list of str
        Case names in the current order.
    sort_metric : str or None
        Metric of the current order (None: by name).
    unmatched_gt, unmatched_pred, ignored : list of Path
        From the pairing (folders only).
    """

    def __init__(self, cases: list[CohortCase], source: Path, sidecar: Path):
        names = [c.name for c in cases]
        if len(set(names)) != len(names):
            seen, dups = set(), []
            for n in names:
                if n in seen:
                    dups.append(n)
                seen.add(n)
            raise CohortError(f"{source}: case names repeat: {', '.join(sorted(set(dups))[:5])}")
        self._cases = {c.name: c for c in cases}
        self.source = Path(source)
        self.sidecar = Path(sidecar)
        self.unmatched_gt: list = []
        self.unmatched_pred: list = []
        self.ignored: list = []
        self._extra_reviews: dict = {}
        self.order: list[str] = list(self._cases)
        self.sort_metric: str | None = None
        self.sort_descending = False
        self._load_sidecar()
        self.sort()

    # ------------------------------------------------------------- building
    @classmethod
    def from_dirs(cls, gt_dir, pred_dir, image_dir=None, *, sidecar=None) -> "Cohort":
        """Cases paired from two folders, as ``dicegui score --gt-dir --pred-dir`` pairs them.

        Parameters
        ----------
        gt_dir, pred_dir : path-like
            Folders of ground-truth and predicted masks.
        image_dir : path-like, optional
            Folder of images, paired with the ground truths by the same rule.
        sidecar : path-like, optional
            Review file; default ``<pred_dir>/dicegui.review.json``.

        Returns
        -------
        Cohort
            Unscored (call :meth:`score` to fill the scores), in name order.

        Raises
        ------
        dicegui.core.cohort.PairingError
            A folder is missing or the pairing is ambiguous.
        ReviewFileError
            The sidecar exists but cannot be read.
        """
        pairing = cohort_mod.pair_files(gt_dir, pred_dir)
        images = {}
        if image_dir is not None:
            images = {name: img for name, _, img in cohort_mod.pair_files(gt_dir, image_dir).pairs}
        cases = [
            CohortCase(name=name, gt=Path(g), pred=Path(p), image=images.get(name),
                       _path_text={"gt": str(g), "pred": str(p),
                                   **({"image": str(images[name])} if name in images else {})})
            for name, g, p in pairing.pairs
        ]
        pred_dir = Path(pred_dir)
        out = cls(cases, pred_dir, Path(sidecar) if sidecar is not None else pred_dir / DIRS_SIDECAR)
        out.unmatched_gt = list(pairing.unmatched_gt)
        out.unmatched_pred = list(pairing.unmatched_pred)
        out.ignored = list(pairing.ignored)
        return out

    @classmethod
    def from_csv(cls, path, allow_absolute: bool = False, *, sidecar=None) -> "Cohort":
        """Cases of a table written by ``dicegui score --out results.csv``.

        Parameters
        ----------
        path : path-like
            The CSV: a ``case`` column, optionally ``status``, ``error``,
            metric columns, ``gt``/``pred`` (and ``image``) paths, and the
            review columns of an exported table. Summary rows (``status``
            ``summary``) are skipped. Numbers as written by ``dicegui
            score`` (``nan``, ``inf``; empty = not computed).
        allow_absolute : bool, optional
            Trust every path of the table. By default paths are resolved
            relative to the CSV's folder and may not lead out of it (see the
            module notes); a refused path is a problem of that case only.
        sidecar : path-like, optional
            Review file; default ``<csv stem>.review.json`` beside the CSV.

        Returns
        -------
        Cohort
            Sorted worst first by ``mean_dice`` (label maps) or ``dice``.

        Raises
        ------
        CohortError
            The file cannot be read, is not a CSV table with a ``case``
            column, or repeats a case name.
        ReviewFileError
            The sidecar exists but cannot be read.
        """
        path = Path(path)
        label = str(path)
        if path.suffix.lower() == ".json":
            raise CohortError(f"{label}: open the CSV table of dicegui score (--out results.csv), not JSON")
        with table_read_errors(path, CohortError, "open the CSV table inside it"):
            text = read_table_text(path)
        rows = _table_rows(io.StringIO(text), label)
        if not rows:
            raise CohortError(f"{label}: empty file, expected a table with a 'case' column")
        header = [h.strip() for h in rows[0][1]]
        refuse_stray_bytes(label, text, header, rows[1:], CohortError)
        if "case" not in header:
            raise CohortError(f"{label}: no 'case' column; is this a table written by dicegui score --out?")
        base = path.parent if str(path.parent) else Path(".")
        cases = []
        for line, row in rows[1:]:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                raise CohortError(f"{label}, line {line}: {len(row)} cells but {len(header)} columns")
            cells = dict(zip(header, row))
            if cells.get("status", "").strip() == cohort_mod.STATUS_SUMMARY:
                continue
            name = _unquote(cells.get("case", "").strip())
            if not name:
                raise CohortError(f"{label}, line {line}: empty case name")
            cases.append(cls._case_from_cells(name, cells, base, allow_absolute))
        out = cls(cases, path, Path(sidecar) if sidecar is not None else path.with_name(f"{path.stem}.review.json"))
        return out

    @staticmethod
    def _case_from_cells(name, cells, base, allow_absolute) -> CohortCase:
        case = CohortCase(name=name)
        for col, text in cells.items():
            if col == "case" or col == "":
                continue
            text = _unquote(text)
            if col in PATH_COLUMNS:
                text = text.strip()
                if text:
                    case._path_text[col] = text
                path, problem = _resolve(text, col, base, allow_absolute)
                setattr(case, col, path)
                if problem:
                    case.problems.append(problem)
            elif _is_text_column(col):
                case.fields[col] = text
            else:
                value = _parse_cell(text)
                if isinstance(value, (int, float)):
                    case.scores[col] = value
                elif value is not None:
                    case.fields[col] = value
        # an exported table carries its review; the sidecar, if any, wins
        status = case.fields.pop("review_status", "").strip()
        note = case.fields.pop("review_note", "")
        if status in REVIEW_STATUSES:
            case.review, case.note = status, note
        return case

    def score(self, options=None, workers: int = 1,
              progress: Callable[[int, int, dict], None] | None = None) -> int:
        """Score the openable cases (:func:`dicegui.core.cohort.run_cohort`) and store the scores.

        Parameters
        ----------
        options : dicegui.core.cohort.ScoreOptions, optional
        workers : int, optional
            Local worker processes (1: in this process).
        progress : callable, optional
            ``progress(done, total, row)`` after each case.

        Returns
        -------
        int
            Number of cases scored. The cases are then sorted worst first by
            :meth:`default_metric`.
        """
        todo = [(c.name, c.gt, c.pred) for c in self._cases.values() if c.openable]
        options = options if options is not None else cohort_mod.ScoreOptions()
        rows = cohort_mod.run_cohort(todo, options, workers=workers, progress=progress)
        for row in rows:
            case = self._cases[row["case"]]
            case.scores.clear()
            case.fields.clear()
            for key, value in row.items():
                if key == "case" or key in PATH_COLUMNS:
                    continue
                if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
                    case.scores[key] = int(value) if isinstance(value, numbers.Integral) else float(value)
                elif value is not None:
                    case.fields[key] = str(value).lower() if isinstance(value, (bool, np.bool_)) else str(value)
        self.sort()
        return len(rows)

    # -------------------------------------------------------------- access
    def __len__(self) -> int:
        return len(self._cases)

    def __iter__(self) -> Iterator[CohortCase]:
        return (self._cases[n] for n in self.order)

    def __getitem__(self, name: str) -> CohortCase:
        try:
            return self._cases[name]
        except KeyError:
            raise KeyError(f"no case named {name!r} in the cohort") from None

    def __contains__(self, name) -> bool:
        return name in self._cases

    def index_of(self, name: str) -> int:
        """Position of a case in the current order."""
        self[name]
        return self.order.index(name)

    def metrics(self) -> list[str]:
        """Names of the numeric columns, in ``dicegui score``'s column order."""
        keys = set()
        for c in self._cases.values():
            keys.update(c.scores)
        return [k for k in cohort_mod.columns_of([dict.fromkeys(keys)]) if k in keys]

    def columns(self) -> list[str]:
        """Every column of :meth:`export`, in order: case, review, then ``dicegui score``'s order."""
        keys = set()
        for c in self._cases.values():
            keys.update(c.scores)
            keys.update(c.fields)
            keys.update(c._path_text)
        ordered = [k for k in cohort_mod.columns_of([dict.fromkeys(keys)]) if k not in ("case", "image")]
        if "image" in keys:
            ordered.append("image")
        return ["case", *REVIEW_COLUMNS, *ordered]

    def review_counts(self) -> dict:
        """Number of cases in each review status, e.g. ``{"unreviewed": 40, "approved": 2, ...}``."""
        counts = dict.fromkeys(REVIEW_STATUSES, 0)
        for c in self._cases.values():
            counts[c.review] += 1
        return counts

    # ------------------------------------------------------------- ordering
    def default_metric(self) -> str | None:
        """``mean_region_dice``, else ``mean_dice`` when every scored case has it, else ``dice``; None if none exists."""
        rows = [{"status": c.fields.get("status", cohort_mod.STATUS_OK), **c.scores}
                for c in self._cases.values() if c.scores]
        if not rows:
            return None
        metric = cohort_mod.ranking_metric(rows)
        return metric if any(metric in c.scores for c in self._cases.values()) else None

    def sort(self, metric: str | None = None, descending: bool | None = None) -> list[str]:
        """Order the cases, worst first by default; cases without a value go last.

        Parameters
        ----------
        metric : str, optional
            A numeric column (see :meth:`metrics`), ``"case"`` (by name) or
            ``"review"`` (by status, in :data:`REVIEW_STATUSES` order).
            Default: :meth:`default_metric` (by name when nothing is scored).
        descending : bool, optional
            Default worst first: ascending for scores where larger is better
            (Dice, IoU, NSD, PQ, ...), descending for distances and error
            counts (:data:`LOWER_IS_BETTER`, also as ``label<L>_`` and
            ``region<NAME>_`` columns); ascending for ``case`` and ``review``.
            An infinite distance is the worst value (first, worst first).

        Returns
        -------
        list of str
            The new :attr:`order`: valued cases, then nan (undefined), then
            cases without the column, in either direction
            (:func:`dicegui.core.metric_columns.order_worst_first`). Ties
            and the tail are in name order.
        """
        if metric is None:
            metric = self.default_metric() or "case"
        names = sorted(self._cases)
        if metric == "case":
            desc = bool(descending)
            order = sorted(names, reverse=desc)
        elif metric == "review":
            desc = bool(descending)
            rank = {s: i for i, s in enumerate(REVIEW_STATUSES)}
            order = sorted(names, key=lambda n: rank[self._cases[n].review], reverse=desc)
        else:
            desc = (_metric_base(metric) in LOWER_IS_BETTER) if descending is None else bool(descending)
            values = {n: self._cases[n].scores.get(metric) for n in names}
            order = order_worst_first(values, metric, descending=desc)
        self.order = order
        self.sort_metric = metric
        self.sort_descending = desc
        return list(order)

    def step(self, name: str, offset: int = 1, *, unreviewed_only: bool = False,
             wrap: bool = False) -> CohortCase | None:
        """The case ``offset`` places after ``name`` in the current order.

        Parameters
        ----------
        name : str
            Current case.
        offset : int, optional
            +1 next, -1 previous.
        unreviewed_only : bool, optional
            Skip cases that already have a review status.
        wrap : bool, optional
            Continue from the other end.

        Returns
        -------
        CohortCase or None
            None at the end of the list (without ``wrap``) or when no case
            qualifies.
        """
        if offset == 0:
            return self[name]
        i = self.index_of(name)
        n = len(self.order)
        direction = 1 if offset > 0 else -1
        remaining = abs(offset)
        for _ in range(n - 1 if wrap else n):
            i += direction
            if wrap:
                i %= n
            elif not 0 <= i < n:
                return None
            case = self._cases[self.order[i]]
            if unreviewed_only and case.review != UNREVIEWED:
                continue
            remaining -= 1
            if remaining == 0:
                return case
        return None

    def next(self, name: str, **kwargs) -> CohortCase | None:
        """The case after ``name`` (see :meth:`step`)."""
        return self.step(name, 1, **kwargs)

    def previous(self, name: str, **kwargs) -> CohortCase | None:
        """The case before ``name`` (see :meth:`step`)."""
        return self.step(name, -1, **kwargs)

    # --------------------------------------------------------------- review
    def set_review(self, name: str, status: str | None = None, note: str | None = None, *,
                   save: bool = True) -> CohortCase:
        """Change a case's review status and/or note, and save the sidecar.

        Parameters
        ----------
        name : str
            The case.
        status : str, optional
            One of :data:`REVIEW_STATUSES`; None keeps the current one.
        note : str, optional
            New note; None keeps the current one.
        save : bool, optional
            Write the sidecar now (atomically). Batch changes may pass False
            and call :meth:`save_review` once.

        Returns
        -------
        CohortCase

        Raises
        ------
        ValueError
            Unknown status or a note that is not text.
        dicegui.core.io.SaveError
            The sidecar cannot be written (e.g. a read-only folder).
        """
        case = self[name]
        if status is not None and status not in REVIEW_STATUSES:
            raise ValueError(f"review status must be one of {', '.join(REVIEW_STATUSES)}, got {status!r}")
        if note is not None and not isinstance(note, str):
            raise ValueError(f"a review note must be text, got {type(note).__name__}")
        changed = (status is not None and status != case.review) or (note is not None and note != case.note)
        if status is not None:
            case.review = status
        if note is not None:
            case.note = note
        if changed:
            case.updated = _now()
            if save:
                self.save_review()
        return case

    def _sidecar_data(self) -> dict:
        cases = dict(self._extra_reviews)
        for name in sorted(self._cases):
            c = self._cases[name]
            if c.review != UNREVIEWED or c.note or c.updated:
                cases[name] = {"status": c.review, "note": c.note, "updated": c.updated}
        return {
            "format": SIDECAR_FORMAT,
            "version": SIDECAR_VERSION,
            "source": self.source.name,
            "cases": dict(sorted(cases.items())),
        }

    def save_review(self) -> Path:
        """Write the sidecar atomically (a crash leaves the old or the new file, never half)."""
        text = json.dumps(self._sidecar_data(), indent=1, ensure_ascii=False, allow_nan=False) + "\n"
        # a case named by a file name that is not UTF-8 holds lone surrogates: written as \udcXX escapes,
        # which JSON reads back as the same name
        data = text.encode("utf-8", "backslashreplace")
        return atomic_write(self.sidecar, lambda fh: fh.write(data), overwrite=True)

    def _load_sidecar(self) -> None:
        path = self.sidecar
        if not path.exists():
            return
        where = str(path)
        # Opened without blocking and only when regular: a named pipe would
        # hang the worklist, /dev/zero reports st_size 0 and never ends.
        try:
            raw = read_regular(path, _MAX_SIDECAR_BYTES)
        except ReadRefused as exc:
            raise ReviewFileError(f"{where}: {exc}; not a dicegui review, move it away") from None
        except OSError as exc:
            raise ReviewFileError(f"{where}: cannot read the review file: {exc.strerror or exc}") from None
        try:
            data = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise ReviewFileError(f"{where}: review file is not UTF-8 text; fix or move it away") from None
        except (json.JSONDecodeError, RecursionError) as exc:
            detail = f"line {exc.lineno}, column {exc.colno}: {exc.msg}" if isinstance(exc, json.JSONDecodeError) \
                else "nested too deeply"
            raise ReviewFileError(f"{where}: review file is not valid JSON ({detail}); "
                                  "fix or move it away to start a new review") from None
        entries = self._check_sidecar(data, where)
        for name, entry in entries.items():
            if name in self._cases:
                c = self._cases[name]
                c.review, c.note, c.updated = entry["status"], entry["note"], entry["updated"]
            else:
                self._extra_reviews[name] = entry

    @staticmethod
    def _check_sidecar(data, where: str) -> dict:
        def bad(why):
            return ReviewFileError(f"{where}: not a dicegui review file: {why}; fix or move it away")

        if not isinstance(data, dict) or data.get("format") != SIDECAR_FORMAT:
            raise bad(f"expected an object with \"format\": \"{SIDECAR_FORMAT}\"")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise bad("missing version number")
        if version > SIDECAR_VERSION:
            raise ReviewFileError(f"{where}: review file version {version} was written by a newer dicegui "
                                  f"(this one reads version {SIDECAR_VERSION})")
        cases = data.get("cases")
        if not isinstance(cases, dict):
            raise bad("\"cases\" must be an object")
        out = {}
        for name, entry in cases.items():
            if not isinstance(entry, dict):
                raise bad(f"entry of case {name!r} must be an object")
            status = entry.get("status", UNREVIEWED)
            note = entry.get("note", "")
            updated = entry.get("updated", "")
            if status not in REVIEW_STATUSES:
                raise bad(f"case {name!r} has unknown status {status!r}")
            if not isinstance(note, str) or not isinstance(updated, str):
                raise bad(f"case {name!r}: note and updated must be text")
            out[name] = {"status": status, "note": note, "updated": updated}
        return out

    # --------------------------------------------------------------- export
    def rows(self) -> list[dict]:
        """The reviewed table, one dict per case in the current order (what :meth:`export` writes)."""
        out = []
        for c in self:
            row = {"case": c.name, "review_status": c.review, "review_note": c.note}
            row.update(c.fields)
            row.update(c.scores)
            row.update(c._path_text)
            out.append(row)
        return out

    def export(self, path, *, overwrite: bool = False) -> Path:
        """Write the reviewed table as CSV: case, review status and note, then every score column.

        Rows follow the current order; numbers are written as ``dicegui
        score`` writes them (full precision, ``nan``, ``inf``) and paths as
        the table gave them, so the export opens again with
        :meth:`from_csv` (reviews included) from the same folder. Text cells
        starting with ``= + - @`` get a leading ``'`` so spreadsheet programs
        do not run them as formulas.

        Parameters
        ----------
        path : path-like
            Destination CSV.
        overwrite : bool, optional
            Replace an existing file.

        Returns
        -------
        Path

        Raises
        ------
        dicegui.core.io.SaveError
            The file exists (without ``overwrite``) or cannot be written.
        """
        columns = self.columns()
        lines = []

        class _Sink:
            def write(self, s):
                lines.append(s)

        writer = csv.writer(_Sink(), lineterminator="\n")
        writer.writerow(columns)
        for row in self.rows():
            writer.writerow([_cell_text(row.get(col)) for col in columns])
        # names that are not UTF-8 go out as their own bytes, as dicegui score writes them
        data = "".join(lines).encode("utf-8", "surrogateescape")
        return atomic_write(path, lambda fh: fh.write(data), overwrite=overwrite)


__all__ = [
    "Cohort",
    "CohortCase",
    "CohortError",
    "ReviewFileError",
    "REVIEW_STATUSES",
    "LOWER_IS_BETTER",
    "DIRS_SIDECAR",
]
