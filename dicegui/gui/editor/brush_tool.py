"""The brush: paint the active label with a round brush, dab by dab, live.

A press starts a :class:`~dicegui.core.edits.Stroke` on the current slice and
paints one dab; every move paints the segment from the previous position
(the core joins the two positions, so a fast hand leaves no gaps) and the
scores and the touched rectangle of the overlay follow at once; the release
merges the dabs into one undo step.
"""
from __future__ import annotations

from ...core.edits import Stroke
from .tools import EditTool


def union_box(a, b):
    """Smallest box (tuple of slices) holding both boxes; either may be None."""
    if a is None:
        return b
    if b is None:
        return a
    return tuple(slice(min(x.start, y.start), max(x.stop, y.stop)) for x, y in zip(a, b))


class BrushTool(EditTool):
    """Paint with the active label (round, radius in voxels; optional 3-D sphere)."""

    name = "brush"
    title = "Brush"
    shortcut = "B"
    tip = "Brush (B): drag to paint the active label; [ ] or Shift+wheel resize"
    shows_brush = True
    erase = False

    def __init__(self, editor):
        super().__init__(editor)
        self._stroke: Stroke | None = None
        self._last = None
        self._box = None

    @property
    def busy(self) -> bool:
        return self._stroke is not None

    def press(self, pixel, modifiers) -> bool:
        ed = self.editor
        if not ed.can_edit():
            return False
        self.finish()
        try:
            self._stroke = Stroke(ed.live, ed.target, ed.axis, ed.slice_index,
                                  ed.brush(erase=self.erase), ed.spacing, image=ed.session.image)
        except ValueError as exc:  # e.g. a label that does not fit the mask's dtype
            ed.report(str(exc))
            return True  # swallow the drag: painting is not possible, panning would surprise
        self._last = None
        self._box = None
        ed.stroke_started()
        self._dab(pixel)
        return True

    def move(self, pixel) -> None:
        if self._stroke is not None and tuple(pixel) != self._last:
            self._dab(pixel)

    def _dab(self, pixel) -> None:
        self._last = tuple(pixel)
        box = self._stroke.add(self.editor.plane_point(pixel))
        if box is not None:
            self._box = union_box(self._box, box)
            self.editor.region_changed(box, live=True, labels=self._stroke.last_labels)

    def finish(self) -> None:
        stroke, self._stroke = self._stroke, None
        if stroke is not None:
            self.editor.commit(stroke.finish())

    def cancel(self) -> None:
        stroke, self._stroke = self._stroke, None
        if stroke is not None:
            stroke.cancel()
            if self._box is not None:
                self.editor.region_changed(self._box)
            self.editor.stroke_cancelled()
