"""The small static score plots of the side panels (per-slice Dice, Dice against threshold)."""
from __future__ import annotations

import pyqtgraph as pg

# Okabe–Ito blue and orange, as in the overlay legend.
BLUE = (0, 114, 178)
ORANGE = (230, 159, 0)


def score_plot(x_label: str, y_label: str, *, grid_x: bool = False) -> pg.PlotWidget:
    """A white plot with fixed axes: no mouse zoom, no context menu, dark axis text.

    Parameters
    ----------
    x_label, y_label : str
        Axis titles.
    grid_x : bool
        Draw vertical grid lines too (horizontal ones are always drawn).

    Returns
    -------
    pyqtgraph.PlotWidget
        Callers set its height, ranges and items.
    """
    plot = pg.PlotWidget(background="w")
    item = plot.getPlotItem()
    item.setMenuEnabled(False)
    item.hideButtons()
    item.setMouseEnabled(x=False, y=False)
    item.showGrid(x=grid_x, y=True, alpha=0.25)
    item.setLabel("bottom", x_label)
    item.setLabel("left", y_label)
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(60, 60, 60))
        axis.setTextPen(pg.mkPen(40, 40, 40))
        axis.enableAutoSIPrefix(False)  # a fitted Dice axis would read "Dice (x0.001)", 900 … 950
    return plot
