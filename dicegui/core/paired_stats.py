"""Two models, same cases: paired differences of one score column of two ``dicegui score`` tables.

A QA lead who scored model A and model B on the same patients asks whether B
is better or whether the difference is noise. Means of two tables do not
answer it: the cases differ far more from each other than the models do, so
the comparison has to be made case by case. This module pairs the rows of
two tables by their ``case`` name, takes per-case differences B − A of one
column, and states what they can say:

* mean and median difference, each with a 95 % bootstrap confidence interval
  (percentile method, a fixed seed, 10,000 resamples by default). The
  resamples are drawn as one ``(resamples, n)`` index array, in chunks small
  enough to stay in cache, and each is summarised by how often it drew each
  case (:func:`bootstrap_means_medians`), so 10,000 cases take under a second;
* the Wilcoxon signed-rank test (:func:`scipy.stats.wilcoxon`, two-sided,
  zero differences dropped: scipy's default ``zero_method="wilcox"``);
* wins, ties and losses of B, "better" following the column's direction
  (:func:`dicegui.core.metric_columns.lower_is_better`: a smaller HD95 wins);
* the cases where the models disagree most (largest ``|B − A|`` first);
* every case left out and why: in one table only, not scored ``ok`` in either
  table (failed, empty), value missing, undefined (nan: 0/0) or infinite (a
  mask without surface; ``dicegui score --hd-cap MM`` turns those into
  numbers), and a warning when fewer than :data:`MIN_PAIRS` pairs remain.

Qt-free; the CLI (:mod:`dicegui.compare_cli`) and the worklist's "Compare
with…" both call :func:`compare_files`.
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .cohort import STATUS_OK, STATUS_SUMMARY
from .io.table_errors import read_table_text, refuse_stray_bytes, table_read_errors
from .metric_columns import parse_column
from .review import _parse_cell, _unquote

#: Below this many pairs the report warns that the test says little.
MIN_PAIRS = 10
DEFAULT_RESAMPLES = 10_000
DEFAULT_SEED = 0
CONFIDENCE = 0.95
#: Wilcoxon's handling of zero differences (scipy's default, stated in the report).
ZERO_METHOD = "wilcox"
# Index elements per bootstrap chunk (~4 MB of indices and as many counts):
# small enough to stay in cache, large enough that numpy's per-call cost vanishes.
_CHUNK_ELEMENTS = 500_000

#: Why a case was left out, in report order.
REASONS = ("only in A", "only in B", "not scored ok", "missing", "undefined", "infinite")
REASON_NOTES = {
    "only in A": "the case is not in table B",
    "only in B": "the case is not in table A",
    "not scored ok": "the scoring run failed or both masks were empty (status not ok)",
    "missing": "no value in the column",
    "undefined": "nan: the score is undefined (0/0)",
    "infinite": "an infinite distance: a mask without surface (dicegui score --hd-cap MM turns these into numbers)",
}


class CompareError(ValueError):
    """A table cannot be read or compared (the message names the file and the problem)."""


@dataclass
class Exclusion:
    """One case left out of the pairing."""

    case: str
    reason: str  # one of REASONS
    detail: str = ""


@dataclass
class Interval:
    """A point estimate with its bootstrap confidence interval."""

    estimate: float
    low: float
    high: float


@dataclass
class PairedComparison:
    """What :func:`compare_tables` found; arrays are ordered largest ``|B − A|`` first.

    Attributes
    ----------
    column : str
        The compared column (``dice``, ``label2_hd95``, ``regionET_dice``).
    lower_is_better : bool
        Direction of the column: wins count B's smaller values when True.
    cases : list of str
        Paired cases, largest absolute difference first (ties by name).
    a, b, difference : ndarray
        A's and B's values and ``b - a`` for ``cases``.
    mean, median : Interval or None
        Mean and median difference with their bootstrap CI (None without pairs).
    wilcoxon_statistic, wilcoxon_p : float or None
        Two-sided signed-rank test (None when every difference is zero or no pairs).
    wins, ties, losses : int
        Cases where B is better, equal, worse.
    excluded : list of Exclusion
    warnings : list of str
    """

    column: str
    lower_is_better: bool
    source_a: str
    source_b: str
    cases: list
    a: np.ndarray
    b: np.ndarray
    difference: np.ndarray
    mean: Interval | None
    median: Interval | None
    wilcoxon_statistic: float | None
    wilcoxon_p: float | None
    wins: int
    ties: int
    losses: int
    excluded: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    seed: int = DEFAULT_SEED
    resamples: int = DEFAULT_RESAMPLES
    zero_method: str = ZERO_METHOD

    @property
    def n_pairs(self) -> int:
        """Number of cases compared."""
        return len(self.cases)

    def excluded_counts(self) -> dict:
        """``{reason: count}`` for the reasons that occur, in :data:`REASONS` order."""
        counts = {r: 0 for r in REASONS}
        for e in self.excluded:
            counts[e.reason] += 1
        return {r: c for r, c in counts.items() if c}

    def outcome(self, i: int) -> str:
        """``"B better"``, ``"tie"`` or ``"A better"`` for the i-th paired case."""
        d = self.difference[i]
        if d == 0:
            return "tie"
        return "B better" if (d < 0) == self.lower_is_better else "A better"


# --------------------------------------------------------------------------- reading


def metric_column(metric: str = "dice", label=None, region=None) -> str:
    """The column name of ``metric`` for a label or a region group.

    Parameters
    ----------
    metric : str
        Key such as ``dice``, ``hd95``, ``nsd_1mm``, ``lesion_dice``.
    label : int or str, optional
        Label value: ``label<L>_<metric>``.
    region : str, optional
        Region group name: ``region<NAME>_<metric>``.

    Returns
    -------
    str
    """
    if label is not None and region is not None:
        raise CompareError("give a label or a region, not both")
    if label is not None:
        column = f"label{label}_{metric}"
    elif region is not None:
        column = f"region{region}_{metric}"
    else:
        column = metric
    c = parse_column(column)
    if (label is not None and c.scope != "label") or (region is not None and c.scope != "region"):
        raise CompareError(f"{column}: not a valid column name (labels are whole numbers, "
                           "regions letters, digits and '-')")
    return column


def _read_csv_rows(path: Path) -> list[dict]:
    text = read_table_text(path)
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise CompareError(f"{path}: empty file, expected a table of dicegui score with a 'case' column")
    header = [h.strip() for h in rows[0]]
    if "case" not in header:
        raise CompareError(f"{path}: no 'case' column; is this a table written by dicegui score --out?")
    refuse_stray_bytes(str(path), text, header, enumerate(rows[1:], start=2), CompareError)
    out = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise CompareError(f"{path}, line {line}: {len(row)} cells but {len(header)} columns")
        cells = {h: _unquote(t) for h, t in zip(header, row)}
        parsed = {h: (t.strip() if h in ("case", "status", "error") else _parse_cell(t))
                  for h, t in cells.items()}
        parsed["_line"] = line
        out.append(parsed)
    return out


def _json_value(v):
    # dicegui score's strict JSON: nan is null, infinities are strings
    if v is None:
        return math.nan
    if v in ("Infinity", "-Infinity"):
        return math.inf if v == "Infinity" else -math.inf
    return v


def _read_json_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise CompareError(f"{path}: not the JSON of a dicegui score cohort (no \"cases\" list)")
    out = []
    for i, row in enumerate(data["cases"]):
        if not isinstance(row, dict) or not isinstance(row.get("case"), str):
            raise CompareError(f"{path}: cases[{i}] has no case name")
        parsed = {k: (v if k in ("case", "status", "error") else _json_value(v)) for k, v in row.items()}
        parsed["_line"] = i
        out.append(parsed)
    return out


def read_score_table(path) -> dict:
    """Rows of a ``dicegui score`` cohort table (CSV or JSON), by case name.

    Parameters
    ----------
    path : path-like
        CSV written by ``dicegui score --out results.csv`` (numbers as
        written there: ``nan``, ``inf``, empty = not computed) or its JSON
        (``--format json``). Summary rows are skipped.

    Returns
    -------
    dict
        ``{case: {column: value}}`` in file order; values are int, float,
        text or None (empty cell).

    Raises
    ------
    CompareError
        The file cannot be read, has no ``case`` column or repeats a case.
    """
    path = Path(path)
    with table_read_errors(path, CompareError, "give the table written by dicegui score --out"):
        rows = _read_json_rows(path) if path.suffix.lower() == ".json" else _read_csv_rows(path)
    table = {}
    for row in rows:
        if row.get("status") == STATUS_SUMMARY:
            continue
        name = row.get("case") or ""
        if not name:
            raise CompareError(f"{path}, line {row['_line']}: empty case name")
        if name in table:
            raise CompareError(f"{path}: case {name!r} appears twice")
        table[name] = row
    if not table:
        raise CompareError(f"{path}: no cases in the table")
    return table


# --------------------------------------------------------------------------- pairing


def _has_column(table: dict, column: str) -> bool:
    return any(column in row for row in table.values())


def _why_unusable(row: dict, column: str, side: str) -> tuple[str, str] | None:
    status = row.get("status") or STATUS_OK  # a hand-made table without statuses is all ok
    if status != STATUS_OK:
        err = row.get("error") or ""
        return "not scored ok", f"{side}: {status}" + (f": {err}" if err else "")
    v = row.get(column)
    if v is None:
        return "missing", f"{side}: no value"
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return "missing", f"{side}: {str(v)[:40]!r} is not a number"
    if math.isnan(v):
        return "undefined", f"{side}: nan"
    if math.isinf(v):
        return "infinite", f"{side}: {'inf' if v > 0 else '-inf'}"
    return None


def pair_tables(table_a: dict, table_b: dict, column: str):
    """Pair two tables by case name on ``column``.

    Returns
    -------
    names : list of str
        Paired cases, in A's order.
    a, b : ndarray
        Their values (finite floats).
    excluded : list of Exclusion
        Every other case with its reason (a case unusable on both sides
        gets A's reason, which names both when they differ).
    """
    names, va, vb, excluded = [], [], [], []
    for name, row_a in table_a.items():
        row_b = table_b.get(name)
        if row_b is None:
            excluded.append(Exclusion(name, "only in A"))
            continue
        why_a, why_b = _why_unusable(row_a, column, "A"), _why_unusable(row_b, column, "B")
        if why_a or why_b:
            reason = (why_a or why_b)[0]
            detail = "; ".join(w[1] for w in (why_a, why_b) if w)
            excluded.append(Exclusion(name, reason, detail))
            continue
        names.append(name)
        va.append(float(row_a[column]))
        vb.append(float(row_b[column]))
    excluded += [Exclusion(name, "only in B") for name in table_b if name not in table_a]
    return names, np.asarray(va, dtype=float), np.asarray(vb, dtype=float), excluded


# --------------------------------------------------------------------------- statistics


def bootstrap_means_medians(values: np.ndarray, resamples: int = DEFAULT_RESAMPLES,
                            seed: int = DEFAULT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Mean and median of each of ``resamples`` resamples (with replacement) of ``values``.

    Parameters
    ----------
    values : ndarray, shape (n,)
    resamples : int
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same resamples.

    Returns
    -------
    means, medians : ndarray, shape (resamples,)
    """
    values = np.sort(np.asarray(values, dtype=float))
    n = values.size
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    medians = np.empty(resamples)
    rows = max(1, _CHUNK_ELEMENTS // max(n, 1))
    # A resample is summarised by how often it drew each (sorted) value: its
    # mean is counts @ values / n, and its median sits where the running
    # count crosses n/2. Counting is one bincount and one cumsum per chunk,
    # cheaper than gathering the values and partitioning every row.
    low_rank, high_rank = (n + 1) // 2, n // 2 + 1  # the two middle order statistics (1-based)
    for start in range(0, resamples, rows):
        stop = min(resamples, start + rows)
        m = stop - start
        idx = rng.integers(0, n, size=(m, n))
        idx += (np.arange(m) * n)[:, None]  # row r counts into bins r*n .. r*n+n-1
        counts = np.bincount(idx.ravel(), minlength=m * n).reshape(m, n)
        means[start:stop] = counts @ values / n
        running = np.cumsum(counts, axis=1)
        lo = (running < low_rank).sum(axis=1)
        hi = (running < high_rank).sum(axis=1)
        medians[start:stop] = 0.5 * (values[lo] + values[hi])
    return means, medians


def percentile_interval(samples: np.ndarray, estimate: float, level: float = CONFIDENCE) -> Interval:
    """Percentile-method interval of bootstrap ``samples`` around ``estimate``."""
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(samples, [tail, 100 - tail])
    return Interval(float(estimate), float(low), float(high))


def wilcoxon_test(difference: np.ndarray) -> tuple[float | None, float | None]:
    """Two-sided Wilcoxon signed-rank test of ``difference`` (zero differences dropped).

    Returns ``(None, None)`` when no difference is nonzero: the test has nothing to rank.
    """
    from scipy import stats

    if not np.any(difference != 0):
        return None, None
    res = stats.wilcoxon(difference, zero_method=ZERO_METHOD, alternative="two-sided")
    return float(res.statistic), float(res.pvalue)


def _order_by_disagreement(names, a, b):
    d = b - a
    # largest |B - A| first; equal ones by name so the order never depends on file order
    order = sorted(range(len(names)), key=lambda i: (-abs(d[i]), names[i]))
    idx = np.asarray(order, dtype=int)
    return [names[i] for i in order], a[idx] if idx.size else a, b[idx] if idx.size else b


def compare_tables(table_a: dict, table_b: dict, column: str = "dice", *, source_a: str = "A",
                   source_b: str = "B", seed: int = DEFAULT_SEED,
                   resamples: int = DEFAULT_RESAMPLES) -> PairedComparison:
    """Compare model B with model A on the cases both tables scored.

    Parameters
    ----------
    table_a, table_b : dict
        From :func:`read_score_table`.
    column : str
        The score column (see :func:`metric_column`).
    source_a, source_b : str
        Names of the tables for messages.
    seed, resamples : int
        Bootstrap seed and number of resamples.

    Returns
    -------
    PairedComparison

    Raises
    ------
    CompareError
        A table has no such column, or ``resamples`` is below 1.
    """
    if resamples < 1:
        raise CompareError(f"resamples must be at least 1, not {resamples}")
    for table, src in ((table_a, source_a), (table_b, source_b)):
        if not _has_column(table, column):
            raise CompareError(f"{src}: no column {column!r}; score with the options that write it "
                               "(e.g. --labels, --regions, --surface)")
    names, a, b, excluded = pair_tables(table_a, table_b, column)
    names, a, b = _order_by_disagreement(names, a, b)
    d = b - a
    lower = parse_column(column).lower_is_better
    mean = median = None
    if d.size:
        means, medians = bootstrap_means_medians(d, resamples, seed)
        mean = percentile_interval(means, float(d.mean()))
        median = percentile_interval(medians, float(np.median(d)))
    stat, p = wilcoxon_test(d)
    better = (d < 0) if lower else (d > 0)
    worse = (d > 0) if lower else (d < 0)
    warnings = _warnings(d, excluded)
    return PairedComparison(column, lower, str(source_a), str(source_b), names, a, b, d, mean, median, stat, p,
                            int(better.sum()), int((d == 0).sum()), int(worse.sum()), excluded, warnings,
                            seed, resamples)


def _warnings(d: np.ndarray, excluded: list) -> list[str]:
    out = []
    if d.size == 0:
        out.append("no case could be paired: nothing to compare")
    elif d.size < MIN_PAIRS:
        out.append(f"only {d.size} paired case(s): with fewer than {MIN_PAIRS} pairs the test and the "
                   "confidence intervals say little")
    elif not np.any(d != 0):
        out.append("every difference is zero: the two tables agree on every paired case")
    if any(e.reason == "infinite" for e in excluded):
        out.append("cases with infinite distances were left out; score with --hd-cap MM to count them")
    return out


def compare_files(path_a, path_b, column: str = "dice", *, seed: int = DEFAULT_SEED,
                  resamples: int = DEFAULT_RESAMPLES) -> PairedComparison:
    """:func:`compare_tables` on two files read by :func:`read_score_table`."""
    table_a, table_b = read_score_table(path_a), read_score_table(path_b)
    return compare_tables(table_a, table_b, column, source_a=str(path_a), source_b=str(path_b),
                          seed=seed, resamples=resamples)
