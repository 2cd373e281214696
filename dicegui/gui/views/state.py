"""What the linked views show, kept apart from the widgets that show it (no Qt here).

Three slice views (axial, coronal, sagittal) and a 3-D pane share one
*cursor*: a voxel of the view-order volume (see
:class:`dicegui.core.display.ViewGrid`). Each slice view shows the slice
through the cursor along its own axis, so the per-view slice is never stored
twice: the axial view's slice is ``cursor[2]``, the coronal's ``cursor[1]``,
the sagittal's ``cursor[0]``. Scrolling a view moves the cursor along that
view's axis; clicking a view moves it within that view's plane; either way
the other views follow, as in ITK-SNAP and 3D Slicer.

One view has the *focus*: the keys, the slice slider, the per-slice Dice
plot and the error-region navigator act on it, and ``MainWindow.plane`` /
``MainWindow.index`` name its plane and slice. The *layout* says which panes
are on screen: ``"2x2"`` (three views and the 3-D pane), ``"1x3"`` (the three
views in a row) or ``"1x1"`` (the focused view alone, the single-view window
of earlier versions).

This is napari's split between ``ViewerModel``/``Dims`` and its Qt widgets:
the model says what should be seen and tells its listeners when that
changes; the widgets draw.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

LAYOUTS = ("2x2", "1x3", "1x1")
LAYOUT_TITLES = {"2x2": "2 × 2 (three planes and 3-D)", "1x3": "1 × 3 (three planes)", "1x1": "1 × 1 (one plane)"}


@dataclass(frozen=True)
class Change:
    """What one update of a :class:`ViewState` changed.

    Attributes
    ----------
    axes : frozenset of int
        Volume axes whose cursor coordinate moved: the views slicing across
        these axes show another slice.
    focus : bool
        Another view has the focus.
    layout : bool
        Another layout is shown.
    """

    axes: frozenset = frozenset()
    focus: bool = False
    layout: bool = False

    def __bool__(self) -> bool:
        return bool(self.axes) or self.focus or self.layout


class ViewState:
    """Cursor voxel, focused view and layout of the linked views.

    Parameters
    ----------
    shape : tuple of 3 int
        View-order volume shape; the cursor is clamped inside it.
    planes : sequence of str
        Names of the planes that have a view (``("axial", "coronal",
        "sagittal")``; ``("image",)`` for a 2-D image).
    axes : dict
        ``{plane name: volume axis it slices across}``.
    cursor : tuple of 3 int, optional
        Starting cursor (default: the centre).
    focus : str, optional
        Starting focused plane (default: the first).
    layout : str, optional
        One of :data:`LAYOUTS` (default ``"2x2"``; a single plane forces ``"1x1"``).

    Examples
    --------
    >>> st = ViewState((10, 20, 30), ("axial", "coronal", "sagittal"),
    ...                {"axial": 2, "coronal": 1, "sagittal": 0})
    >>> st.slice_of("axial")
    15
    >>> st.set_slice("axial", 3).axes
    frozenset({2})
    >>> st.cursor
    (5, 10, 3)
    """

    def __init__(self, shape, planes, axes: dict, cursor=None, focus: str | None = None, layout: str = "2x2"):
        if len(shape) != 3 or min(int(n) for n in shape) < 1:
            raise ValueError(f"the views need a 3-D shape with every side ≥ 1, got {tuple(shape)}")
        self.shape = tuple(int(n) for n in shape)
        self.planes = tuple(planes)
        if not self.planes:
            raise ValueError("the views need at least one plane")
        self.axes = {name: int(axes[name]) for name in self.planes}
        self._cursor = self._clamp(cursor if cursor is not None else [(n - 1) // 2 for n in self.shape])
        self._focus = focus if focus in self.planes else self.planes[0]
        self._layout = self._checked_layout(layout)
        self._listeners: list[Callable[[Change], None]] = []

    # ------------------------------------------------------------- reading
    @property
    def cursor(self) -> tuple[int, int, int]:
        """The shared cursor voxel (view order)."""
        return self._cursor

    @property
    def focus(self) -> str:
        """Name of the plane whose view has the focus."""
        return self._focus

    @property
    def layout(self) -> str:
        return self._layout

    def slice_of(self, plane: str) -> int:
        """Slice a plane's view shows: the cursor's coordinate along that plane's axis."""
        return self._cursor[self.axes[plane]]

    def n_slices(self, plane: str) -> int:
        return self.shape[self.axes[plane]]

    def visible_planes(self) -> tuple[str, ...]:
        """Planes whose views are on screen in the current layout."""
        if self._layout == "1x1" or len(self.planes) == 1:
            return (self._focus,)
        return self.planes

    def shows_3d(self) -> bool:
        """The 3-D pane is on screen."""
        return self._layout == "2x2" and len(self.planes) > 1

    # ------------------------------------------------------------ changing
    def subscribe(self, listener: Callable[[Change], None]) -> None:
        """Call ``listener(change)`` after every update that changed something."""
        self._listeners.append(listener)

    def set_cursor(self, ijk) -> Change:
        """Move the cursor to voxel ``ijk`` (clamped into the volume)."""
        new = self._clamp(ijk)
        moved = frozenset(a for a in range(3) if new[a] != self._cursor[a])
        self._cursor = new
        return self._emit(Change(axes=moved))

    def set_slice(self, plane: str, index: int) -> Change:
        """Show slice ``index`` in ``plane``'s view (moves the cursor along its axis)."""
        ijk = list(self._cursor)
        ijk[self.axes[plane]] = int(index)
        return self.set_cursor(ijk)

    def step(self, plane: str, delta: int) -> Change:
        return self.set_slice(plane, self.slice_of(plane) + int(delta))

    def set_focus(self, plane: str) -> Change:
        """Give ``plane``'s view the focus (in ``1x1`` that view fills the window)."""
        if plane not in self.planes:
            raise ValueError(f"no {plane!r} view; the views are {', '.join(self.planes)}")
        changed = plane != self._focus
        self._focus = plane
        return self._emit(Change(focus=changed, layout=changed and self._layout == "1x1"))

    def set_layout(self, layout: str) -> Change:
        layout = self._checked_layout(layout)
        changed = layout != self._layout
        self._layout = layout
        return self._emit(Change(layout=changed))

    def next_layout(self) -> Change:
        """Cycle 2×2 → 1×3 → 1×1 → 2×2."""
        return self.set_layout(LAYOUTS[(LAYOUTS.index(self._layout) + 1) % len(LAYOUTS)])

    # ------------------------------------------------------------- helpers
    def _clamp(self, ijk) -> tuple[int, int, int]:
        if len(ijk) != 3:
            raise ValueError(f"a cursor is a voxel (i, j, k), got {tuple(ijk)}")
        return tuple(min(max(int(v), 0), n - 1) for v, n in zip(ijk, self.shape))

    def _checked_layout(self, layout: str) -> str:
        if layout not in LAYOUTS:
            raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
        return "1x1" if len(self.planes) == 1 else layout

    def _emit(self, change: Change) -> Change:
        if change:
            for listener in list(self._listeners):
                listener(change)
        return change
