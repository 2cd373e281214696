"""What a score column of ``dicegui score``'s table means: scope, metric, direction, title.

The cohort table grows column families (per label, per region group,
lesion-wise, instances, NSD at a stated tolerance). The worklist has to sort
each of them worst first, title it, and group it in its column chooser; the
rules for that live here, once, without Qt, so the core's
:meth:`dicegui.core.review.Cohort.sort` and the window agree.

Column names
------------
``[<scope>_]<key>`` where the optional scope is ``label<L>`` (a label value)
or ``region<NAME>`` (letters, digits and ``-``), and the key is

* an overlap key (``dice``, ``iou``, ``fp``, ...), ``mean_dice``, ``mean_iou``;
* a surface key (``hd``, ``hd95``, ``assd``, ``hd95_pooled``), NSD as
  ``nsd_<t>mm`` (``t`` written with ``format(t, "g")``: ``nsd_2mm``,
  ``nsd_1.5mm``) or plain ``nsd`` in tables written before tolerances were
  named;
* lesion-wise: ``lesion_dice``, ``lesion_hd95``, ``num_tp``, ``num_fp``,
  ``num_fn``;
* instances: ``instance_precision``, ``instance_recall``, ``instance_f1``,
  ``pq``, ``sq``, ``rq``, ``instance_tp``, ``instance_fp``, ``instance_fn``;
* ``swapped_voxels`` (foreground, both masks labelled, labels differ).

Worst first
-----------
Distances and error counts (:data:`LOWER_IS_BETTER`, whatever their scope)
are worst when large, every other score when small. An infinite distance (a
mask without surface) is a value and the worst one; nan (undefined) and
missing values carry no order and go last in either direction
(:func:`order_worst_first`).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping, Sequence

#: Keys (scope and NSD tolerance removed) for which a larger value is worse.
LOWER_IS_BETTER = frozenset({
    "hd", "hd95", "assd", "hd95_pooled", "fp", "fn",
    "lesion_hd95", "num_fp", "num_fn", "instance_fp", "instance_fn", "swapped_voxels",
})
#: Keys holding distances in mm (an infinite one means a mask has no surface).
DISTANCE_KEYS = frozenset({"hd", "hd95", "assd", "hd95_pooled", "lesion_hd95"})
#: Keys holding whole counts (voxels, lesions, instances).
COUNT_KEYS = frozenset({
    "tp", "fp", "fn", "tn", "num_tp", "num_fp", "num_fn",
    "instance_tp", "instance_fp", "instance_fn", "swapped_voxels",
})
LESION_KEYS = frozenset({"lesion_dice", "lesion_hd95", "num_tp", "num_fp", "num_fn"})
INSTANCE_KEYS = frozenset({
    "instance_precision", "instance_recall", "instance_f1", "pq", "sq", "rq",
    "instance_tp", "instance_fp", "instance_fn",
})
#: Groups of the worklist's column chooser, in menu order.
GROUPS = ("Foreground", "Per label", "Per region", "Lesion-wise", "Instances")
#: Foreground columns the worklist shows by default, in this order (plain
#: ``nsd`` stands for every ``nsd_<t>mm``).
DEFAULT_FOREGROUND = ("mean_region_dice", "mean_dice", "dice", "mean_iou", "iou", "hd95", "assd", "nsd", "hd", "fp",
                      "fn")

_SCOPED = re.compile(r"^(?:label(?P<label>\d+)|region(?P<region>[A-Za-z0-9-]{1,32}))_(?P<key>.+)$")
_NSD = re.compile(r"^nsd_(?P<tol>[0-9][0-9.eE+-]*)mm$")

_TITLES = {
    "dice": "Dice", "iou": "IoU", "accuracy": "Accuracy", "precision": "Precision",
    "sensitivity": "Sensitivity", "specificity": "Specificity", "volume_similarity": "Volume similarity",
    "tp": "TP", "fp": "FP", "fn": "FN", "tn": "TN", "soft_dice": "Soft Dice",
    "mean_dice": "Mean Dice", "mean_iou": "Mean IoU", "mean_region_dice": "Mean region Dice",
    "hd": "HD", "hd95": "HD95", "assd": "ASSD", "hd95_pooled": "HD95 pooled", "nsd": "NSD",
    "lesion_dice": "Lesion Dice", "lesion_hd95": "Lesion HD95",
    "num_tp": "TP lesions", "num_fp": "FP lesions", "num_fn": "FN lesions",
    "instance_precision": "Instance precision", "instance_recall": "Instance recall",
    "instance_f1": "Instance F1", "pq": "PQ", "sq": "SQ", "rq": "RQ",
    "instance_tp": "TP instances", "instance_fp": "FP instances", "instance_fn": "FN instances",
    "swapped_voxels": "Swapped voxels",
}
_TIPS = {
    "dice": "Dice", "iou": "IoU (Jaccard)", "fp": "False-positive voxels", "fn": "False-negative voxels",
    "tp": "True-positive voxels", "tn": "True-negative voxels",
    "mean_dice": "Mean Dice over the labels", "mean_iou": "Mean IoU over the labels",
    "mean_region_dice": "Mean Dice over the region groups (e.g. BraTS WT, TC, ET)",
    "hd": "Hausdorff distance (maximum) in mm", "hd95": "HD95 in mm",
    "assd": "Average symmetric surface distance in mm", "hd95_pooled": "HD95 of the pooled distances in mm",
    "nsd": "Normalised surface Dice (tolerance not recorded in this table)",
    "lesion_dice": "Lesion-wise Dice (BraTS 2023: each reference lesion on its own, missed and spurious lesions 0)",
    "lesion_hd95": "Lesion-wise HD95 in mm (missed and spurious lesions get the penalty distance)",
    "num_tp": "Reference lesions found", "num_fp": "Predicted lesions matching no reference lesion",
    "num_fn": "Reference lesions missed",
    "instance_precision": "Detection precision of instances (IoU > 0.5, one-to-one)",
    "instance_recall": "Detection recall of instances (IoU > 0.5, one-to-one)",
    "instance_f1": "Detection F1 of instances", "pq": "Panoptic quality (SQ × RQ)",
    "sq": "Segmentation quality: mean IoU of matched instances", "rq": "Recognition quality (detection F1)",
    "instance_tp": "Matched instances", "instance_fp": "Predicted instances without a match",
    "instance_fn": "Reference instances without a match",
    "swapped_voxels": "Voxels where both masks are foreground with different labels",
}


@dataclass(frozen=True)
class MetricColumn:
    """One score column of a cohort table, taken apart.

    Attributes
    ----------
    column : str
        The name as written (``regionET_nsd_1mm``).
    scope : str
        ``"foreground"``, ``"label"`` or ``"region"``.
    owner : str or None
        The label value (``"2"``) or region name (``"ET"``); None for the foreground.
    key : str
        The name without its scope (``nsd_1mm``, ``lesion_dice``).
    base : str
        The key without an NSD tolerance (``nsd``): what direction and format follow.
    tolerance_mm : float or None
        The NSD tolerance the name carries.
    """

    column: str
    scope: str
    owner: str | None
    key: str
    base: str
    tolerance_mm: float | None

    @property
    def lower_is_better(self) -> bool:
        """Whether a larger value is worse (distances, error counts)."""
        return self.base in LOWER_IS_BETTER

    @property
    def family(self) -> str:
        """``"lesion"``, ``"instance"`` or ``"voxel"`` (overlap, surface and the rest)."""
        if self.base in LESION_KEYS:
            return "lesion"
        if self.base in INSTANCE_KEYS:
            return "instance"
        return "voxel"

    @property
    def group(self) -> str:
        """The column chooser's group (one of :data:`GROUPS`)."""
        if self.family == "lesion":
            return "Lesion-wise"
        if self.family == "instance":
            return "Instances"
        return {"label": "Per label", "region": "Per region"}.get(self.scope, "Foreground")


