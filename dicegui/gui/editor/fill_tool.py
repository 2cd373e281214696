"""Fill: a click fills the connected region under the cursor, within the slice.

The region is the 4-connected set of voxels of the current slice holding the
same mask value as the clicked voxel (a paint bucket on the mask, through
:func:`dicegui.core.edits.flood_fill`). Shift+click empties the region
instead (writes background).
"""
from __future__ import annotations

from PySide6 import QtCore

from ...core.edits import flood_fill
from .tools import EditTool


class FillTool(EditTool):
    """Flood fill of one connected region of the slice with the active label."""

    name = "fill"
    title = "Fill"
    shortcut = "F"
    tip = "Fill (F): click fills the connected region of the slice with the active label; Shift+click empties it"
    cursor = QtCore.Qt.CursorShape.PointingHandCursor

    def press(self, pixel, modifiers) -> bool:
        ed = self.editor
        if not ed.can_edit():
            return False
        erase = bool(modifiers & QtCore.Qt.KeyboardModifier.ShiftModifier)
        try:
            ed.stroke_started()
            delta = flood_fill(ed.live, ed.target, ed.axis, ed.slice_index, ed.plane_point(pixel),
                               label=ed.label, erase=erase, protect_other_labels=ed.protect,
                               connectivity=1)
        except ValueError as exc:
            ed.report(str(exc))
            return True
        if delta is not None:
            ed.region_changed(delta.box)
        ed.commit(delta)
        return True
