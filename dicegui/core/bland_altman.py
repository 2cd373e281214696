"""Numbers behind the worklist's cohort plots: Bland–Altman of volumes, metric groups, box statistics.

A QA lead asks of a cohort scored by ``dicegui score``: how are the scores
spread per structure, does the model over- or under-segment (volume bias),
and do small structures fail first? The plots answering that only draw; what
they draw is computed here, without Qt, from the rows of the table (a
:class:`dicegui.core.review.Cohort` or a list of row dicts):

* :func:`bland_altman` — prediction − reference against their mean, with the
  mean bias, its SD and the 95 % limits of agreement (Bland & Altman 1986);
* :func:`metric_groups` — one metric's per-case values per label or region
  (or the foreground), with infinite distances set apart: ∞ is not a number
  a box plot can place, so it is counted, not drawn;
* :func:`box_stats` — median, quartiles and 1.5 IQR whiskers (Tukey);
* :func:`case_volumes` — reference and predicted volumes in mL from the
  ``gt_ml``/``pred_ml`` columns, or, for tables written before those
  existed, from TP/FP/FN voxel counts and ``spacing_mm``.
"""
from __future__ import annotations

import math
import numbers
from typing import Mapping, NamedTuple

import numpy as np

from .metric_columns import label_names_of, owner_title, parse_column

#: Metric keys offered for the distribution plot, in the order offered
#: (``nsd`` stands for every ``nsd_<t>mm``).
PLOT_KEYS = ("dice", "iou", "hd95", "hd", "assd", "nsd", "lesion_dice", "lesion_hd95", "soft_dice",
             "instance_f1", "pq", "sq", "rq", "sensitivity", "precision", "volume_similarity")
#: z of the two-sided 95 % limits of agreement.
Z95 = 1.96
NO_VOLUMES = "volumes not in this table"


class Record(NamedTuple):
    """One row of the table: case name, numeric scores, text fields."""

    name: str
    scores: Mapping
    fields: Mapping


class MetricGroup(NamedTuple):
    """Per-case values of one column (one box of the distribution plot).

    Attributes
    ----------
    names : list of str
        Cases with a finite value, in the order of ``values``.
    values : ndarray of float
        Their values.
    infinite : list of str
        Cases whose value is ±inf (e.g. HD95 of an empty mask): not drawn.
    column : str
        The table column the values come from.
    undefined : int
        Cases with nan (undefined) or no value.
    """

    names: list
    values: np.ndarray
    infinite: list
    column: str
    undefined: int


def records(cohort_or_rows) -> list[Record]:
    """The rows of a cohort or of row dicts as :class:`Record` s (table order).

    Parameters
    ----------
    cohort_or_rows : Cohort or iterable of mapping
        A :class:`dicegui.core.review.Cohort` (its cases' ``scores`` and
        ``fields``), or dicts with a ``case`` key (numbers are scores, text
        are fields).
    """
    if isinstance(cohort_or_rows, ScoreColumns):
        return cohort_or_rows.records
    out = []
    for item in cohort_or_rows:
        if hasattr(item, "scores"):
            out.append(Record(item.name, item.scores, item.fields))
            continue
        scores, fields = {}, {}
        for k, v in item.items():
            if isinstance(v, numbers.Real) and not isinstance(v, bool):
                scores[k] = v
            elif k != "case" and v is not None:
                fields[k] = v
        out.append(Record(str(item["case"]), scores, fields))
    return out


class ScoreColumns:
    """The table by column: case names, and each numeric column as one float array.

    The plots redraw on every choice of metric or structure; reading 10,000
    row dicts each time costs more than drawing the points, so each column
    is read once (on first use) and kept as an array (nan where a case has
    no value).

    Parameters
    ----------
    cohort_or_rows : Cohort, iterable of mapping, or ScoreColumns
        See :func:`records`.
    """

    def __init__(self, cohort_or_rows):
        self.records = records(cohort_or_rows)
        self.names = [r.name for r in self.records]
        self.columns: dict = {}  # numeric column names in the order the table first has them
        for r in self.records:
            self.columns.update(dict.fromkeys(r.scores))
        self._arrays: dict = {}
        self._voxel_ml = None

    def __len__(self) -> int:
        return len(self.records)

    def values(self, column: str) -> np.ndarray:
        """Every case's value of ``column`` as floats (nan where missing or not a number)."""
        out = self._arrays.get(column)
        if out is None:
            out = np.array([_number(r.scores.get(column)) for r in self.records], dtype=float)
            out.flags.writeable = False  # shared between draws
            self._arrays[column] = out
        return out

    def voxel_ml(self) -> np.ndarray:
        """Every case's voxel volume in mL from its ``spacing_mm`` text (nan without one)."""
        if self._voxel_ml is None:
            self._voxel_ml = np.array([voxel_ml(r.fields.get("spacing_mm")) for r in self.records], dtype=float)
        return self._voxel_ml

    def pick(self, mask: np.ndarray) -> list:
        """Names of the cases where ``mask`` is true."""
        return np.asarray(self.names, dtype=object)[mask].tolist()


