"""Probability maps in the teaching panel: a threshold slider, Dice/IoU against the threshold, soft scores.

Everything shown comes from :mod:`dicegui.core.threshold`: the curve is
:func:`~dicegui.core.threshold.threshold_curve` at 101 thresholds
(0, 0.01, ..., 1) computed in one pass when a case opens, the slider reads a
position with :func:`~dicegui.core.threshold.scores_at` (no pass over the
volume while dragging), and the soft Dice, Dice loss, BCE and combo loss
next to the hard Dice are :func:`~dicegui.core.threshold.soft_summary`.

With "Show this threshold on the scan" ticked, releasing the slider also
rewrites the prediction as ``prob >= t`` (only the voxels that change,
through the live scores, as one undoable step), so the overlay, the scores
panel and every other panel show that threshold too.

The tab never claims a threshold the scan does not show. After any edit,
undo or redo (``masksEdited``) it asks which threshold the prediction is:
``prob >= t`` is nested in ``t``, so a threshold whose count of ``p >= t``
equals the prediction's foreground count is the only candidate, and one
exact comparison confirms it. When one is found (Ctrl+Z after a threshold
step) the slider follows it; when none is (a brush stroke, or an undo back to
an edited prediction) "Show this threshold on the scan" is unticked and the
hard line says that the prediction was edited; it is ticked again when a
later undo or redo brings a threshold back.

The target is the reference's focus: ``gt != 0``, or ``gt == label`` when one
label is focused. The curve is recomputed when the reference changes (its
foreground count changed) or the focus does.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ...core.edits import record_edit
from ...core.loss_terms import bce_dilution, bce_dilution_text, multiclass_cross_entropy, weighted_combo
from ...core.teaching import format_value
from ...core.threshold import SMOOTH_VALUES, best_threshold, scores_at, soft_summary, threshold_curve
from ..plots import BLUE, ORANGE, score_plot
from ..qa.edit_step import push_edit, undo_stack
from .label_curves import LabelCurves

#: Thresholds of the slider and of the plotted curve.
THRESHOLDS = np.linspace(0.0, 1.0, 101)
_GREY = (90, 90, 90)
_APPLY_MS = 150


def probability_map(session) -> np.ndarray | None:
    """The case's probability map in view order (None when the prediction is not one)."""
    prob = getattr(session.case, "pred_prob", None)
    return None if prob is None else session.grid.view(prob)


def _target(window) -> np.ndarray:
    s = window.session
    label = window.focus_label
    return s.gt != 0 if label is None else s.gt == label


