"""The teaching panel: formulas filled in with the live counts, the accuracy trap, probability maps,
the smooth term, the gradient view and the "hide the reference" exercise.

Every number is the core's: the formula lines are
:func:`dicegui.core.teaching.formulas` of the live counts of the window's
focus (the whole foreground, or one label), so they always agree with the
scores panel; the trap text is :func:`~dicegui.core.teaching.accuracy_trap`
and the preview of an empty prediction :func:`~dicegui.core.teaching.what_if_empty`.
"Empty the prediction" erases the prediction of the focus through the live
scores as one undoable step.
"""
from __future__ import annotations

import html

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ...core.demo import demo_note, toy_case
from ...core.dice_forms import dice_sets_formula, label_averaging
from ...core.edits import record_edit
from ...core.teaching import accuracy_trap, format_value, formulas, what_if_empty
from ..qa.edit_step import editor_history, push_edit, undo_last
from ..qa.view_tools import focus_title
from ..session import Session
from ..slice_view import SliceView
from .activation_tab import ActivationTab
from .exercise import HideReference
from .gradient_view import GradientTab
from .overlap_picture import OverlapPicture
from .probability_tab import ProbabilityTab
from .smooth_table import SmoothTable
from .toy_grid_tab import ToyGridTab

FORMULA_KEYS = ("dice", "dice_sets", "iou", "iou_from_dice", "accuracy")
_REFRESH_MS = 50
#: Pause of a toy grid drag after which the toy demo's picture is rebuilt from the grid.
_GRID_MS = 60


def _group(title: str) -> tuple[QtWidgets.QGroupBox, QtWidgets.QVBoxLayout]:
    box = QtWidgets.QGroupBox(title)
    layout = QtWidgets.QVBoxLayout(box)
    layout.setContentsMargins(6, 6, 6, 6)
    return box, layout


