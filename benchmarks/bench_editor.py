"""Editor speed end to end through the GUI: a brush dab during a drag, big case vs small; undo memory.

Run: ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_editor.py [--no-memory]`` (about two minutes;
``--no-memory`` leaves out part 4).

1. Dab during a drag. The main window shows a label-map case; the brush
   (radius 10, 2-D) is dragged across the axial slice by real Qt mouse-move
   events sent to the view's viewport. One "dab" is timed from sending the
   event to the end of ``processEvents()``: the view's mouse handler, the
   mask write through ``LiveScore`` (core ``Stroke.add``), the scores panel
   (volume, slice and per-label tables, ΔDice), the overlay codes of the
   touched rectangle and Qt's repaint of what changed (overlay rectangle,
   brush outline, panels). Strokes alternate brush and eraser along the same
   path, so every dab really changes voxels. Figures:

   * median on 300×512×512 against the 16 ms target;
   * big / small: the same on a 64×64×64 case in the same window and run
     (target <= 1.5×: the cost must not depend on the volume). The small
     case is shown with ~12 screen pixels per voxel, so its radius-10 dab
     repaints a larger part of the screen: it is usually the slower one;
   * napari 0.9.2's Labels layer paints and refreshes a radius-10 dab on
     that volume in about 2.2 ms median headless: a figure quoted from
     issue 14, not measured here (napari is not installed, and it updates
     no scores), so it is printed labelled "quoted, no ratio".

2. Labels vs binary (issues 10 and 14). The 41-label demo (``dicegui --demo
   totalseg``), protect other labels on, painting one label, against the same
   volume with both masks made binary (``!= 0``), which has no per-label
   table, in the same run, in alternating rounds so both see the same
   machine load. The per-label rows of the labels a dab changed are the only
   extra work (target <= 1.2× and <= 6 ms median).

3. 2-D dab (issue 14): a 4096×4096 2-D image (two binary masks), the hand
   moving 3 screen pixels per event, against the same on a 512×512 2-D image
   in alternating rounds of the same run (target <= 5 ms median; the ratio
   shows how much of the dab still depends on the image size).

4. Memory of 1,000 radius-10 strokes made through the same GUI path on the
   big case: bytes held by the undo steps' deltas, and the Python heap growth
   measured by tracemalloc (target < 50 MB).
"""
from __future__ import annotations

import gc
import math
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_MS = 16.0
TARGET_RATIO = 1.5
TARGET_LABEL_RATIO = 1.2
TARGET_LABEL_MS = 6.0
TARGET_2D_MS = 5.0
TARGET_MB = 50.0
NAPARI_MS = 2.2
RADIUS = 10
LABEL = 1  # spleen in the demo (TotalSegmentator's label 1)
BIG = (512, 512, 300)  # i (R), j (A), k (S): 300 axial slices of 512×512
SMALL = (64, 64, 64)
SPACING = (0.7, 0.7, 2.5)


def synthetic_case(shape):
    """A CT-like volume with a 3-label reference and a shifted, shrunken prediction (uint8 label maps)."""
    from dicegui.core.case import Case, MaskInfo
    from dicegui.core.volume import Volume

    rng = np.random.default_rng(0)
    affine = np.diag([*SPACING, 1.0])
    i = np.linspace(-1, 1, shape[0], dtype=np.float32)[:, None, None]
    j = np.linspace(-1, 1, shape[1], dtype=np.float32)[None, :, None]
    k = np.linspace(-1, 1, shape[2], dtype=np.float32)[None, None, :]
    image = np.where((i ** 2 + j ** 2) < 0.8, 40, -1000).astype(np.int16)
    image = np.broadcast_to(image, shape) + rng.integers(-30, 30, size=shape, dtype=np.int16)
    gt = np.zeros(shape, np.uint8)
    pred = np.zeros(shape, np.uint8)
    for label, (ci, cj, r) in enumerate([(-0.3, 0.1, 0.25), (0.3, 0.1, 0.2), (0.0, -0.4, 0.15)], start=1):
        gt[((i - ci) ** 2 + (j - cj) ** 2 + (k * 0.6) ** 2) < r ** 2] = label
        pred[((i - ci - 0.03) ** 2 + (j - cj) ** 2 + (k * 0.6) ** 2) < (0.95 * r) ** 2] = label
    vol = lambda a: Volume(a, affine, source_format="nifti")  # noqa: E731
    info = MaskInfo("labels", "synthetic", (1, 2, 3))
    return Case(image=vol(image), gt=vol(gt), pred=vol(pred), image_array=image, gt_mask=gt, pred_mask=pred,
                gt_info=info, pred_info=info, affine=affine)