class ProbabilityTab(QtWidgets.QWidget):
    """Threshold slider, Dice/IoU curve and soft scores of the case's probability map."""

    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.window = window
        self.curve: dict | None = None
        self.summary: dict | None = None
        self.hard: dict | None = None
        self._curve_key = None
        self._applied_t = 0.5
        #: Index of the threshold the prediction equals (None: an edited prediction, no threshold).
        self.shown_index: int | None = 50
        self._auto_unticked = False  # unticked by an edit, not by the user: ticked again when one is shown
        self._following = False  # the slider is moved to the shown threshold: not an edit to apply
        self._match_cache: tuple | None = None
        self._apply_timer = QtCore.QTimer(self)
        self._apply_timer.setSingleShot(True)
        self._apply_timer.setInterval(_APPLY_MS)
        self._apply_timer.timeout.connect(self.apply_threshold)

        self.note = QtWidgets.QLabel("")
        self.note.setWordWrap(True)
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setRange(0, len(THRESHOLDS) - 1)
        self.slider.setValue(50)
        self.slider.setPageStep(5)
        self.slider.setToolTip("Threshold t: a voxel is foreground when p ≥ t")
        self.t_label = QtWidgets.QLabel("t = 0.50")
        self.t_label.setMinimumWidth(60)
        self.apply_box = QtWidgets.QCheckBox("Show this threshold on the scan")
        self.apply_box.setChecked(True)
        self.apply_box.setToolTip("Rewrite the prediction as p ≥ t when the slider stops (one undoable step; "
                                  "it replaces edits made to the prediction)")
        self.hard_label = QtWidgets.QLabel("")
        self.hard_label.setWordWrap(True)
        self.hard_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)

        self.plot = score_plot("threshold t", "score", grid_x=True)
        self.plot.setMinimumHeight(170)
        self.plot.setMaximumHeight(230)
        item = self.plot.getPlotItem()
        item.setXRange(0, 1, padding=0.02)
        item.setYRange(0, 1.02, padding=0)
        legend = item.addLegend(labelTextColor=(30, 30, 30), brush=pg.mkBrush(255, 255, 255, 220))
        self.dice_curve = item.plot([], [], pen=pg.mkPen(BLUE, width=2), name="Dice")
        self.iou_curve = item.plot([], [], pen=pg.mkPen(ORANGE, width=2), name="IoU")
        self.soft_line = pg.InfiniteLine(angle=0, movable=False,
                                         pen=pg.mkPen(_GREY, width=1, style=QtCore.Qt.PenStyle.DashLine),
                                         label="soft Dice", labelOpts={"color": _GREY, "position": 0.12})
        item.addItem(self.soft_line)
        self.t_line = pg.InfiniteLine(pos=0.5, angle=90, movable=True, pen=pg.mkPen((213, 94, 0), width=2),
                                      bounds=(0, 1))
        self.t_line.setToolTip("Drag to change the threshold")
        item.addItem(self.t_line)
        self.best_marker = pg.ScatterPlotItem([], [], symbol="star", size=16, pen=pg.mkPen((30, 30, 30)),
                                              brush=pg.mkBrush(240, 228, 66))
        item.addItem(self.best_marker)
        self.best_index: int | None = None
        self.best_button = QtWidgets.QPushButton("Go to the best threshold")
        self.best_button.setToolTip("Move the threshold to where Dice is highest (the star on the curve)")
        self.best_button.clicked.connect(self.go_to_best)
        # bottom middle: the curves rise from the corners and peak at the top
        legend.anchor(itemPos=(0.5, 1), parentPos=(0.5, 1), offset=(0, -8))

        self.smooth = QtWidgets.QComboBox()
        for s in SMOOTH_VALUES:
            self.smooth.addItem(f"{s:g}", float(s))
        self.smooth.setToolTip("Smooth term s of soft Dice: (2·Σp·t + s) / (Σp + Σt + s)")
        self.soft_labels = {}
        soft_form = QtWidgets.QFormLayout()
        # a row too wide for the panel (the combo at 20 pt in presentation mode) puts its value under its title
        soft_form.setRowWrapPolicy(QtWidgets.QFormLayout.RowWrapPolicy.WrapLongRows)
        fixed = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        for key, title in (("hard_dice", "Hard Dice (t = 0.5)"), ("soft_dice", "Soft Dice"),
                           ("dice_loss", "Dice loss = 1 − soft Dice"), ("bce", "BCE (mean)"),
                           ("combo_loss", "Combo = λ·Dice loss + (1 − λ)·BCE")):
            lab = QtWidgets.QLabel("—")
            lab.setFont(fixed)
            self.soft_labels[key] = lab
            soft_form.addRow(title, lab)
        soft_form.addRow("Smooth s", self.smooth)
        self.lambda_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.lambda_slider.setRange(0, 100)
        self.lambda_slider.setValue(50)
        self.lambda_slider.setToolTip("λ: the weight of the Dice loss; BCE gets 1 − λ")
        self.lambda_label = QtWidgets.QLabel("λ = 0.50")
        lam_row = QtWidgets.QHBoxLayout()
        lam_row.addWidget(self.lambda_slider, 1)
        lam_row.addWidget(self.lambda_label)
        soft_form.addRow("Dice weight λ", lam_row)
        self.lambda_slider.valueChanged.connect(lambda _v: self._show_combo())
        self.ce_label = QtWidgets.QLabel("")
        self.ce_label.setWordWrap(True)
        self.dilution_label = QtWidgets.QLabel("")
        self.dilution_label.setWordWrap(True)

        row = QtWidgets.QHBoxLayout()
        row.addWidget(QtWidgets.QLabel("Threshold"))
        row.addWidget(self.slider, 1)
        row.addWidget(self.t_label)
        self.content = QtWidgets.QWidget()
        cl = QtWidgets.QVBoxLayout(self.content)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addLayout(row)
        cl.addWidget(self.apply_box)
        cl.addWidget(self.best_button)
        cl.addWidget(self.hard_label)
        cl.addWidget(self.plot)
        cl.addLayout(soft_form)
        cl.addWidget(self.dilution_label)
        cl.addStretch(1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.note)
        layout.addWidget(self.ce_label)  # outside the content: a softmax map may have no single probability map
        self.label_curves = LabelCurves(THRESHOLDS)
        self.label_curves.setVisible(False)
        layout.addWidget(self.label_curves)
        layout.addWidget(self.content, 1)

        self.slider.valueChanged.connect(self._slider_moved)
        self.apply_box.toggled.connect(self._apply_toggled)
        self.t_line.sigPositionChanged.connect(self._line_moved)
        self.smooth.currentIndexChanged.connect(lambda _i: self._update_soft())

    # ------------------------------------------------------------- content
    @property
    def threshold(self) -> float:
        return float(THRESHOLDS[self.slider.value()])

    def available(self) -> bool:
        s = self.window.session
        return s is not None and s.has_scores and probability_map(s) is not None

    def refresh(self, force: bool = False) -> None:
        """Recompute the curve and soft scores when the case, the focus or the reference changed."""
        w = self.window
        self._show_multiclass_ce()
        self._show_label_curves()
        if not self.available():
            self.curve = self.summary = self.hard = None
            self._curve_key = None
            self.content.setVisible(False)
            self.note.setText("No probability map: this prediction is a hard mask. Open a prediction holding "
                              "probabilities in [0, 1] (or File ▸ Open demo ▸ Probability map) to use the "
                              "threshold slider and the soft scores.")
            return
        self.content.setVisible(True)
        info = w.session.case.pred_info
        illustrative = info is not None and "ILLUSTRATIVE" in (info.message or "")
        self.note.setText(
            ("<b>Illustrative probability map</b> (a blurred mask, not a network's output). "
             if illustrative else "<b>Probability map</b> of the prediction. ")
            + "Hard scores threshold it at t; soft scores use the probabilities themselves.")
        vol = w.session.volume_scores(w.focus_label)
        key = (id(w.session), w.focus_label, vol["tp"] + vol["fn"])
        if force or key != self._curve_key:
            prob = probability_map(w.session)
            target = _target(w)
            self.curve = threshold_curve(prob, target, THRESHOLDS)
            self._curve_key = key
            self.dice_curve.setData(self.curve["threshold"], self.curve["dice"])
            self.iou_curve.setData(self.curve["threshold"], self.curve["iou"])
            self._mark_best()
            self._update_soft()
        self._follow_prediction()
        self._show_threshold()

    def _mark_best(self) -> None:
        try:
            self.best_index = best_threshold(self.curve)
        except ValueError:  # Dice undefined everywhere (empty reference and map)
            self.best_index = None
            self.best_marker.setData([], [])
            self.best_button.setEnabled(False)
            self.best_button.setText("No best threshold (Dice undefined)")
            return
        best = scores_at(self.curve, self.best_index)
        self.best_marker.setData([best["threshold"]], [best["dice"]])
        self.best_button.setEnabled(True)
        self.best_button.setText(f"Go to the best: t = {best['threshold']:.2f} "
                                 f"(Dice {format_value(best['dice'])})")

    def go_to_best(self) -> None:
        """Move the threshold to the best one (and apply it when applying is on)."""
        if self.best_index is not None:
            self.set_threshold_index(self.best_index)

    def _update_soft(self) -> None:
        if not self.available():
            return
        w = self.window
        self.summary = soft_summary(probability_map(w.session), _target(w), smooth=self.smooth.currentData())
        for key, lab in self.soft_labels.items():
            lab.setText(format_value(self.summary[key]))
        self.soft_line.setPos(self.summary["soft_dice"])
        self._show_combo()
        self.dilution_label.setText(bce_dilution_text(bce_dilution(probability_map(w.session), _target(w))))

    @property
    def lambda_dice(self) -> float:
        return self.lambda_slider.value() / 100

    def _show_combo(self) -> None:
        lam = self.lambda_dice
        self.lambda_label.setText(f"λ = {lam:.2f}")
        if self.summary is None:
            return
        d, b = self.summary["dice_loss"], self.summary["bce"]
        self.combo = weighted_combo(d, b, lam)
        self.soft_labels["combo_loss"].setText(
            f"{lam:.2f}·{format_value(d)} + {1 - lam:.2f}·{format_value(b)} = {format_value(self.combo)}")

    def _show_label_curves(self) -> None:
        s = self.window.session
        channels = None if s is None else getattr(s.case, "pred_channels", None)
        if channels is None or s.case.gt_mask is None:
            self.label_curves.setVisible(False)
            self._channels_shown = None
            return
        if getattr(self, "_channels_shown", None) is channels:
            return  # the channels do not change with edits: computed once per case
        self.label_curves.show_channels(channels.probs, s.case.gt_mask, s.case.label_names)
        self.label_curves.setVisible(True)
        self._channels_shown = channels

    def _show_multiclass_ce(self) -> None:
        """Cross-entropy over all classes when the prediction came from a softmax over channels."""
        s = self.window.session
        case = None if s is None else s.case
        channels = getattr(case, "pred_channels", None)
        if channels is None or channels.activation != "softmax" or case.gt_mask is None:
            self.ce_label.setText("")
            return
        try:
            ce = multiclass_cross_entropy(channels.probs, case.gt_mask, axis=0)
        except ValueError as exc:
            self.ce_label.setText(f"Multi-class cross-entropy: not defined here ({exc}).")
            return
        self.ce_label.setText(f"Multi-class cross-entropy over {channels.channels} softmax channels: "
                              f"−mean(log p[reference label]) = {format_value(ce)}.")

    def _show_threshold(self) -> None:
        if self.curve is None:
            return
        i = self.slider.value()
        self.hard = scores_at(self.curve, i)
        h = self.hard
        self.t_label.setText(f"t = {h['threshold']:.2f}")
        self.hard_label.setText(
            f"<b>p ≥ {h['threshold']:.2f}</b>: Dice <b>{format_value(h['dice'])}</b> · "
            f"IoU {format_value(h['iou'])} · TP {h['tp']:,} · FP {h['fp']:,} · FN {h['fn']:,}")
        blocker = QtCore.QSignalBlocker(self.t_line)
        self.t_line.setPos(h["threshold"])
        del blocker
        if self.apply_box.isChecked():
            return
        if self._auto_unticked:
            self.hard_label.setText(
                "<b>The prediction was edited</b>: the scan no longer shows a threshold of this map. "
                "Tick “Show this threshold on the scan” to rewrite it as p ≥ t.<br>"
                f"At p ≥ {h['threshold']:.2f} (not on the scan): Dice {format_value(h['dice'])} · "
                f"IoU {format_value(h['iou'])} · TP {h['tp']:,} · FP {h['fp']:,} · FN {h['fn']:,}")
        else:
            self.hard_label.setText(
                f"<b>p ≥ {h['threshold']:.2f}</b> (not on the scan): Dice <b>{format_value(h['dice'])}</b> · "
                f"IoU {format_value(h['iou'])} · TP {h['tp']:,} · FP {h['fp']:,} · FN {h['fn']:,}")

    # ------------------------------------------------- which threshold is shown
    def _shown_threshold(self) -> int | None:
        """Index of the threshold whose ``prob >= t`` is the prediction, or None (an edited prediction)."""
        s = self.window.session
        fg = s.volume_scores(None)
        predicted = fg["tp"] + fg["fp"]
        # p >= t shrinks as t grows: equal counts mean equal masks, so one candidate is enough to check
        matches = np.flatnonzero(self.curve["tp"] + self.curve["fp"] == predicted)
        if matches.size == 0:
            return None
        current = self.slider.value()
        i = current if current in matches else int(matches[np.argmin(np.abs(matches - current))])
        key = (id(s), fg["tp"], fg["fp"], fg["fn"], int(matches[0]), undo_stack(self.window).index())
        if self._match_cache is None or self._match_cache[0] != key:
            same = np.array_equal(probability_map(s) >= np.float64(THRESHOLDS[i]), s.pred != 0)
            self._match_cache = (key, same)
        return i if self._match_cache[1] else None

    def _follow_prediction(self) -> None:
        """Move the slider to the threshold the prediction shows, or untick "Show" when it shows none."""
        if self._apply_timer.isActive():
            return  # a threshold is about to be written: the prediction lags the slider on purpose
        self.shown_index = self._shown_threshold()
        if not (self.apply_box.isChecked() or self._auto_unticked):
            return  # the user looks at thresholds without showing them: the slider is theirs
        if self.shown_index is None:
            self._set_apply_box(False)
            self._auto_unticked = True
            return
        self._following = True
        self.slider.setValue(self.shown_index)
        self._following = False
        self._applied_t = float(THRESHOLDS[self.shown_index])
        self._set_apply_box(True)
        self._auto_unticked = False

    def _set_apply_box(self, on: bool) -> None:
        blocker = QtCore.QSignalBlocker(self.apply_box)
        self.apply_box.setChecked(on)
        del blocker

    def _apply_toggled(self, on: bool) -> None:
        self._auto_unticked = False
        if on and self.available():
            self.apply_threshold()
        self._show_threshold()

    # ----------------------------------------------------------- threshold
    def _slider_moved(self, _v: int) -> None:
        self._show_threshold()
        if self.apply_box.isChecked() and self.available() and not self._following:
            self._apply_timer.start()

    def _line_moved(self) -> None:
        i = int(round(float(self.t_line.value()) * (len(THRESHOLDS) - 1)))
        if i != self.slider.value():
            self.slider.setValue(i)

    def set_threshold_index(self, i: int) -> None:
        """Move the slider to threshold ``THRESHOLDS[i]`` and apply it now (when applying is on)."""
        self.slider.setValue(int(i))
        if self._apply_timer.isActive():
            self.apply_threshold()

    def apply_threshold(self) -> bool:
        """Rewrite the prediction as ``prob >= t`` (changed voxels only, one undo step); False if nothing changed."""
        self._apply_timer.stop()
        if not self.available():
            return False
        w = self.window
        s = w.session
        prob = probability_map(s)
        t = np.float64(self.threshold)  # float64 scalar: compared exactly, as threshold_curve does
        new = prob >= t
        changed = np.nonzero(new != (s.pred != 0))
        was = f"was {self._applied_t:.2f}" if self.shown_index is not None else "replacing edits"
        self.shown_index = self.slider.value()
        if changed[0].size == 0:
            self._applied_t = float(t)
            return False
        values = new[changed].astype(s.pred.dtype)
        delta = record_edit(s.live, "pred", changed, values, scope="volume", axis=None, slice_index=None,
                            tool="threshold", label=1)
        text = f"Threshold the probability map at {float(t):.2f} ({was})"
        self._applied_t = float(t)
        push_edit(w, delta, text)
        return True

    def flush(self) -> None:
        """Apply a pending threshold now (tests, screenshots)."""
        if self._apply_timer.isActive():
            self.apply_threshold()