def as_columns(cohort_or_rows) -> ScoreColumns:
    """``cohort_or_rows`` as a :class:`ScoreColumns` (itself when it already is one)."""
    return cohort_or_rows if isinstance(cohort_or_rows, ScoreColumns) else ScoreColumns(cohort_or_rows)


def bland_altman(reference, prediction, names=None) -> dict:
    """Bland–Altman agreement of predicted against reference values.

    Parameters
    ----------
    reference, prediction : array-like of float
        Paired values (e.g. volumes in mL), one per case.
    names : sequence of str, optional
        Case names, to say which cases were left out.

    Returns
    -------
    dict
        ``difference`` (prediction − reference) and ``mean`` (their mean)
        of the cases kept, ``names`` of those cases, ``n``, ``bias`` (mean
        difference), ``sd`` (SD of the differences, ddof=1; nan when
        ``n < 2``), ``lower`` / ``upper`` (bias ∓ 1.96 SD) and ``left_out``:
        ``[(name, why), ...]`` for pairs holding nan or ±inf.

    Raises
    ------
    ValueError
        The two sequences (or the names) differ in length.
    """
    ref = np.asarray(reference, dtype=float).ravel()
    pred = np.asarray(prediction, dtype=float).ravel()
    names = [str(i) for i in range(ref.size)] if names is None else [str(n) for n in names]
    if ref.size != pred.size or len(names) != ref.size:
        raise ValueError(f"Bland–Altman needs paired values: {ref.size} reference, {pred.size} predicted, "
                         f"{len(names)} names")
    keep = np.isfinite(ref) & np.isfinite(pred)
    left_out = [(n, _why_left_out(r, p)) for n, r, p, k in zip(names, ref, pred, keep) if not k]
    ref, pred = ref[keep], pred[keep]
    diff = pred - ref
    n = int(diff.size)
    bias = float(diff.mean()) if n else math.nan
    sd = float(diff.std(ddof=1)) if n >= 2 else math.nan
    return {"difference": diff, "mean": (pred + ref) / 2.0, "names": [m for m, k in zip(names, keep) if k],
            "n": n, "bias": bias, "sd": sd, "lower": bias - Z95 * sd, "upper": bias + Z95 * sd,
            "left_out": left_out}


def _why_left_out(ref: float, pred: float) -> str:
    bad = [f"{role} is {'undefined (nan)' if math.isnan(v) else 'infinite'}"
           for role, v in (("reference", ref), ("prediction", pred)) if not math.isfinite(v)]
    return "; ".join(bad)


def box_stats(values) -> dict:
    """Tukey box of finite values: median, quartiles, whiskers at 1.5 IQR, outliers.

    Parameters
    ----------
    values : array-like of float
        Finite values (at least one).

    Returns
    -------
    dict
        ``median``, ``q1``, ``q3`` (numpy's linear percentiles),
        ``low`` / ``high`` (the most extreme values within 1.5 IQR of the
        quartiles), ``outliers`` (values beyond the whiskers), ``n``.
    """
    v = np.asarray(values, dtype=float).ravel()
    if v.size == 0 or not np.all(np.isfinite(v)):
        raise ValueError("box statistics need at least one value, all finite")
    q1, median, q3 = np.percentile(v, [25, 50, 75])
    iqr = q3 - q1
    inside = v[(v >= q1 - 1.5 * iqr) & (v <= q3 + 1.5 * iqr)]
    return {"median": float(median), "q1": float(q1), "q3": float(q3), "low": float(inside.min()),
            "high": float(inside.max()), "outliers": v[(v < inside.min()) | (v > inside.max())], "n": int(v.size)}


def plot_keys(cohort_or_rows) -> list[str]:
    """Metric keys (scope removed) the table has values of, in :data:`PLOT_KEYS` order.

    NSD keys keep their tolerance (``nsd_2mm``); a table may hold several.
    """
    found = {parse_column(col).key for col in as_columns(cohort_or_rows).columns}
    out = []
    for want in PLOT_KEYS:
        out += sorted(k for k in found if parse_column(k).base == want and (want == "nsd" or k == want))
    return out


def metric_groups(cohort_or_rows, key: str, label_names: Mapping | None = None) -> dict:
    """Per-case values of one metric, one group per label or region, else the foreground.

    Parameters
    ----------
    cohort_or_rows : Cohort, iterable of mapping, or ScoreColumns
        See :func:`records`; pass a :class:`ScoreColumns` to read the table once for many calls.
    key : str
        A metric key without scope: ``dice``, ``hd95``, ``nsd_1mm``, ``lesion_dice``.
    label_names : mapping, optional
        ``{"2": "liver"}``; default from the table's ``label<L>_name`` text.

    Returns
    -------
    dict of str to MetricGroup
        Keyed by the group's title (``Label 1``, ``liver``, ``ET``,
        ``Foreground``): labels in numeric order, then regions in table
        order. When the table has no label or region column of ``key``,
        one ``Foreground`` group of the plain ``key`` column (empty dict if
        that is missing too).
    """
    table = as_columns(cohort_or_rows)
    if label_names is None:
        label_names = label_names_of(r.fields for r in table.records)
    columns = [col for col in table.columns
               if parse_column(col).key == key and parse_column(col).scope != "foreground"]
    if columns:
        labels = sorted((c for c in columns if parse_column(c).scope == "label"),
                        key=lambda c: int(parse_column(c).owner))
        regions = [c for c in columns if parse_column(c).scope == "region"]
        columns = labels + regions
        titles = [owner_title(parse_column(c), label_names) for c in columns]
    elif key in table.columns:
        columns, titles = [key], ["Foreground"]
    else:
        return {}
    return {title: _group(table, col) for title, col in zip(titles, columns)}


