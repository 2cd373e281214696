"""Window/level panel (dicegui.gui.window_level)."""
from __future__ import annotations

import numpy as np

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
