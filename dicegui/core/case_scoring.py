"""Every number ``dicegui score`` reports for one loaded case.

:func:`score_case` gathers, for one case on one grid: the foreground overlap
scores, per-label and per-region-group scores, surface distances (each NSD
with its tolerance), lesion-wise (BraTS 2023) and instance (panoptica)
scores, and the label confusion of two label maps; then applies the chosen
rules for empty masks (:data:`EMPTY_RULES`) and infinite distances
(``hd_cap``). :func:`flatten` turns the nested result into one table row.

Empty masks
-----------
When a structure is absent from both masks the metrics are 0/0. The rules:

``one`` (default)
    Dice = IoU = 1, distances 0, NSD 1: "nothing to find, nothing found" is
    perfect agreement (the convention of the core and of BraTS).
``nan``
    Dice, IoU, the distances, NSD and lesion scores are NaN (undefined), so
    summaries leave them out (MONAI's ``ignore_empty``; the DeepMind
    head-and-neck table writes nan).
``skip``
    As ``nan`` for labels and regions, which are then left out of the
    tables; a case whose two masks are empty gets ``status = "empty"``
    and is left out of summaries and rankings.

Infinite distances
------------------
A distance to an empty mask is infinite. ``hd_cap`` replaces every infinite
distance (``hd``, ``hd95``, ``assd``, ``hd95_pooled``) by a fixed value in mm,
as BraTS does with 374 mm (the diagonal of its 240×240×155 grid).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import metrics
from .region_groups import region_mask
from .tolerances import DEFAULT_TOLERANCE, Tolerances, nsd_key, parse_tolerances

#: Keys of ``surface.surface_distances`` in the order they are written.
SURFACE_KEYS = ("hd", "hd95", "assd", "nsd", "hd95_pooled")
DISTANCE_KEYS = ("hd", "hd95", "assd", "hd95_pooled", "lesion_hd95")
#: Lesion-wise keys written in tables (the ``lesions`` list goes to JSON only).
LESION_KEYS = ("lesion_dice", "lesion_hd95", "num_tp", "num_fp", "num_fn")
#: Instance keys written in tables (``matches`` goes to JSON only).
INSTANCE_KEYS = ("instance_precision", "instance_recall", "instance_f1", "pq", "sq", "rq",
                 "instance_tp", "instance_fp", "instance_fn")
EMPTY_RULES = ("one", "nan", "skip")
#: Labels scored one by one when none are chosen: more is an instance-id map
#: or noise, and would give a table of hundreds of thousands of columns.
MAX_PER_LABEL = 1000
#: Entries kept in each JSON list of a case (lesions, instance matches): the
#: numbers are computed over all of them; a million-entry list is 200 MB of text.
MAX_LISTED = 10_000
#: Keys made undefined by the ``nan``/``skip`` rules for a structure absent from both masks.
_CONVENTION_KEYS = ("dice", "iou", "volume_similarity", "hd", "hd95", "assd", "nsd", "hd95_pooled",
                    "lesion_dice", "lesion_hd95")


@dataclass(frozen=True)
class ScoreOptions:
    """What to compute for each case.

    Attributes
    ----------
    labels : tuple of int or None
        Labels scored one by one; None = every nonzero label of either mask
        when one of them is a label map (binary pairs then get no per-label part).
    surface : bool
        Add surface distances (mm, spacing from the files). A single-slice
        case (a 2-D image) is measured on its 2-D contours.
    tolerance : float or Tolerances
        NSD tolerance in mm, one for everything or per label/region
        (:mod:`dicegui.core.tolerances`).
    sigmoid : bool
        Passed to ``load_case``: apply a sigmoid to a logit prediction.
    softmax : bool
        Read a multi-channel prediction (a channel per class, background
        first) with a softmax across the channels
        (:func:`dicegui.core.io.opening.open_case`).
    channel_axis : int or None
        Its channel axis (0 or -1); None: the axis that fits the grid.
    label_names : str or None
        A label file passed to ``load_case``; its names win over the masks' own.
    regions : dict or None
        Region groups ``{name: labels}`` (:func:`region_groups.parse_regions`).
    lesion_wise : bool
        Lesion-wise Dice/HD95 (BraTS 2023) of each region, else of each label
        (label maps), else of the foreground.
    dilation, min_lesion_voxels, lesion_hd_penalty
        Lesion-wise parameters (BraTS-GLI 2023: 3, 50, 374 mm).
    instances : bool
        Instance detection and panoptic quality of the foreground.
    instance_labels : bool
        Each nonzero value is one instance (else connected components);
        per-label scores of such ids are not computed unless ``labels`` asks.
    empty : {"one", "nan", "skip"}
        Rule for structures absent from both masks (module notes).
    hd_cap : float or None
        Replace infinite distances by this many mm.
    """

    labels: tuple | None = None
    surface: bool = False
    tolerance: float | Tolerances = DEFAULT_TOLERANCE
    sigmoid: bool = False
    softmax: bool = False
    channel_axis: int | None = None
    label_names: str | None = None
    regions: dict | None = None
    lesion_wise: bool = False
    dilation: int = 3
    min_lesion_voxels: int = 50
    lesion_hd_penalty: float = 374.0
    instances: bool = False
    instance_labels: bool = False
    empty: str = "one"
    hd_cap: float | None = None

    def __post_init__(self):
        if self.empty not in EMPTY_RULES:
            raise ValueError(f"empty must be one of {', '.join(EMPTY_RULES)}, not {self.empty!r}")
        # 0 would score a distance to an empty mask as perfect agreement
        if self.hd_cap is not None and not (math.isfinite(self.hd_cap) and self.hd_cap > 0):
            raise ValueError(f"hd_cap must be a finite distance > 0, not {self.hd_cap!r}")

    @property
    def tolerances(self) -> Tolerances:
        """``tolerance`` as a table."""
        return parse_tolerances(self.tolerance)


def _label_maps(case) -> bool:
    kinds = {getattr(case.gt_info, "kind", None), getattr(case.pred_info, "kind", None)}
    return "labels" in kinds


def _surface(gt_bool: np.ndarray, pred_bool: np.ndarray, spacing, tolerance: float) -> dict:
    from .surface import surface_distances

    if gt_bool.ndim == 3 and gt_bool.shape[2] == 1:
        # A 2-D image is stored as one slice; in 3-D every pixel of it would
        # be border (nothing above or below), so measure its 2-D contours.
        gt_bool, pred_bool, spacing = gt_bool[:, :, 0], pred_bool[:, :, 0], spacing[:2]
    d = surface_distances(gt_bool, pred_bool, spacing=spacing, tolerance=tolerance)
    out = {k: float(d[k]) for k in SURFACE_KEYS if k in d}
    out["nsd_tolerance_mm"] = float(tolerance)
    return out


def _lesion_entry(gt_bool, pred_bool, spacing, options: ScoreOptions) -> dict:
    from .lesions import lesion_wise

    if gt_bool.ndim == 3 and gt_bool.shape[2] == 1:
        gt_bool, pred_bool, spacing = gt_bool[:, :, 0], pred_bool[:, :, 0], spacing[:2]
    r = lesion_wise(gt_bool, pred_bool, spacing, dilation=options.dilation,
                    min_lesion_voxels=options.min_lesion_voxels, hd_penalty=options.lesion_hd_penalty)
    out = {k: r[k] for k in LESION_KEYS}
    out["lesions"] = r["lesions"]
    out["fp_lesions"] = r.get("fp_lesions", [])
    return _listed(out, ("lesions", "fp_lesions"))


def _listed(entry: dict, keys) -> dict:
    """``entry`` with each list of ``keys`` cut to :data:`MAX_LISTED`, the cut stated."""
    cut = {k: len(entry[k]) for k in keys if isinstance(entry.get(k), list) and len(entry[k]) > MAX_LISTED}
    if not cut:
        return entry
    out = dict(entry)
    for k in cut:
        out[k] = entry[k][:MAX_LISTED]
    out["lists_cut"] = {k: f"first {MAX_LISTED} of {n} listed" for k, n in cut.items()}
    return out


def _instance_entry(gt, pred, spacing, options: ScoreOptions) -> dict:
    from .instances import instance_scores

    if gt.ndim == 3 and gt.shape[2] == 1:
        gt, pred, spacing = gt[:, :, 0], pred[:, :, 0], spacing[:2]
    # label maps go in whole: components are taken per label value, as panoptica's semantic input
    r = instance_scores(gt, pred, instance_labels=options.instance_labels, spacing=spacing)
    out = {
        "instance_precision": r["precision"], "instance_recall": r["recall"], "instance_f1": r["f1"],
        "pq": r["pq"], "sq": r["sq"], "rq": r["rq"],
        "instance_tp": r["tp"], "instance_fp": r["fp"], "instance_fn": r["fn"],
    }
    detail = {k: v for k, v in r.items() if k not in ("precision", "recall", "f1", "pq", "sq", "rq", "tp", "fp", "fn")}
    return out, _listed(detail, ("matches", "unmatched_gt_ids", "unmatched_pred_ids"))


def _structure_entries(gt, pred, structures: dict, spacing, options: ScoreOptions) -> dict:
    """Surface (and lesion-wise) parts of every label or region, keyed like ``structures``."""
    out = {k: {} for k in structures}
    if options.surface:
        from .structure_surfaces import structure_surfaces

        measured = structure_surfaces(gt, pred, structures, spacing=spacing, tolerances=options.tolerances)
        for key, d in measured.items():
            out[key].update({k: float(d[k]) for k in SURFACE_KEYS} | {"nsd_tolerance_mm": d["nsd_tolerance_mm"]})
    if options.lesion_wise:
        for key, members in structures.items():
            g = region_mask(gt, members)
            p = region_mask(pred, members)
            try:
                out[key].update(_lesion_entry(g, p, spacing, options))
            except ValueError as exc:
                what = f"label {key}" if isinstance(key, int) else f"region {key}"
                raise ValueError(f"lesion-wise {what}: {exc}") from None
    return out


def _absent_rule(entry: dict, absent: bool, rule: str) -> dict | None:
    if not absent or rule == "one":
        return entry
    if rule == "skip":
        return None
    return {k: (float("nan") if k in _CONVENTION_KEYS else v) for k, v in entry.items()}


def _check_label_count(n: int) -> None:
    if n > MAX_PER_LABEL:
        raise ValueError(
            f"{n} label values: per-label scores are given for at most {MAX_PER_LABEL} labels "
            "(an instance-id map? score it with --instances --instance-labels, or choose with --labels)")


def _check_chosen_labels(labels: list) -> None:
    if len(labels) > MAX_PER_LABEL:
        raise ValueError(f"{len(labels)} labels chosen: per-label scores are given for at most {MAX_PER_LABEL}")


def _per_label(case, gt, pred, spacing, options: ScoreOptions) -> tuple[dict, dict]:
    labels = list(options.labels) if options.labels is not None else None
    if labels is not None:
        _check_chosen_labels(labels)
    else:
        # the loader already knows the labels: refuse before counting them all again
        infos = (getattr(case, "gt_info", None), getattr(case, "pred_info", None))
        known = [getattr(i, "labels", ()) or () for i in infos if i is not None]
        _check_label_count(len(set().union(*known)) if known else 0)
    table = metrics.per_label(gt, pred, labels=labels)
    if labels is None:
        _check_label_count(len(table["labels"]))
    names = getattr(case, "label_names", None) or {}
    structures = {int(k): (int(k),) for k in table["labels"]}
    extra = _structure_entries(gt, pred, structures, spacing, options)
    per = {}
    for label, scores in table["labels"].items():
        name = names.get(int(label))
        entry = ({"name": str(name)} if name else {}) | dict(scores) | extra[int(label)]
        entry = _absent_rule(entry, bool(scores["absent"]), options.empty)
        if entry is not None:
            per[int(label)] = entry
    return per, table


def _regions(gt, pred, spacing, options: ScoreOptions) -> dict:
    from .region_overlap import region_overlaps

    groups = options.regions or {}
    extra = _structure_entries(gt, pred, groups, spacing, options)
    overlaps = region_overlaps(gt, pred, groups)
    out = {}
    for name, members in groups.items():
        scores = overlaps[name]
        absent = scores["tp"] + scores["fp"] + scores["fn"] == 0
        entry = {"labels": list(members)} | dict(scores) | {"absent": absent} | extra[name]
        entry = _absent_rule(entry, absent, options.empty)
        if entry is not None:
            out[name] = entry
    return out


def _volumes(entry: dict, voxel_ml: float) -> None:
    if "tp" in entry and "fn" in entry and "fp" in entry:
        entry["gt_ml"] = (entry["tp"] + entry["fn"]) * voxel_ml
        entry["pred_ml"] = (entry["tp"] + entry["fp"]) * voxel_ml


def _add_volumes(result: dict, voxel_ml: float) -> None:
    """Reference and predicted volumes (mL) of the foreground, each label and each region."""
    _volumes(result, voxel_ml)
    for part in ("per_label", "regions"):
        for entry in result.get(part, {}).values():
            _volumes(entry, voxel_ml)


def _means(per: dict) -> tuple[float, float]:
    present = [e for e in per.values() if not e.get("absent")]
    dice = [e["dice"] for e in present if not math.isnan(e["dice"])]
    iou = [e["iou"] for e in present if not math.isnan(e["iou"])]
    return (float(np.mean(dice)) if dice else float("nan"),
            float(np.mean(iou)) if iou else float("nan"))


def _cap(node, cap: float):
    if isinstance(node, dict):
        return {k: (cap if k in DISTANCE_KEYS and isinstance(v, float) and math.isinf(v) else _cap(v, cap))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_cap(v, cap) for v in node]
    return node


def _confusion(gt, pred, names) -> tuple[dict, str | None]:
    from .label_confusion import TooManyLabels, label_confusion, label_set_warning

    try:
        c = label_confusion(gt, pred)
    except TooManyLabels as exc:
        # the swaps still count; only the matrix (labels x labels cells) cannot be held
        swapped = int(np.count_nonzero((gt != 0) & (pred != 0) & (gt != pred)))
        return {"labels": [], "matrix": [], "swapped_voxels": swapped, "pairs": []}, \
            f"label confusion matrix left out: {exc}"
    labels = [int(v) for v in c["labels"]]
    matrix = np.asarray(c["matrix"])
    # background is in both maps by nature; the warning is about structures
    gt_labels = [l for i, l in enumerate(labels) if l != 0 and matrix[i].sum() > 0]
    pred_labels = [l for j, l in enumerate(labels) if l != 0 and matrix[:, j].sum() > 0]
    warning = label_set_warning(gt_labels, pred_labels, names=names or None)
    return {"labels": labels, "matrix": matrix.tolist(), "swapped_voxels": int(c["swapped_voxels"]),
            "pairs": list(c["pairs"])}, warning


def score_case(case, options: ScoreOptions = ScoreOptions()) -> dict:
    """All metrics of one loaded case, nested as ``dicegui score`` prints them.

    Parameters
    ----------
    case : dicegui.core.case.Case
        With ``gt_mask`` and ``pred_mask`` on one grid (from ``load_case``).
    options : ScoreOptions

    Returns
    -------
    dict
        The ``overlap()`` keys of the foreground (any nonzero label) at the top
        level; ``soft_dice`` when the prediction is a probability map; with
        ``options.surface`` the ``surface_distances()`` keys (mm) plus
        ``nsd_tolerance_mm``; for label maps (or explicit ``options.labels``)
        ``per_label`` ``{label: {...}}`` (overlap keys, ``absent``, surface
        and lesion keys, led by the label's ``name`` where known) and
        ``mean_dice``/``mean_iou`` over the labels present in either mask;
        ``regions`` ``{name: {...}}`` and ``mean_region_dice`` (over the
        regions present in either mask) for ``options.regions``; the lesion
        keys (:data:`LESION_KEYS` plus a ``lesions`` list) of the foreground
        when lesion-wise scores are asked for a binary case; the instance
        keys (:data:`INSTANCE_KEYS`, ``instances`` detail) with
        ``options.instances``; ``confusion`` (label × label voxel matrix) and
        ``swapped_voxels`` for label maps; ``gt_ml``/``pred_ml`` (volumes in
        mL from the voxel size) in every entry with counts; ``empty`` True when both masks are
        empty; ``label_warnings`` (list of str) when the label sets differ or
        a region's labels are in neither mask. Lists longer than
        :data:`MAX_LISTED` (lesions, instance matches) are cut, and
        ``lists_cut`` says so; the numbers use every entry.

    Raises
    ------
    ValueError
        More than :data:`MAX_PER_LABEL` labels chosen, or found when
        ``options.labels`` is None (each takes a column family), or, with
        ``lesion_wise``, more lesions meeting the prediction in one
        structure than :data:`dicegui.core.lesions.MAX_MEASURED_LESIONS`
        (named: ``lesion-wise region WT: ...``).
    """
    gt, pred = case.gt_mask, case.pred_mask
    spacing = tuple(float(s) for s in case.spacing)
    result = dict(metrics.overlap(gt, pred))
    empty = result["tp"] + result["fp"] + result["fn"] == 0
    prob = getattr(case, "pred_prob", None)
    if prob is not None:
        result["soft_dice"] = float(metrics.soft_dice(prob, gt != 0))
    if options.surface:
        result.update(_surface(gt != 0, pred != 0, spacing, options.tolerances.for_key(None)))
    label_maps = _label_maps(case)
    warnings: list[str] = []
    names = getattr(case, "label_names", None) or {}
    per_label_wanted = options.labels is not None or (label_maps and not options.instance_labels)
    if per_label_wanted:
        per, _table = _per_label(case, gt, pred, spacing, options)
        result["per_label"] = per
        result["mean_dice"], result["mean_iou"] = _means(per)
    if options.regions:
        from .region_groups import missing_labels

        result["regions"] = _regions(gt, pred, spacing, options)
        # what a region-ranked challenge averages: the regions' Dice (absent ones left out, as for labels)
        result["mean_region_dice"] = _means(result["regions"])[0]
        present = set(np.unique(gt).tolist()) | set(np.unique(pred).tolist())
        for name, labels in missing_labels(options.regions, present).items():
            # a region may list thousands of labels: the warning names a few
            shown = ",".join(map(str, labels[:5])) + (f",… {len(labels)} labels" if len(labels) > 5 else "")
            warnings.append(f"region {name} ({shown}): none of its labels is in "
                            "either mask; check the --regions convention")
    if options.lesion_wise and not options.regions and not per_label_wanted:
        result.update(_lesion_entry(gt != 0, pred != 0, spacing, options))
    if options.instances:
        keys, detail = _instance_entry(gt, pred, spacing, options)
        result.update(keys)
        result["instances"] = detail
    if label_maps and not options.instance_labels:
        result["confusion"], warning = _confusion(gt, pred, names)
        result["swapped_voxels"] = result["confusion"]["swapped_voxels"]
        if warning:
            warnings.append(warning)
    if options.surface:
        result["spacing_mm"] = list(spacing)
        from .tolerances import below_voxel_warning

        low = below_voxel_warning(options.tolerances, spacing)
        if low:
            warnings.append(low)
    _add_volumes(result, math.prod(spacing) / 1000.0)
    result["empty"] = bool(empty)
    if empty and options.empty != "one":
        result = {k: (float("nan") if k in _CONVENTION_KEYS else v) for k, v in result.items()}
    if options.hd_cap is not None:
        result = _cap(result, float(options.hd_cap))
        result["hd_cap_mm"] = float(options.hd_cap)
    if warnings:
        result["label_warnings"] = warnings
    return result


#: Nested parts that hold lists or matrices: JSON only, never table columns.
_JSON_ONLY = frozenset({"lesions", "fp_lesions", "instances", "confusion", "label_warnings", "labels", "empty",
                        "lists_cut"})


def _flat_entry(prefix: str, entry: dict, row: dict) -> None:
    tolerance = entry.get("nsd_tolerance_mm")
    for k, v in entry.items():
        if k in _JSON_ONLY or k == "nsd_tolerance_mm":
            continue
        if k == "nsd" and tolerance is not None:
            k = nsd_key(tolerance)
        row[f"{prefix}{k}"] = v


def flatten(result: dict) -> dict:
    """One flat row from :func:`score_case`'s nested result.

    Per-label entries become ``label<L>_<key>`` columns (``label2_dice``,
    ``label2_name`` for a named label), regions ``region<NAME>_<key>``;
    NSD is written under its tolerance (``nsd_2mm``, ``label2_nsd_1.5mm``);
    ``spacing_mm`` becomes text such as ``"0.8x0.8x2.5"``; lists (lesions,
    matches, the confusion matrix) stay in JSON only.
    """
    row: dict = {}
    top = {k: v for k, v in result.items() if k not in ("per_label", "regions", "spacing_mm")}
    _flat_entry("", top, row)
    for label, entry in result.get("per_label", {}).items():
        _flat_entry(f"label{label}_", entry, row)
    for name, entry in result.get("regions", {}).items():
        _flat_entry(f"region{name}_", entry, row)
    if "spacing_mm" in result:
        row["spacing_mm"] = "x".join(repr(float(s)) for s in result["spacing_mm"])
    if result.get("empty"):
        row["empty"] = True
    return row