class TeachingPanel(QtWidgets.QWidget):
    """Formulas, accuracy trap, probability / smooth / gradient tabs and the exercise, for one window."""

    def __init__(self, window, docks_to_hide=lambda: (), parent=None):
        super().__init__(parent)
        self.window = window
        self.counts: dict | None = None
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(_REFRESH_MS)
        self._timer.timeout.connect(self.refresh)

        # formulas
        self.formula_box, fl = _group("Formulas with this case's counts")
        self.scope = QtWidgets.QLabel("")
        self.scope.setWordWrap(True)
        fl.addWidget(self.scope)
        self.formula_labels: dict[str, QtWidgets.QLabel] = {}
        mono = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        for key in FORMULA_KEYS:
            lab = QtWidgets.QLabel("")
            lab.setWordWrap(True)
            lab.setFont(mono)
            lab.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
            self.formula_labels[key] = lab
            fl.addWidget(lab)
            if key == "dice_sets":
                self.overlap_picture = OverlapPicture()
                fl.addWidget(self.overlap_picture)
        self.averaging_text = QtWidgets.QLabel("")
        self.averaging_text.setWordWrap(True)
        fl.addWidget(self.averaging_text)

        # accuracy trap
        self.trap_box, tl = _group("The accuracy trap")
        self.trap_text = QtWidgets.QLabel("")
        self.trap_text.setWordWrap(True)
        self.empty_button = QtWidgets.QPushButton("Empty the prediction")
        self.empty_button.setToolTip("Erase the prediction (of the focused label) as one undoable step, "
                                     "to see accuracy stay near 100 % while Dice drops to 0")
        self.undo_button = QtWidgets.QPushButton("Undo")
        self.undo_button.setToolTip("Undo the last step (Ctrl+Z in the editor)")
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.empty_button, 1)
        row.addWidget(self.undo_button)
        tl.addWidget(self.trap_text)
        tl.addLayout(row)
        self.empty_button.clicked.connect(self.empty_prediction)
        self.undo_button.clicked.connect(self._undo)

        # tabs
        self.tabs = QtWidgets.QTabWidget()
        self.probability = ProbabilityTab(window)
        self.smooth_table = SmoothTable()
        self.gradient = GradientTab(window)
        self.tabs.addTab(self.probability, "Probability map")
        self.tabs.addTab(self.smooth_table, "Smooth term")
        self.tabs.addTab(self.gradient, "Gradient view")
        self.activation = ActivationTab(window)
        self.tabs.addTab(self.activation, "Logits && softmax")
        self.toy_grid = ToyGridTab()  # needs no case: the lecture's four numbers
        self.tabs.addTab(self.toy_grid, "Toy grid")
        self.toy_grid.resized.connect(self._fit_presentation)
        self._following_grid = False  # a toy case rebuilt from the grid: not a new demo to reset the grid for
        self._grid_timer = QtCore.QTimer(self)
        self._grid_timer.setSingleShot(True)
        self._grid_timer.setInterval(_GRID_MS)
        self._grid_timer.timeout.connect(self.show_toy_grid_on_scan)
        self.toy_grid.changed.connect(self._toy_grid_changed)
        self.probability.smooth.currentIndexChanged.connect(
            lambda _i: self.smooth_table.highlight(self.probability.smooth.currentData()))
        self.smooth_table.highlight(self.probability.smooth.currentData())

        # exercise
        self.exercise = HideReference(window, docks_to_hide)
        self.exercise_box, el = _group("Exercise")
        self.hide_button = QtWidgets.QPushButton("Hide the reference")
        self.hide_button.setCheckable(True)
        self.hide_button.setToolTip("Hide the reference and every score; paint, then reveal them")
        self.exercise_text = QtWidgets.QLabel("Hide the reference, let a student paint the structure, then "
                                              "reveal the truth and the scores.")
        self.exercise_text.setWordWrap(True)
        el.addWidget(self.exercise_text)
        el.addWidget(self.hide_button)
        self.hide_button.toggled.connect(self._hide_toggled)
        self.exercise.changed.connect(self._exercise_changed)

        self.content = QtWidgets.QWidget()
        cl = QtWidgets.QVBoxLayout(self.content)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addWidget(self.formula_box)
        cl.addWidget(self.trap_box)
        cl.addWidget(self.tabs, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.content, 1)
        layout.addWidget(self.exercise_box)

        window.sessionChanged.connect(self.refresh)
        window.sessionChanged.connect(self._show_toy_grid_for_toy_demo)
        window.masksEdited.connect(self._timer.start)
        window.overlay_panel.changed.connect(self._timer.start)
        self.refresh()

    # ------------------------------------------------------------- refresh
    def refresh(self) -> None:
        """Fill every number in from the live counts."""
        self._timer.stop()
        w = self.window
        s = w.session
        if s is None or not s.has_scores:
            self.counts = None
            self.scope.setText("Open a case with a reference and a prediction to see the formulas filled in.")
            for lab in self.formula_labels.values():
                lab.setText("")
            self.averaging_text.setText("")
            self.trap_text.setText("")
            self.empty_button.setEnabled(False)
            self.probability.refresh()
            return
        counts = s.volume_scores(w.focus_label)
        self.counts = counts
        self.scope.setText(f"Counts of the whole volume, {html.escape(focus_title(w))}: "
                           f"TP {counts['tp']:,} · FP {counts['fp']:,} · FN {counts['fn']:,} · TN {counts['tn']:,}")
        for key, line in formulas(counts).items():
            self.formula_labels[key].setText(line)
        self.formula_labels["dice_sets"].setText(dice_sets_formula(counts))
        self.overlap_picture.set_counts(counts)
        self._update_averaging()
        self._update_trap(counts)
        self.probability.refresh()

    def _update_averaging(self) -> None:
        """Micro vs macro Dice of a label map, in words with its numbers (only for all foreground)."""
        s = self.window.session
        per = s.per_label()
        if per is None or self.window.focus_label is not None:
            self.averaging_text.setText("")
            return
        a = label_averaging(per, s.volume_scores(None), s.case.label_names)
        self.averaging_text.setText(html.escape(a["text"]))

    def _toy_grid_changed(self) -> None:
        s = self.window.session
        if s is not None and s.demo == "toy":
            self._grid_timer.start()

    def show_toy_grid_on_scan(self) -> bool:
        """Rebuild the toy demo's case from the Toy grid tab (image, prediction, reference); False if not needed.

        Only with the toy demo open, and only when the cells differ from the
        case (the smooth term and λ change no voxel). The grid is the source
        of the case: brush edits of the toy prediction give way to it.
        """
        self._grid_timer.stop()
        w = self.window
        s = w.session
        if s is None or s.demo != "toy":
            return False
        grid = self.toy_grid.grid
        case = s.case
        prob = np.asarray(case.pred_prob)[:, :, 0]
        target = np.asarray(case.gt_mask)[:, :, 0] != 0
        if np.array_equal(prob, grid.prob.astype(np.float32)) and np.array_equal(target, grid.target >= 0.5):
            return False
        history = editor_history(w)
        if history is not None:
            history.mark_discarded()  # the toy case is rebuilt, not edited: nothing to save or ask about
        new = toy_case(grid)
        new.warnings.append(demo_note("toy", new))
        self._following_grid = True
        try:
            w.set_session(Session(new, paths={}, demo="toy"))
        finally:
            self._following_grid = False
        return True

    def _show_toy_grid_for_toy_demo(self) -> None:
        s = self.window.session
        self._hide_scale_bars(s is not None and s.demo == "toy")
        if self._following_grid:
            return  # the case was rebuilt from the grid: the grid stays as the lecturer set it
        if s is not None and s.demo == "toy":
            self.toy_grid.reset()
            self.tabs.setCurrentWidget(self.toy_grid)
            qa = getattr(self.window, "qa", None)
            if qa is not None:
                qa.show_panel("teaching")
            # the worked formulas are the point of this demo: scroll them into view once laid out
            QtCore.QTimer.singleShot(0, self._scroll_to_toy_formulas)

    def _hide_scale_bars(self, hide: bool) -> None:
        """The toy grid has no size: a "1 mm" scale bar on it would invent one."""
        for view in self.window.findChildren(SliceView):
            if view.scale_bar is not None:
                view.scale_bar.setVisible(not hide)

    def _fit_presentation(self) -> None:
        """Presentation mode widens its docks to fit: eight 20-point columns may need more room."""
        mode = getattr(self.window, "presentation", None)
        if mode is None or not mode.on:
            return
        # the layouts between the new cells and this panel learn of them only through posted events:
        # ask them now, or the dock is fitted to the old grid
        widget = self.toy_grid
        while widget is not None:
            widget.updateGeometry()  # its size in the layout holding it is asked again
            if widget.layout() is not None:
                widget.layout().invalidate()
            if widget is self:
                break
            widget = widget.parentWidget()
        mode.fit_docks()

    def _scroll_to_toy_formulas(self) -> None:
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QtWidgets.QScrollArea):
            parent = parent.parentWidget()
        if parent is not None:
            parent.ensureWidgetVisible(self.toy_grid.formula_box, 0, 0)

    def _update_trap(self, counts: dict) -> None:
        trap = accuracy_trap(counts)
        empty = what_if_empty(counts)
        predicted = counts["tp"] + counts["fp"]
        if trap is not None:
            text = f"<b>{html.escape(trap)}</b>"
        else:
            text = (f"Now: accuracy {format_value(counts['accuracy'])}, Dice {format_value(counts['dice'])}. "
                    f"An empty prediction would score accuracy {format_value(empty['accuracy'])} "
                    f"and Dice {format_value(empty['dice'])}: accuracy counts every background voxel "
                    "as a success, Dice does not.")
        self.trap_text.setText(text)
        label = self.window.focus_label
        what = "the prediction" if label is None else f"the prediction of {focus_title(self.window)}"
        self.empty_button.setText(f"Empty {what}" if predicted else "The prediction is empty")
        self.empty_button.setEnabled(predicted > 0)

    # -------------------------------------------------------------- actions
    def empty_prediction(self) -> bool:
        """Erase the prediction of the focus (one undoable step); False when it was already empty."""
        w = self.window
        s = w.session
        if s is None or not s.has_scores:
            return False
        label = w.focus_label
        where = np.nonzero(s.pred != 0 if label is None else s.pred == label)
        if where[0].size == 0:
            return False
        delta = record_edit(s.live, "pred", where, 0, scope="volume", axis=None, slice_index=None,
                            tool="erase", label=label)
        push_edit(w, delta, f"Empty the prediction ({focus_title(w)}, {where[0].size:,} voxels)")
        self.refresh()
        return True

    def _undo(self) -> None:
        undo_last(self.window)
        self.refresh()

    # ------------------------------------------------------------- exercise
    def _hide_toggled(self, on: bool) -> None:
        if on:
            self.exercise.hide()
        else:
            self.exercise.reveal()

    def _exercise_changed(self, hidden: bool) -> None:
        blocker = QtCore.QSignalBlocker(self.hide_button)
        self.hide_button.setChecked(hidden)
        del blocker
        self.content.setVisible(not hidden)
        self.gradient.setEnabled(not hidden)
        self.gradient.update_overlay()
        if hidden:
            self.hide_button.setText("Reveal the reference and the scores")
            self.exercise_text.setText("<b>The reference is hidden.</b> Paint the structure on the prediction, "
                                       "then reveal the truth and your scores.")
        else:
            self.hide_button.setText("Hide the reference")
            self.refresh()
            attempts = self.exercise.attempts
            if attempts:
                c = attempts[-1]
                text = (f"Revealed, attempt {len(attempts)}: Dice {format_value(c['dice'])}, "
                        f"IoU {format_value(c['iou'])} (TP {c['tp']:,}, FP {c['fp']:,}, FN {c['fn']:,}).")
                if len(attempts) > 1:
                    text += " Earlier: " + ", ".join(f"{i + 1}: Dice {format_value(a['dice'])}"
                                                     for i, a in enumerate(attempts[:-1])) + "."
                self.exercise_text.setText(text)

    def flush(self) -> None:
        """Apply pending refreshes now (tests, screenshots)."""
        if self._timer.isActive():
            self.refresh()
        self.probability.flush()
        self.gradient.flush()
