"""Cohort plots speed: 10,000 cases redrawn in each of the worklist's three plots.

Run: ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_cohort_plots.py`` (a few seconds).

A table of 10,000 cases with Dice and HD95 for three labels and two regions
(so the distribution plot draws five boxes and 50,000 points), HD95 infinite
in 1 % of the cases, and foreground volumes; and a table of 2,000 such cases
(the distribution's 10,000 points in five boxes). For each plot: the redraw
(:meth:`CohortPlots.draw_distribution` / ``draw_agreement`` /
``draw_volume_dice``: the numbers from the core, the data of the plot
items) followed by a synchronous repaint of the plot's viewport. Target:
median ≤ 100 ms for 10,000 points.

Baseline measured in the same run: a bare ``pyqtgraph.ScatterPlotItem``
in a bare ``PlotWidget`` of the same size, ``setData`` with the same x/y
arrays and case names, repainted the same way: what the plot costs beyond
pyqtgraph itself.

Offscreen Qt draws into memory buffers (no GPU, no screen), as every figure
of this project's benchmarks does.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

N = 10_000
REPEATS = 15


def table(n: int = N) -> list[dict]:
    """Row dicts as ``dicegui score`` writes them, random but seeded."""
    rng = np.random.default_rng(1)
    gt = rng.lognormal(3.0, 1.0, n)
    pred = gt * rng.normal(1.05, 0.1, n)
    rows = []
    for i in range(n):
        row = {"case": f"case{i:05d}", "dice": float(rng.beta(8, 2)), "gt_ml": float(gt[i]), "pred_ml": float(pred[i])}
        for owner in ("label1", "label2", "label3", "regionWT", "regionTC"):
            row[f"{owner}_dice"] = float(rng.beta(8, 2))
            row[f"{owner}_hd95"] = float("inf") if rng.random() < 0.01 else float(rng.gamma(2.0, 2.0))
        rows.append(row)
    return rows


def timed(step, repaint, repeats: int = REPEATS) -> float:
    """Median ms of ``step()`` then a synchronous repaint."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        step()
        repaint()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def bench_table(rows: list[dict], keys=("distribution", "agreement", "volume_dice")) -> None:
    """Print our redraw against the bare ScatterPlotItem for each plot of ``keys``."""
    import pyqtgraph as pg
    from PySide6 import QtWidgets

    from dicegui.gui.cohort.cohort_plots import CohortPlots

    app = QtWidgets.QApplication.instance()
    plots = CohortPlots()
    plots.resize(900, 600)
    plots.show()
    t = time.perf_counter()
    plots.set_rows(rows)
    print(f"{len(rows):,} cases: set_rows (reads the table once, draws the three plots) "
          f"{(time.perf_counter() - t) * 1000:.0f} ms")
    app.processEvents()
    bare = pg.PlotWidget(background="w")
    bare.resize(plots.plots["distribution"].size())
    bare.show()
    bare_scatter = pg.ScatterPlotItem(size=7, pen=None, brush=pg.mkBrush(0, 114, 178, 150))
    bare.addItem(bare_scatter)
    app.processEvents()
    draws = {"distribution": plots.draw_distribution, "agreement": plots.draw_agreement,
             "volume_dice": plots.draw_volume_dice}
    for key in keys:
        plots.tabs.setCurrentIndex(list(draws).index(key))
        app.processEvents()
        widget = plots.plots[key]
        ours = timed(draws[key], widget.viewport().repaint)
        x, y = (np.array(a) for a in plots.scatters[key].getData())
        names = plots.scatters[key].data["data"].copy()

        def bare_step():
            bare_scatter.setData(x=x, y=y, data=names)

        base = timed(bare_step, bare.viewport().repaint)
        verdict = ("OK" if ours <= 100 else "SLOW") if len(x) <= N else "beyond the 10,000-point target"
        print(f"  {key:<13} {len(x):>6,} points: CohortPlots {ours:7.1f} ms   bare ScatterPlotItem.setData "
              f"{base:7.1f} ms   (≤ 100 ms for 10,000 points: {verdict})")
    plots.close()
    bare.close()


def main() -> None:
    from PySide6 import QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])  # noqa: F841
    print(f"median of {REPEATS} redraws, each followed by a synchronous repaint; plots 888×536 px")
    bench_table(table(N))
    bench_table(table(N // 5), keys=("distribution",))


if __name__ == "__main__":
    main()