def _group(table: ScoreColumns, column: str) -> MetricGroup:
    raw = table.values(column)
    finite = np.isfinite(raw)
    infinite = np.isinf(raw)
    return MetricGroup(table.pick(finite), raw[finite], table.pick(infinite), column,
                       int((~finite & ~infinite).sum()))


def _number(value) -> float:
    if value is None or isinstance(value, bool) or not isinstance(value, numbers.Real):
        return math.nan
    return float(value)


def volume_owners(cohort_or_rows, label_names: Mapping | None = None) -> dict:
    """Structures whose volumes the table gives (or lets us compute), as ``{title: column prefix}``.

    ``{"Foreground": "", "Label 1": "label1_", "WT": "regionWT_"}``: the
    foreground first, then labels in numeric order, then regions.
    """
    table = as_columns(cohort_or_rows)
    if label_names is None:
        label_names = label_names_of(r.fields for r in table.records)
    prefixes = []
    for col in table.columns:
        c = parse_column(col)
        if c.key in ("gt_ml", "tp"):
            prefix = col[: len(col) - len(c.key)]
            if prefix not in prefixes:
                prefixes.append(prefix)

    def rank(prefix):
        c = parse_column(prefix + "tp")
        return ({"foreground": 0, "label": 1, "region": 2}[c.scope], int(c.owner) if c.scope == "label" else 0)

    prefixes.sort(key=rank)  # stable: regions stay in table order
    return {(owner_title(parse_column(p + "tp"), label_names) or "Foreground"): p for p in prefixes}


def voxel_ml(spacing_text) -> float:
    """Volume of one voxel in mL from ``spacing_mm`` text (``"0.8x0.8x2.5"``); nan if unreadable."""
    if not isinstance(spacing_text, str):
        return math.nan
    try:
        sizes = [float(s) for s in spacing_text.lower().split("x")]
    except ValueError:
        return math.nan
    if not sizes or not all(math.isfinite(s) and s > 0 for s in sizes):
        return math.nan
    return float(np.prod(sizes)) / 1000.0


def case_volumes(cohort_or_rows, prefix: str = "") -> dict:
    """Reference and predicted volume (mL) of one structure in every case.

    Parameters
    ----------
    cohort_or_rows : Cohort, iterable of mapping, or ScoreColumns
        See :func:`records`; pass a :class:`ScoreColumns` to read the table once for many calls.
    prefix : str, optional
        ``""`` (foreground), ``"label2_"`` or ``"regionWT_"`` (see :func:`volume_owners`).

    Returns
    -------
    dict
        ``names``, ``reference``, ``prediction`` (float arrays, nan where a
        case has no volume) and ``source``: ``"table"`` (``gt_ml`` /
        ``pred_ml`` columns), ``"voxels"`` (TP/FP/FN × the voxel volume of
        ``spacing_mm``), ``"mixed"``, or :data:`NO_VOLUMES` when no case has
        either.
    """
    table = as_columns(cohort_or_rows)
    ref_t, pred_t = table.values(prefix + "gt_ml"), table.values(prefix + "pred_ml")
    from_table = ~np.isnan(ref_t) | ~np.isnan(pred_t)
    tp, fn, fp = (table.values(prefix + k) for k in ("tp", "fn", "fp"))
    size = table.voxel_ml()
    ref_v, pred_v = (tp + fn) * size, (tp + fp) * size
    from_voxels = ~from_table & np.isfinite(ref_v) & np.isfinite(pred_v)
    ref = np.where(from_table, ref_t, ref_v)
    pred = np.where(from_table, pred_t, pred_v)
    sources = [s for s, used in (("table", from_table.any()), ("voxels", from_voxels.any())) if used]
    source = NO_VOLUMES if not sources else (sources[0] if len(sources) == 1 else "mixed")
    return {"names": list(table.names), "reference": ref, "prediction": pred, "source": source}


def metric_values(cohort_or_rows, column: str) -> np.ndarray:
    """Every case's value of ``column`` (nan where missing), in table order."""
    return as_columns(cohort_or_rows).values(column)


__all__ = ["bland_altman", "box_stats", "metric_groups", "plot_keys", "volume_owners", "case_volumes",
           "metric_values", "voxel_ml", "records", "ScoreColumns", "as_columns", "MetricGroup", "Record",
           "PLOT_KEYS", "NO_VOLUMES"]
