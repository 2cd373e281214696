"""The main window: open a case, look at TP/FP/FN slice by slice, read the scores.

Layout (as in ITK-SNAP and 3D Slicer):

* centre: axial, coronal and sagittal views linked by one cursor, and the
  3-D error view, in a 2 × 2 layout (1 × 3 and 1 × 1 one key away: L);
  the slider below moves the focused view's slice;
* left dock: window/level (presets + histogram) and the overlay controls with
  the legend;
* right dock: the scores panel;
* status bar: voxel, RAS mm, intensity and mask values under the mouse.

The views, their cursor and their layout live in :mod:`dicegui.gui.views`
(a Qt-free :class:`~dicegui.gui.views.state.ViewState` and the widgets that
draw it); this window reads ``plane`` and ``index`` of the focused view, and
everything written for one view (tools, navigator, markers) acts on it.
"""
from __future__ import annotations

import sys
import traceback
from html import escape
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ..core import overlay as ov
from ..core.display import PLANES, Plane, plane_shape, plane_to_voxel, window_text
from . import settings as app_settings
from .dialogs import FILE_FILTER, DropRolesDialog, OpenCaseDialog, show_error
from .export import scores_report, write_scores
from .label_confusion_updater import LabelConfusionUpdater
from .overlay_panel import KIND_CONFUSION, KIND_GT_LABELS, KIND_PRED_LABELS, OverlayPanel
from .region_focus import focus_title
from .scores_panel import ScoresPanel
from .session import ROLE_TITLES, Session
from .slice_view import PAGE_STEP
from .surface_scores import SurfaceScores
from .vertical_scroll import VerticalScrollArea
from .window_level import WindowLevelPanel

APP_TITLE = "dicegui"
#: Size the window opens at when the screen has room (every panel shown whole on 1920 × 1080).
PREFERRED_SIZE = (1500, 1040)
#: Height a window manager's title bar and frame may add outside the window's own geometry.
FRAME_ALLOWANCE = 40
#: The banner wraps its text: narrower than its one-line width, so the views can be narrow too.
BANNER_MIN_WIDTH = 200


def initial_size(screen) -> QtCore.QSize:
    """:data:`PREFERRED_SIZE`, made smaller where ``screen``'s free area (less a title bar) is smaller."""
    wanted = QtCore.QSize(*PREFERRED_SIZE)
    if screen is None:
        return wanted
    room = screen.availableGeometry().size() - QtCore.QSize(0, FRAME_ALLOWANCE)
    return wanted.boundedTo(room)


class Shortcut(NamedTuple):
    """One row of Help ▸ Keyboard shortcuts.

    ``keys`` are window-action shortcuts (portable QKeySequence text; a test
    checks each is bound in the window); ``gesture`` is for what the slice
    view handles itself (wheel, arrows), which has no action to check.
    """

    section: str
    what: str
    keys: tuple[str, ...] = ()
    gesture: str = ""

    def key_text(self) -> str:
        return self.gesture or " / ".join(self.keys)


# The one list the help shows; the actions are made in this module, the
# editor (dicegui.gui.editor.controller) and the review panels (qa.wiring).
KEYBOARD_SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("Navigation", "next / previous slice", gesture="Wheel, ↑ / ↓, → / ←"),
    Shortcut("Navigation", f"{PAGE_STEP} slices forward / back", gesture="PgUp / PgDn"),
    Shortcut("Navigation", "first / last slice", gesture="Home / End"),
    Shortcut("Navigation", "focus the axial / coronal / sagittal view", ("1", "2", "3")),
    Shortcut("Navigation", "move the cursor (all views follow)", gesture="Left click / drag"),
    Shortcut("Navigation", "zoom", gesture="Ctrl+wheel, right-drag"),
    Shortcut("Navigation", "pan", gesture="Middle-drag"),
    Shortcut("Navigation", "next layout: 2×2, 1×3, 1×1", ("L",)),
    Shortcut("Navigation", "this view alone / all views", gesture="Double click"),
    Shortcut("Navigation", "show / hide the crosshair", ("X",)),
    Shortcut("Navigation", "window/level by dragging (toggle)", ("W",)),
    Shortcut("Navigation", "reset the view (fit the slice)", ("R",)),
    Shortcut("Navigation", "zoom every view to the masks (small structures)", ("Z",)),
    Shortcut("Overlay", "show / hide the overlay", ("S",)),
    Shortcut("Overlay", "outline / filled overlay", ("O",)),
    Shortcut("Overlay", "less / more opaque", ("A", "D")),
    Shortcut("Editing", "brush / eraser / fill tool", ("B", "E", "F")),
    Shortcut("Editing", "navigate: no tool (cancels a stroke)", ("Esc",)),
    Shortcut("Editing", "smaller / larger brush", ("[", "]")),
    Shortcut("Editing", "brush size", gesture="Shift+wheel"),
    Shortcut("Editing", "pick the label under the mouse (eyedropper; Ctrl+click with a paint tool)", ("I",)),
    Shortcut("Editing", "undo the last edit", ("Ctrl+Z",)),
    Shortcut("Editing", "redo", ("Ctrl+Shift+Z", "Ctrl+Y")),
    Shortcut("Editing", "interpolate the active label between painted slices", ("Ctrl+I",)),
    Shortcut("Editing", "save every edited mask (a corrected copy)", ("Ctrl+S",)),
    Shortcut("Editing", "save the mask being edited as…", ("Ctrl+Shift+S",)),
    Shortcut("Review", "next / previous error region (FP/FN)", ("N", "Shift+N")),
    Shortcut("Review", "next cohort case", ("Ctrl+Right", "Alt+N")),
    Shortcut("Review", "previous cohort case", ("Ctrl+Left", "Alt+P")),
    Shortcut("Review", "cohort worklist", ("Ctrl+Shift+L",)),
    Shortcut("File", "open a case", ("Ctrl+O",)),
    Shortcut("File", "export the scores (CSV/JSON)", ("Ctrl+E",)),
    Shortcut("File", "export the view as PNG", ("Ctrl+Shift+E",)),
    Shortcut("View", "presentation mode: large text, teaching panels only (toggle)", ("F5",)),
    Shortcut("Help", "this list of keys", ("F1",)),
)


