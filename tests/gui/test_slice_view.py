"""Slice view captions in narrow views (1 × 3): broken or shortened, never cut by the edge, never on a letter."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from PySide6 import QtCore, QtGui
from PySide6.QtWidgets import QApplication

from dicegui.gui.slice_view import fit_caption

# Far from the origin, as in BraTS space: captions read "S -136.0 mm", "R 112.5 mm".
AFFINE = np.array([[1.0, 0, 0, -120.0], [0, 1.0, 0, -140.0], [0, 0, 1.0, -150.0], [0, 0, 0, 1]])


def _shown_lines(label):
    return label.text().split("\n")


def _labels(view):
    labels = [*view.edge_labels.values(), view.caption, view.window_caption, view.tool_caption]
    return [lab for lab in labels if lab.text() and not lab.isHidden()]


def _assert_captions_readable(view):
    QApplication.processEvents()
    labels = _labels(view)
    assert len(labels) >= 6, [lab.text() for lab in labels]  # four letters and two captions
    inside = view.rect()
    for lab in labels:
        assert inside.contains(lab.geometry()), (lab.text(), lab.geometry(), inside)
        if lab.wordWrap():
            continue  # Qt breaks the lines itself, inside the label's width
        room = lab.contentsRect().width()
        for line in _shown_lines(lab):
            assert lab.fontMetrics().horizontalAdvance(line) <= room or line.endswith("…"), (line, room)
    for a, b in itertools.combinations(labels, 2):
        assert not a.geometry().intersects(b.geometry()), (a.text(), b.text())


@pytest.fixture
def narrow_window(window, tmp_path, write_nifti):
    rng = np.random.default_rng(3)
    shape = (120, 140, 96)
    image = rng.integers(13, 697, size=shape).astype(np.int16)
    gt = np.zeros(shape, np.uint8)
    gt[40:80, 50:90, 30:60] = 1
    pred = np.zeros(shape, np.uint8)
    pred[44:80, 50:92, 30:62] = 1
    paths = {"image": write_nifti(tmp_path / "t1c.nii.gz", image, AFFINE),
             "gt": write_nifti(tmp_path / "gt.nii.gz", gt, AFFINE),
             "pred": write_nifti(tmp_path / "pred.nii.gz", pred, AFFINE)}
    assert window.open_paths(paths, remember=False), window.last_error
    window.runner.cancel()
    window.resize(1600, 1000)
    window.set_layout("1x3")
    QApplication.processEvents()
    yield window
    window.editor.history.mark_discarded()


def test_captions_of_a_1x3_layout_fit_and_do_not_overlap(narrow_window):
    w = narrow_window
    views = [w.views.views[name] for name in ("axial", "coronal", "sagittal")]
    assert all(v.isVisible() for v in views)
    assert max(v.width() for v in views) < 300  # the narrow views the walkthrough saw (190 px)
    for view in views:
        _assert_captions_readable(view)
        # the caption keeps every part whole: plane, slice and position, each on its line
        shown = view.caption.text().replace("\n", "  ")
        assert " ".join(shown.split()) == " ".join(view.caption_text.split())


def test_captions_stay_readable_with_a_tool_caption_and_narrower_still(narrow_window, qtbot):
    w = narrow_window
    w.editor.set_tool("brush")
    for width in (1400, 1200):
        w.resize(width, 900)
        QApplication.processEvents()
        for name in ("axial", "coronal", "sagittal"):
            _assert_captions_readable(w.views.views[name])


def test_fit_caption_breaks_at_gaps_then_elides():
    font = QtGui.QFont()
    font.setPointSize(11)
    font.setBold(True)
    metrics = QtGui.QFontMetrics(font)
    text = "Axial  136 / 154   S 136.0 mm"
    assert fit_caption(text, metrics, metrics.horizontalAdvance(text)) == text
    width = max(metrics.horizontalAdvance("Axial  136 / 154"), metrics.horizontalAdvance("S 136.0 mm"))
    assert fit_caption(text, metrics, width) == "Axial  136 / 154\nS 136.0 mm"
    narrow = metrics.horizontalAdvance("Axial") + 2
    lines = fit_caption(text, metrics, narrow).split("\n")
    assert lines[0] == "Axial" and all(metrics.horizontalAdvance(line) <= narrow for line in lines)
    assert any(line.endswith("…") for line in lines[1:])
