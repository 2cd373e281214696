"""The View menu's layout, crosshair and window/level-drag actions of the main window.

Window/level by dragging (as in 3D Slicer and ITK-SNAP): while the W mode is
on, a left drag on any slice view changes the display window: rightwards
widens it, leftwards narrows it, downwards raises the level (darker), upwards
lowers it (brighter); a 256-pixel drag changes either by the window width at
the press. Choosing an editing tool leaves the mode, and the mode leaves the
tool, so a left drag never does two things.
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui

from .. import settings as app_settings
from .state import LAYOUT_TITLES, LAYOUTS

_DRAG_PIXELS = 256.0


def window_after_drag(start, dx: float, dy: float) -> tuple[float, float]:
    """(low, high) display levels after a drag of ``dx`` right and ``dy`` down pixels from ``start`` levels."""
    lo, hi = start
    width = max(hi - lo, 1e-6)
    step = width / _DRAG_PIXELS
    new_width = max(width + dx * step, width * 1e-3)
    level = (hi + lo) / 2.0 + dy * step
    return level - new_width / 2.0, level + new_width / 2.0


def layout_setting() -> str:
    """The layout remembered from the last session (``"2x2"`` the first time)."""
    value = str(app_settings.settings().value("view/layout", "2x2"))
    return value if value in LAYOUTS else "2x2"


class ViewActions(QtCore.QObject):
    """Layout (2×2, 1×3, 1×1, L cycles), crosshair (X) and window/level drag (W) actions."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self._start = None
        self.layout_group = QtGui.QActionGroup(self)
        self.act_layout = {}
        for key, title in LAYOUT_TITLES.items():
            act = window._action(key.replace("x", "×"), lambda _=False, k=key: self.set_layout(k), checkable=True,
                                 tip=f"Layout {title} (L cycles)")
            self.layout_group.addAction(act)
            self.act_layout[key] = act
        self.act_layout[layout_setting()].setChecked(True)
        self.act_next_layout = window._action("Next layout", self.next_layout, "L",
                                              tip="Cycle the layouts: 2×2, 1×3, 1×1 (L)")
        self.act_crosshair = window._action("Show crosshair", window.views.set_crosshair_visible, "X",
                                            checkable=True, tip="Show the cursor's crosshair in the slice views (X)")
        self.act_crosshair.setChecked(True)
        self.act_window_drag = window._action(
            "Window/level drag", self.set_window_drag, "W", checkable=True,
            tip="Left-drag on a view sets the window: right widens, up brightens (W)")
        for view in window.views.all_views():
            view.windowDragged.connect(self._dragged)

    layout_setting = staticmethod(layout_setting)

    def set_layout(self, layout: str) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
        app_settings.settings().setValue("view/layout", layout)
        self.window.views.set_layout(layout)
        self.act_layout[layout].setChecked(True)

    def next_layout(self) -> None:
        st = self.window.views.state
        if st is not None:
            self.set_layout(LAYOUTS[(LAYOUTS.index(st.layout) + 1) % len(LAYOUTS)])

    def set_window_drag(self, on: bool) -> None:
        """Turn the window/level drag mode on or off (an editing tool is put down first)."""
        editor = getattr(self.window, "editor", None)
        if on and editor is not None and editor.tool is not None:
            editor.set_tool(None)
        self.window.views.set_drag_mode("window" if on else "cursor")
        if self.act_window_drag.isChecked() != bool(on):
            self.act_window_drag.setChecked(bool(on))

    def tool_chosen(self, name) -> None:
        """An editing tool was picked: leave the window/level mode."""
        if name and self.act_window_drag.isChecked():
            self.set_window_drag(False)

    def _dragged(self, dx: float, dy: float, phase: str) -> None:
        if phase == "start":
            self._start = self.window.levels
            return
        if self._start is None:
            return
        self.window.window_level.hist.setLevels(*window_after_drag(self._start, dx, dy))
        if phase == "finish":
            self._start = None