# A table has a few hundred distinct columns; the worklist asks about each
# one for every cell it fills and every sort, and the answer never changes.
@lru_cache(maxsize=8192)
def parse_column(column: str) -> MetricColumn:
    """Take a column name apart into scope, owner, key and NSD tolerance.

    Parameters
    ----------
    column : str
        A column of ``dicegui score``'s table (see the module notes).

    Returns
    -------
    MetricColumn
        Unknown names are foreground columns whose key is the whole name.
    """
    scope, owner, key = "foreground", None, column
    m = _SCOPED.match(column)
    if m:
        scope = "label" if m.group("label") is not None else "region"
        owner = m.group("label") if scope == "label" else m.group("region")
        key = m.group("key")
    base, tolerance = key, None
    t = _NSD.match(key)
    if t:
        try:
            tolerance = float(t.group("tol"))
        except ValueError:  # e.g. "nsd_1.2.3mm": not a tolerance, keep the name as it is
            tolerance = None
        else:
            base = "nsd"
    return MetricColumn(column, scope, owner, key, base, tolerance)


def lower_is_better(column: str) -> bool:
    """Whether a larger value of ``column`` is worse (``regionET_hd95``: yes; ``label2_nsd_3mm``: no)."""
    return parse_column(column).lower_is_better


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def order_worst_first(values: Mapping[str, float | None], column: str,
                      descending: bool | None = None) -> list[str]:
    """Names ordered by their value of ``column``, worst first by default.

    Parameters
    ----------
    values : mapping of str to float or None
        Each case's value (None: not in the table).
    column : str
        Column the values come from: gives the direction (:func:`lower_is_better`).
    descending : bool, optional
        Override the direction (the second click on a header).

    Returns
    -------
    list of str
        Valued names (±inf included: an infinite distance is the worst
        value), then nan, then missing ones; ties in name order.
    """
    desc = lower_is_better(column) if descending is None else bool(descending)
    names = sorted(values)
    valued = [n for n in names if not _missing(values[n])]
    undefined = [n for n in names if values[n] is not None and _missing(values[n])]
    absent = [n for n in names if values[n] is None]
    valued.sort(key=lambda n: float(values[n]), reverse=desc)  # stable: ties stay in name order
    return valued + undefined + absent


