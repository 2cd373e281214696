"""The eraser: the brush writing background (0).

With "protect other labels" ticked it clears only the active label, so a
correction of one organ never eats into its neighbours in a label map.
"""
from __future__ import annotations

from .brush_tool import BrushTool


class EraserTool(BrushTool):
    """Erase with a round brush (to 0; only the active label when other labels are protected)."""

    name = "eraser"
    title = "Eraser"
    shortcut = "E"
    tip = "Eraser (E): drag to set voxels to background; [ ] or Shift+wheel resize"
    erase = True