def shortcuts_html(rows=KEYBOARD_SHORTCUTS) -> str:
    """The shortcut table as HTML, one heading per section."""
    parts, section = [], None
    for row in rows:
        if row.section != section:
            if section is not None:
                parts.append("</table>")
            section = row.section
            parts.append(f"<p><b>{escape(section)}</b></p><table cellspacing='2'>")
        parts.append(f"<tr><td><tt>{escape(row.key_text())}</tt>&nbsp;&nbsp;</td><td>{escape(row.what)}</td></tr>")
    parts.append("</table>")
    return "".join(parts)


class MainWindow(QtWidgets.QMainWindow):
    """The dicegui main window.

    Signals
    -------
    sliceChanged(str, int)
        Plane name and slice index after every slice or plane change.
    sessionChanged()
        A case was opened.
    masksEdited()
        A mask was edited (emitted by :meth:`masks_changed`).
    """

    sliceChanged = QtCore.Signal(str, int)
    sessionChanged = QtCore.Signal()
    masksEdited = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        from .heap import return_freed_memory_promptly

        return_freed_memory_promptly()  # big cases: freed volume temporaries leave the process
        self.session: Session | None = None
        self.levels = (0.0, 1.0)
        self.dialogs_enabled = True  # --screenshot reports errors on stderr instead
        self.last_error: str | None = None
        self._lut_cache = None
        self._focus = None
        self._loading = False

        self.setWindowTitle(APP_TITLE)
        self.setAcceptDrops(True)
        self._build_central()
        self._build_docks()
        self.views.install_error_view()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status()
        self.surface = SurfaceScores(self)
        self.runner = self.surface.runner
        self._setup_structure_scores()
        self.label_confusion = LabelConfusionUpdater(self)  # confusion box and label-set note
        self._set_enabled(False)
        self._setup_qa_panels()
        self._setup_editor()
        self._scroll_tall_docks()
        self._setup_recovery()
        app_settings.show_setting_problems(self.statusBar())  # a hand-edited value fell back to its default
        self.resize(initial_size(self.screen()))

    # =================================================================== UI
    def _build_central(self) -> None:
        from .views import LinkedViews
        from .views.key_router import KeyRouter

        self.views = LinkedViews(self)
        self.key_router = KeyRouter(self)
        QtWidgets.QApplication.instance().installEventFilter(self.key_router)
        self.banner = QtWidgets.QLabel("")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "QLabel { background: #fff4d6; color: #3a2a00; border: 1px solid #e0b84c; padding: 4px 8px; }"
        )
        self.banner.setVisible(False)
        self.banner.setMinimumWidth(BANNER_MIN_WIDTH)  # it wraps: its one-line width held the views 444 px wide
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setPageStep(PAGE_STEP)
        self.slider.setToolTip("Slice of the focused view (wheel, ↑/↓, PgUp/PgDn)")
        self.slice_label = QtWidgets.QLabel("")
        self.slice_label.setMinimumWidth(160)
        self.slice_label.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.slider, 1)
        row.addWidget(self.slice_label)
        central = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(central)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.banner)
        layout.addWidget(self.views.widget, 1)
        layout.addLayout(row)
        self.setCentralWidget(central)
        self.slider.valueChanged.connect(self.set_slice)

    @property
    def view(self):
        """The focused slice view (tools, markers and keys act on it)."""
        return self.views.focused_view

    @property
    def plane(self) -> Plane:
        """Plane of the focused view."""
        return self.views.focused_plane

    @property
    def index(self) -> int:
        """Slice shown by the focused view."""
        st = self.views.state
        return 0 if st is None else st.slice_of(st.focus)

    def _build_docks(self) -> None:
        self.window_level = WindowLevelPanel()
        self.window_level.attach(self.views.views["axial"].image_item)
        self.window_level.levelsChanged.connect(self._levels_changed)
        self.overlay_panel = OverlayPanel()
        self.overlay_panel.changed.connect(self._overlay_settings_changed)
        left = QtWidgets.QWidget()
        ll = QtWidgets.QVBoxLayout(left)
        ll.setContentsMargins(2, 2, 2, 2)
        ll.addWidget(self.overlay_panel)
        ll.addWidget(self.window_level, 1)
        self.left_dock = QtWidgets.QDockWidget("Display", self)
        self.left_dock.setObjectName("display_dock")
        self.left_dock.setWidget(VerticalScrollArea(left))
        self.left_dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, self.left_dock)

        self.scores = ScoresPanel()
        self.scores.labelActivated.connect(self._label_activated)
        self.scores.toleranceChanged.connect(lambda _v: self.request_surface())
        self.scores.recomputeRequested.connect(self.request_surface)
        self.right_dock = QtWidgets.QDockWidget("Scores", self)
        self.right_dock.setObjectName("scores_dock")
        self.right_dock.setWidget(VerticalScrollArea(self.scores))
        self.right_dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self.right_dock)
        self.resizeDocks([self.left_dock, self.right_dock], [290, 480], QtCore.Qt.Orientation.Horizontal)

    def _scroll_tall_docks(self) -> None:
        """The editing and error panels scroll too (the display and scores docks are built scrolling)."""
        from .vertical_scroll import scroll_dock_contents

        for dock in (self.editor.edit_dock, self.qa.docks["errors"]):
            scroll_dock_contents(dock)

    def showEvent(self, ev: QtGui.QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(ev)
        if not getattr(self, "_docks_placed", False):
            self._docks_placed = True
            # the editing panel whole when there is room (the display panel below scrolls first);
            # before the first show the dock layout has no height to split and forgets the sizes
            edit = self.editor.edit_dock
            self.resizeDocks([edit], [edit.sizeHint().height()], QtCore.Qt.Orientation.Vertical)

    def _action(self, text, slot=None, shortcut=None, checkable=False, tip=None) -> QtGui.QAction:
        act = QtGui.QAction(text, self)
        if shortcut:
            act.setShortcut(QtGui.QKeySequence(shortcut))
        act.setCheckable(checkable)
        if tip:
            act.setToolTip(tip)
            act.setStatusTip(tip)
        if slot is not None:
            act.triggered.connect(slot)
        self.addAction(act)  # shortcuts work whichever widget has focus
        return act

    def _build_actions(self) -> None:
        self.act_open = self._action("&Open case…", self.open_case_dialog, QtGui.QKeySequence.StandardKey.Open,
                                     tip="Open an image with its reference and prediction masks")
        self.act_open_role = {
            role: self._action(f"Open {ROLE_TITLES[role].lower()}…",
                               lambda _=False, r=role: self.open_role_dialog(r))
            for role in ("image", "gt", "pred")
        }
        self.act_export_scores = self._action("Export &scores (CSV/JSON)…", lambda: self.export_scores(),
                                              "Ctrl+E")
        self.act_export_png = self._action("Export view as &PNG…", lambda: self.export_view_png(), "Ctrl+Shift+E")
        self.act_quit = self._action("&Quit", self.close, QtGui.QKeySequence.StandardKey.Quit)
        self.plane_group = QtGui.QActionGroup(self)
        self.act_plane = {}
        for key, name in zip("123", PLANES):
            act = self._action(PLANES[name].title, lambda _=False, n=name: self.set_plane(n), key, checkable=True,
                               tip=f"{PLANES[name].title} plane ({key})")
            self.plane_group.addAction(act)
            self.act_plane[name] = act
        self.act_reset = self._action("&Reset view", lambda: self.view.reset_zoom(), "R",
                                      tip="Fit the slice in the focused view (R)")
        self.act_zoom_masks = self._action("&Zoom to the masks", lambda: self.zoom_to_masks(), "Z",
                                           tip="Fit every view to the masks with some context around them (Z)")
        from .views.view_actions import ViewActions

        self.view_actions = ViewActions(self)
        self.act_layout = self.view_actions.act_layout
        self.act_next_layout = self.view_actions.act_next_layout
        self.act_crosshair = self.view_actions.act_crosshair
        self.act_window_drag = self.view_actions.act_window_drag
        self.act_toggle_overlay = self._action("Show overlay", None, "S", checkable=True,
                                               tip="Show or hide the overlay (S)")
        self.act_toggle_overlay.setChecked(True)
        self.act_toggle_overlay.toggled.connect(self.overlay_panel.shown.setChecked)
        self.overlay_panel.shown.toggled.connect(self.act_toggle_overlay.setChecked)
        self.act_outline = self._action("Outline", None, "O", checkable=True, tip="Outline / fill (O)")
        self.act_outline.toggled.connect(lambda on: (self.overlay_panel.mode_outline if on
                                                     else self.overlay_panel.mode_fill).setChecked(True))
        self.overlay_panel.mode_outline.toggled.connect(self.act_outline.setChecked)
        self.act_opacity_down = self._action("Less opaque", lambda: self.overlay_panel.nudge_opacity(-10), "A")
        self.act_opacity_up = self._action("More opaque", lambda: self.overlay_panel.nudge_opacity(10), "D")
        self.act_shortcuts = self._action("&Keyboard shortcuts", self.show_shortcuts, "F1",
                                          tip="Every key and mouse gesture (F1)")
        self.act_about = self._action("&About dicegui", self._about)
        self.act_about_demo = self._action("About the &demo data", self._about_demo)

    def _build_menus(self) -> None:
        from ..core.demo import DEMOS

        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.act_open)
        for act in self.act_open_role.values():
            file_menu.addAction(act)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        demo_menu = file_menu.addMenu("Open &demo")
        for name, demo in DEMOS.items():
            demo_menu.addAction(demo.title, lambda n=name: self.open_demo(n))
        file_menu.addSeparator()
        file_menu.addAction(self.act_export_scores)
        file_menu.addAction(self.act_export_png)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        view_menu = bar.addMenu("&View")
        for act in self.act_plane.values():
            view_menu.addAction(act)
        view_menu.addSeparator()
        layout_menu = view_menu.addMenu("&Layout")
        for act in self.act_layout.values():
            layout_menu.addAction(act)
        layout_menu.addAction(self.act_next_layout)
        view_menu.addAction(self.act_crosshair)
        view_menu.addAction(self.act_window_drag)
        view_menu.addSeparator()
        view_menu.addAction(self.act_reset)
        view_menu.addAction(self.act_zoom_masks)
        view_menu.addAction(self.act_toggle_overlay)
        view_menu.addAction(self.act_outline)
        view_menu.addAction(self.act_opacity_down)
        view_menu.addAction(self.act_opacity_up)
        wl_menu = view_menu.addMenu("&Window preset")
        for i in range(self.window_level.preset.count()):
            name = self.window_level.preset.itemText(i)
            if name != "Custom":
                wl_menu.addAction(name, lambda n=name: self.window_level.choose(n))
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.act_shortcuts)
        help_menu.addAction(self.act_about)
        help_menu.addAction(self.act_about_demo)

    def _build_toolbar(self) -> None:
        tb = self.addToolBar("Main")
        tb.setObjectName("main_toolbar")
        tb.setMovable(False)
        tb.addAction(self.act_open)
        tb.addSeparator()
        for act in self.act_plane.values():
            tb.addAction(act)
        tb.addSeparator()
        for act in self.act_layout.values():
            tb.addAction(act)
        tb.addAction(self.act_window_drag)
        tb.addSeparator()
        tb.addAction(self.act_toggle_overlay)
        tb.addAction(self.act_outline)
        tb.addAction(self.act_reset)
        tb.addSeparator()
        tb.addAction(self.act_export_scores)
        tb.addAction(self.act_export_png)

    def _build_status(self) -> None:
        self.cursor_label = QtWidgets.QLabel("")
        self.cursor_label.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
        self.statusBar().addWidget(self.cursor_label, 1)

    def _set_enabled(self, on: bool) -> None:
        for act in (self.act_export_scores, self.act_export_png, self.act_reset, self.act_zoom_masks,
                    *self.act_plane.values(),
                    *self.act_layout.values(), self.act_next_layout, self.act_window_drag):
            act.setEnabled(on)
        self.slider.setEnabled(on)

    # ============================================================== opening
    def _report_error(self, title: str, text: str) -> None:
        self.last_error = text
        print(f"dicegui: {text}", file=sys.stderr)
        if self.dialogs_enabled:
            show_error(self, title, text)

    def open_paths(self, paths: dict, *, remember: bool = True, read: dict | None = None) -> bool:
        """Open a case from files: ``{"image"|"gt"|"pred": path}``; False (and a dialog) on error.

        ``read`` holds :func:`~dicegui.core.io.opening.open_case` keywords
        (``sigmoid``, ``channels``); without them a prediction of logits or
        channels is opened after asking how.
        """
        from ..core.io import LoadError

        paths = {r: Path(p) for r, p in paths.items() if p}
        if not paths:
            self._report_error("Nothing to open", "Choose at least one file: an image, a reference or a prediction.")
            return False
        if not self.editor.confirm_discard("open another case"):
            return False
        QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
        try:
            case = self._open_asking(paths, read or {})
            if case is None:
                QtWidgets.QApplication.restoreOverrideCursor()
                self.statusBar().showMessage("Not opened: the prediction's values need an activation", 8000)
                return False
            session = Session(case, paths=paths)
        except (LoadError, ValueError, OSError, MemoryError) as exc:
            QtWidgets.QApplication.restoreOverrideCursor()
            self._report_error("Could not open the case", self._describe_failure(exc, paths))
            return False
        except Exception as exc:  # never let a bad file take the window down
            traceback.print_exc()
            QtWidgets.QApplication.restoreOverrideCursor()
            self._report_error("Could not open the case", self._describe_failure(exc, paths))
            return False
        QtWidgets.QApplication.restoreOverrideCursor()
        self.set_session(session)
        if remember:
            app_settings.add_recent_case(paths)
        return True

    def _open_asking(self, paths: dict, read: dict):
        """open_case, asking how to read a prediction of logits or channels (None: the user cancelled)."""
        from ..core.io.errors import ActivationNeeded, file_label
        from ..core.io.opening import open_case
        from . import activation_dialog

        try:
            return open_case(image=paths.get("image"), gt=paths.get("gt"), pred=paths.get("pred"), **read)
        except ActivationNeeded as exc:
            pred = paths.get("pred")
            if read == {"sigmoid": True} and exc.kind != "logits" and pred is not None:
                # --sigmoid given for a map of channels: a sigmoid per channel, as the question's answer
                return open_case(image=paths.get("image"), gt=paths.get("gt"), pred=pred, channels="sigmoid")
            if read or pred is None or exc.name != file_label(pred) or not self.dialogs_enabled:
                raise
            QtWidgets.QApplication.restoreOverrideCursor()
            answer = activation_dialog.ask_activation(self, exc)
            if answer is None:
                return None
            QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
            return open_case(image=paths.get("image"), gt=paths.get("gt"), pred=pred, **answer)

    @staticmethod
    def _describe_failure(exc: Exception, paths: dict) -> str:
        from ..core.io import LoadError

        text = str(exc) or type(exc).__name__
        if isinstance(exc, LoadError):
            return text  # the IO layer's message already names the file and the problem
        named = any(p.name in text for p in paths.values())
        if named:
            return text
        files = ", ".join(f"{ROLE_TITLES[r].lower()} {p}" for r, p in paths.items())
        return f"{files}: {text}"

    def open_demo(self, name: str) -> bool:
        """Open a shipped demo (``totalseg``, ``accuracy-trap``)."""
        from ..core.demo import DEMO_FILES, DEMO_DIR, build_demo

        if not self.editor.confirm_discard("open another case"):
            return False
        try:
            case = build_demo(name)
            if name == "totalseg":
                paths = {r: DEMO_DIR / f for r, f in DEMO_FILES.items()}
            elif name == "toy":
                paths = {}  # built in memory, no file at all
            else:
                paths = {"image": DEMO_DIR / DEMO_FILES["image"]}
            session = Session(case, paths=paths, demo=name)
        except Exception as exc:
            if not isinstance(exc, (ValueError, OSError)):
                traceback.print_exc()
            self._report_error("Could not open the demo", f"demo {name!r}: {exc}")
            return False
        self.set_session(session)
        return True

    def open_case_dialog(self) -> None:
        current = self.session.paths if self.session is not None and not self.session.demo else {}
        dlg = OpenCaseDialog(current, self)
        if dlg.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            self.open_paths(dlg.paths())

    def open_role_dialog(self, role: str) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, f"Open {ROLE_TITLES[role].lower()}", "", FILE_FILTER)
        if path:
            self.open_with_role(role, path)

    def open_with_role(self, role: str, path) -> bool:
        """Replace one file of the current case (the other roles keep their files)."""
        current = dict(self.session.paths) if self.session is not None else {}
        current[role] = Path(path)
        return self.open_paths(current)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        items = app_settings.recent_cases()
        if not items:
            act = self.recent_menu.addAction("(none)")
            act.setEnabled(False)
            return
        for entry in items:
            text = " · ".join(Path(entry[r]).name for r in ("image", "gt", "pred") if r in entry)
            act = self.recent_menu.addAction(text, lambda e=entry: self.open_paths(e))
            act.setToolTip("\n".join(f"{ROLE_TITLES[r]}: {p}" for r, p in entry.items()))
        self.recent_menu.addSeparator()
        self.recent_menu.addAction("Clear list", app_settings.clear_recent_cases)

    # ---------------------------------------------------------- drag & drop
    def dragEnterEvent(self, ev: QtGui.QDragEnterEvent) -> None:
        if ev.mimeData().hasUrls() and any(u.isLocalFile() for u in ev.mimeData().urls()):
            ev.acceptProposedAction()
        else:
            ev.ignore()

    def dropEvent(self, ev: QtGui.QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in ev.mimeData().urls() if u.isLocalFile()]
        if paths:
            ev.acceptProposedAction()
            # Let the drag finish before a modal dialog opens.
            QtCore.QTimer.singleShot(0, lambda: self.open_dropped(paths))

    def open_dropped(self, paths) -> bool:
        """Ask which role each dropped file plays, then open the case."""
        dlg = DropRolesDialog(paths, self)
        if dlg.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return False
        roles = dlg.roles()
        if not roles:
            return False
        current = dict(self.session.paths) if self.session is not None else {}
        return self.open_paths({**current, **roles})

    # ============================================================== session
    def set_session(self, session: Session) -> None:
        """Show a newly opened case."""
        self.surface.reset()
        self._loading = True
        self.session = session
        self._lut_cache = None
        names = session.case.label_names
        kinds = []
        if session.gt is not None and session.pred is not None:
            kinds.append(KIND_CONFUSION)
        if session.gt is not None:
            kinds.append(KIND_GT_LABELS)
        if session.pred is not None:
            kinds.append(KIND_PRED_LABELS)
        self.overlay_panel.set_case(session.labels, names, session.is_label_map, kinds, session.case.label_colors)
        self.window_level.set_volume(session.sample, *session.histogram, session.window_preset, session.window)
        self.levels = self.window_level.current_levels()
        self.window_level.setVisible(session.image is not None)  # masks only: nothing to window
        self.scores.set_size_unit(session.size_unit)
        self._set_enabled(True)
        for act in (*self.act_plane.values(), *self.act_layout.values(), self.act_next_layout):
            act.setEnabled(not session.grid.is_2d)  # a 2-D image has one plane
        # one slice: a slider with nothing to slide and "slice 0 / 0" only take room
        self.slider.setVisible(not session.grid.is_2d)
        self.slice_label.setVisible(not session.grid.is_2d)
        notes = list(session.case.warnings)
        self.banner.setText("\n".join(notes))
        self.banner.setVisible(bool(notes))
        # Qt adds " — dicegui" (the application display name) itself
        self.setWindowTitle(session.title())
        self._focus = None
        self._loading = False
        self._update_volume_scores()
        self.views.set_session(session, self.view_actions.layout_setting())
        self._views_changed(None)
        self.request_surface()
        self.sessionChanged.emit()

    # =========================================================== navigation
    def set_plane(self, name: str, force: bool = False) -> None:
        """Give the view of a plane the focus (``axial``, ``coronal``, ``sagittal``; ``image`` for 2-D)."""
        s = self.session
        if s is None:
            return
        plane = PLANES.get(name) if not s.grid.is_2d else s.planes[0]
        if plane is None:
            raise ValueError(f"unknown plane {name!r}")
        self.views.focus(plane.name)

    def set_slice(self, index: int) -> None:
        """Show slice ``index`` in the focused view (clamped to the volume)."""
        if self.session is not None:
            self.views.set_slice(int(index))

    def zoom_to_masks(self) -> bool:
        """Fit every view to both masks' foreground with some context (False: no mask to zoom onto)."""
        from .views.zoom_to_masks import zoom_to_masks

        if self.session is None or not zoom_to_masks(self.views):
            self.statusBar().showMessage("Nothing to zoom onto: both masks are empty or not open", 4000)
            return False
        return True

    def step(self, delta: int) -> None:
        self.set_slice(self.index + int(delta))

    def set_layout(self, layout: str) -> None:
        """``"2x2"``, ``"1x3"`` or ``"1x1"``; remembered for the next start."""
        self.view_actions.set_layout(layout)

    def _views_changed(self, change) -> None:
        """The views' cursor, focus or layout changed (or a case opened, ``change`` None)."""
        st = self.views.state
        if st is None:
            return
        if change is None or change.layout:
            self.act_layout[st.layout].setChecked(True)
        plane = self.plane
        if plane.name in self.act_plane:
            self.act_plane[plane.name].setChecked(True)
        n = self.session.n_slices(plane)
        if self.slider.maximum() != n - 1 or self.slider.value() != self.index:
            blocker = QtCore.QSignalBlocker(self.slider)
            self.slider.setRange(0, n - 1)
            self.slider.setValue(self.index)
            del blocker
        self.slice_label.setText(f"slice {self.index:>4} / {n - 1}")
        self._update_slice_scores()
        if change is None or change.focus or plane.axis in change.axes:
            self.sliceChanged.emit(plane.name, self.index)
        view = self.view
        if view.hovered_pixel is not None:  # the voxel under a still mouse changed
            self._hovered(view.hovered_pixel, plane)

    def _jump(self, where: str) -> None:
        if self.session is not None:
            self.set_slice(0 if where == "first" else self.session.n_slices(self.plane) - 1)

    # ============================================================== drawing
    def _redraw(self) -> None:
        """Every view's image, overlay and caption, and the slice scores."""
        self.views.redraw_all()
        self._update_slice_scores()

    def _lut(self) -> np.ndarray:
        if self._lut_cache is None:
            panel = self.overlay_panel
            kind = panel.current_kind()
            if kind == KIND_CONFUSION:
                # one label's TP/FP/FN follow that label's show / opacity in the label list
                opacity = panel.current_opacity() * panel.label_factor(panel.current_label())
                self._lut_cache = ov.confusion_lut(opacity, panel.current_mode(), panel.visible_classes())
            else:
                focus = panel.current_focus()
                shown = None if focus is None else list(getattr(focus, "labels", [focus]))  # a region: its labels
                self._lut_cache = ov.label_lut(self.session.max_label, panel.current_opacity(),
                                               panel.current_mode(), shown,
                                               palette=self.label_palette(), label_alpha=panel.label_alpha())
        return self._lut_cache

    def label_palette(self) -> np.ndarray:
        n = self.session.max_label + 1 if self.session else 2
        cached = getattr(self, "_palette_cache", None)
        if cached is None or len(cached) != n or getattr(self, "_palette_session", None) is not self.session:
            colors = self.session.case.label_colors if self.session else None
            cached = self._palette_cache = ov.label_palette(n, colors)  # cached: 0.5 ms per dab otherwise
            self._palette_session = self.session
        return cached

    def _redraw_overlay(self) -> None:
        """The overlay of every view, after its settings or colour table changed."""
        self.views.redraw_overlays()

    def _overlay_settings_changed(self) -> None:
        if self.session is None or self._loading:
            return
        old_label = getattr(self, "_focus", None)
        self._lut_cache = None
        self._redraw_overlay()
        self._update_legend()
        label = self.focus  # a label or a region group
        if label != old_label:
            self._focus = label
            self._update_volume_scores()
            self._update_slice_scores()
            self.request_surface()

    def _levels_changed(self, lo: float, hi: float) -> None:
        self.levels = (lo, hi)
        self.views.set_levels(lo, hi)
        self.views.set_window_caption(window_text(lo, hi))

    # ================================================================ scores
    @property
    def focus_label(self) -> int | None:
        return self.overlay_panel.current_label()

    @property
    def focus(self):
        """The picked structure: None (foreground), a label or a region group (:mod:`.region_focus`)."""
        return self.overlay_panel.current_focus()

    def _update_volume_scores(self, changed=None) -> None:
        """Volume and per-label scores; ``changed``: the only labels a dab changed (None: any)."""
        s = self.session
        if not s.has_scores:
            if s.gt is None and s.pred is None:
                text = "No scores: open a reference and a prediction mask to score this image."
            else:
                missing, present = ("prediction", "reference") if s.pred is None else ("reference", "prediction")
                text = (f"No scores: the {missing} is missing. Load a {missing} to score this {present}; "
                        f"its label volumes are below, and brush, eraser and fill edit it.")
            self.scores.set_message(text)
            self.scores.set_overlap("volume", None)
            self.scores.set_overlap("slice", None)
            self.scores.set_per_label(None, {}, s.size_per_voxel)
            self.scores.surface_box.setVisible(False)
            self._update_label_volumes()
            return
        self.scores.set_label_volumes(None, {}, s.size_unit)
        self.scores.set_message("")
        self.scores.surface_box.setVisible(True)
        self.structures.count(changed)
        vol = self.structures.volume_scores(self.focus)
        self.scores.set_overlap("volume", vol, s.sizes(vol))
        self.scores.set_scope(focus_title(s, self.focus), self._slice_title())
        self.scores.set_per_label(s.per_label(), s.case.label_names, s.size_per_voxel, self.label_palette(),
                                  changed=changed)
        self.structures.show_table(changed)

    def _update_label_volumes(self) -> None:
        """The one open mask's label volumes (from MaskStore's counts: no pass over the volume)."""
        s = self.session
        volumes = s.label_volumes()
        if volumes is None:
            self.scores.set_label_volumes(None, {}, s.size_unit)
            return
        title = "prediction" if s.pred is not None else "reference"
        self.scores.set_label_volumes(volumes, s.case.label_names, s.size_unit, title, self.label_palette())

    def _slice_title(self) -> str:
        return "Slice" if self.session.grid.is_2d else f"{self.plane.title} {self.index}"

    def _update_slice_scores(self) -> None:
        s = self.session
        if not s.has_scores:
            self._update_legend()
            return
        sl = self.structures.slice_scores(self.plane, self.index, self.focus)
        self.scores.set_overlap("slice", sl, s.sizes(sl))
        self.scores.overlap.horizontalHeaderItem(1).setText(self._slice_title())
        self._update_legend(sl)

    def _update_legend(self, slice_scores=None) -> None:
        s = self.session
        if s is None or not s.has_scores:
            self.overlay_panel.set_counts(None, None)
            return
        label = self.focus
        if slice_scores is None:
            slice_scores = self.structures.slice_scores(self.plane, self.index, label)
        vol = self.structures.volume_scores(label)
        slice_counts = {k: slice_scores[k] for k in ("tp", "fp", "fn")}
        volume_counts = {k: vol[k] for k in ("tp", "fp", "fn")}
        mismatch = self.view.overlay_mismatch_count()  # kept up to date dab by dab
        if mismatch is not None and self.overlay_panel.current_kind() == KIND_CONFUSION:
            slice_counts["mismatch"] = mismatch
        updater = getattr(self, "label_confusion", None)  # absent while the window is being built
        swaps = updater.swapped_voxels() if updater is not None and label is None else None
        if swaps is not None:
            volume_counts["mismatch"] = swaps
        self.overlay_panel.set_counts(slice_counts, volume_counts)

    def masks_changed(self, region=None, box=None, labels=None) -> None:
        """Call after editing a mask through ``session.live``: refresh scores and every view's overlay.

        Parameters
        ----------
        region : tuple of int, optional
            ``(r0, r1, c0, c1)`` screen-pixel rectangle of the focused view's
            slice holding every changed pixel; only that rectangle (grown by
            one pixel for outlines) is recomputed and repainted. Default: the
            whole slice.
        box : tuple of 3 slices, optional
            View-order voxel box of the edit: the other views repaint what it
            covers on their slices (none when it misses them). Default: they
            redraw their whole overlay.
        labels : set of int, optional
            The only labels whose counts changed (a brush dab): only their
            per-label rows are rewritten. Default: every row.
        """
        if self.session is None or self.views.state is None:
            return
        self._update_volume_scores(labels)
        focus = self.views.state.focus
        if region is not None or box is None:
            self.views.repaint_region(focus, region)
            self.views.masks_changed(box, skip=focus)
        else:
            self.views.masks_changed(box)
        self._update_slice_scores()
        self.surface.masks_edited()
        self.masksEdited.emit()

    def _setup_structure_scores(self) -> None:
        """Region groups, per-structure NSD tolerances and per-label surface columns (issue 11)."""
        from .structure_scores import StructureScores

        self.structures = StructureScores(self)

    def _setup_qa_panels(self) -> None:
        """Per-slice Dice, error regions, HD marker, cohort worklist and teaching panel (issue 6)."""
        from .qa.wiring import install_qa_panels

        self.qa = install_qa_panels(self)

    def _setup_editor(self) -> None:
        """Brush, eraser, fill, undo history, saving (issue 5): all wired by the editor package."""
        from .editor import Editor

        self.editor = Editor(self)
        self.editor.tool_group.triggered.connect(lambda act: self.view_actions.tool_chosen(act.data()))

    def _setup_recovery(self) -> None:
        """Every edit journalled beside the settings; restore after a crash (issue 7)."""
        from .recovery import install_recovery

        self.recovery = install_recovery(self)

    # ------------------------------------------------------- surface worker
    def request_surface(self) -> None:
        """(Re)compute HD95/ASSD/NSD for the current focus now (cached values show at once)."""
        self.surface.recompute()

    @property
    def surface_result(self) -> dict | None:
        return self.surface.result

    def wait_for_workers(self, msecs: int = 30000) -> bool:
        """Block until background computations are done and their results shown."""
        done = self.surface.wait(msecs)
        done = self.structures.surfaces.wait(msecs) and done
        done = self.views.error_view.wait_for_mesh(msecs) and done
        QtWidgets.QApplication.processEvents()
        return done

    def _label_activated(self, label) -> None:
        """A per-label row was clicked: show that label's TP/FP/FN on its worst slice."""
        if self.overlay_panel.current_kind() != KIND_CONFUSION:
            self.overlay_panel.set_kind(KIND_CONFUSION)
        self.overlay_panel.select_label(label)
        self.set_slice(self.session.label_slice(self.plane, int(label)))

    # ================================================================ cursor
    def _hovered(self, pixel, plane=None) -> None:
        s = self.session
        plane = plane or self.plane
        st = self.views.state
        if s is None or pixel is None or st is None or plane.name not in st.planes:
            self.cursor_label.setText("")
            return
        rows, cols = plane_shape(plane, s.shape)
        if not (0 <= pixel[0] < rows and 0 <= pixel[1] < cols):
            # A pixel hovered in the previous plane can lie outside this one (found by the soak test).
            self.cursor_label.setText("")
            return
        ijk = plane_to_voxel(plane, st.slice_of(plane.name), *pixel, s.shape)
        self.cursor_label.setText(self.describe_voxel(ijk))

    def describe_voxel(self, ijk) -> str:
        """Status-bar text for a view-order voxel: file index, RAS mm, intensity, mask values."""
        s = self.session
        fi = s.grid.to_file_index(ijk)
        x, y, z = s.grid.to_mm(ijk)
        parts = [f"voxel [{fi[0]}, {fi[1]}, {fi[2]}]", f"RAS ({x:.1f}, {y:.1f}, {z:.1f}) mm"]
        if s.image is not None:
            v = s.image[ijk]
            parts.append(f"value {v:.4g}" if np.issubdtype(type(v), np.floating) else f"value {int(v)}")
        for title, arr in (("ref", s.gt), ("pred", s.pred)):
            if arr is not None:
                k = int(arr[ijk])
                name = s.label_name(k) if k and s.is_label_map else ""
                parts.append(f"{title} {k}{' ' + name if name else ''}")
        return "   ".join(parts)

    # ================================================================ export
    def _default_export_dir(self) -> str:
        if self.session and self.session.paths and not self.session.demo:
            return str(next(iter(self.session.paths.values())).parent)
        return str(Path.cwd())

    def current_report(self) -> dict | None:
        s = self.session
        if s is None:
            return None
        surface = None
        # a region group's distances are not the exported focus's (the report knows labels only)
        if self.surface_result is not None and self.surface_result["label"] == self.focus_label:
            surface = {**self.surface_result, "up_to_date": self.scores.surface_state == "current"}
        return scores_report(s, self.plane, self.index, self.focus_label, surface)

    def export_scores(self, path=None):
        """Write the scores as CSV or JSON (by extension); asks for a file when ``path`` is None."""
        if self.session is None:
            return None
        if path is None:
            path, _ = QtWidgets.QFileDialog.getSaveFileName(
                self, "Export scores", str(Path(self._default_export_dir()) / "scores.csv"),
                "CSV (*.csv);;JSON (*.json)")
            if not path:
                return None
        try:
            out = write_scores(path, self.current_report())
        except OSError as exc:
            self._report_error("Could not export the scores", f"{path}: {exc.strerror or exc}")
            return None
        self.statusBar().showMessage(f"Scores written to {out}", 5000)
        return out

    def export_view_png(self, path=None):
        """Save the views as shown (images, overlays, orientation letters, the layout) as PNG."""
        if self.session is None:
            return None
        if path is None:
            path, _ = QtWidgets.QFileDialog.getSaveFileName(
                self, "Export view", str(Path(self._default_export_dir()) / "view.png"), "PNG (*.png)")
            if not path:
                return None
        if not self.views.widget.grab().save(str(path), "PNG"):
            self._report_error("Could not export the view", f"{path}: the PNG could not be written")
            return None
        self.statusBar().showMessage(f"View saved to {path}", 5000)
        return Path(path)

    # ================================================================= help
    def _about(self) -> None:
        QtWidgets.QMessageBox.about(
            self, "About dicegui",
            "<b>dicegui</b>: look at segmentation masks the way a radiologist and a teacher would.<br>"
            "TP / FP / FN in Okabe–Ito colours, live overlap scores, surface distances.<br><br>"
            "Every key: Help ▸ Keyboard shortcuts (F1).")

    def show_shortcuts(self) -> None:
        """Help ▸ Keyboard shortcuts: the :data:`KEYBOARD_SHORTCUTS` table."""
        QtWidgets.QMessageBox.information(self, "Keyboard shortcuts", shortcuts_html())

    def _about_demo(self) -> None:
        from ..core.demo import DEMO_DIR, DEMOS

        text = "<br><br>".join(f"<b>{d.name}</b>: {d.description}" for d in DEMOS.values())
        QtWidgets.QMessageBox.information(
            self, "Demo data",
            f"{text}<br><br>Source: TotalSegmentator 2.18.0 (Apache-2.0; CT data CC BY 4.0). "
            f"Provenance and licences: {DEMO_DIR / 'PROVENANCE.md'}")

    # ================================================================ close
    def closeEvent(self, ev: QtGui.QCloseEvent) -> None:
        if not self.editor.confirm_discard("close"):
            ev.ignore()
            return
        self.recovery.shutdown()  # saved or discarded: nothing to recover
        self.surface.timer.stop()
        self.views.shutdown()
        self.runner.cancel()
        self.runner.wait(10000)
        super().closeEvent(ev)
