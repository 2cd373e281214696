"""Mask editing effects (brush, eraser, fill) with exact, compact undo deltas.

One module per effect, in the spirit of Slicer's Segment Editor:

* :mod:`.brush`: disc/sphere footprints (round in mm), gap-free segments,
  the voxels a dab writes under the protection rules;
* :mod:`.stroke`: :class:`Stroke`, one drag applied live, one delta at release;
* :mod:`.fill`: flood fill on a slice (planned, then applied; optionally
  bounded by an intensity range), fill holes, remove small islands;
* :mod:`.interpolate`: fill the slices between annotated slices of a label;
* :mod:`.delta`: :class:`EditDelta`, :func:`apply_delta` (undo/redo through
  :class:`~dicegui.core.live.LiveScore`), :func:`describe` (undo labels),
  :func:`label_changes` (what an edit did to each label).

Qt-free: the GUI wires mouse events and a QUndoStack to these functions.
"""
from .brush import (
    Brush,
    brush_footprint,
    brush_radius_mm,
    capsule_footprint,
    check_image_fits,
    check_intensity_range,
    dab_targets,
    digital_line,
    disc_footprint,
    plane_axes,
    sphere_footprint,
)
from .delta import EditDelta, apply_delta, describe, foreground_change, label_changes, record_edit
from .cleanup import (
    CleanupPlan,
    EditCancelled,
    apply_cleanup,
    fill_holes,
    hole_voxels,
    plan_fill_holes,
    plan_remove_islands,
    remove_small_islands,
    small_islands,
)
from .fill import FillPlan, FillTooLarge, apply_fill, connected_region, fill_extent, flood_fill, plan_fill
from .interpolate import annotated_slices, interpolate_shapes, interpolate_slices
from .stroke import Stroke, check_label_fits

__all__ = [
    "Brush",
    "CleanupPlan",
    "EditCancelled",
    "EditDelta",
    "FillPlan",
    "FillTooLarge",
    "Stroke",
    "annotated_slices",
    "apply_cleanup",
    "apply_delta",
    "apply_fill",
    "brush_footprint",
    "brush_radius_mm",
    "capsule_footprint",
    "check_image_fits",
    "check_intensity_range",
    "check_label_fits",
    "connected_region",
    "dab_targets",
    "describe",
    "digital_line",
    "disc_footprint",
    "fill_extent",
    "fill_holes",
    "foreground_change",
    "flood_fill",
    "hole_voxels",
    "interpolate_shapes",
    "interpolate_slices",
    "label_changes",
    "plane_axes",
    "plan_fill",
    "plan_fill_holes",
    "plan_remove_islands",
    "record_edit",
    "remove_small_islands",
    "small_islands",
    "sphere_footprint",
]
