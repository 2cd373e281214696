"""The three linked slice views and the 3-D pane, laid out as in ITK-SNAP.

One :class:`~dicegui.gui.views.state.ViewState` holds the cursor, the
focused view and the layout; this class owns the widgets that show it and
redraws exactly what an update changed:

* a scroll in one view moves the cursor along that view's axis: that view
  gets a new slice, the other two only move their crosshair lines;
* a click or drag in navigation moves the cursor within a view's plane: the
  other two views get new slices, the clicked one only moves its lines;
* an edit reports the changed box (view-order voxel slices): every visible
  view whose slice crosses the box repaints the rectangle the box covers on
  its screen (:meth:`masks_changed`), so a stroke in the coronal view shows
  at once in the axial view when it crosses the axial slice.

The focused view is what the rest of the window calls ``window.view``
(editing tools, the region navigator's frame, the HD marker, the gradient
overlay add their items to it). When the focus moves, those items move with
it (:meth:`_move_focus_items`), so every panel written for one view keeps
working on whichever view the user works in.

Views that are not on screen (hidden by the layout) are not drawn; they are
marked stale and drawn when they are shown again.

A slice change on a C-order CT reads strided slices (one byte or two used per
cache line), which costs more than drawing them. Recently shown slices keep
their image gathered into C order and their overlay codes
(:mod:`.codes_cache`; an edit of the masks clears the codes), and once a
scroll has shown a slice, the next one in the same direction is prepared
while the window is idle (:meth:`LinkedViews._prefetch`).
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ...core.display import (
    PLANES, SLICE_AXIS_LETTER, gather_slice, plane_shape, plane_spacing, plane_to_voxel, voxel_to_plane,
)
from ..slice_view import SliceView
from . import image_gather, slice_codes
from .codes_cache import CodesCache
from .crosshair import Crosshair
from .state import ViewState

#: The view slots, as they sit in the 2 × 2 layout (row, column); the 3-D pane takes (1, 1).
GRID_2X2 = {"axial": (0, 0), "sagittal": (0, 1), "coronal": (1, 0)}
ROW_1X3 = ("axial", "coronal", "sagittal")
#: Bytes of slice images kept in C order for revisits: 128 int16 slices of 512×512.
IMAGE_CACHE_BYTES = 64 * 2 ** 20
_FOCUS_STYLE = "QFrame#view_frame { border: 2px solid %s; }"
_FOCUSED, _UNFOCUSED = "#f0e442", "#3a3a3a"


class _ViewInput:
    """The edit handler of one view: hands the mouse to the editor for that view.

    The press has already given the view the focus (``SliceView.activated``),
    so the editor's idea of "the current plane and slice" is this view's.
    While a tool that draws a brush outline is active, entering a view gives
    it the focus too, so the outline shows where the hand is.
    """

    def __init__(self, views: "LinkedViews", name: str):
        self.views = views
        self.name = name

    @property
    def handler(self):
        return self.views.edit_handler

    @property
    def tool(self):
        return getattr(self.handler, "tool", None)

    def press(self, pixel, modifiers) -> bool:
        h = self.handler
        return h is not None and h.press(pixel, modifiers)

    def move(self, pixel) -> None:
        if self.handler is not None:
            self.handler.move(pixel)

    def release(self, pixel) -> None:
        if self.handler is not None:
            self.handler.release(pixel)

    def hover(self, pos) -> None:
        h = self.handler
        plane = self.views._plane_in(self.name)
        if h is None or plane is None:
            return
        if pos is not None and plane.name != self.views.focus_name:
            tool = self.tool
            if tool is None or not tool.shows_brush or self.views.busy():
                return
            self.views.focus(plane.name)
        if plane.name == self.views.focus_name:
            h.hover(pos)

    def wheel(self, steps: int) -> bool:
        h = self.handler
        return h is not None and h.wheel(steps)


class LinkedViews(QtCore.QObject):
    """Axial, coronal and sagittal views sharing one cursor, plus the 3-D pane.

    Parameters
    ----------
    window : dicegui.gui.main_window.MainWindow
        Supplies the session, the overlay settings (``overlay_panel``, its
        ``_lut()``), the display levels, and is told after every change
        (``window._views_changed(change)``).

    Attributes
    ----------
    widget : QtWidgets.QWidget
        The container to put in the window.
    views : dict
        ``{"axial"|"coronal"|"sagittal": SliceView}``; a 2-D image is shown in
        the ``"axial"`` slot.
    state : ViewState or None
        The model, once a case is open.

    Signals
    -------
    focusChanged(str)
        Name of the plane whose view now has the focus.
    layoutChanged(str)
    cursorMoved(object)
        The cursor voxel (view order) after it moved.
    """

    focusChanged = QtCore.Signal(str)
    layoutChanged = QtCore.Signal(str)
    cursorMoved = QtCore.Signal(object)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.state: ViewState | None = None
        self.edit_handler = None
        self.views = {name: SliceView() for name in ROW_1X3}
        self.crosshairs = {name: Crosshair(v) for name, v in self.views.items()}
        self.frames = {}
        self.pane_3d = QtWidgets.QFrame()
        self.pane_3d.setObjectName("view_frame")
        QtWidgets.QVBoxLayout(self.pane_3d).setContentsMargins(2, 2, 2, 2)
        self._stale: set[str] = set()
        self.codes_cache = CodesCache()  # overlay codes of recently shown slices
        self.image_cache = CodesCache(IMAGE_CACHE_BYTES)  # their images, gathered into C order
        self._shown_index: dict[str, int] = {}  # slice each view shows: a scroll's direction
        self._slot_of: dict[str, str] = {}  # plane name → view slot
        self._plane_of: dict[str, object] = {}  # plane name → Plane
        self._focus_slot = "axial"
        self.show_crosshair = True
        self.widget = QtWidgets.QWidget()
        self.grid = QtWidgets.QGridLayout(self.widget)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(2)
        for name, view in self.views.items():
            view.setAcceptDrops(False)
            view.viewport().setAcceptDrops(False)
            frame = QtWidgets.QFrame()
            frame.setObjectName("view_frame")
            lay = QtWidgets.QVBoxLayout(frame)
            lay.setContentsMargins(2, 2, 2, 2)
            lay.addWidget(view)
            self.frames[name] = frame
            self._connect(name, view)
        # equal panes whatever their contents ask for: the grid's stretch decides
        ignored = QtWidgets.QSizePolicy.Policy.Ignored
        for frame in (*self.frames.values(), self.pane_3d):
            frame.setSizePolicy(ignored, ignored)
        self._place("1x1")
        self._highlight()

    def install_error_view(self) -> None:
        """The 3-D pane (call once the window's overlay panel exists): meshes follow the case, the edits and the focus label; a click there moves the cursor."""
        from .error_view_3d import ErrorView3D

        w = self.window
        self.error_view = ErrorView3D()
        self.set_3d_widget(self.error_view)
        self.error_view.voxelPicked.connect(self.set_cursor)
        self.cursorMoved.connect(self.error_view.set_cursor)
        w.sessionChanged.connect(self._error_view_case)
        w.masksEdited.connect(self.error_view.masks_edited)
        w.overlay_panel.changed.connect(lambda: self.error_view.set_label(w.focus))

    def _error_view_case(self) -> None:
        s = self.window.session
        if s is None or s.grid.is_2d:
            self.error_view.set_case(None, None, (1.0, 1.0, 1.0))
            return
        self.error_view._label = self.window.focus
        self.error_view.set_case(s.gt, s.pred, s.grid.spacing, s.case.label_names)
        if self.state is not None:
            self.error_view.set_cursor(self.state.cursor)

    def shutdown(self) -> None:
        self.error_view.shutdown()

    def _connect(self, slot: str, view: SliceView) -> None:
        view.edit_handler = _ViewInput(self, slot)
        view.activated.connect(lambda s=slot: self._activated(s))
        view.stepRequested.connect(lambda d, s=slot: self._step_slot(s, d))
        view.jumpRequested.connect(lambda where, s=slot: self._jump_slot(s, where))
        view.cursorDragged.connect(lambda r, c, s=slot: self._cursor_dragged(s, r, c))
        view.hovered.connect(lambda px, s=slot: self.window._hovered(px, self._plane_in(s)))
        view.maximizeRequested.connect(lambda s=slot: self._toggle_maximized(s))

    # ================================================================ facts
    @property
    def focused_view(self) -> SliceView:
        return self.views[self._focus_slot]

    @property
    def focus_name(self) -> str:
        return self.state.focus if self.state is not None else "axial"

    @property
    def focused_plane(self):
        if self.state is None:
            return PLANES["axial"]
        return self._plane_of[self.state.focus]

    def all_views(self) -> list[SliceView]:
        return list(self.views.values())

    def view_of(self, plane_name: str) -> SliceView:
        return self.views[self._slot_of[plane_name]]

    def _plane_in(self, slot: str):
        for name, s in self._slot_of.items():
            if s == slot:
                return self._plane_of[name]
        return None

    def busy(self) -> bool:
        """A drag (stroke, cursor or window) is under way in some view."""
        return any(v.editing or v._dragging is not None for v in self.views.values())

    # ============================================================== session
    def set_session(self, session, layout: str, focus: str | None = None) -> None:
        """Show a new case: planes, cursor at the slices where the masks disagree most."""
        planes = session.planes
        self._plane_of = {p.name: p for p in planes}
        self._slot_of = {p.name: slot for p, slot in zip(planes, ROW_1X3)}
        axes = {p.name: p.axis for p in planes}
        cursor = [(n - 1) // 2 for n in session.shape]
        for p in planes:
            if session.shape[p.axis] > 1:
                cursor[p.axis] = session.opening_slice(p)
        focus = focus if focus in self._plane_of else session.default_plane().name
        self.state = ViewState(session.shape, tuple(self._plane_of), axes, cursor, focus, layout)
        self.state.subscribe(self._changed)
        for name, plane in self._plane_of.items():
            view = self.view_of(name)
            rows, cols = plane_shape(plane, session.shape)
            row_mm, col_mm = plane_spacing(plane, session.grid.spacing)
            view.set_length_unit(session.length_unit)
            view.set_geometry(rows, cols, row_mm, col_mm, plane.edges)
            view.show_hint(None)
            view.window_caption.setVisible(session.image is not None)
        self._set_focus_slot(self._slot_of[self.state.focus])
        self._place(self.state.layout)
        self.codes_cache.clear()
        self.image_cache.clear()
        self._shown_index = {}
        self._stale = set(self._plane_of)
        self._draw_visible()
        self._highlight()

    # ============================================================ commands
    def focus(self, plane_name: str) -> None:
        if self.state is not None and plane_name in self._plane_of:
            self.state.set_focus(plane_name)

    def set_slice(self, index: int, plane_name: str | None = None) -> None:
        if self.state is not None:
            self.state.set_slice(plane_name or self.state.focus, index)

    def set_cursor(self, ijk) -> None:
        if self.state is not None:
            self.state.set_cursor(ijk)

    def set_layout(self, layout: str) -> None:
        if self.state is None:
            self._place(layout)
            return
        self.state.set_layout(layout)

    def set_crosshair_visible(self, on: bool) -> None:
        self.show_crosshair = bool(on)
        self._update_crosshairs()

    def set_drag_mode(self, mode: str) -> None:
        """``"cursor"`` (navigation) or ``"window"`` (left drag sets window/level)."""
        for view in self.views.values():
            view.drag_mode = mode

    def _activated(self, slot: str) -> None:
        plane = self._plane_in(slot)
        if plane is not None:
            self.focus(plane.name)

    def _step_slot(self, slot: str, delta: int) -> None:
        plane = self._plane_in(slot)
        if plane is not None and self.state is not None:
            self.state.step(plane.name, delta)

    def _jump_slot(self, slot: str, where: str) -> None:
        plane = self._plane_in(slot)
        if plane is not None and self.state is not None:
            self.state.set_slice(plane.name, 0 if where == "first" else self.state.n_slices(plane.name) - 1)

    def _cursor_dragged(self, slot: str, row: int, col: int) -> None:
        plane = self._plane_in(slot)
        if plane is None or self.state is None:
            return
        self.state.set_cursor(plane_to_voxel(plane, self.state.slice_of(plane.name), row, col, self.state.shape))

    def _toggle_maximized(self, slot: str) -> None:
        if self.state is None or len(self._plane_of) == 1:
            return
        self._activated(slot)
        self.window.set_layout("1x1" if self.state.layout != "1x1" else self._unmaximized)

    # ============================================================ updating
    def _changed(self, change) -> None:
        st = self.state
        if change.focus:
            self._set_focus_slot(self._slot_of[st.focus])
        if change.layout:
            self._place(st.layout)
            self._stale |= set(self._plane_of)  # newly shown views may hold an old slice
        for name in self._plane_of:
            if self._plane_of[name].axis in change.axes:
                self._stale.add(name)
        # the slices' images are gathered on a worker while the window updates its panels
        pending = self._draw_visible(finish=False)
        try:
            if change.focus or change.layout:
                self._highlight()
            self.window._views_changed(change)
        finally:
            self._finish_images(pending)
        if change.focus:
            self.focusChanged.emit(st.focus)
        if change.layout:
            self.layoutChanged.emit(st.layout)
        if change.axes:
            self.cursorMoved.emit(st.cursor)

    def _draw_visible(self, finish: bool = True) -> list:
        """Redraw the stale views on screen; with ``finish`` False, return their images still being gathered."""
        if self.state is None:
            return []
        pending = [self._begin_redraw(name) for name in self.state.visible_planes() if name in self._stale]
        self._update_crosshairs()
        if finish:
            self._finish_images(pending)
            return []
        return pending

    def redraw(self, plane_name: str) -> None:
        """Image, overlay and caption of one view's current slice."""
        self._finish_images([self._begin_redraw(plane_name)])

    def _finish_images(self, pending) -> None:
        """Hand each view its gathered image (:meth:`_begin_redraw`), keeping copies for revisits."""
        for plane_name, index, gather in pending:
            image = gather.result()
            if gather.copied:
                self.image_cache.put((plane_name, int(index)), image)
            if self.state is not None and self.state.slice_of(plane_name) == index:  # not moved on meanwhile
                self.view_of(plane_name).set_image(image, self.window.levels)

    def _begin_redraw(self, plane_name: str):
        """Overlay and caption of a view's current slice; its image is begun (see :mod:`.image_gather`)."""
        s = self.window.session
        plane = self._plane_of[plane_name]
        view = self.view_of(plane_name)
        index = self.state.slice_of(plane_name)
        image, g, p = s.planes_of(plane, index)
        cached = None if image is None else self.image_cache.get((plane_name, int(index)))
        gather = image_gather.Gather(cached) if cached is not None else image_gather.start(image)
        self._draw_overlay(plane_name, index, g, p, self._cache_key(plane_name, index))
        view.set_caption(self.caption(plane, index))
        self._stale.discard(plane_name)
        previous = self._shown_index.get(plane_name)
        self._shown_index[plane_name] = index
        if plane_name == self.state.focus and previous is not None and previous != index:
            step = 1 if index > previous else -1
            # with self as context: dropped if the views go before the timer fires
            QtCore.QTimer.singleShot(0, self, lambda: self._prefetch(s, plane_name, index + step))
        return plane_name, index, gather

    def _prefetch(self, session, plane_name: str, index: int) -> None:
        """Gather and code the slice a scroll reaches next while the window is idle, into the caches."""
        if self.state is None or self.window.session is not session or self.state.focus != plane_name:
            return
        plane = self._plane_of[plane_name]
        if not 0 <= index < session.n_slices(plane):
            return
        key = self._cache_key(plane_name, index)
        image, g, p = session.planes_of(plane, index)
        self._contiguous_image(plane_name, index, image)
        if self.codes_cache.get(key) is None:
            self.codes_cache.put(key, *self.slice_codes(plane_name, index, g, p))

    def redraw_all(self) -> None:
        """Every view (overlay settings, levels or the masks changed everywhere)."""
        if self.state is None:
            return
        self.codes_cache.clear()
        self._stale = set(self._plane_of)
        self._draw_visible()

    def redraw_overlays(self) -> None:
        """The overlay of every visible view (new overlay settings); hidden ones become stale."""
        if self.state is None:
            return
        s = self.window.session
        visible = self.state.visible_planes()
        for name, plane in self._plane_of.items():
            if name not in visible:
                self._stale.add(name)
                continue
            index = self.state.slice_of(name)
            _, g, p = s.planes_of(plane, index)
            self._draw_overlay(name, index, g, p, self._cache_key(name, index))

    def _draw_overlay(self, plane_name: str, index: int, g, p, key=None) -> None:
        """Show a slice's overlay; ``key`` (:meth:`_cache_key`): take its codes from, or keep them in, the cache."""
        codes, content = (None, None) if key is None else self.codes_cache.entry(key)
        if codes is None:
            codes, content = self.slice_codes(plane_name, index, g, p)
            if key is not None:
                self.codes_cache.put(key, codes, content)
        self._show_overlay(self.view_of(plane_name), codes, content)

    def _show_overlay(self, view: SliceView, codes, content) -> None:
        view.overlay_item.setVisible(self.window.overlay_panel.is_shown())
        view.set_overlay(codes, self.window._lut() if codes is not None else None, content=content)

    def slice_codes(self, plane_name: str, index: int, g, p):
        """``(codes, content)``: a whole slice's overlay codes, reading the masks only where either is nonzero.

        See :mod:`.slice_codes`; ``content`` is the rectangle ``(r0, r1, c0,
        c1)`` outside which every code is background (None: anywhere), so the
        overlay recolours and paints only it.
        """
        return slice_codes.whole_slice_codes(self._codes_maker(), g, p, self._content(plane_name, index))

    def _content(self, plane_name: str, index: int):
        """The rectangle of a slice that the masks' foreground box covers (None: unknown, the whole slice)."""
        box = self.window.session.foreground_box()
        if box is None:
            return None
        return screen_region(self._plane_of[plane_name], index, box, self.state.shape) or (0, 0, 0, 0)

    def _contiguous_image(self, plane_name: str, index: int, image):
        """The slice's image in C order, its strided gather (3 ms at 512², C-order CT) kept for revisits.

        Images never change while a case is open; only slices that need a
        copy are kept.
        """
        if image is None or image.flags.c_contiguous:
            return image
        key = (plane_name, int(index))
        copy = self.image_cache.get(key)
        if copy is None:
            copy = gather_slice(image)
            self.image_cache.put(key, copy)
        return copy

    def _cache_key(self, plane_name: str, index: int):
        """What a slice's overlay codes depend on besides the masks: the slice and what the overlay shows."""
        panel = self.window.overlay_panel
        return plane_name, int(index), panel.current_kind(), repr(panel.current_focus()), panel.current_label()

    def overlay_codes(self, g, p, region=None):
        """Overlay codes of one slice's masks as the overlay panel asks (TP/FP/FN or labels)."""
        return self._codes_maker()(g, p, region)

    def _codes_maker(self):
        panel = self.window.overlay_panel
        return slice_codes.codes_maker(panel.current_kind(), panel.current_focus(), panel.current_label(),
                                       self.window.session.is_label_map)

    def masks_changed(self, box=None, skip: str | None = None) -> None:
        """Repaint what an edit inside ``box`` (view-order slices) changed, in every view but ``skip``.

        Without a box every other view's overlay is redrawn.
        """
        if self.state is None:
            return
        self.codes_cache.clear()
        visible = self.state.visible_planes()
        for name, plane in self._plane_of.items():
            if name == skip:
                continue
            if name not in visible:
                self._stale.add(name)
                continue
            index = self.state.slice_of(name)
            region = None if box is None else screen_region(plane, index, box, self.state.shape)
            if box is not None and region is None:
                continue  # the edit does not cross this view's slice
            self.repaint_region(name, region)

    def repaint_region(self, plane_name: str, region=None):
        """Recompute a view's overlay codes in ``region`` (r0, r1, c0, c1) grown by a pixel; None: all."""
        s = self.window.session
        plane = self._plane_of[plane_name]
        view = self.view_of(plane_name)
        # The masks changed; the view's codes are changed in place below.
        self.codes_cache.clear()
        index = self.state.slice_of(plane_name)
        _, g, p = s.planes_of(plane, index)
        if region is None or view.overlay_item.codes is None:
            self._draw_overlay(plane_name, index, g, p)
            return view.overlay_item.codes
        # Pixels next to a changed one can gain or lose their outline bit:
        # the rectangle to redraw is the changed one grown by a pixel.
        rows, cols = g.shape if g is not None else p.shape
        r0, r1 = max(int(region[0]) - 1, 0), min(int(region[1]) + 1, rows)
        c0, c1 = max(int(region[2]) - 1, 0), min(int(region[3]) + 1, cols)
        codes = self.overlay_codes(g, p, region=(r0, r1, c0, c1))
        view.update_overlay_region(r0, c0, codes)
        return view.overlay_item.codes

    def set_levels(self, lo: float, hi: float) -> None:
        for view in self.views.values():
            if view.image_item.image is not None:
                view.image_item.setLevels((lo, hi))

    def set_window_caption(self, text: str) -> None:
        for view in self.views.values():
            view.set_window_caption(text)

    def caption(self, plane, index: int) -> str:
        s = self.window.session
        if s.grid.is_2d:
            return "2-D image"
        ijk = [0, 0, 0]
        ijk[plane.axis] = index
        pos = s.grid.to_mm(ijk)[plane.axis]
        n = s.n_slices(plane)
        return f"{plane.title}  {index} / {n - 1}   {SLICE_AXIS_LETTER[plane.name]} {pos:.1f} {s.length_unit}"

    def _update_crosshairs(self) -> None:
        st = self.state
        for slot, hair in self.crosshairs.items():
            if self.frames[slot].isHidden():
                continue  # set when a layout shows it: a slice change in 1×1 moves one crosshair, not three
            plane = self._plane_in(slot) if st is not None else None
            if plane is None or len(self._plane_of) == 1 or not self.show_crosshair:
                hair.set_visible(False)
                continue
            _, row, col = voxel_to_plane(plane, st.cursor, st.shape)
            hair.set_pixel(row, col)
            hair.set_visible(True)

    # ============================================================== layout
    @property
    def _unmaximized(self) -> str:
        return getattr(self, "_last_multi_layout", "2x2")

    def _place(self, layout: str) -> None:
        """Put the panes of ``layout`` in the grid; hide the others."""
        if layout != "1x1":
            self._last_multi_layout = layout
        while self.grid.count():
            self.grid.takeAt(0)
        for frame in (*self.frames.values(), self.pane_3d):
            frame.setVisible(False)
        single = self.state is not None and len(self._plane_of) == 1
        for i in range(3):
            self.grid.setRowStretch(i, 0)
            self.grid.setColumnStretch(i, 0)
        if layout == "1x1" or single:
            frames = [(self.frames[self._focus_slot], 0, 0)]
        elif layout == "1x3":
            frames = [(self.frames[name], 0, i) for i, name in enumerate(ROW_1X3)]
        else:
            frames = [(self.frames[name], r, c) for name, (r, c) in GRID_2X2.items()]
            frames.append((self.pane_3d, 1, 1))
        for frame, r, c in frames:
            self.grid.addWidget(frame, r, c)
            self.grid.setRowStretch(r, 1)
            self.grid.setColumnStretch(c, 1)
            frame.setVisible(True)

    def _set_focus_slot(self, slot: str) -> None:
        old = self._focus_slot
        if slot == old:
            return
        self._focus_slot = slot
        self.views[old].set_tool_caption(None)  # the tool acts on the focused view: its caption goes there
        self._move_focus_items(self.views[old], self.views[slot])
        if self.state is not None and self.state.layout == "1x1":
            self._place("1x1")

    def _move_focus_items(self, old: SliceView, new: SliceView) -> None:
        """Markers that panels put in the focused view follow the focus (see the module notes)."""
        own = {id(old.image_item), id(old.overlay_item)}
        # every item added to a ViewBox is a child of its childGroup (those added
        # with ignoreBounds are missing from its addedItems list)
        moving = [it for it in list(old.vb.childGroup.childItems())
                  if id(it) not in own and not self.crosshairs_own(it)]
        for item in moving:
            old.vb.removeItem(item)
            new.vb.addItem(item, ignoreBounds=True)

    def crosshairs_own(self, item) -> bool:
        return any(h.owns(item) for h in self.crosshairs.values())

    def _highlight(self) -> None:
        multi = self.state is not None and len(self._plane_of) > 1 and self.state.layout != "1x1"
        for slot, frame in self.frames.items():
            colour = _FOCUSED if multi and slot == self._focus_slot else _UNFOCUSED if multi else "transparent"
            frame.setStyleSheet(_FOCUS_STYLE % colour)
        self.pane_3d.setStyleSheet(_FOCUS_STYLE % _UNFOCUSED)

    def set_3d_widget(self, widget: QtWidgets.QWidget) -> None:
        """Put the 3-D view in the fourth pane."""
        self.pane_3d.layout().addWidget(widget)


def screen_region(plane, index: int, box, shape):
    """``(r0, r1, c0, c1)`` that a view-order box covers on slice ``index`` of ``plane``; None off the slice.

    Parameters
    ----------
    plane : dicegui.core.display.Plane
    index : int
        The slice the view shows.
    box : tuple of 3 slices
        View-order voxel box (``start``/``stop`` set).
    shape : tuple of 3 int
        View-order volume shape.
    """
    if not box[plane.axis].start <= index < box[plane.axis].stop:
        return None

    def span(axis, flip):
        a, b, n = box[axis].start, box[axis].stop, shape[axis]
        return (n - b, n - a) if flip else (a, b)

    r0, r1 = span(plane.row_axis, plane.row_flip)
    c0, c1 = span(plane.col_axis, plane.col_flip)
    return r0, r1, c0, c1


def cursor_pixel(plane, cursor, shape) -> tuple[int, int]:
    """(row, col) at which the cursor voxel is drawn in ``plane``."""
    _, row, col = voxel_to_plane(plane, cursor, shape)
    return row, col

