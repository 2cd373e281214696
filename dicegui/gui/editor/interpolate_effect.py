"""Interpolate between slices: paint a structure on a few slices, fill the ones between in one step.

ITK-SNAP's "Interpolate labels" and 3D Slicer's "Fill between slices": the
effect works on the target mask's active label across the orientation of
the focused view, through :func:`dicegui.core.edits.interpolate_slices`
(shape interpolation, other labels never overwritten, the editable
intensity range respected), and makes one undo step.
"""
from __future__ import annotations

import numpy as np

from ...core.edits import interpolate_slices


class InterpolateEffect:
    """Fill the slices between annotated slices of the active label."""

    name = "interpolate"
    title = "Interpolate between slices"
    shortcut = "Ctrl+I"
    tip = ("Interpolate between slices (Ctrl+I): paint the active label on a few slices of this view's "
           "orientation, then fill the slices between them by shape interpolation (one undo step; "
           "other labels are kept)")

    def run(self, editor, _scope: str = "volume"):
        """Interpolate on the editor's target, label and focused orientation; the delta or None."""
        axis = editor.axis
        return interpolate_slices(
            editor.live, editor.target, axis, editor.label, spacing=editor.spacing,
            image=editor.session.image, intensity_range=editor.intensity_range,
            axis_name=editor.window.plane.name)

    @staticmethod
    def summary(delta, plane_name: str) -> str:
        """Status line: how many slices and voxels the interpolation filled."""
        slices = int(np.unique(delta.index()[delta.axis]).size)
        return (f"Interpolated label {delta.label} on {slices} {plane_name} slice{'s' if slices != 1 else ''}, "
                f"{delta.voxels:,} voxels (Ctrl+Z undoes it)")
