"""Small helpers shared by the QA panels: where a voxel is on screen, centring the view, the focus masks."""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from ...core.display import Plane, voxel_to_plane
from .. import region_focus
from ..region_focus import focus_masks


def pixel_centre(view, row: float, col: float) -> QtCore.QPointF:
    """Centre of screen pixel ``(row, col)`` in the view's coordinates (millimetres)."""
    row_mm, col_mm = view.pixel_mm
    return QtCore.QPointF((col + 0.5) * col_mm, (row + 0.5) * row_mm)


def centre_view_on(view, row: float, col: float) -> None:
    """Pan the slice view (zoom unchanged) so pixel ``(row, col)`` is in the middle."""
    rect = view.vb.viewRect()
    c = pixel_centre(view, row, col)
    w, h = rect.width(), rect.height()
    view.vb.setRange(xRange=(c.x() - w / 2, c.x() + w / 2), yRange=(c.y() - h / 2, c.y() + h / 2),
                     padding=0)


def frame_region(view, row: float, col: float, rows: float, cols: float) -> None:
    """Centre the view on pixel ``(row, col)`` with a region of ``rows × cols`` pixels in sight.

    The zoom is kept when the region fits in it; a view that shows the whole
    slice (the fitted zoom) zooms in so a small region is large enough to
    judge; a view too tight for the region zooms out to hold it.
    """
    rect = view.vb.viewRect()
    row_mm, col_mm = view.pixel_mm
    need_w, need_h = (cols + 4) * col_mm * 1.5, (rows + 4) * row_mm * 1.5
    shape = view.image_shape or (1, 1)
    slice_w, slice_h = shape[1] * col_mm, shape[0] * row_mm
    w, h = rect.width(), rect.height()
    if w <= 0 or h <= 0:
        return
    scale = 1.0
    if w < need_w or h < need_h:  # too tight: zoom out until the region fits
        scale = max(need_w / w, need_h / h)
    elif w >= 0.9 * slice_w and h >= 0.9 * slice_h:  # fitted: zoom in, keep some anatomy around
        scale = max(need_w * 2 / w, need_h * 2 / h, 0.4)
        scale = min(scale, 1.0)
    w, h = w * scale, h * scale
    c = pixel_centre(view, row, col)
    view.vb.setRange(xRange=(c.x() - w / 2, c.x() + w / 2), yRange=(c.y() - h / 2, c.y() + h / 2),
                     padding=0)


def view_centre_pixel(view) -> tuple[float, float]:
    """(row, col) of the pixel at the middle of the view (fractional)."""
    c = view.vb.viewRect().center()
    row_mm, col_mm = view.pixel_mm
    return c.y() / row_mm - 0.5, c.x() / col_mm - 0.5


def screen_position(plane: Plane, ijk, shape) -> tuple[int, int, int]:
    """(slice, row, col) of a view-order voxel on ``plane``."""
    return voxel_to_plane(plane, ijk, shape)


def screen_box(plane: Plane, box, shape) -> tuple[int, int, int, int, int, int]:
    """A view-order box (tuple of slices) on ``plane``: ``(s0, s1, r0, r1, c0, c1)``, stops exclusive."""
    corners = [voxel_to_plane(plane, [b.start for b in box], shape),
               voxel_to_plane(plane, [b.stop - 1 for b in box], shape)]
    s = sorted(c[0] for c in corners)
    r = sorted(c[1] for c in corners)
    c = sorted(c[2] for c in corners)
    return s[0], s[1] + 1, r[0], r[1] + 1, c[0], c[1] + 1


def focus_binary(window) -> tuple[np.ndarray, np.ndarray] | None:
    """(gt, pred) as bool arrays of the window's focus (a label, a region group, or any foreground); None without scores."""
    s = window.session
    if s is None or not s.has_scores:
        return None
    return focus_masks(s.gt, s.pred, window.focus)


def focus_title(window, regions: bool = False) -> str:
    """'all foreground', 'label 5 liver', or with ``regions`` 'region WT (1, 2, 4)'.

    Without ``regions`` the title is of ``window.focus_label``, which a
    region group leaves at None: for the panels that score labels only.
    """
    return region_focus.focus_title(window.session, window.focus if regions else window.focus_label)
