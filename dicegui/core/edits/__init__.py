"""Mask editing effects (brush, eraser, fill) with exact, compact undo deltas.

One module per effect, in the spirit of Slicer's Segment Editor:

* :mod:`.brush`: disc/sphere footprints (round in mm), gap-free segments,
  the voxels a dab writes under the protection rules;
* :mod:`.stroke`: :class:`Stroke`, one drag applied live, one delta at release;
* :mod:`.fill`: flood fill on a slice, fill holes, remove small islands;
* :mod:`.delta`: :class:`EditDelta`, :func:`apply_delta` (undo/redo through
  :class:`~dicegui.core.live.LiveScore`), :func:`describe` (undo labels).

Qt-free: the GUI wires mouse events and a QUndoStack to these functions.
"""
from .brush import (
    Brush,
    brush_footprint,
    brush_radius_mm,
    capsule_footprint,
    dab_targets,
    digital_line,
    disc_footprint,
    plane_axes,
    sphere_footprint,
)
from .delta import EditDelta, apply_delta, describe, record_edit
from .fill import (
    connected_region,
    fill_holes,
    flood_fill,
    hole_voxels,
    remove_small_islands,
    small_islands,
)
from .stroke import Stroke, check_label_fits

__all__ = [
    "Brush",
    "EditDelta",
    "Stroke",
    "apply_delta",
    "brush_footprint",
    "brush_radius_mm",
    "capsule_footprint",
    "check_label_fits",
    "connected_region",
    "dab_targets",
    "describe",
    "digital_line",
    "disc_footprint",
    "fill_holes",
    "flood_fill",
    "hole_voxels",
    "plane_axes",
    "record_edit",
    "remove_small_islands",
    "small_islands",
    "sphere_footprint",
]