def image_2d_case(n: int):
    """A 2-D ``n``×``n`` image with two binary disc masks, the prediction shifted and smaller."""
    from dicegui.core.case import Case, MaskInfo
    from dicegui.core.volume import Volume

    i = np.linspace(-1, 1, n, dtype=np.float32)[:, None, None]
    j = np.linspace(-1, 1, n, dtype=np.float32)[None, :, None]
    image = ((i ** 2 + j ** 2) * 1000).astype(np.int16)
    gt = ((i ** 2 + j ** 2) < 0.5).astype(np.uint8)
    pred = (((i - 0.05) ** 2 + j ** 2) < 0.45).astype(np.uint8)
    affine = np.eye(4)
    vol = lambda a: Volume(a, affine, source_format="raster", is_2d=True)  # noqa: E731
    info = MaskInfo("binary", "synthetic", (1,))
    return Case(image=vol(image), gt=vol(gt), pred=vol(pred), image_array=image, gt_mask=gt, pred_mask=pred,
                gt_info=info, pred_info=info, affine=affine)


def interleaved(app, window, cases: dict, rounds=3, **kwargs):
    """``{name: (median ms, p90 ms)}`` of dabs on each case, the cases taking turns round by round."""
    times = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (case, label) in cases.items():
            times[name] += bench_dab(app, window, None, case=case, label=label, times_out=True, **kwargs)
    return {name: (statistics.median(t), float(np.percentile(t, 90))) for name, t in times.items()}


def _path(rows: int, cols: int, n: int, step_px: float):
    """Screen pixels of a hand moving ``step_px`` image pixels per event on a loop around the middle."""
    r0, c0 = rows / 2, cols / 2
    radius = min(rows, cols) * 0.3
    dtheta = step_px / radius
    return [(int(r0 + radius * math.sin(t * dtheta)), int(c0 + radius * math.cos(t * dtheta))) for t in range(n)]


class Driver:
    """Sends real mouse events to the view and times each one to the end of event processing."""

    def __init__(self, app, window):
        from PySide6 import QtCore, QtGui

        self.app, self.w = app, window
        self.QtCore, self.QtGui = QtCore, QtGui
        self.vp = window.view.viewport()

    def _send(self, kind, pixel, buttons):
        QtCore, QtGui = self.QtCore, self.QtGui
        pos = QtCore.QPointF(self.w.view.widget_pos_of(*pixel))
        button = QtCore.Qt.MouseButton.LeftButton if kind != QtCore.QEvent.Type.MouseMove else \
            QtCore.Qt.MouseButton.NoButton
        ev = QtGui.QMouseEvent(kind, pos, self.vp.mapToGlobal(pos), button, buttons,
                               QtCore.Qt.KeyboardModifier.NoModifier)
        QtCore.QCoreApplication.sendEvent(self.vp, ev)

    def stroke(self, pixels, times=None):
        Q = self.QtCore
        left = Q.Qt.MouseButton.LeftButton
        self._send(Q.QEvent.Type.MouseButtonPress, pixels[0], left)
        self.app.processEvents()
        for p in pixels[1:]:
            t0 = time.perf_counter()
            self._send(Q.QEvent.Type.MouseMove, p, left)
            self.app.processEvents()
            if times is not None:
                times.append((time.perf_counter() - t0) * 1000.0)
        self._send(Q.QEvent.Type.MouseButtonRelease, pixels[-1], Q.Qt.MouseButton.NoButton)
        self.app.processEvents()