def column_title(column: str, label_names: Mapping[str, str] | None = None) -> str:
    """Short header of a column: ``Dice``, ``NSD 2 mm``, ``WT Dice``, ``liver HD95``, ``Label 3 Dice``.

    Parameters
    ----------
    column : str
    label_names : mapping, optional
        ``{"2": "liver"}`` (from the ``label<L>_name`` columns).
    """
    c = parse_column(column)
    title = _TITLES.get(c.base, c.key)
    if c.tolerance_mm is not None:
        title = f"NSD {format(c.tolerance_mm, 'g')} mm"
    owner = owner_title(c, label_names)
    if owner and c.family == "lesion" and title.startswith("Lesion "):
        return f"{owner} lesion {title[len('Lesion '):]}"  # "ET lesion Dice", not "ET Lesion Dice"
    return f"{owner} {title}" if owner else title


def owner_title(c: MetricColumn, label_names: Mapping[str, str] | None = None) -> str:
    """How the owner of a column is named: ``liver`` (a named label), ``Label 3``, ``WT``; "" for the foreground."""
    if c.scope == "label":
        name = (label_names or {}).get(c.owner)
        return str(name) if name else f"Label {c.owner}"
    return c.owner or ""


def column_tip(column: str, label_names: Mapping[str, str] | None = None) -> str:
    """Longer description of a column, for its header's tooltip."""
    c = parse_column(column)
    what = _TIPS.get(c.base, _TITLES.get(c.base, c.key))
    if c.tolerance_mm is not None:
        what = f"Normalised surface Dice at a tolerance of {format(c.tolerance_mm, 'g')} mm"
    if c.scope == "label":
        name = (label_names or {}).get(c.owner)
        return f"Label {c.owner}" + (f" ({name})" if name else "") + f": {what}"
    if c.scope == "region":
        return f"Region {c.owner} (a union of labels): {what}"
    return what


