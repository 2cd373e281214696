"""Dice as sets in the teaching panel: the |A|+|B| line, the two-disc picture and micro vs macro Dice."""
from __future__ import annotations

import numpy as np
from PySide6 import QtGui

from dicegui.gui.teaching.overlap_picture import OVERLAP_COLOR, PREDICTION_COLOR, REFERENCE_COLOR, OverlapPicture


def test_picture_draws_the_overlap_inside_both_discs(qtbot):
    pic = OverlapPicture()
    qtbot.addWidget(pic)
    pic.resize(400, 160)
    pic.set_counts({"tp": 312, "fp": 40, "fn": 55, "tn": 9593})
    assert pic.captions()[0].startswith("|A| = TP + FN = 367")
    assert pic.captions()[1].startswith("|B| = TP + FP = 352")
    assert pic.captions()[2].startswith("|A∩B| = TP = 312")
    img = pic.grab().toImage()
    a, b = pic.disc_rects()
    y = int(a.center().y())
    lens_x = int((b.left() + a.right()) / 2)  # between B's left edge and A's right edge: in both
    assert QtGui.QColor(img.pixel(lens_x, y)) == OVERLAP_COLOR
    assert QtGui.QColor(img.pixel(int(a.left() + 0.2 * a.width()), y)) == REFERENCE_COLOR
    assert QtGui.QColor(img.pixel(int(b.right() - 0.2 * b.width()), y)) == PREDICTION_COLOR


def test_captions_in_large_text_make_the_picture_taller_instead_of_being_cut(qtbot):
    # 20-point text (presentation mode) wraps each caption to two lines: 150 px held four of six
    from PySide6 import QtWidgets

    holder = QtWidgets.QWidget()
    qtbot.addWidget(holder)
    holder.setStyleSheet("QWidget { font-size: 20pt; }")
    layout = QtWidgets.QVBoxLayout(holder)
    pic = OverlapPicture()
    layout.addWidget(pic)
    layout.addStretch(1)
    pic.set_counts({"tp": 9144, "fp": 237, "fn": 308, "tn": 359971})
    holder.resize(560, 600)
    holder.show()
    qtbot.waitExposed(holder)
    a, b = pic.disc_rects()
    room = pic.width() - (b.right() + 12) - 4
    # the height QLabel gives the same captions wrapped at the same width and size
    need = 0
    for text in pic.captions():
        label = QtWidgets.QLabel(text, holder)
        label.setWordWrap(True)
        label.setContentsMargins(0, 0, 0, 0)
        label.ensurePolished()
        need += label.heightForWidth(int(room))
    assert need > 150 and pic.height() >= need
    assert b.bottom() <= pic.height()


def test_panel_shows_both_forms_and_micro_macro_with_the_case_numbers(window, teaching):
    assert window.open_demo("totalseg")
    window.qa.wait()
    teaching.flush()
    s = window.session
    g, p = s.gt, s.pred
    a, b, ab = int(np.sum(g != 0)), int(np.sum(p != 0)), int(np.sum((g != 0) & (p != 0)))
    fg = 2 * ab / (a + b)
    assert (f"2·{ab:,} / ({a:,} + {b:,}) = {2 * ab:,} / {a + b:,} = {fg:.4f}"
            in teaching.formula_labels["dice_sets"].text())
    assert teaching.overlap_picture.sizes == {"reference": a, "prediction": b, "overlap": ab}
    labels = sorted(set(np.unique(g)) | set(np.unique(p)) - {0})
    labels = [k for k in labels if k != 0]
    dices = [2 * np.sum((g == k) & (p == k)) / (np.sum(g == k) + np.sum(p == k)) for k in labels]
    text = teaching.averaging_text.text()
    assert f"Foreground (micro) Dice {fg:.4f}" in text
    assert f"mean (macro) Dice {np.mean(dices):.4f}" in text and f"all {len(labels)} labels" in text
    bg = 2 * np.sum((g == 0) & (p == 0)) / (np.sum(g == 0) + np.sum(p == 0))
    assert f"the mean becomes {np.mean([*dices, bg]):.4f}" in text
    # one label in focus: the averaging text is about all labels, so it steps aside
    window.overlay_panel.select_label(5)
    teaching.flush()
    assert teaching.averaging_text.text() == ""
