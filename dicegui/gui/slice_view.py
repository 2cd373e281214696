"""The slice view: one screen plane with the image, the overlay and the orientation letters.

The widget only displays what it is given (a 2-D image, a code image and its
colour table) and reports what the user does (wheel and key steps, the pixel
under the cursor); the window decides what those mean. Scene units are
millimetres, so anisotropic voxels keep their true aspect.

Mouse and keys, as in clinical viewers (ITK-SNAP's crosshair mode):
wheel / ↑ ↓ ← → step slices, PgUp/PgDn step ten, Home/End first/last,
Ctrl+wheel or right-drag zooms, middle-drag pans, R resets the view; a
left click or drag moves the shared cursor (``cursorDragged``) unless a tool
takes the button; in window/level mode (``drag_mode = "window"``) a left
drag reports ``windowDragged`` instead. Any press first says ``activated``,
so the linked views give this view the focus before a tool acts on it.

Editing: an ``edit_handler`` (the editor, :mod:`dicegui.gui.editor`) may take
left-button presses, the drags that follow them and Shift+wheel. The view
hands it unclamped screen pixels (``(row, col)`` integers, possibly outside
the image so that a brush can be half off the edge) straight from the Qt
mouse events, without pyqtgraph's drag threshold or hover machinery in
between: the first dab lands where the button went down and every move
event of a drag reaches the brush.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ..core import overlay as ov
from ..core.display import gather_slice
from .overlay_item import OverlayItem

PAGE_STEP = 10
_WHEEL_UNIT = 120  # one notch of a standard mouse wheel, in eighths of a degree


def nice_length(mm: float) -> float:
    """The largest 1, 2 or 5 × 10ⁿ mm not above ``mm`` (at least 1 mm), for a scale bar."""
    if not mm > 1:
        return 1.0
    power = 10.0 ** math.floor(math.log10(mm))
    for step in (5.0, 2.0, 1.0):
        if step * power <= mm:
            return step * power
    return power


class SliceViewBox(pg.ViewBox):
    """A ViewBox where the wheel steps slices and Ctrl+wheel zooms."""

    sigWheelSteps = QtCore.Signal(int)

    def __init__(self):
        super().__init__(invertY=True, lockAspect=True, enableMenu=False)
        self._wheel_rest = 0
        # A tool (e.g. a brush) may take over left-button drags: called with
        # ("start" | "move" | "finish", QPointF in view mm); otherwise they pan.
        self.drag_handler = None

    def mouseDragEvent(self, ev, axis=None):
        if self.drag_handler is not None and ev.button() == QtCore.Qt.MouseButton.LeftButton:
            phase = "start" if ev.isStart() else "finish" if ev.isFinish() else "move"
            self.drag_handler(phase, self.mapSceneToView(ev.scenePos()))
            ev.accept()
            return
        super().mouseDragEvent(ev, axis)

    def wheelEvent(self, ev, axis=None):
        mods = ev.modifiers()
        if mods & QtCore.Qt.KeyboardModifier.ControlModifier:
            super().wheelEvent(ev, axis)
            return
        if mods & QtCore.Qt.KeyboardModifier.ShiftModifier:
            ev.ignore()  # left to tools (brush size)
            return
        # Touchpads send many small deltas: accumulate to whole notches.
        self._wheel_rest += ev.delta()
        steps = int(self._wheel_rest / _WHEEL_UNIT)
        if steps:
            self._wheel_rest -= steps * _WHEEL_UNIT
            self.sigWheelSteps.emit(steps)
        ev.accept()


def _corner_label(parent, align, size=11, bold=False) -> QtWidgets.QLabel:
    label = QtWidgets.QLabel(parent)
    label.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
    font = label.font()
    font.setPointSize(size)
    font.setBold(bold)
    label.setFont(font)
    label.setAlignment(align)
    label.setStyleSheet(
        "QLabel { color: #f0e442; background: rgba(0,0,0,110); padding: 1px 4px; border-radius: 3px; }"
    )
    return label


_PADDING: dict[tuple[str, str], int] = {}


def _padding(label: QtWidgets.QLabel) -> int:
    """Pixels a label adds to its text's width (the style sheet's padding and border; its contentsRect omits them)."""
    key = (label.styleSheet(), label.font().key())
    if key not in _PADDING:  # measured once: applying a style sheet costs about 0.4 ms
        probe = QtWidgets.QLabel("M")
        probe.setFont(label.font())
        probe.setStyleSheet(label.styleSheet())
        _PADDING[key] = probe.sizeHint().width() - probe.fontMetrics().horizontalAdvance("M")
    return _PADDING[key]


def fit_caption(text: str, metrics: QtGui.QFontMetrics, width: int) -> str:
    """``text`` as it fits ``width`` pixels: one line, else broken at its two-space gaps, a line still too long elided.

    A caption such as ``"Axial  136 / 154   S 136.0 mm"`` in a view of a
    1 × 3 layout (190 px) was cut mid-number by the view's edge; broken at
    its gaps each part stays whole, and only a part wider than the view on
    its own loses its end to "…".
    """
    if width <= 0 or metrics.horizontalAdvance(text) <= width:
        return text
    lines: list[str] = []
    for part in (p.strip() for p in re.split(r"\s{2,}", text)):
        if not part:
            continue
        if lines and metrics.horizontalAdvance(f"{lines[-1]}  {part}") <= width:
            lines[-1] = f"{lines[-1]}  {part}"
        else:
            lines.append(part)
    return "\n".join(metrics.elidedText(line, QtCore.Qt.TextElideMode.ElideRight, width) for line in lines)


class SliceView(pg.GraphicsView):
    """Image + overlay of one slice, with orientation letters and a slice caption.

    Signals
    -------
    stepRequested(int)
        Move this many slices (positive: towards higher indices).
    jumpRequested(str)
        ``"first"`` or ``"last"``.
    hovered(object)
        ``(row, col)`` integer pixel under the cursor, or ``None`` when outside.
    clicked(int, int)
        Left click on a pixel (row, col).
    activated()
        A mouse button went down on the view (before any tool sees it).
    cursorDragged(int, int)
        Left press or drag in navigation: move the cursor to pixel (row, col)
        (clamped into the image).
    windowDragged(float, float, str)
        Left drag in window/level mode: pixels moved right and down since the
        press, and ``"start"`` / ``"move"`` / ``"finish"``.
    maximizeRequested()
        Double click: show this view alone, or all views again.
    """

    stepRequested = QtCore.Signal(int)
    jumpRequested = QtCore.Signal(str)
    hovered = QtCore.Signal(object)
    clicked = QtCore.Signal(int, int)
    activated = QtCore.Signal()
    cursorDragged = QtCore.Signal(int, int)
    windowDragged = QtCore.Signal(float, float, str)
    maximizeRequested = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent, background="k")
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        self.setAcceptDrops(False)  # drops go to the main window
        self.vb = SliceViewBox()
        self.setCentralItem(self.vb)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.overlay_item = OverlayItem()
        self.overlay_item.setZValue(10)
        self.vb.addItem(self.image_item)
        self.vb.addItem(self.overlay_item)
        self.vb.sigWheelSteps.connect(self.stepRequested)
        self.vb.sigXRangeChanged.connect(self._fit_scale_bar)
        self.scene().sigMouseMoved.connect(self._mouse_moved)
        self.scene().sigMouseClicked.connect(self._mouse_clicked)
        self._shape: tuple[int, int] | None = None
        self._mismatch: int | None = None  # overlay_mismatch_count() of the codes shown
        self._tool_caption_shown = None  # (text, colour) of the tool caption
        self._pixel_mm = (1.0, 1.0)
        self._length_unit = "mm"
        self._last_hover = None
        self.scale_bar = None
        # Object with press(pixel, modifiers) -> bool, move(pixel), release(pixel),
        # hover(pos or None) and wheel(steps) -> bool; see the module notes.
        self.edit_handler = None
        self._editing = False
        # What a left drag does when no tool takes it: "cursor" or "window" (window/level).
        self.drag_mode = "cursor"
        self._dragging = None  # None, "cursor", or the press position of a window drag
        self._shift_wheel_rest = 0

        align = QtCore.Qt.AlignmentFlag
        self.edge_labels = {
            "top": _corner_label(self, align.AlignCenter, 13, True),
            "bottom": _corner_label(self, align.AlignCenter, 13, True),
            "left": _corner_label(self, align.AlignCenter, 13, True),
            "right": _corner_label(self, align.AlignCenter, 13, True),
        }
        self.caption = _corner_label(self, align.AlignLeft | align.AlignTop, 11, True)
        self.window_caption = _corner_label(self, align.AlignLeft | align.AlignBottom, 10)
        self.caption_text = self.window_caption_text = ""  # in full; the labels show what fits
        self.tool_caption = _corner_label(self, align.AlignRight | align.AlignTop, 11, True)
        self.tool_caption.setVisible(False)
        self.hint = QtWidgets.QLabel(self)
        self.hint.setAlignment(align.AlignCenter)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("QLabel { color: #bbbbbb; font-size: 15pt; }")
        self.hint.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.show_hint("Open a case: File ▸ Open case…, or drop an image and its masks here.")

    # ------------------------------------------------------------- geometry
    @property
    def pixel_mm(self) -> tuple[float, float]:
        return self._pixel_mm

    @property
    def image_shape(self) -> tuple[int, int] | None:
        return self._shape

    @property
    def hovered_pixel(self) -> tuple[int, int] | None:
        """(row, col) under the mouse cursor, or None."""
        return self._last_hover

    def set_geometry(self, rows: int, cols: int, row_mm: float, col_mm: float, edges=("", "", "", "")) -> None:
        """Size of the slice image in pixels and mm per pixel; fits the view when it changed."""
        changed = self._shape != (rows, cols) or self._pixel_mm != (row_mm, col_mm)
        if changed:
            # about a sixth of the slice's longer side, so it reads at the fitted zoom
            self._set_scale_bar(nice_length(max(cols * col_mm, rows * row_mm) / 6.0))
        self._shape = (int(rows), int(cols))
        self._pixel_mm = (float(row_mm), float(col_mm))
        transform = QtGui.QTransform.fromScale(float(col_mm), float(row_mm))
        self.image_item.setTransform(transform)
        self.overlay_item.set_pixel_size(row_mm, col_mm)
        for key, text in zip(("top", "bottom", "left", "right"), edges):
            self.edge_labels[key].setText(text)
            self.edge_labels[key].setVisible(bool(text))
        self._place_labels()
        if changed:
            self.reset_zoom()

    @property
    def length_unit(self) -> str:
        """``"mm"``, or ``"px"`` for images without a voxel size (scene units are then pixels)."""
        return self._length_unit

    def set_length_unit(self, unit: str) -> None:
        """Unit written on the scale bar (the scene is in mm, or in pixels when the file has no spacing)."""
        self._length_unit = str(unit)
        if self.scale_bar is not None:
            self._set_scale_bar(self.scale_bar.size)

    def _set_scale_bar(self, length_mm: float) -> None:
        if self.scale_bar is None:
            self.scale_bar = pg.ScaleBar(size=length_mm, width=4, brush=pg.mkBrush(240, 228, 66),
                                         suffix=self._length_unit, offset=(-24, -24))
            self.scale_bar.setParentItem(self.vb)
            self.scale_bar.setZValue(20)
        self.scale_bar.size = float(length_mm)
        self.scale_bar.text.setText(f"{length_mm:g} {self._length_unit}")
        self.scale_bar.updateBar()

    def _fit_scale_bar(self, *_) -> None:
        """Keep the scale bar about a sixth of the visible width: a zoom onto a lens showed a 50 mm bar wider than the view."""
        if self.scale_bar is None or self._shape is None:
            return
        x0, x1 = self.vb.viewRange()[0]
        length = nice_length((x1 - x0) / 6.0)
        if length != self.scale_bar.size:
            self._set_scale_bar(length)

    def reset_zoom(self) -> None:
        """Fit the whole slice in the view."""
        if self._shape is None:
            return
        rows, cols = self._shape
        self.vb.setRange(
            QtCore.QRectF(0, 0, cols * self._pixel_mm[1], rows * self._pixel_mm[0]), padding=0.02
        )

    def show_pixels(self, r0: float, r1: float, c0: float, c1: float) -> None:
        """Fit the pixel rectangle rows ``r0..r1``, columns ``c0..c1`` (edges, in pixels) in the view."""
        if self._shape is None:
            return
        row_mm, col_mm = self._pixel_mm
        self.vb.setRange(QtCore.QRectF(c0 * col_mm, r0 * row_mm, (c1 - c0) * col_mm, (r1 - r0) * row_mm),
                         padding=0.0)

    # -------------------------------------------------------------- content
    def show_hint(self, text: str | None) -> None:
        self.hint.setText(text or "")
        self.hint.setVisible(bool(text))
        self._place_labels()

    def set_image(self, image: np.ndarray | None, levels) -> None:
        """Show a 2-D intensity image (or black when there is none) with (low, high) levels."""
        if image is None:
            if self._shape is None:
                self.image_item.clear()
                return
            image = np.zeros(self._shape, dtype=np.uint8)
            levels = (0, 1)
        # pyqtgraph's level mapping iterates element by element over strided
        # input; one gather in memory order first is cheaper on CT-sized slices.
        self.image_item.setImage(gather_slice(image), autoLevels=False, levels=levels)

    def set_overlay(self, codes: np.ndarray | None, lut: np.ndarray | None = None, content=None) -> None:
        """Show a slice's overlay codes; ``content`` (r0, r1, c0, c1): no code outside is drawn (see OverlayItem)."""
        self._mismatch = None  # counted when first asked for
        if codes is None:
            self.overlay_item.clear()
        else:
            self.overlay_item.set_codes(codes, lut, content=content)

    def update_overlay_region(self, row0: int, col0: int, codes: np.ndarray) -> None:
        """Replace the overlay codes of one rectangle (a brush dab) and repaint only it.

        The slice's mismatch count follows the rectangle's change, so a dab
        never counts the whole slice (2.7 ms at 4096²).
        """
        if self._mismatch is not None:
            rows, cols = codes.shape
            old = self.overlay_item.codes[row0:row0 + rows, col0:col0 + cols]
            self._mismatch += ov.mismatch_count(codes) - ov.mismatch_count(old)
        self.overlay_item.update_region(row0, col0, codes)

    def overlay_mismatch_count(self) -> int | None:
        """Pixels of the shown overlay whose labels differ although both masks are foreground.

        :func:`dicegui.core.overlay.mismatch_count` of the codes on screen,
        kept up to date through :meth:`update_overlay_region`; None without
        an overlay.
        """
        codes = self.overlay_item.codes
        if codes is None:
            return None
        if self._mismatch is None:
            self._mismatch = ov.mismatch_count(self.overlay_item.content_codes())
        return self._mismatch

    def set_caption(self, text: str) -> None:
        """Top-left caption (plane, slice, position); shown broken or shortened when the view is narrow."""
        self.caption_text = text
        self._place_labels()

    def set_window_caption(self, text: str) -> None:
        """Bottom-left window/level caption; shown broken or shortened when the view is narrow."""
        self.window_caption_text = text
        self._place_labels()

    def _fit_label(self, label: QtWidgets.QLabel, text: str, width: int) -> None:
        label.setText(fit_caption(text, label.fontMetrics(), width - _padding(label)))
        label.adjustSize()

    def set_tool_caption(self, text: str | None, color: str = "#f0e442") -> None:
        """Top-right caption naming the active editing tool and target (hidden when empty)."""
        shown = (text or "", color)
        if self._tool_caption_shown == shown:
            return  # asked again on every slice change: a style sheet costs 0.4 ms to apply
        self._tool_caption_shown = shown
        self.tool_caption.setText(text or "")
        self.tool_caption.setStyleSheet(
            f"QLabel {{ color: {color}; background: rgba(0,0,0,150); padding: 2px 6px; border-radius: 3px; }}"
        )
        self.tool_caption.setVisible(bool(text))
        self.tool_caption.adjustSize()
        self._place_labels()

    # ------------------------------------------------------------- mapping
    def pixel_at(self, scene_pos) -> tuple[int, int] | None:
        """Image pixel (row, col) under a scene position, or None outside the image."""
        if self._shape is None:
            return None
        p = self.vb.mapSceneToView(scene_pos)
        row = math.floor(p.y() / self._pixel_mm[0])
        col = math.floor(p.x() / self._pixel_mm[1])
        if 0 <= row < self._shape[0] and 0 <= col < self._shape[1]:
            return row, col
        return None

    def scene_pos_of(self, row: float, col: float) -> QtCore.QPointF:
        """Scene position of the centre of pixel (row, col)."""
        return self.vb.mapViewToScene(
            QtCore.QPointF((col + 0.5) * self._pixel_mm[1], (row + 0.5) * self._pixel_mm[0])
        )

    def widget_pos_of(self, row: float, col: float) -> QtCore.QPoint:
        """Widget (viewport) position of the centre of pixel (row, col)."""
        return self.mapFromScene(self.scene_pos_of(row, col))

    def pixel_float(self, scene_pos) -> tuple[float, float]:
        """(row, col) in pixel units under a scene position (unclamped; pixel centres at +0.5)."""
        p = self.vb.mapSceneToView(scene_pos)
        return p.y() / self._pixel_mm[0], p.x() / self._pixel_mm[1]

    def _mouse_moved(self, scene_pos) -> None:
        pixel = self.pixel_at(scene_pos)
        if pixel != self._last_hover:
            self._last_hover = pixel
            self.hovered.emit(pixel)
        if self.edit_handler is not None and self._shape is not None:
            self.edit_handler.hover(self.pixel_float(scene_pos))

    # -------------------------------------------------------------- editing
    def _event_pixel(self, ev):
        """Scene position and unclamped integer (row, col) of a mouse event."""
        scene = self.mapToScene(ev.position().toPoint())
        row, col = self.pixel_float(scene)
        return scene, (math.floor(row), math.floor(col))

    def mousePressEvent(self, ev):
        self.activated.emit()
        handler = self.edit_handler
        left = ev.button() == QtCore.Qt.MouseButton.LeftButton
        if self._shape is not None and left and self.drag_mode == "window":
            self._dragging = ev.position()
            self.windowDragged.emit(0.0, 0.0, "start")
            ev.accept()
            return
        if (handler is not None and self._shape is not None and not self._editing and left):
            _, pixel = self._event_pixel(ev)
            if handler.press(pixel, ev.modifiers()):
                self._editing = True
                ev.accept()
                return
        if self._shape is not None and left and not ev.modifiers():
            self._dragging = "cursor"
            self._drag_cursor(ev)
            ev.accept()
            return
        super().mousePressEvent(ev)

    def _drag_cursor(self, ev) -> None:
        _, (row, col) = self._event_pixel(ev)
        rows, cols = self._shape
        self.cursorDragged.emit(min(max(row, 0), rows - 1), min(max(col, 0), cols - 1))

    def _window_drag(self, ev, phase: str) -> None:
        start = self._dragging
        d = ev.position() - start
        self.windowDragged.emit(float(d.x()), float(d.y()), phase)

    def mouseMoveEvent(self, ev):
        if self._editing:
            scene, pixel = self._event_pixel(ev)
            self.edit_handler.move(pixel)
            self._mouse_moved(scene)  # status bar and brush outline follow the hand
            ev.accept()
            return
        if self._dragging is not None:
            if self._dragging == "cursor":
                self._drag_cursor(ev)
            else:
                self._window_drag(ev, "move")
            self._mouse_moved(self.mapToScene(ev.position().toPoint()))
            ev.accept()
            return
        super().mouseMoveEvent(ev)

    def mouseReleaseEvent(self, ev):
        if self._editing and ev.button() == QtCore.Qt.MouseButton.LeftButton:
            self._editing = False
            _, pixel = self._event_pixel(ev)
            self.edit_handler.release(pixel)
            ev.accept()
            return
        if self._dragging is not None and ev.button() == QtCore.Qt.MouseButton.LeftButton:
            if self._dragging != "cursor":
                self._window_drag(ev, "finish")
            self._dragging = None
            ev.accept()
            return
        super().mouseReleaseEvent(ev)

    def mouseDoubleClickEvent(self, ev):
        if ev.button() == QtCore.Qt.MouseButton.LeftButton and (self.edit_handler is None
                                                                or not getattr(self.edit_handler, "tool", None)):
            self.maximizeRequested.emit()
            ev.accept()
            return
        super().mouseDoubleClickEvent(ev)

    @property
    def editing(self) -> bool:
        """A left-button drag is being handled by the edit handler."""
        return self._editing

    def end_editing(self) -> None:
        """Forget the current drag (the handler has already ended its stroke)."""
        self._editing = False

    def wheelEvent(self, ev):
        handler = self.edit_handler
        if handler is not None and ev.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier:
            # Some platforms turn Shift+wheel into a horizontal wheel.
            delta = ev.angleDelta().y() or ev.angleDelta().x()
            self._shift_wheel_rest += delta
            steps = int(self._shift_wheel_rest / _WHEEL_UNIT)
            if steps:
                self._shift_wheel_rest -= steps * _WHEEL_UNIT
                handler.wheel(steps)
            ev.accept()
            return
        super().wheelEvent(ev)

    def _mouse_clicked(self, ev) -> None:
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            pixel = self.pixel_at(ev.scenePos())
            if pixel is not None:
                self.clicked.emit(*pixel)

    def leaveEvent(self, ev):
        if self._last_hover is not None:
            self._last_hover = None
            self.hovered.emit(None)
        if self.edit_handler is not None:
            self.edit_handler.hover(None)
        super().leaveEvent(ev)

    # ----------------------------------------------------------------- keys
    def keyPressEvent(self, ev: QtGui.QKeyEvent) -> None:
        key = QtCore.Qt.Key
        steps = {
            key.Key_Up: 1, key.Key_Right: 1, key.Key_Down: -1, key.Key_Left: -1,
            key.Key_PageUp: PAGE_STEP, key.Key_PageDown: -PAGE_STEP,
        }
        if ev.key() in steps and not ev.modifiers() & QtCore.Qt.KeyboardModifier.ControlModifier:
            self.stepRequested.emit(steps[ev.key()])
            ev.accept()
        elif ev.key() == key.Key_Home:
            self.jumpRequested.emit("first")
            ev.accept()
        elif ev.key() == key.Key_End:
            self.jumpRequested.emit("last")
            ev.accept()
        else:
            super().keyPressEvent(ev)

    # --------------------------------------------------------------- layout
    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        self._place_labels()

    def _place_labels(self) -> None:
        if not hasattr(self, "hint"):  # pyqtgraph resizes during its own __init__
            return
        w, h = self.width(), self.height()
        m = 6
        for key, label in self.edge_labels.items():
            label.adjustSize()
            lw, lh = label.width(), label.height()
            pos = {
                "top": ((w - lw) // 2, m),
                "bottom": ((w - lw) // 2, h - lh - m),
                "left": (m, (h - lh) // 2),
                "right": (w - lw - m, (h - lh) // 2),
            }[key]
            label.move(*pos)
        self._fit_label(self.caption, self.caption_text, w - 2 * m)
        self.caption.move(m, m)
        top = self.edge_labels["top"]
        if top.text() and top.x() < self.caption.x() + self.caption.width() + 4:
            top.move(top.x(), self.caption.y() + self.caption.height() + 2)  # narrow view: below the caption
        self._fit_label(self.window_caption, self.window_caption_text, w - 2 * m)
        self.window_caption.move(m, h - self.window_caption.height() - m)
        bottom = self.edge_labels["bottom"]
        if bottom.text() and bottom.x() < self.window_caption.x() + self.window_caption.width() + 4:
            bottom.move(bottom.x(), self.window_caption.y() - bottom.height() - 2)  # narrow view: above it
        tc = self.tool_caption
        # a view of a 2 × 2 layout is narrow: the caption wraps rather than running off the left edge
        tc.setMaximumWidth(max(w - 2 * m, 40))
        # decided on the one-line width: a wrapped label's size hint is already narrow (it flipped back and forth)
        tc.setWordWrap(tc.fontMetrics().horizontalAdvance(tc.text()) + _padding(tc) > w - 2 * m)
        tc.adjustSize()
        tc.move(w - tc.width() - m, m)
        if top.text() and not top.isHidden() and tc.x() < top.x() + top.width() + 4:
            tc.move(tc.x(), top.y() + top.height() + 2)  # keep the orientation letter readable
        self.hint.setGeometry(40, 0, max(w - 80, 10), h)
