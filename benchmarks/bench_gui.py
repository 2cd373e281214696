"""GUI speed: slice change on a 300×512×512 case, and time until the demo window is shown.

Run: ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui.py`` (about a minute).

1. Slice change: ``MainWindow.set_slice`` (image through the window/level,
   TP/FP/FN code image, LUT, captions, slice scores and legend) plus a
   synchronous repaint of the view, on a 512×512×300 label-map case; the
   median is compared with the 16 ms target and with a baseline measured in
   the same run: a bare pyqtgraph ``ImageItem.setImage`` of the same slices in a
   view of the same size, repainted the same way (no overlay, no scores).
2. Start-up: wall time from starting the process to the main window being
   shown (visible and exposed) with the demo loaded, against the 3 s target and
   against a baseline process that imports PySide6 + pyqtgraph and shows an
   empty QMainWindow.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_MS = 16.0
TARGET_START_S = 3.0
SHAPE = (512, 512, 300)  # i (R), j (A), k (S): 300 axial slices of 512×512
SPACING = (0.7, 0.7, 2.5)


def synthetic_case(order: str = "C"):
    """A CT-like volume with a 3-label reference and a shifted, eroded prediction."""
    from dicegui.core.case import Case, MaskInfo
    from dicegui.core.volume import Volume

    rng = np.random.default_rng(0)
    affine = np.diag([*SPACING, 1.0])
    i = np.linspace(-1, 1, SHAPE[0], dtype=np.float32)[:, None, None]
    j = np.linspace(-1, 1, SHAPE[1], dtype=np.float32)[None, :, None]
    k = np.linspace(-1, 1, SHAPE[2], dtype=np.float32)[None, None, :]
    body = (i ** 2 + j ** 2) < 0.8
    image = np.empty(SHAPE, np.int16, order=order)
    image[...] = np.where(body, 40, -1000)
    image += rng.integers(-30, 30, size=SHAPE, dtype=np.int16)
    gt = np.zeros(SHAPE, np.uint8, order=order)
    pred = np.zeros(SHAPE, np.uint8, order=order)
    for label, (ci, cj, r) in enumerate([(-0.3, 0.1, 0.25), (0.3, 0.1, 0.2), (0.0, -0.4, 0.15)], start=1):
        gt[((i - ci) ** 2 + (j - cj) ** 2 + (k * 0.6) ** 2) < r ** 2] = label
        pred[((i - ci - 0.03) ** 2 + (j - cj) ** 2 + (k * 0.6) ** 2) < (0.95 * r) ** 2] = label
    vol = lambda a: Volume(a, affine, source_format="nifti")  # noqa: E731
    return Case(image=vol(image), gt=vol(gt), pred=vol(pred), image_array=image, gt_mask=gt, pred_mask=pred,
                gt_info=MaskInfo("labels", "synthetic", (1, 2, 3)),
                pred_info=MaskInfo("labels", "synthetic", (1, 2, 3)), affine=affine)


def _median_ms(fn, indices) -> float:
    times = []
    for idx in indices:
        t0 = time.perf_counter()
        fn(idx)
        times.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(times)


def bench_slice_change() -> None:
    import pyqtgraph as pg
    from PySide6 import QtWidgets

    from dicegui.gui.main_window import MainWindow
    from dicegui.gui.session import Session

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    win = MainWindow()
    win.resize(1600, 1000)
    win.show()
    app.processEvents()
    view = win.view
    size = view.size()

    # baseline: a bare ImageItem in a view of the same size
    base_view = pg.GraphicsView()
    vb = pg.ViewBox(invertY=True, lockAspect=True)
    base_view.setCentralItem(vb)
    base_item = pg.ImageItem(axisOrder="row-major")
    vb.addItem(base_item)
    base_view.resize(size)
    base_view.show()
    app.processEvents()

    print(f"slice change on {SHAPE[2]}×{SHAPE[1]}×{SHAPE[0]} (label maps, 3 labels), "
          f"view {size.width()}×{size.height()} px")
    for order in ("C", "F"):
        t0 = time.perf_counter()
        case = synthetic_case(order)
        session = Session(case)
        win.set_session(session)
        win.runner.cancel()
        app.processEvents()
        print(f"  [{order}-order arrays] case ready in {time.perf_counter() - t0:.1f} s")
        planes = ("axial", "coronal", "sagittal") if order == "C" else ("axial",)
        for plane in planes:
            win.set_plane(plane)
            n = session.n_slices(win.plane)
            indices = [int(v) for v in np.linspace(n * 0.2, n * 0.8, 60)]
            rng = np.random.default_rng(1)
            rng.shuffle(indices)

            def ours(idx):
                win.set_slice(idx)
                view.viewport().repaint()

            def baseline(idx):
                from dicegui.core.display import plane_image
                base_item.setImage(plane_image(session.image, win.plane, idx), autoLevels=False,
                                   levels=win.levels)
                base_view.viewport().repaint()

            baseline(indices[0])
            vb.autoRange()
            ours(indices[-1])
            t_ours = _median_ms(ours, indices)
            t_base = _median_ms(baseline, indices)
            print(f"  {plane:9s} median {t_ours:6.2f} ms = {t_ours / TARGET_MS:.2f}× the 16 ms target, "
                  f"{t_ours / t_base:.2f}× a bare pyqtgraph setImage+repaint ({t_base:.2f} ms)")
        win.runner.wait(60000)
    win.close()
    base_view.close()


SHOWN_PROBE = """
import sys, time
from PySide6 import QtCore, QtWidgets
app = QtWidgets.QApplication(["probe"])
def poll():
    for w in app.topLevelWidgets():
        if isinstance(w, QtWidgets.QMainWindow) and w.isVisible() and w.windowHandle() is not None \
                and w.windowHandle().isExposed():
            print("SHOWN", flush=True)
            app.quit()
            return
    QtCore.QTimer.singleShot(5, poll)
QtCore.QTimer.singleShot(0, poll)
"""
APP_RUN = SHOWN_PROBE + "\nfrom dicegui.cli import main\nsys.exit(main([]))\n"
BASELINE_RUN = SHOWN_PROBE + textwrap.dedent("""
import pyqtgraph
w = QtWidgets.QMainWindow(); w.resize(1500, 950); w.show()
sys.exit(app.exec())
""")


def _time_to_shown(code: str, env: dict) -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env=env, text=True, cwd=str(ROOT))
    for line in proc.stdout:
        if line.startswith("SHOWN"):
            elapsed = time.perf_counter() - t0
            break
    else:
        raise RuntimeError("the window was never shown")
    proc.wait(timeout=60)
    return elapsed


def bench_startup() -> None:
    import tempfile

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    with tempfile.TemporaryDirectory() as tmp:
        env["DICEGUI_SETTINGS_DIR"] = tmp
        ours = statistics.median(_time_to_shown(APP_RUN, env) for _ in range(3))
        base = statistics.median(_time_to_shown(BASELINE_RUN, env) for _ in range(3))
    print(f"start-up to demo window shown: median {ours:.2f} s = {ours / TARGET_START_S:.2f}× the 3 s target, "
          f"{ours / base:.2f}× an empty PySide6+pyqtgraph window ({base:.2f} s)")


if __name__ == "__main__":
    if "--no-startup" not in sys.argv:
        bench_startup()
    bench_slice_change()