def cell_text(column: str, value) -> tuple[str, str]:
    """Text and tooltip of one table cell.

    Returns
    -------
    text : str
        ``—`` for a missing or undefined value, ``∞`` for an infinite one,
        counts with thousands separators, distances with 2 decimals, other
        scores with 4.
    tip : str
        Why a cell shows ``—`` or ``∞``; "" for an ordinary number.
    """
    if value is None:
        return "—", "not computed for this case (no such value in the table)"
    c = parse_column(column)
    v = float(value)
    if math.isnan(v):
        return "—", "undefined (nan): no value exists, e.g. 0/0 when both masks are empty"
    if math.isinf(v):
        sign = "" if v > 0 else "−"
        why = "a mask is empty: no surface" if c.base in DISTANCE_KEYS else "infinite"
        return f"{sign}∞", why
    if c.base in COUNT_KEYS and v.is_integer():
        return f"{int(v):,}", ""
    if c.base in DISTANCE_KEYS:
        return f"{v:.2f}", ""
    return f"{v:.4f}", ""


def label_names_of(rows: Iterable[Mapping]) -> dict:
    """``{"2": "liver", ...}`` from the ``label<L>_name`` text of the rows (first name wins)."""
    names = {}
    for row in rows:
        for col, text in row.items():
            c = parse_column(col)
            if c.scope == "label" and c.key == "name" and text and c.owner not in names:
                names[c.owner] = str(text)
    return names


def default_columns(metrics: Sequence[str], ranking: str | None = None) -> list[str]:
    """The score columns the worklist shows before anyone chooses.

    Today's foreground columns (:data:`DEFAULT_FOREGROUND`, any ``nsd_<t>mm``
    in the place of ``nsd``), every region's Dice and the lesion-wise Dice
    (foreground and per region). A label-map cohort ranked by ``mean_dice``
    leaves out the foreground Dice and IoU; a cohort ranked by ``dice``
    (binary masks, or binary and label maps mixed) keeps it, since that is
    the order shown.

    Parameters
    ----------
    metrics : sequence of str
        The numeric columns of the cohort.
    ranking : str, optional
        The metric the cohort is ranked by by default.

    Returns
    -------
    list of str
        In :func:`display_order`.
    """
    present = set(metrics)
    shown = []
    for m in metrics:
        c = parse_column(m)
        if c.scope == "foreground" and c.base in DEFAULT_FOREGROUND:
            shown.append(m)
        elif c.scope == "region" and c.key == "dice":
            shown.append(m)
        elif c.key == "lesion_dice" and c.scope != "label":
            shown.append(m)
    if ranking == "mean_dice" and "mean_dice" in present:
        # the mean over labels is what ranks label maps: the foreground pair would only crowd it
        shown = [m for m in shown if m != "dice" and not (m == "iou" and "mean_iou" in present)]
    return display_order(shown)


def display_order(columns: Iterable[str]) -> list[str]:
    """Columns in the worklist's order: group by group (:data:`GROUPS`), owners
    in turn (labels by value), the usual keys in :data:`DEFAULT_FOREGROUND`
    order first, then the rest in the order given."""
    cols = list(columns)
    given = {c: i for i, c in enumerate(cols)}
    regions = {}
    for col in cols:  # regions keep the order the table gives them (WT, TC, ET), not the alphabet
        c = parse_column(col)
        if c.scope == "region":
            regions.setdefault(c.owner, len(regions))

    def rank(col):
        c = parse_column(col)
        owner = {"foreground": (0, 0), "region": (1, regions.get(c.owner, 0))}.get(c.scope) \
            or (2, int(c.owner))
        key = DEFAULT_FOREGROUND.index(c.base) if c.base in DEFAULT_FOREGROUND else len(DEFAULT_FOREGROUND)
        return (GROUPS.index(c.group), owner, key, given[col])

    return sorted(cols, key=rank)


__all__ = [
    "COUNT_KEYS",
    "DEFAULT_FOREGROUND",
    "DISTANCE_KEYS",
    "GROUPS",
    "LOWER_IS_BETTER",
    "MetricColumn",
    "cell_text",
    "column_tip",
    "column_title",
    "default_columns",
    "display_order",
    "label_names_of",
    "lower_is_better",
    "order_worst_first",
    "owner_title",
    "parse_column",
]
