"""Base class of the editing tools ("effects", in 3D Slicer's Segment Editor words).

A tool turns left-button presses, drags and releases on the slice view into
edits of the target mask. The view hands the editor unclamped screen pixels
``(row, col)``; the editor hands them to the active tool; the tool edits
through :mod:`dicegui.core.edits` (so through ``LiveScore``) and reports
back to the editor what changed:

* :meth:`Editor.region_changed` for every live change (a dab): scores and the
  touched rectangle of the overlay are refreshed at once;
* :meth:`Editor.commit` once per stroke or click, with the merged
  :class:`~dicegui.core.edits.EditDelta`: one undo step, or none if nothing
  changed.
"""
from __future__ import annotations

from PySide6 import QtCore


class EditTool:
    """A way of editing the target mask with the left mouse button.

    Subclasses set the class attributes and override the event methods.

    Attributes
    ----------
    name : str
        Identifier (``"brush"``, ``"eraser"``, ``"fill"``).
    title : str
        Button and menu text.
    shortcut : str
        Key that selects the tool.
    tip : str
        Tooltip: what a click and a drag do.
    shows_brush : bool
        Draw the round brush outline under the cursor.
    """

    name = "tool"
    title = "Tool"
    shortcut = ""
    tip = ""
    shows_brush = False
    cursor = QtCore.Qt.CursorShape.CrossCursor

    def __init__(self, editor):
        self.editor = editor

    @property
    def busy(self) -> bool:
        """A stroke is in progress (between press and release)."""
        return False

    def press(self, pixel, modifiers) -> bool:
        """Left button down on screen pixel ``(row, col)``; True if the tool takes the drag."""
        return False

    def move(self, pixel) -> None:
        """The mouse moved to ``pixel`` with the button held."""

    def release(self, pixel) -> None:
        """Left button up at ``pixel``."""
        self.finish()

    def finish(self) -> None:
        """End the current stroke and record it (no-op when idle)."""

    def cancel(self) -> None:
        """Abandon the current stroke, restoring what it changed (no-op when idle)."""
