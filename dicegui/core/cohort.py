"""Scoring cases and cohorts: pair files by name, score each pair, summarise.

This is the engine behind ``dicegui score``; it holds no argument parsing and
no printing. One case is scored into a nested result (for JSON) and flattened
into one row (for CSV); a cohort is a list of rows, always sorted by case
name, computed in this process, in a local process pool or on a Dask
distributed cluster. A case whose files cannot be read becomes a row with an
``error`` and never stops the run.

Pairing rule
------------
A file's *case name* is its name without a known extension
(:data:`KNOWN_EXTENSIONS`, case-insensitive, longest first so ``.seg.nrrd``
wins over ``.nrrd``) and without one trailing role suffix
(:data:`ROLE_SUFFIXES`, e.g. ``_gt``, ``_pred``, ``_seg``; case-insensitive).
A sub-folder (a DICOM series) is a case named after the folder. Hidden entries
and files with other extensions are ignored. Two entries of one folder with
the same case name are refused (the pairing would be a guess).
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from . import metrics
from .case_scoring import (  # noqa: F401 - re-exported: cohort is the scoring API's old home
    INSTANCE_KEYS, LESION_KEYS, SURFACE_KEYS, ScoreOptions, flatten, score_case,
)

#: File endings recognised as images or masks; the longest match is stripped.
KNOWN_EXTENSIONS = (
    ".seg.nrrd", ".nii.gz", ".nii", ".nrrd", ".nhdr",
    ".png", ".tif", ".tiff", ".jpg", ".jpeg", ".bmp",
    ".npy", ".npz", ".dcm",
)
#: One of these at the end of a stem is dropped, so ``case1_gt`` pairs with ``case1_pred``.
ROLE_SUFFIXES = (
    "_gt", "_pred", "_seg", "_label", "_labels", "_mask",
    "_prediction", "_segmentation", "_groundtruth",
)
#: Non-metric columns, first in every row (``gt``/``pred`` paths go last).
ID_COLUMNS = ("case", "status", "error", "gt_kind", "pred_kind")
TAIL_COLUMNS = ("warnings", "gt", "pred")
#: Statistics of the summary rows, in order (``n`` = values that entered them).
#: ``n`` counts the finite values the statistics use; ``n_inf`` the infinite
#: ones (a distance to an empty mask) and ``n_undefined`` the nan ones, both
#: left out of the statistics and reported instead.
SUMMARY_STATS = ("mean", "median", "std", "min", "max", "n", "n_inf", "n_undefined")

STATUS_OK = "ok"
STATUS_BAD_INPUT = "bad_input"
STATUS_INTERNAL = "internal_error"
STATUS_SUMMARY = "summary"
#: Both masks empty under ``--empty skip``: not scored, not summarised, not a failure.
STATUS_EMPTY = "empty"
#: The case took longer than its time limit (``--case-timeout``) and was stopped.
STATUS_TIMEOUT = "timeout"

_EXT_SORTED = sorted(KNOWN_EXTENSIONS, key=len, reverse=True)
_SUFFIX_RE = re.compile("(" + "|".join(re.escape(s) for s in ROLE_SUFFIXES) + ")$", re.IGNORECASE)
_LABEL_COL_RE = re.compile(r"^label(\d+)_(.+)$")


class PairingError(ValueError):
    """The two folders cannot be paired unambiguously (or do not exist)."""


# --------------------------------------------------------------------------- pairing


def case_name(path: str | os.PathLike) -> str | None:
    """The name a file or DICOM folder is paired by, or None if it is not a candidate.

    Parameters
    ----------
    path : path-like
        A file or folder inside a ground-truth or prediction folder.

    Returns
    -------
    str or None
        The stem without known extension and without one role suffix; None
        for hidden entries and files whose extension is not an image format.
    """
    p = Path(path)
    name = p.name
    if not name or name.startswith("."):
        return None
    if p.is_dir():
        stem = name
    else:
        lower = name.lower()
        ext = next((e for e in _EXT_SORTED if lower.endswith(e)), None)
        if ext is None:
            return None
        stem = name[: -len(ext)]
    stripped = _SUFFIX_RE.sub("", stem)
    # "_gt.nii.gz" alone would leave nothing to pair by; keep the stem then.
    return stripped or stem or None


def _index_folder(folder: Path, role: str) -> tuple[dict, list]:
    if not folder.is_dir():
        raise PairingError(f"{role} folder {folder} does not exist or is not a folder")
    by_name: dict[str, Path] = {}
    ignored = []
    for entry in sorted(folder.iterdir()):
        name = case_name(entry)
        if name is None:
            if not entry.name.startswith("."):
                ignored.append(entry)
            continue
        if name in by_name:
            raise PairingError(
                f"{role} folder {folder}: {by_name[name].name} and {entry.name} both pair as "
                f"case '{name}'; rename one of them"
            )
        by_name[name] = entry
    return by_name, ignored


@dataclass
class Pairing:
    """Result of :func:`pair_files`.

    Attributes
    ----------
    pairs : list of (str, Path, Path)
        ``(case, gt_path, pred_path)`` sorted by case name.
    unmatched_gt, unmatched_pred : list of Path
        Candidates of one folder without a partner in the other.
    ignored : list of Path
        Files in either folder that are not image formats (e.g. ``dataset.json``).
    """

    pairs: list = field(default_factory=list)
    unmatched_gt: list = field(default_factory=list)
    unmatched_pred: list = field(default_factory=list)
    ignored: list = field(default_factory=list)


def pair_files(gt_dir: str | os.PathLike, pred_dir: str | os.PathLike) -> Pairing:
    """Pair ground-truth and prediction files of two folders by case name.

    Parameters
    ----------
    gt_dir, pred_dir : path-like
        Folders holding one file (or DICOM sub-folder) per case.

    Returns
    -------
    Pairing

    Raises
    ------
    PairingError
        A folder is missing, both are the same folder, or two entries of one
        folder share a case name.
    """
    gt_dir, pred_dir = Path(gt_dir), Path(pred_dir)
    if gt_dir.is_dir() and pred_dir.is_dir() and gt_dir.resolve() == pred_dir.resolve():
        raise PairingError(
            f"ground-truth and prediction folders are the same ({gt_dir}); "
            "put ground truths and predictions in two folders (files pair by name)"
        )
    gts, ignored_g = _index_folder(gt_dir, "ground-truth")
    preds, ignored_p = _index_folder(pred_dir, "prediction")
    common = sorted(set(gts) & set(preds))
    return Pairing(
        pairs=[(n, gts[n], preds[n]) for n in common],
        unmatched_gt=[gts[n] for n in sorted(set(gts) - set(preds))],
        unmatched_pred=[preds[n] for n in sorted(set(preds) - set(gts))],
        ignored=ignored_g + ignored_p,
    )


# --------------------------------------------------------------------------- one case


def case_notes(case) -> tuple[list, list]:
    """Value-rule messages and other warnings of a loaded case, without repeats.

    Returns
    -------
    notes : list of str
        How each mask's values were read (``MaskInfo.message``).
    warnings : list of str
        ``case.warnings`` that are not already among the notes (geometry
        fixes, suspicious values).
    """
    notes = [i.message for i in (case.gt_info, case.pred_info) if i is not None and i.message]
    seen = set(notes)
    warnings = []
    for w in case.warnings:
        if w not in seen:
            seen.add(w)
            warnings.append(str(w))
    return notes, warnings


def score_files(name: str, gt_path, pred_path, options: ScoreOptions = ScoreOptions()) -> dict:
    """Load and score one pair into a flat row; never raises for a bad case.

    Parameters
    ----------
    name : str
        Case name written in the ``case`` column.
    gt_path, pred_path : path-like
    options : ScoreOptions

    Returns
    -------
    dict
        ``case``, ``status`` (``ok``, ``bad_input`` for files that cannot be
        read or do not fit, ``internal_error`` for anything else), ``error``
        (the message, empty when ok), the metrics, ``warnings`` and the paths.
    """
    from .io.opening import open_case  # lazy: the IO stack is heavy and only workers need it

    row = {"case": name, "status": STATUS_OK, "error": ""}
    try:
        case = open_case(gt=gt_path, pred=pred_path, sigmoid=options.sigmoid, label_names=options.label_names,
                         channels="softmax" if options.softmax else None, channel_axis=options.channel_axis)
        result = score_case(case, options)
        notes, warnings = case_notes(case)
        row["gt_kind"] = getattr(case.gt_info, "kind", "")
        row["pred_kind"] = getattr(case.pred_info, "kind", "")
        row.update(flatten(result))
        row["warnings"] = " | ".join(warnings + result.get("label_warnings", []))
        if result.get("empty") and options.empty == "skip":
            row.update(status=STATUS_EMPTY, error="both masks are empty (--empty skip)")
    except (ValueError, OSError) as exc:
        # LoadError is a ValueError; OSError covers unreadable/missing files
        row.update(status=STATUS_BAD_INPUT, error=_one_line(exc))
    except Exception as exc:  # noqa: BLE001 - one case must never stop a cohort
        row.update(status=STATUS_INTERNAL, error=f"{type(exc).__name__}: {_one_line(exc)}")
    row["gt"] = str(gt_path)
    row["pred"] = str(pred_path)
    return row


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _score_pair(args) -> dict:
    # top-level so process pools and Dask can pickle it by reference
    name, gt_path, pred_path, options = args
    return score_files(name, gt_path, pred_path, options)


# --------------------------------------------------------------------------- cohorts

ProgressCallback = Callable[[int, int, dict], None]


def default_workers() -> int:
    """CPUs this process may use (affinity-aware)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _pool_context():
    import multiprocessing as mp
    import threading

    methods = mp.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        # A single-threaded parent (the CLI) forks safely, and the children
        # start in milliseconds with every module already imported: worth
        # about a second per worker on a cohort run.
        return mp.get_context("fork")
    # With threads running (a GUI, a Dask client) fork could copy a held
    # lock; forkserver children start from a clean single-threaded server.
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["dicegui.core.cohort", "dicegui.core.io", "dicegui.core.surface"])
        return ctx
    return mp.get_context("spawn")


