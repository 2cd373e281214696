"""Whole-mask clean-ups of the active label: fill holes, remove small islands.

Each effect works on the target mask's active label, on the current slice
(2-D holes and islands) or on the whole volume (3-D), through
:mod:`dicegui.core.edits.fill`, and makes one undo step.
"""
from __future__ import annotations

from ...core.edits import fill_holes, remove_small_islands


class FillHolesEffect:
    """Fill the background regions enclosed by the active label."""

    name = "fill_holes"
    title = "Fill holes"
    tip = "Fill the background enclosed by the active label (face-connected holes), on this slice or in 3-D"

    def run(self, editor, scope: str):
        where = editor.scope_args(scope)
        return fill_holes(editor.live, editor.target, label=editor.label,
                          protect_other_labels=editor.protect, **where)


class RemoveIslandsEffect:
    """Clear connected pieces of the active label up to a size."""

    name = "remove_islands"
    title = "Remove islands"
    tip = "Clear connected pieces of the active label of at most this many voxels (face connectivity)"

    def run(self, editor, scope: str, max_size: int):
        where = editor.scope_args(scope)
        return remove_small_islands(editor.live, editor.target, label=editor.label,
                                    max_size=int(max_size), connectivity=1, **where)
