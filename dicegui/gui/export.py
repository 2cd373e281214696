"""Export of the scores on screen as JSON or CSV (numbers straight from the core, unrounded)."""
from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

from ..core.metrics import OVERLAP_KEYS

SURFACE_KEYS = ("hd", "hd95", "assd", "nsd", "hd95_pooled")
CSV_COLUMNS = (
    "scope", "label", "name", *OVERLAP_KEYS, "gt_ml", "pred_ml", "gt_mm2", "pred_mm2", *SURFACE_KEYS,
)


def _jsonable(value):
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):  # NumPy scalars
        return _jsonable(value.item())
    return value


def scores_report(session, plane, index: int, label=None, surface=None) -> dict:
    """Everything the panel shows, as one dictionary.

    Parameters
    ----------
    session : Session
    plane : Plane
        Plane of the current slice.
    index : int
        Current slice.
    label : int, optional
        Focused label (None: any foreground).
    surface : dict, optional
        ``{"result": surface_distances dict, "tolerance": mm, "label": ..., "up_to_date": bool}``.
    """
    # volumes in mL, areas in mm² for 2-D images; pixels when no file gave a voxel size
    suffix = {"mm²": "mm2", "px²": "px2", "voxels": "voxels"}.get(session.size_unit, "ml")

    def with_ml(scores):
        if scores is None:
            return None
        gt_size, pred_size = session.sizes(scores)
        return {**scores, f"gt_{suffix}": gt_size, f"pred_{suffix}": pred_size}

    report = {
        "case": {role: str(p) for role, p in session.paths.items()},
        "demo": session.demo,
        "notes": list(session.case.warnings),
        "shape": list(session.case.shape),
        "spacing_mm": list(session.case.spacing),
        "voxel_ml": session.voxel_ml,
        "size_unit": session.size_unit,
        "focus_label": label,
        "focus_name": session.label_name(label) if label is not None else None,
        "volume": with_ml(session.volume_scores(label)),
        "slice": {
            "plane": plane.name,
            "index": int(index),
            "scores": with_ml(session.slice_scores(plane, index, label)),
        },
    }
    per_label = session.per_label()
    if per_label is not None:
        report["per_label"] = {
            str(k): {**with_ml(v), "name": session.label_name(k)} for k, v in per_label["labels"].items()
        }
        report["mean_dice"] = per_label["mean_dice"]
        report["mean_iou"] = per_label["mean_iou"]
    if surface is not None:
        report["surface"] = surface
    return _jsonable(report)


def report_rows(report: dict) -> list[dict]:
    """Rows of the CSV form: the volume, the slice, then one row per label."""
    rows = []
    surface = (report.get("surface") or {}).get("result") or {}
    label = report.get("focus_label")
    name = report.get("focus_name") or ""
    if report.get("volume"):
        rows.append({"scope": "volume", "label": label if label is not None else "foreground", "name": name,
                     **report["volume"], **surface})
    sl = report.get("slice") or {}
    if sl.get("scores"):
        rows.append({"scope": f"slice {sl['plane']} {sl['index']}",
                     "label": label if label is not None else "foreground", "name": name, **sl["scores"]})
    for k, v in (report.get("per_label") or {}).items():
        rows.append({"scope": "volume", "label": k, **v})
    return rows


def write_scores(path, report: dict) -> Path:
    """Write the report as JSON (``.json``) or CSV (anything else)."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        text = json.dumps(report, indent=2) + "\n"
    else:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in report_rows(report):
            writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in CSV_COLUMNS})
        text = buf.getvalue()
    path.write_text(text, encoding="utf-8")
    return path
