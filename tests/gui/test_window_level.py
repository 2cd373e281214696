"""Window/level panel (dicegui.gui.window_level)."""
from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QApplication

from dicegui.core.display import intensity_histogram
from dicegui.gui.window_level import WindowLevelPanel


def _panel(qtbot, sample, window):
    panel = WindowLevelPanel()
    qtbot.addWidget(panel)
    edges, counts = intensity_histogram(sample)
    panel.set_volume(sample, edges, counts, "Custom", window)
    return panel


def test_readout_of_a_zscored_window_keeps_its_decimals(qtbot):
    # window -4.5 .. 3.9 (width 8.4, level -0.3): written by hand, two decimals
    panel = _panel(qtbot, np.linspace(-4.76, 9.3, 500), (8.4, -0.3))
    assert panel.readout.text() == "W 8.40   L -0.30   (-4.50 … 3.90)"


def test_readout_of_a_ct_window_is_whole_numbers(qtbot):
    panel = _panel(qtbot, np.linspace(-1024, 2000, 500), (400.0, 40.0))
    assert panel.readout.text() == "W 400   L 40   (-160 … 240)"


def test_a_scan_holding_plus_minus_3e38_keeps_short_captions_and_a_wide_view(window, tmp_path, write_nifti):
    """Float extremes once widened the readout until the view was a thin strip."""
    image = np.zeros((40, 40, 6), np.float32)
    image[:20] = 3e38
    image[20:] = -3e38
    image[5:10, 5:10] = 17.0
    mask = np.zeros(image.shape, np.uint8)
    mask[10:30, 10:30, 2:4] = 1
    plain = np.linspace(0, 100, image.size, dtype=np.float32).reshape(image.shape)
    masks = {"gt": write_nifti(tmp_path / "gt.nii.gz", mask), "pred": write_nifti(tmp_path / "pred.nii.gz", mask)}
    assert window.open_paths({"image": write_nifti(tmp_path / "plain.nii.gz", plain), **masks}, remember=False)
    QApplication.processEvents()
    plain_width = window.view.width()
    paths = {"image": write_nifti(tmp_path / "img.nii.gz", image), **masks}
    assert window.open_paths(paths, remember=False), window.last_error
    window.window_level.choose("Full range")
    text = window.window_level.readout.text()
    assert "e+38" in text and len(text) < 45
    assert window.window_level.width() < window.width() / 2
    QApplication.processEvents()
    assert window.view.width() >= 0.95 * plain_width  # the view keeps its size
    caption = window.view.window_caption.text()
    assert "e+38" in caption and len(caption) < 25
