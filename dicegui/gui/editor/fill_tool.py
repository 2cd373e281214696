"""Fill: a click fills the connected region under the cursor, within the slice.

The region is the 4-connected set of voxels of the current slice holding the
same mask value as the clicked voxel (a paint bucket on the mask, through
:func:`dicegui.core.edits.plan_fill`), and, when the editable intensity range
is on, whose image value lies within it. Shift+click empties the region
instead (writes background).

A fill is computed before it is written: one that would change more voxels
than the panel's "ask above" limit, or that reaches the border of the slice
(the background outside the body: one such click once filled 9,658 voxels
unasked), asks first; No leaves the mask as it was. The question is asked at
the button's release, so the dialog never swallows the release of the drag
the view is tracking.
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ...core.edits import apply_fill, plan_fill
from .tools import EditTool

DEFAULT_ASK_ABOVE = 5000


class FillTool(EditTool):
    """Flood fill of one connected region of the slice with the active label."""

    name = "fill"
    title = "Fill"
    shortcut = "F"
    tip = "Fill (F): click fills the connected region of the slice with the active label; Shift+click empties it"
    cursor = QtCore.Qt.CursorShape.PointingHandCursor

    def __init__(self, editor):
        super().__init__(editor)
        self._pending = None  # a planned fill waiting for the user's answer
        self.ask_above = QtWidgets.QSpinBox()
        self.ask_above.setRange(1, 1_000_000_000)
        self.ask_above.setValue(DEFAULT_ASK_ABOVE)
        self.ask_above.setGroupSeparatorShown(True)
        self.ask_above.setPrefix("ask above ")
        self.ask_above.setSuffix(" voxels")
        self.ask_above.setToolTip("A fill that would change more voxels than this, or that reaches the "
                                  "slice border, asks before it is written")

    @property
    def busy(self) -> bool:
        return self._pending is not None

    def press(self, pixel, modifiers) -> bool:
        ed = self.editor
        if not ed.can_edit():
            return False
        self._pending = None
        erase = bool(modifiers & QtCore.Qt.KeyboardModifier.ShiftModifier)
        try:
            plan = plan_fill(ed.live, ed.target, ed.axis, ed.slice_index, ed.plane_point(pixel),
                             label=ed.label, erase=erase, protect_other_labels=ed.protect,
                             connectivity=1, image=ed.session.image, intensity_range=ed.intensity_range)
        except ValueError as exc:
            ed.report(str(exc))
            return True
        if plan is not None and self.needs_asking(plan):
            self._pending = plan  # asked at release
            return True
        self._apply(plan)
        return True

    def release(self, pixel) -> None:
        plan, self._pending = self._pending, None
        if plan is None:
            return
        if self.confirm(plan):
            self._apply(plan)
        else:
            self.editor.report(f"Fill cancelled: it would have changed {plan.voxels:,} voxels")

    def finish(self) -> None:
        self._pending = None  # never written unasked

    def cancel(self) -> None:
        self._pending = None

    def _apply(self, plan) -> None:
        ed = self.editor
        ed.stroke_started()
        delta = apply_fill(ed.live, plan)
        if delta is not None:
            ed.region_changed(delta.box)
        ed.commit(delta)

    def needs_asking(self, plan) -> bool:
        """A fill larger than the limit or reaching the slice border is asked about first."""
        return plan.voxels > self.ask_above.value() or plan.touches_border

    def confirm(self, plan) -> bool:
        """Ask before a large fill or one reaching the slice border; True to go on."""
        if not self.needs_asking(plan):
            return True
        large = plan.voxels > self.ask_above.value()
        lines = [f"This fill would change {plan.voxels:,} voxels"
                 + (f" (more than {self.ask_above.value():,})." if large else ".")]
        if plan.touches_border:
            lines.append("The fill reaches the image border: it is probably the background "
                         "outside the body.")
        lines.append("Fill anyway?")
        box = QtWidgets.QMessageBox
        answer = box.question(self.editor.window, "Large fill", "\n".join(lines),
                              box.StandardButton.Yes | box.StandardButton.No, box.StandardButton.No)
        return answer == box.StandardButton.Yes
