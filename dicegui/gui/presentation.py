"""Presentation mode (F5, View menu): a window a lecture hall can read.

The scores and the teaching panel stay and their text grows to
:data:`PRESENTATION_PT` points, formulas and numbers included (a style sheet
sets the size, so labels that chose a monospace font keep it and grow too);
the docks that do not teach (editing, display, errors, history, per-slice
Dice) are put away and the ones that stay widen until their large text
fits (up to :data:`MAX_DOCK_SHARE` of the window); overlay outlines (O) are drawn :data:`PRESENTATION_OUTLINE_PX`
screen pixels wide instead of one voxel. Toolbar, menus and the views' captions keep their size,
so the window still fits a projector's 1920 × 1080. Leaving the mode puts every dock back as
it was. The choice is remembered for the next windows.
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from . import settings as app_settings
from .slice_view import SliceView

#: Point size of all text in presentation mode: formulas readable from the back of a lecture hall.
PRESENTATION_PT = 20
#: Screen pixels of an overlay outline in presentation mode: a one-voxel line
#: is about one pixel with a whole slice in view, lost on a projector.
PRESENTATION_OUTLINE_PX = 3
#: Largest share of the window's width the teaching docks take to fit their large text.
MAX_DOCK_SHARE = 0.65


class PresentationMode(QtCore.QObject):
    """Turns presentation mode on and off for one window.

    Parameters
    ----------
    window : QMainWindow
    teaching_docks : callable
        Returns the docks that stay (the scores and the teaching panel).
    """

    def __init__(self, window, teaching_docks):
        super().__init__(window)
        self.window = window
        self._teaching_docks = teaching_docks
        self._saved = None  # ([(dock, style sheet)], [(dock, visible)], window state) while on
        self.action = QtGui.QAction("&Presentation mode", window)
        self.action.setCheckable(True)
        self.action.setShortcut(QtGui.QKeySequence("F5"))
        self.action.setToolTip("Large text for a projector; only the scores and the teaching panel stay (F5)")
        self.action.toggled.connect(self.set_on)
        window.addAction(self.action)
        window.installEventFilter(self)
        if hasattr(window, "sessionChanged"):
            window.sessionChanged.connect(self._case_changed)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if obj is self.window and event.type() == QtCore.QEvent.Type.Show and self.on:
            # entered before the window had its size (a remembered start): widths mean something now
            self._put_away_later_docks()
            QtCore.QTimer.singleShot(0, self, self.fit_docks)
        return False

    def _case_changed(self) -> None:
        self.apply_outline_width()  # views made since entering
        self._put_away_later_docks()
        if self.on:  # a new case writes longer formulas; the panels refresh first
            QtCore.QTimer.singleShot(0, self, self.fit_docks)

    def fit_docks(self) -> None:
        """Widen the teaching docks until their text fits (presentation mode on, window shown)."""
        if self.on and self.window.isVisible():
            self._widen([d for d in self._teaching_docks() if d.isVisible()])

    @property
    def on(self) -> bool:
        return self._saved is not None

    def set_on(self, on: bool) -> None:
        """Enter (``True``) or leave presentation mode, and remember the choice."""
        on = bool(on)
        if on != self.action.isChecked():
            self.action.setChecked(on)  # comes back here through toggled
            return
        if on == self.on:
            return
        w = self.window
        keep = self._kept()
        if on:
            docks = self._window_docks()
            # isHidden, not isVisible: on a remembered start the window is not shown yet
            self._saved = ([(d, d.styleSheet()) for d in keep], [(d, not d.isHidden()) for d in docks],
                           w.saveState())
            # the others go first: large text beside the editing panel would need more than a
            # 1280-pixel window, which then grows (and stays grown) past the screen
            for dock in docks:
                dock.setVisible(dock in keep)
            for dock in keep:  # the panels that teach, not the toolbar, menus or view captions
                dock.setStyleSheet(dock.styleSheet() + f"\nQWidget {{ font-size: {PRESENTATION_PT}pt; }}")
            self._follow_overlay_mode(True)
        else:
            self._follow_overlay_mode(False)
            sheets, docks, state = self._saved
            self._saved = None
            for dock, sheet in sheets:
                dock.setStyleSheet(sheet)
            for dock, visible in docks:
                dock.setVisible(visible)
            w.restoreState(state)  # the docks' widths as they were
        app_settings.set_presentation_mode(on)
        self.apply_outline_width()
        if on:
            self.fit_docks()

    def _kept(self) -> set:
        keep = set(self._teaching_docks())
        qa = getattr(self.window, "qa", None)
        if qa is not None and qa.teaching.exercise.hidden:
            keep.discard(self.window.right_dock)  # the scores would give the hidden reference away
        return keep

    def _window_docks(self) -> list:
        return [d for d in self.window.findChildren(QtWidgets.QDockWidget) if d.parent() is self.window]

    def _put_away_later_docks(self) -> None:
        """Hide docks made since entering (a remembered start enters before the editor adds its docks)."""
        if not self.on:
            return
        _sheets, docks, _state = self._saved
        known = {d for d, _ in docks}
        keep = self._kept()
        for dock in self._window_docks():
            if dock not in known and dock not in keep:
                docks.append((dock, not dock.isHidden()))  # shown again on leaving
                dock.setVisible(False)

    def _widen(self, docks) -> None:
        """Widen side docks until their widest content fits (20-point formulas do not wrap everywhere)."""
        w = self.window
        side = (QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        docks = [d for d in docks if w.dockWidgetArea(d) in side]
        if not docks:
            return
        need = max(_content_width(d) for d in docks)
        width = min(need, int(MAX_DOCK_SHARE * w.width()))
        if width > min(d.width() for d in docks):
            w.resizeDocks(docks, [width] * len(docks), QtCore.Qt.Orientation.Horizontal)

    def outline_width(self) -> int:
        """Screen pixels of an overlay outline now: wide in presentation mode with outlines on, else 1."""
        panel = getattr(self.window, "overlay_panel", None)
        outlines = panel is not None and panel.current_mode() == "outline"
        return PRESENTATION_OUTLINE_PX if self.on and outlines else 1

    def apply_outline_width(self) -> None:
        """Give every slice view of the window the current outline width (fills always stay as they are)."""
        width = self.outline_width()
        for view in self.window.findChildren(SliceView):
            view.overlay_item.set_outline_width(width)

    def _follow_overlay_mode(self, on: bool) -> None:
        # fill <-> outline (O) may change while presenting
        panel = getattr(self.window, "overlay_panel", None)
        if panel is None:
            return
        if on:
            panel.changed.connect(self.apply_outline_width)
        else:
            panel.changed.disconnect(self.apply_outline_width)


def _content_width(dock) -> int:
    """Screen pixels ``dock`` needs so its content shows without a horizontal scroll bar."""
    widget = dock.widget()
    need = widget.minimumSizeHint().width() if widget is not None else 0
    for area in dock.findChildren(QtWidgets.QScrollArea):
        inner = area.widget()
        if inner is not None:  # a scroll area asks for little itself: what it holds counts
            inner.ensurePolished()
            bar = area.verticalScrollBar().sizeHint().width()
            need = max(need, inner.minimumSizeHint().width() + bar + 2 * area.frameWidth())
    return need + 8  # the dock's own frame


def install_presentation_mode(window, teaching_docks, view_menu=None) -> PresentationMode:
    """Add presentation mode to ``window`` (and its View menu), on at once if it was left on."""
    mode = PresentationMode(window, teaching_docks)
    if view_menu is not None:
        view_menu.addSeparator()
        view_menu.addAction(mode.action)
    if app_settings.presentation_mode():
        mode.set_on(True)
    return mode