def open_case(app, window, shape, case=None):
    from dicegui.gui.session import Session

    t0 = time.perf_counter()
    session = Session(case if case is not None else synthetic_case(shape))
    window.set_session(session)
    window.runner.cancel()
    window.runner.wait(120000)  # no surface computation competing for the CPU
    window.set_plane("axial")
    window.set_slice(session.n_slices(window.plane) // 2)
    app.processEvents()
    return time.perf_counter() - t0


def demo_case(binary: bool):
    """The 41-label totalseg demo, or the same volume with both masks made binary (``!= 0``)."""
    from dataclasses import replace

    from dicegui.core.case import MaskInfo
    from dicegui.core.demo import build_demo

    case = build_demo("totalseg")
    if not binary:
        return case
    gt, pred = ((m != 0).astype(np.uint8) for m in (case.gt_mask, case.pred_mask))
    info = MaskInfo("binary", "made binary for the benchmark", (1,))
    return replace(case, gt=replace(case.gt, data=gt), pred=replace(case.pred, data=pred), gt_mask=gt,
                   pred_mask=pred, gt_info=info, pred_info=info, label_names={})


def bench_dab(app, window, shape, strokes=8, events=60, case=None, label=1, step_screen=None, times_out=False):
    """Median ms per dab over ``strokes`` drags of ``events`` moves, alternating brush and eraser.

    ``step_screen``: move the hand this many screen pixels per event instead
    of 3 image pixels (an image much larger than the view: 3 image pixels
    would often land on the same screen pixel, a move that paints nothing).
    ``times_out``: return every dab's time instead.
    """
    elapsed = open_case(app, window, shape, case)
    ed = window.editor
    ed.panel.set_target("pred")
    ed.panel.set_label(label)
    ed.panel.protect.setChecked(True)
    ed.panel.radius.setValue(RADIUS)
    rows, cols = window.view.image_shape
    step = 3.0 if step_screen is None else step_screen * _image_px_per_screen_px(window)
    path = _path(rows, cols, events + 1, step_px=step)
    drv = Driver(app, window)
    ed.set_tool("brush")
    drv.stroke(path[:10])  # warm-up (caches, first paint)
    times = []
    for s in range(strokes):
        ed.set_tool("eraser" if s % 2 else "brush")
        drv.stroke(path, times)
    ed.history.mark_discarded()
    if times_out:
        return times
    return statistics.median(times), float(np.percentile(times, 90)), elapsed


def _image_px_per_screen_px(window) -> float:
    a, b = window.view.widget_pos_of(0, 0), window.view.widget_pos_of(0, 100)
    return 100.0 / max(abs(b.x() - a.x()), 1e-9)


def bench_memory(app, window, strokes=1000):
    open_case(app, window, BIG)
    # The 3-D pane keeps one mesh per case (replaced after edits, never accumulated): it is
    # measured on its own below; here only what grows with the number of strokes is.
    ev = window.views.error_view
    ev.wait_for_mesh(120000)
    s = ev.surface
    mesh_mb = 0.0 if s is None else sum(getattr(s, f).nbytes for f in vars(s) if hasattr(getattr(s, f), "nbytes")) / 1e6
    print(f"  3-D view: one mesh of the 300×512×512 case holds {mesh_mb:.1f} MB (kept per case, not per stroke)")
    window.set_layout("1x3")
    ed = window.editor
    ed.panel.set_target("pred")
    ed.panel.radius.setValue(RADIUS)
    ed.set_tool("brush")
    drv = Driver(app, window)
    rows, cols = window.view.image_shape
    rng = np.random.default_rng(7)
    n_slices = window.session.n_slices(window.plane)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    t0 = time.perf_counter()
    pixels = None
    for s in range(strokes):
        if s % 50 == 0:
            window.set_slice(int(rng.integers(0, n_slices)))
        if s % 2:  # erase what the previous stroke painted, so every stroke changes voxels
            ed.set_tool("eraser")
        else:
            ed.set_tool("brush")
            r, c = int(rng.integers(20, rows - 20)), int(rng.integers(20, cols - 20))
            pixels = [(r, c), (r + int(rng.integers(-15, 16)), c + int(rng.integers(-15, 16)))]
        drv.stroke(pixels)
    took = time.perf_counter() - t0
    gc.collect()
    heap = (tracemalloc.get_traced_memory()[0] - base) / 1e6
    tracemalloc.stop()
    # Slices shown keep their image and overlay codes in the views' caches:
    # bounded, and growing with slices visited, not with strokes.
    caches = sum(getattr(window.views, c).nbytes for c in ("codes_cache", "image_cache")
                 if hasattr(window.views, c)) / 1e6
    print(f"  slice caches of the views (bounded, per slice shown, not per stroke): {caches:.2f} MB of the heap")
    deltas = ed.history.nbytes / 1e6
    voxels = sum(ed.history.delta_at(i).voxels for i in range(ed.history.count))
    steps = ed.history.count
    ed.history.mark_discarded()
    return strokes, steps, voxels, deltas, heap, took


def main() -> int:
    from PySide6 import QtWidgets

    from dicegui.gui.main_window import MainWindow

    import tempfile

    from dicegui.gui import settings

    settings.use_folder(tempfile.mkdtemp(prefix="dicegui-bench-"))  # never the user's settings
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    window = MainWindow()
    window.dialogs_enabled = False
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    size = window.view.size()
    print(f"brush dab (radius {RADIUS}) during a drag, through the GUI (mouse event → mask → LiveScore → "
          f"panels → overlay rectangle → repaint), view {size.width()}×{size.height()} px")
    small, small90, t_small = bench_dab(app, window, SMALL)
    print(f"  64×64×64        median {small:6.2f} ms  (p90 {small90:5.2f})   case ready in {t_small:.1f} s")
    big, big90, t_big = bench_dab(app, window, BIG)
    print(f"  300×512×512     median {big:6.2f} ms  (p90 {big90:5.2f})   case ready in {t_big:.1f} s")
    ok_budget = big <= TARGET_MS
    ok_ratio = big / small <= TARGET_RATIO
    print(f"  big vs 16 ms target      {big / TARGET_MS:5.2f}×  {'PASS' if ok_budget else 'FAIL'}")
    print(f"  big / small              {big / small:5.2f}×  (target <= {TARGET_RATIO}×)  "
          f"{'PASS' if ok_ratio else 'FAIL'}")
    print(f"  napari 0.9.2 Labels dab: {NAPARI_MS} ms median (issue 14's figure, not measured here; napari "
          f"updates no scores): quoted, no ratio")

    print("41-label demo vs the same volume made binary (protect other labels on, painting one label; "
          "3 alternating rounds):")
    res = interleaved(app, window, {"labels": (demo_case(binary=False), LABEL), "binary": (demo_case(binary=True), 1)},
                      strokes=3)
    (labels_ms, labels90), (binary_ms, binary90) = res["labels"], res["binary"]
    ratio = labels_ms / binary_ms
    ok_labels = ratio <= TARGET_LABEL_RATIO and labels_ms <= TARGET_LABEL_MS
    print(f"  41 labels       median {labels_ms:6.2f} ms  (p90 {labels90:5.2f})")
    print(f"  binary          median {binary_ms:6.2f} ms  (p90 {binary90:5.2f})")
    print(f"  labels / binary          {ratio:5.2f}×  (target <= {TARGET_LABEL_RATIO}× and <= {TARGET_LABEL_MS:g} ms)"
          f"  {'PASS' if ok_labels else 'FAIL'}")

    print("2-D image, binary masks, the hand moving 3 screen pixels per event (3 alternating rounds):")
    res = interleaved(app, window, {"4096": (image_2d_case(4096), 1), "512": (image_2d_case(512), 1)},
                      strokes=3, step_screen=3.0)
    (big2d, big2d90), (small2d, small2d90) = res["4096"], res["512"]
    ok_2d = big2d <= TARGET_2D_MS
    print(f"  4096×4096       median {big2d:6.2f} ms  (p90 {big2d90:5.2f})  (target <= {TARGET_2D_MS:g} ms)  "
          f"{'PASS' if ok_2d else 'FAIL'}")
    print(f"  512×512         median {small2d:6.2f} ms  (p90 {small2d90:5.2f})")
    print(f"  4096² / 512²             {big2d / small2d:5.2f}×  (same run)")

    if "--no-memory" in sys.argv:  # the dab figures alone, a minute sooner
        window.close()
        return 0 if (ok_budget and ok_ratio and ok_labels and ok_2d) else 1
    strokes, steps, voxels, deltas, heap, took = bench_memory(app, window)
    ok_mem = max(deltas, heap) < TARGET_MB
    print(f"memory of {strokes} radius-{RADIUS} strokes ({steps} undo steps; a stroke that changes nothing makes "
          f"none) on 300×512×512 through the GUI: undo deltas {deltas:.2f} MB "
          f"for {voxels} changed voxels ({deltas * 1e6 / max(voxels, 1):.2f} B/voxel); Python heap growth "
          f"{heap:.2f} MB ({took:.1f} s)  (target < {TARGET_MB:.0f} MB)  {'PASS' if ok_mem else 'FAIL'}")
    window.close()
    return 0 if (ok_budget and ok_ratio and ok_labels and ok_2d and ok_mem) else 1


if __name__ == "__main__":
    sys.exit(main())
