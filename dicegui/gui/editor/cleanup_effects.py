"""Whole-mask clean-ups of the active label: fill holes, remove small islands.

Each effect works on the target mask's active label, on the current slice
(2-D holes and islands) or on the whole volume (3-D), through
:mod:`dicegui.core.edits.cleanup`, and makes one undo step. :meth:`plan`
only reads the mask, so the window can run a big volume's plan in a worker
thread (:mod:`.background_effect`) and write it afterwards.
"""
from __future__ import annotations

from ...core.edits import apply_cleanup, plan_fill_holes, plan_remove_islands


class FillHolesEffect:
    """Fill the background regions enclosed by the active label."""

    name = "fill_holes"
    title = "Fill holes"
    tip = "Fill the background enclosed by the active label (face-connected holes), on this slice or in 3-D"

    def settings(self, editor, scope: str) -> dict:
        """The editor's choices, read on the GUI thread, for :meth:`plan`."""
        return dict(which=editor.target, label=editor.label, protect_other_labels=editor.protect,
                    **editor.scope_args(scope))

    def plan(self, live, settings: dict, progress=None):
        """The voxels to fill (a :class:`~dicegui.core.edits.CleanupPlan`); reads the mask only."""
        return plan_fill_holes(live, progress=progress, **settings)

    def run(self, editor, scope: str):
        return apply_cleanup(editor.live, self.plan(editor.live, self.settings(editor, scope)))


class RemoveIslandsEffect:
    """Clear connected pieces of the active label up to a size."""

    name = "remove_islands"
    title = "Remove islands"
    tip = "Clear connected pieces of the active label of at most this many voxels (face connectivity)"

    def settings(self, editor, scope: str, max_size: int) -> dict:
        """The editor's choices, read on the GUI thread, for :meth:`plan`."""
        return dict(which=editor.target, label=editor.label, max_size=int(max_size), connectivity=1,
                    **editor.scope_args(scope))

    def plan(self, live, settings: dict, progress=None):
        """The voxels to clear (a :class:`~dicegui.core.edits.CleanupPlan`); reads the mask only."""
        return plan_remove_islands(live, progress=progress, **settings)

    def run(self, editor, scope: str, max_size: int):
        return apply_cleanup(editor.live, self.plan(editor.live, self.settings(editor, scope, max_size)))
