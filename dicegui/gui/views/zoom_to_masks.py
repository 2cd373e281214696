"""Zoom every slice view onto the masks.

A lens or a cochlea is a few dozen voxels: in a 512×512 slice fitted to the
view it covers a few screen pixels, and a reviewer opening it from a cohort
worklist sees no overlay at all. Zooming onto the box of both masks'
foreground (kept by the live score, so free) with some context around it
shows the structure at once; R fits the whole slice again.
"""
from __future__ import annotations

from .linked_views import screen_region

# A structure of a few voxels is shown with at least this much of the slice
# around it (in mm, so thick slices keep their share: 16 slices of 2.5 mm,
# not 40), so a reviewer still sees where it lies. Pixels without a size: 40.
MIN_MM = 40.0
# Context on each side, as a fraction of the box's extent.
MARGIN = 0.25
# A worklist case is zoomed when its masks span less than this fraction of
# the focused slice along both directions.
SMALL_FRACTION = 0.25


def masks_box(session):
    """View-order box of both masks' foreground, or None (no scores, or both masks empty)."""
    box = session.foreground_box() if session is not None else None
    if box is None or any(s.stop <= s.start for s in box):
        return None
    return box


def masks_are_small(linked, fraction: float = SMALL_FRACTION) -> bool:
    """True when the masks span less than ``fraction`` of the focused view's slice in both directions."""
    session = linked.window.session
    box = masks_box(session)
    if box is None or linked.state is None:
        return False
    plane = linked._plane_of[linked.state.focus]
    r0, r1, c0, c1 = _rectangle(plane, box, linked.state.shape)
    rows, cols = linked.view_of(plane.name).image_shape
    return (r1 - r0) < fraction * rows and (c1 - c0) < fraction * cols


def zoom_to_masks(linked) -> bool:
    """Fit every view to the masks' box with a margin; False when there is nothing to zoom onto.

    The cursor moves only along axes where it lies outside the box (to the
    slice where the masks disagree most), so the views show the structure
    and a cursor already on it stays where the user put it.
    """
    session = linked.window.session
    box = masks_box(session)
    st = linked.state
    if box is None or st is None:
        return False
    cursor = list(st.cursor)
    for name, plane in linked._plane_of.items():
        axis_box = box[plane.axis]
        if not axis_box.start <= cursor[plane.axis] < axis_box.stop:
            cursor[plane.axis] = session.opening_slice(plane)
    if tuple(cursor) != tuple(st.cursor):
        st.set_cursor(tuple(cursor))
    for name, plane in linked._plane_of.items():
        view = linked.view_of(name)
        view.show_pixels(*_framed(_rectangle(plane, box, st.shape), view.image_shape, view.pixel_mm))
    return True


def _rectangle(plane, box, shape) -> tuple[int, int, int, int]:
    """``(r0, r1, c0, c1)`` the box covers on any slice of ``plane`` (the slice axis ignored)."""
    through = box[plane.axis].start  # a slice the box crosses
    return screen_region(plane, through, box, shape)


def _framed(rect, image_shape, pixel_mm) -> tuple[float, float, float, float]:
    """The rectangle grown by the margin and to at least MIN_MM, kept inside the slice."""
    r0, r1, c0, c1 = rect
    rows, cols = image_shape

    def grow(a, b, n, mm):
        extent = b - a
        pad = max(MARGIN * extent, (MIN_MM / mm - extent) / 2.0, 0.0)
        lo, hi = a - pad, b + pad
        if hi - lo >= n:
            return 0.0, float(n)
        shift = max(0.0, -lo) - max(0.0, hi - n)  # slide back inside the slice
        return lo + shift, hi + shift

    (r0, r1), (c0, c1) = grow(r0, r1, rows, pixel_mm[0]), grow(c0, c1, cols, pixel_mm[1])
    return r0, r1, c0, c1
