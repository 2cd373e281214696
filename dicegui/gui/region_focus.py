"""What the window is focused on: the foreground, one label, or a region group.

The overlay's label picker lists the labels and, below them, the region
groups set in View ▸ Region groups (:mod:`dicegui.gui.region_groups_ui`).
A region is shown as one binary structure: its mask is "the voxel holds any
of its labels" (:func:`dicegui.core.region_groups.region_mask`).

``MainWindow.focus`` is ``None`` (any foreground), an ``int`` (a label) or a
:class:`RegionFocus`. ``MainWindow.focus_label`` stays ``int | None`` for the
parts of the window that only know labels (they see a region as ``None``).

Qt-free.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import metrics
from ..core.region_groups import region_mask


@dataclass(frozen=True)
class RegionFocus:
    """A region group picked as the focus: its name and labels."""

    name: str
    labels: tuple[int, ...]

    def title(self) -> str:
        """``region WT (1, 2, 4)``."""
        return f"region {self.name} ({', '.join(str(v) for v in self.labels)})"


def focus_masks(gt: np.ndarray, pred: np.ndarray, focus) -> tuple[np.ndarray, np.ndarray]:
    """(reference, prediction) bool masks of ``focus`` (None, a label or a :class:`RegionFocus`)."""
    if focus is None:
        return gt != 0, pred != 0
    if isinstance(focus, RegionFocus):
        return region_mask(gt, focus.labels), region_mask(pred, focus.labels)
    return gt == focus, pred == focus


def focus_foreground(gt: np.ndarray, pred: np.ndarray, focus) -> tuple[np.ndarray, np.ndarray]:
    """Masks of ``focus`` for functions that take any nonzero value as foreground (surface distances).

    For all foreground these are ``gt`` and ``pred`` themselves: on a CT two
    whole-volume bool copies would cost 300 MB that the surface functions
    do not need (they binarise box by box). Otherwise :func:`focus_masks`.
    """
    if focus is None:
        return gt, pred
    return focus_masks(gt, pred, focus)


def focus_key(focus):
    """How a focus is looked up in a tolerance table: None, the label (int) or the region name (str)."""
    if isinstance(focus, RegionFocus):
        return focus.name
    return None if focus is None else int(focus)


def focus_title(session, focus) -> str:
    """``all foreground``, ``label 5 liver`` or ``region WT (1, 2, 4)``."""
    if focus is None:
        return "all foreground"
    if isinstance(focus, RegionFocus):
        return focus.title()
    return f"label {focus} {session.label_name(focus)}".rstrip()


def slice_overlap(g_slice: np.ndarray, p_slice: np.ndarray, focus: RegionFocus) -> dict:
    """``overlap()`` of a region on one slice (a screen image of each mask)."""
    return metrics.overlap(*focus_masks(g_slice, p_slice, focus))