def _preload(options: ScoreOptions) -> None:
    # Import the scoring stack once in the parent so forked workers share it.
    from . import io  # noqa: F401

    if options.surface:
        from . import surface  # noqa: F401


#: Seconds one case may take in a worker process (``--case-timeout``), and the
#: factor for surface distances, which cost several times the overlap on a CT.
DEFAULT_CASE_TIMEOUT = 180.0
SURFACE_TIMEOUT_FACTOR = 4.0


def default_case_timeout(options: ScoreOptions = ScoreOptions()) -> float:
    """Seconds a case may take by default: 3 minutes, 12 with surface distances."""
    factor = SURFACE_TIMEOUT_FACTOR if options.surface else 1.0
    return DEFAULT_CASE_TIMEOUT * factor


class CohortInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`run_cohort`; ``rows`` holds the cases finished before it, sorted by name."""

    def __init__(self, rows: list, total: int):
        super().__init__(f"interrupted after {len(rows)} of {total} cases")
        self.rows = rows
        self.total = total


def run_cohort(
    pairs: Sequence[tuple],
    options: ScoreOptions = ScoreOptions(),
    *,
    workers: int = 1,
    dask_address: str | None = None,
    progress: ProgressCallback | None = None,
    case_timeout: float | None = None,
) -> list[dict]:
    """Score every pair; rows sorted by case name whatever the execution.

    Parameters
    ----------
    pairs : sequence of (name, gt_path, pred_path)
        Typically ``pair_files(...).pairs``.
    options : ScoreOptions
    workers : int
        Local processes; 1 scores in this process unless ``case_timeout`` is
        given (a time limit needs a process that can be stopped). Ignored
        with ``dask_address``. Workers are forked when this process runs a
        single thread, else started by a fork server; in the latter case a
        calling script needs the usual ``if __name__ == "__main__":`` guard
        of multiprocessing. A worker that dies costs only its case
        (``status = "internal_error"``); a fresh worker takes the next one.
    dask_address : str, optional
        Address of a running Dask distributed scheduler (``tcp://host:8786``).
        Needs the ``dask`` extra; the files must be readable by the workers.
        No time limit applies there (Dask has its own).
    progress : callable, optional
        ``progress(done, total, row)`` after each finished case, in this process.
    case_timeout : float, optional
        Seconds one case may take in a worker process; a case past it is
        stopped and gets ``status = "timeout"``. None: :func:`default_case_timeout`
        when cases run in worker processes; ``math.inf``: no limit.

    Returns
    -------
    list of dict
        One row per pair (see :func:`score_files`).

    Raises
    ------
    CohortInterrupted
        Ctrl-C (KeyboardInterrupt): workers are stopped and the rows
        finished so far travel with the exception.
    DaskUnavailable
        ``dask_address`` given but ``distributed`` is not installed.
    DaskConnectionError
        The scheduler cannot be reached.
    """
    from .case_pool import run_supervised

    tasks = [(str(n), str(g), str(p), options) for n, g, p in pairs]
    total = len(tasks)
    rows = []

    def collect(row):
        rows.append(row)
        if progress is not None:
            progress(len(rows), total, row)

    try:
        if dask_address is not None:
            _run_dask(tasks, dask_address, collect)
        elif case_timeout is None and (workers <= 1 or total <= 1):
            for task in tasks:
                collect(_score_pair(task))
        elif total:
            _preload(options)
            limit = default_case_timeout(options) if case_timeout is None else float(case_timeout)
            run_supervised(tasks, _score_pair, max(1, min(workers, total)), collect, _pool_context(), limit)
    except KeyboardInterrupt:
        raise CohortInterrupted(sorted(rows, key=lambda r: r["case"]), total) from None
    rows.sort(key=lambda r: r["case"])
    return rows


class DaskUnavailable(RuntimeError):
    """``--dask`` was asked for but Dask distributed is not installed."""


class DaskConnectionError(ValueError):
    """The Dask scheduler address cannot be reached (a usage problem)."""


def _run_dask(tasks, address: str, collect) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        raise DaskUnavailable(
            "--dask needs Dask distributed, which is not installed; "
            "install it with: pip install 'dicegui[dask]'"
        ) from exc
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise DaskConnectionError(f"cannot reach the Dask scheduler at {address}: {_one_line(exc)}") from exc
    with client:
        futures = client.map(_score_pair, tasks, pure=False)
        try:
            for fut in as_completed(futures):
                collect(fut.result())
                fut.release()
        except BaseException:
            client.cancel(futures)
            raise


# --------------------------------------------------------------------------- tables


_REGION_COL_RE = re.compile(r"^region([A-Za-z0-9-]+)_(.+)$")
_NSD_COL_RE = re.compile(r"^nsd_[0-9.e+-]+mm$")


def _key_rank(key: str, base: tuple) -> int:
    if _NSD_COL_RE.match(key):
        key = "nsd"
    return base.index(key) if key in base else len(base)


def _column_rank(col: str):
    if col in ID_COLUMNS:
        return (0, ID_COLUMNS.index(col), 0, "")
    if col in TAIL_COLUMNS:
        return (5, TAIL_COLUMNS.index(col), 0, "")
    base = (metrics.OVERLAP_KEYS + ("gt_ml", "pred_ml", "soft_dice",) + SURFACE_KEYS + ("mean_dice", "mean_iou", "mean_region_dice")
            + LESION_KEYS + INSTANCE_KEYS + ("swapped_voxels", "spacing_mm", "hd_cap_mm", "empty"))
    if col in base or _NSD_COL_RE.match(col):
        return (1, _key_rank(col, base), 0, col)
    m = _LABEL_COL_RE.match(col)
    if m:
        key = m.group(2)
        # a label's name leads its columns: label2_name, label2_dice, ...
        pos = -1 if key == "name" else _key_rank(key, base)
        return (3, int(m.group(1)), pos, key)
    m = _REGION_COL_RE.match(col)
    if m:
        # regions come before labels: they are what a challenge ranks by
        return (2, m.group(1), _key_rank(m.group(2), base), m.group(2))
    return (4, 0, 0, col)


#: Columns of a row holding file paths (rewritten by :func:`paths_relative_to`).
PATH_COLUMNS = ("gt", "pred", "image")


def paths_relative_to(rows: Iterable[dict], folder) -> list[dict]:
    """Rows with their file paths written for a table saved in ``folder``.

    A path to a file inside ``folder`` (or below it) becomes relative to
    ``folder``, so the table and its cases can move together and
    :meth:`dicegui.core.review.Cohort.from_csv`, which resolves paths
    relative to the table's own folder, finds them whatever the current
    folder was when the table was written. A path outside ``folder`` becomes
    absolute: it keeps working wherever the table is copied on the same
    machine (a ``../../x`` path would not), and ``Cohort.from_csv`` opens it
    only when asked to trust the table (``allow_absolute=True``), as it does
    for any path leading out of the table's folder.

    "Inside" is decided on the paths as written (made absolute against the
    current folder, ``..`` collapsed), not on where symbolic links point.

    Parameters
    ----------
    rows : iterable of dict
        Rows of :func:`run_cohort` (``gt``/``pred``/``image`` as given).
    folder : path-like
        Folder of the table file.

    Returns
    -------
    list of dict
        New row dicts (the input rows are not changed).
    """
    base = os.path.abspath(os.fspath(folder) or ".")
    out = []
    for row in rows:
        row = dict(row)
        for col in PATH_COLUMNS:
            value = row.get(col)
            if value is None or value == "":
                continue
            path = os.path.abspath(os.fspath(value))
            try:
                inside = os.path.commonpath([base, path]) == base
            except ValueError:  # different drives (Windows)
                inside = False
            row[col] = os.path.relpath(path, base) if inside else path
        out.append(row)
    return out


def columns_of(rows: Iterable[dict]) -> list[str]:
    """Union of the rows' keys in a fixed order.

    Identity columns, foreground metrics, per-label columns by label, any
    other key alphabetically, then ``warnings``, ``gt``, ``pred``.
    """
    cols = set()
    for r in rows:
        cols.update(r)
    cols.update(ID_COLUMNS)
    return sorted(cols, key=_column_rank)


NON_METRIC_COLUMNS = frozenset(ID_COLUMNS + TAIL_COLUMNS + ("spacing_mm", "hd_cap_mm", "empty"))


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def summarize(rows: Sequence[dict], columns: Sequence[str] | None = None) -> list[dict]:
    """Summary rows of every metric column over the finite values.

    Only cases with ``status == "ok"`` count. The statistics (mean, median,
    std, min, max) use the finite values only, and ``n`` counts them;
    ``n_inf`` counts infinite values (a distance to an empty mask: the case
    is not averaged in, it is reported, and ``--hd-cap`` can turn it into a
    number) and ``n_undefined`` NaN values (0/0, e.g. precision of an empty
    prediction). So one empty prediction no longer makes a mean "inf ± nan";
    the row says how many cases it left out and why. ``std`` is the sample
    standard deviation (ddof=1, like pandas).

    Returns
    -------
    list of dict
        One row per statistic of :data:`SUMMARY_STATS`, with ``case`` = the
        statistic's name and ``status = "summary"``.
    """
    columns = list(columns) if columns is not None else columns_of(rows)
    ok = [r for r in rows if r.get("status") == STATUS_OK]
    out = {s: {"case": s, "status": STATUS_SUMMARY} for s in SUMMARY_STATS}
    for col in columns:
        if col in NON_METRIC_COLUMNS:
            continue
        values = [r[col] for r in ok if _is_number(r.get(col))]
        if not values:
            continue
        arr = np.asarray(values, dtype=np.float64)
        finite = arr[np.isfinite(arr)]
        out["n"][col] = int(finite.size)
        out["n_inf"][col] = int(np.count_nonzero(np.isinf(arr)))
        out["n_undefined"][col] = int(np.count_nonzero(np.isnan(arr)))
        if finite.size == 0:
            continue
        out["mean"][col] = float(np.mean(finite))
        out["median"][col] = float(np.median(finite))
        out["std"][col] = float(np.std(finite, ddof=1)) if finite.size > 1 else float("nan")
        out["min"][col] = float(np.min(finite))
        out["max"][col] = float(np.max(finite))
    return [out[s] for s in SUMMARY_STATS]


def ranking_metric(rows: Sequence[dict]) -> str:
    """The metric cases are ranked by: the first every scored case has of
    ``mean_region_dice`` (region groups were scored: what region-ranked
    challenges average), ``mean_dice`` (label maps), else ``dice``."""
    ok = [r for r in rows if r.get("status") == STATUS_OK]
    for metric in ("mean_region_dice", "mean_dice"):
        if ok and all(_is_number(r.get(metric)) and not math.isnan(r[metric]) for r in ok):
            return metric
    return "dice"


def worst_cases(rows: Sequence[dict], n: int = 5, metric: str | None = None) -> list[dict]:
    """The ``n`` scored cases with the lowest ``metric`` (ties by name).

    Cases that failed are not ranked (they are reported by their status).
    """
    metric = metric or ranking_metric(rows)
    ok = [r for r in rows if r.get("status") == STATUS_OK and _is_number(r.get(metric))
          and not math.isnan(r[metric])]
    return sorted(ok, key=lambda r: (r[metric], r["case"]))[: max(0, n)]
