"""Adds the issue-6 panels to the main window: per-slice Dice, error regions, HD marker, teaching, cohort.

Docks: "Per-slice Dice" under the slice view; "Errors" (region navigator and
HD marker) and "Teaching" as tabs beside "Scores" on the right. A "Review"
menu holds the cohort worklist, the error-region steps (N / Shift+N) and the
exercise; View ▸ Panels toggles the docks.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from PySide6 import QtCore, QtGui, QtWidgets

from ..cohort.cohort_window import NEXT_KEYS, PREVIOUS_KEYS, CohortWindow
from ..teaching.teaching_panel import TeachingPanel
from .hd_marker import HdMarker
from .region_navigator import RegionNavigator
from .slice_dice_plot import SliceDiceController, SliceDicePlot

#: Names accepted by :meth:`QaPanels.show_panel` (and ``dicegui --panel``).
PANELS = ("navigator", "teaching", "cohort", "slice-dice")


class CohortController(QtCore.QObject):
    """The cohort window of a main window, made when first needed."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.cohort_window: CohortWindow | None = None

    def ensure(self) -> CohortWindow:
        if self.cohort_window is None:
            cw = CohortWindow(self.window)
            cw.dialogs_enabled = self.window.dialogs_enabled
            self.cohort_window = cw
        return self.cohort_window

    def show(self) -> CohortWindow:
        cw = self.ensure()
        cw.show()
        cw.raise_()
        cw.activateWindow()
        return cw

    def open_csv_dialog(self) -> None:
        self.show().open_csv_dialog()

    def open_dirs_dialog(self) -> None:
        self.show().open_dirs_dialog()

    def step(self, offset: int) -> bool:
        cw = self.cohort_window
        if cw is None or cw.cohort is None:
            self.window.statusBar().showMessage("No cohort open: Review ▸ Open cohort table…", 4000)
            return False
        return cw.step_case(offset)


class _CloseWatcher(QtCore.QObject):
    """Stops the panels' workers when the window closes."""

    def __init__(self, panels):
        super().__init__(panels.window)
        self.panels = panels

    def eventFilter(self, obj, ev) -> bool:
        if ev.type() == QtCore.QEvent.Type.Close:
            # after the window's own closeEvent, which may refuse (unsaved edits)
            QtCore.QTimer.singleShot(0, self, self._after_close)
        return False

    def _after_close(self) -> None:
        if not self.panels.window.isVisible():
            self.panels.shutdown()


@dataclass
class QaPanels:
    """What :func:`install_qa_panels` added to a window."""

    window: object
    slice_plot: SliceDicePlot
    slice_controller: SliceDiceController
    navigator: RegionNavigator
    hd_marker: HdMarker
    teaching: TeachingPanel
    cohort: CohortController
    docks: dict = field(default_factory=dict)
    actions: dict = field(default_factory=dict)
    #: The per-slice Dice dock was hidden because a 2-D image opened: show it again for a volume.
    slice_dock_hidden_for_2d: bool = False

    def show_panel(self, name: str) -> None:
        """Bring a panel to the front: ``navigator``, ``teaching``, ``cohort`` or ``slice-dice``."""
        if name not in PANELS:
            raise ValueError(f"unknown panel {name!r}; choose one of: {', '.join(PANELS)}")
        if name == "navigator":
            self.docks["errors"].show()
            self.docks["errors"].raise_()
        elif name == "teaching":
            self.docks["teaching"].show()
            self.docks["teaching"].raise_()
        elif name == "slice-dice":
            if self._flat():
                self.window.statusBar().showMessage("A 2-D image has one slice: no per-slice Dice to plot", 4000)
            else:
                self.docks["slice_dice"].show()
        else:
            self.cohort.show()

    def wait(self, msecs: int = 30000) -> None:
        """Finish pending refreshes and worker results (tests, screenshots)."""
        self.slice_controller.flush()
        self.navigator.wait(msecs)
        self.hd_marker.wait(msecs)
        self.teaching.flush()
        if self.cohort.cohort_window is not None:
            self.cohort.cohort_window.wait(msecs)
        QtWidgets.QApplication.processEvents()

    def shutdown(self) -> None:
        self.navigator.cancel()
        self.hd_marker.cancel()
        if self.cohort.cohort_window is not None:
            self.cohort.cohort_window.close()

    def _flat(self) -> bool:
        s = self.window.session
        return s is not None and s.grid.is_2d

    def _session_changed(self) -> None:
        """Units of the scale bar; no per-slice plot for a 2-D image (one point, nothing to step through)."""
        s = self.window.session
        self.window.view.set_length_unit(s.length_unit if s is not None else "mm")
        dock = self.docks["slice_dice"]
        flat = self._flat()
        dock.toggleViewAction().setEnabled(not flat)
        if flat and not dock.isHidden():
            self.slice_dock_hidden_for_2d = True
            dock.hide()
        elif not flat and self.slice_dock_hidden_for_2d:
            self.slice_dock_hidden_for_2d = False
            dock.show()

    def _exercise_changed(self, hidden: bool) -> None:
        if hidden:  # nothing drawn from the reference may stay on screen
            self.hd_marker.show_box.setChecked(False)
            self.navigator.current = None
            self.navigator.box_item.setVisible(False)
        for key in ("next_region", "previous_region", "fix_region"):
            self.actions[key].setEnabled(not hidden)


