"""Mask editing in the main window: brush, eraser, fill, clean-ups, undo, saving (issue 5).

One module per effect, in the spirit of 3D Slicer's Segment Editor:

* :mod:`.tools`: :class:`EditTool`, what every tool implements;
* :mod:`.brush_tool`, :mod:`.eraser_tool`, :mod:`.fill_tool`: the mouse tools;
* :mod:`.cleanup_effects`: fill holes, remove small islands;
* :mod:`.undo`: :class:`EditHistory` (QUndoStack, one step per edit, per-mask
  unsaved state) and :class:`EditCommand` (wraps a core ``EditDelta``);
* :mod:`.edit_panel`: the settings dock; :mod:`.brush_cursor`: the outline;
* :mod:`.saving`: where corrected masks go;
* :mod:`.controller`: :class:`Editor`, which wires them into the window.

No metric or mask logic lives here: edits go through :mod:`dicegui.core.edits`
and scores through :class:`dicegui.core.live.LiveScore`.
"""
from .controller import Editor
from .undo import EditCommand, EditHistory

__all__ = ["Editor", "EditCommand", "EditHistory"]
