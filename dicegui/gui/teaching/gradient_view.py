"""Gradient view: where a training loss would push the prediction, drawn on the slice.

The overlay shows ``−∂L/∂p`` of the whole-volume loss at every pixel of the
slice (:func:`dicegui.core.teaching.gradient_maps`, closed forms tested
against finite differences in the core) with a diverging colour map: red
where gradient descent would raise ``p``, blue where it would lower it,
transparent where it does not care. The colour scale is symmetric and set
per slice from the largest magnitude shown (named in the panel), because the
three losses differ by orders of magnitude.

What it teaches: the Dice-loss gradient does not depend on ``p_i`` itself,
so every background pixel gets the same push, however confident and wrong,
and the push depends on global sums that swing as the prediction changes;
BCE pushes hardest exactly where a pixel is confidently wrong; their sum
(combo) has both.

``p`` is the case's probability map when it has one, else the hard
prediction of the focus (0/1), which is what a loss would see from a model
that is fully confident. The target is the reference's focus.

The overlay belongs to its tab: it is drawn only while the tab is on screen
(its page current, the teaching dock shown), so it never hides the TP/FP/FN
overlay of a window that has moved on to something else.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from ...core.display import plane_image
from ...core.teaching import gradient_maps, soft_sums
from .probability_tab import probability_map

LOSSES = (("dice", "Dice loss"), ("bce", "BCE"), ("combo", "Combo (Dice loss + BCE)"))
# Diverging map, transparent in the middle: blue (lower p) ← 0 → red (raise p).
_COLOURS = [(33, 102, 172, 235), (146, 197, 222, 150), (247, 247, 247, 0), (244, 165, 130, 150),
            (178, 24, 43, 235)]
_REFRESH_MS = 150


def diverging_lut() -> np.ndarray:
    """256-entry RGBA lookup table of the gradient overlay."""
    cmap = pg.ColorMap(np.linspace(0.0, 1.0, len(_COLOURS)), np.array(_COLOURS, dtype=np.ubyte))
    return cmap.getLookupTable(0.0, 1.0, 256, alpha=True)


class GradientTab(QtWidgets.QWidget):
    """Controls of the gradient overlay, and the overlay item in the slice view."""

    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.window = window
        self._sums = None
        self._inputs = None
        self.scale = None
        self.shown_image = None
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(_REFRESH_MS)
        self._timer.timeout.connect(self._masks_settled)

        self.item = pg.ImageItem(axisOrder="row-major")
        self.item.setZValue(12)  # above the TP/FP/FN overlay
        self.item.setLookupTable(diverging_lut())
        self.item.setVisible(False)
        window.view.vb.addItem(self.item)

        self.show_box = QtWidgets.QCheckBox("Show the gradient on the slice")
        self.loss_buttons = {}
        group = QtWidgets.QButtonGroup(self)
        radios = QtWidgets.QHBoxLayout()
        for key, title in LOSSES:
            b = QtWidgets.QRadioButton(title)
            group.addButton(b)
            self.loss_buttons[key] = b
            radios.addWidget(b)
            b.toggled.connect(lambda on: on and self.update_overlay())
        radios.addStretch(1)
        self.loss_buttons["dice"].setChecked(True)
        self.info = QtWidgets.QLabel("")
        self.info.setWordWrap(True)
        self.legend = QtWidgets.QLabel(
            "<span style='color:#b2182b'>■ red</span>: training would raise p here · "
            "<span style='color:#2166ac'>■ blue</span>: lower it · clear: no push.<br>"
            "The Dice-loss push is the same on every background pixel however wrong it is, and depends "
            "on sums over the whole volume; BCE pushes hardest where a pixel is confidently wrong; "
            "combo has both, which is why the combination trains more steadily.")
        self.legend.setWordWrap(True)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.show_box)
        layout.addLayout(radios)
        layout.addWidget(self.info)
        layout.addWidget(self.legend)
        layout.addStretch(1)

        self.show_box.toggled.connect(lambda _on: self.update_overlay())
        window.sliceChanged.connect(lambda *_: self.update_overlay())
        window.sessionChanged.connect(self._invalidate)
        window.masksEdited.connect(self._timer.start)
        window.overlay_panel.changed.connect(self._focus_maybe_changed)

    @property
    def loss(self) -> str:
        return next(k for k, b in self.loss_buttons.items() if b.isChecked())

    # --------------------------------------------------------------- inputs
    def _invalidate(self) -> None:
        self._sums = None
        self._inputs = None
        self.update_overlay()

    def _masks_settled(self) -> None:
        self._invalidate()

    def _focus_maybe_changed(self) -> None:
        if self._inputs is not None and self._inputs[2] != self.window.focus_label:
            self._invalidate()

    def inputs(self):
        """``(prob, target, label, is_probability)`` of the whole volume, cached until the masks change."""
        w = self.window
        if self._inputs is None:
            s = w.session
            label = w.focus_label
            target = s.gt != 0 if label is None else s.gt == label
            prob = probability_map(s)
            is_prob = prob is not None
            if prob is None:
                prob = s.pred != 0 if label is None else s.pred == label
            self._inputs = (prob, target, label, is_prob)
            self._sums = soft_sums(prob, target)
        return self._inputs

    def slice_gradient(self, plane, index: int) -> np.ndarray:
        """−∂L/∂p of the chosen loss on one slice, as a screen image."""
        prob, target, _label, _ = self.inputs()
        idx = [slice(None)] * 3
        idx[plane.axis] = int(index)
        grads = gradient_maps(prob, target, index=tuple(idx), sums=self._sums)
        g = -grads[self.loss]
        return plane_image(np.expand_dims(g, plane.axis), plane, 0)

    # ----------------------------------------------------------------- draw
    def update_overlay(self) -> None:
        w = self.window
        s = w.session
        if (s is None or not s.has_scores or not self.show_box.isChecked() or not self.isEnabled()
                or not self.isVisible()):
            self.item.setVisible(False)
            self.shown_image = None
            if s is not None and not s.has_scores:
                self.info.setText("The gradient needs a reference and a prediction.")
            return
        img = self.slice_gradient(w.plane, w.index)
        finite = img[np.isfinite(img)]
        m = float(np.max(np.abs(finite))) if finite.size else 0.0
        self.scale = m
        self.shown_image = img
        self.item.setImage(np.nan_to_num(img), autoLevels=False, levels=(-m, m) if m > 0 else (-1, 1))
        self.item.setTransform(w.view.image_item.transform())
        self.item.setVisible(True)
        _, _, _, is_prob = self.inputs()
        source = "the probability map" if is_prob else "the hard prediction (0/1) as p"
        title = dict(LOSSES)[self.loss]
        self.info.setText(f"{title}: −∂L/∂p on this slice, from {source}; colour scale ±{m:.3g} per voxel.")

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.update_overlay()

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().hideEvent(event)
        self.update_overlay()  # another tab, or the dock closed: the overlay goes with the tab

    def flush(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self._masks_settled()