def _dock(window, title: str, name: str, widget, area) -> QtWidgets.QDockWidget:
    dock = QtWidgets.QDockWidget(title, window)
    dock.setObjectName(name)
    dock.setWidget(widget)
    dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable)
    window.addDockWidget(area, dock)
    return dock


def _action(window, text, slot, keys=(), tip=None) -> QtGui.QAction:
    act = QtGui.QAction(text, window)
    if keys:
        act.setShortcuts([QtGui.QKeySequence(k) for k in keys])
    if tip:
        act.setToolTip(tip)
        act.setStatusTip(tip)
    act.triggered.connect(slot)
    window.addAction(act)  # shortcuts work whichever widget has focus
    return act


def _menu(window, title: str) -> QtWidgets.QMenu | None:
    for act in window.menuBar().actions():
        if act.menu() is not None and act.text() == title:
            return act.menu()
    return None


def install_qa_panels(window) -> QaPanels:
    """Build the panels, docks, actions and menus of issue 6 into ``window``."""
    area = QtCore.Qt.DockWidgetArea
    # the bottom dock sits under the slice view only, between the side docks
    window.setCorner(QtCore.Qt.Corner.BottomLeftCorner, area.LeftDockWidgetArea)
    window.setCorner(QtCore.Qt.Corner.BottomRightCorner, area.RightDockWidgetArea)

    plot = SliceDicePlot()
    slice_dock = _dock(window, "Per-slice Dice", "slice_dice_dock", plot, area.BottomDockWidgetArea)
    controller = SliceDiceController(window, plot)

    navigator = RegionNavigator(window)
    marker = HdMarker(window)
    errors = QtWidgets.QWidget()
    el = QtWidgets.QVBoxLayout(errors)
    el.setContentsMargins(2, 2, 2, 2)
    nav_box = QtWidgets.QGroupBox("Error regions (connected FP / FN)")
    QtWidgets.QVBoxLayout(nav_box).addWidget(navigator)
    hd_box = QtWidgets.QGroupBox("Where the HD95 comes from")
    QtWidgets.QVBoxLayout(hd_box).addWidget(marker)
    el.addWidget(nav_box, 1)
    el.addWidget(hd_box)
    errors_dock = _dock(window, "Errors", "errors_dock", errors, area.RightDockWidgetArea)
    errors_dock.visibilityChanged.connect(navigator.panel_shown)  # big volumes are listed once looked at

    docks = {"slice_dice": slice_dock, "errors": errors_dock}
    teaching = TeachingPanel(window, docks_to_hide=lambda: (docks["slice_dice"], docks["errors"]))
    scroll = QtWidgets.QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(teaching)
    scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
    teaching_dock = _dock(window, "Teaching", "teaching_dock", scroll, area.RightDockWidgetArea)
    docks["teaching"] = teaching_dock
    window.tabifyDockWidget(window.right_dock, errors_dock)
    window.tabifyDockWidget(errors_dock, teaching_dock)
    window.right_dock.raise_()
    window.resizeDocks([slice_dock], [170], QtCore.Qt.Orientation.Vertical)

    cohort = CohortController(window)
    panels = QaPanels(window, plot, controller, navigator, marker, teaching, cohort, docks)
    acts = panels.actions
    acts["next_region"] = _action(window, "Next error region", navigator.next, ("N",),
                                  "Go to the next FP/FN region, most Dice to gain first (N)")
    acts["previous_region"] = _action(window, "Previous error region", navigator.previous, ("Shift+N",),
                                      "Go to the previous FP/FN region (Shift+N)")
    acts["fix_region"] = _action(window, "Fix the selected error region", navigator.fix_current, (),
                                 "Add the missed region to the prediction or delete the false one (undoable)")

    def show_errors():
        panels.show_panel("navigator")

    for key in ("next_region", "previous_region"):
        acts[key].triggered.connect(show_errors)
    acts["open_cohort_csv"] = _action(window, "Open cohort &table (CSV)…", cohort.open_csv_dialog, (),
                                      "Open the table written by dicegui score --out as a worklist")
    acts["open_cohort_dirs"] = _action(window, "Open cohort &folders…", cohort.open_dirs_dialog, (),
                                       "Pair and score two folders of masks as a worklist")
    acts["show_cohort"] = _action(window, "Cohort &worklist", cohort.show, ("Ctrl+Shift+L",),
                                  "Show the cohort worklist window")
    acts["next_case"] = _action(window, "&Next case", lambda: cohort.step(1), NEXT_KEYS,
                                "Open the next case of the cohort (Ctrl+→ or Alt+N)")
    acts["previous_case"] = _action(window, "&Previous case", lambda: cohort.step(-1), PREVIOUS_KEYS,
                                    "Open the previous case of the cohort (Ctrl+← or Alt+P)")
    acts["empty_prediction"] = _action(window, "Empty the prediction (accuracy trap)", teaching.empty_prediction,
                                       (), "Erase the prediction of the focus as one undoable step")
    acts["hide_reference"] = _action(window, "Hide the reference (exercise)",
                                     lambda: teaching.hide_button.toggle(), (),
                                     "Hide the reference and the scores; toggle again to reveal")
    teaching.exercise.changed.connect(panels._exercise_changed)
    window.sessionChanged.connect(panels._session_changed)
    panels._session_changed()

    review = QtWidgets.QMenu("&Review", window)
    for key in ("open_cohort_csv", "open_cohort_dirs", "show_cohort", None, "next_case", "previous_case", None,
                "next_region", "previous_region", "fix_region", None, "empty_prediction", "hide_reference"):
        if key is None:
            review.addSeparator()
        else:
            review.addAction(acts[key])
    help_menu = _menu(window, "&Help")
    if help_menu is not None:
        window.menuBar().insertMenu(help_menu.menuAction(), review)
    else:
        window.menuBar().addMenu(review)
    view_menu = _menu(window, "&View")
    if view_menu is not None:
        panels_menu = view_menu.addMenu("&Panels")
        for dock in (slice_dock, errors_dock, teaching_dock):
            panels_menu.addAction(dock.toggleViewAction())
    from ..presentation import install_presentation_mode

    window.presentation = install_presentation_mode(window, lambda: (window.right_dock, teaching_dock), view_menu)

    window._qa_close_watcher = _CloseWatcher(panels)
    window.installEventFilter(window._qa_close_watcher)
    return panels
