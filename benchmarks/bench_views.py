"""Linked views speed on a 300×512×512 label-map case: crosshair moves and brush dabs with three views.

Run: ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_views.py`` (about a minute).

1. Crosshair move (C-order arrays, the worst case for axial slices, and
   F-order ones, as nibabel returns NIfTI data): ``LinkedViews.set_cursor`` to a voxel whose three
   coordinates all differ from the last one (the worst case: the axial,
   coronal and sagittal views each draw a new slice: image through the
   window, TP/FP/FN codes, LUT, caption, crosshair lines; plus the slice
   scores, legend and status bar), then a synchronous repaint of the three
   viewports. Target: median ≤ 25 ms. Baseline measured in the same run:
   one view alone (layout 1×1) changing its axial slice, repainted the same
   way: the single-view window that the three views replaced.
2. Brush dab with three views: the radius-10 brush dragged by real Qt mouse
   events across the axial view (path as in ``bench_editor.py``) while the
   coronal and sagittal views show slices that the path crosses, so dabs
   repaint their rectangles in the other views too. Target: median ≤ 16 ms;
   compared with the same dabs in layout 1×1 in the same run.

3. The same dabs while the 3-D view rebuilds its meshes without pause in
   its worker thread (each finished build starts the next): the 3-D view
   must not push a dab past 16 ms.

4. Axial slice change (issue 14) on the C-order case, layout 1×1:
   ``window.set_slice`` and a synchronous repaint, against a bare
   pyqtgraph ``ImageItem.setImage`` of the same strided slice with the same
   levels in a plain view of the same size, repainted the same way, in
   alternating rounds of the same run. First visits of a slice (nothing
   cached) and revisits (the views keep recent slices' C-order images and
   overlay codes) are printed apart. Target: ≤ 1.5× the bare view.
   The same is then measured on the F-order case (as nibabel hands NIfTI
   data over), where the axial slice is contiguous and the bare view reads
   it in a fraction of the time: there the ratio shows what the window adds
   to a slice change besides reading it (overlay, captions, scores, plot).
   A first visit overlaps the image's gather (on a worker thread) with the
   overlay and the panels, so it gains from a free second core.

Offscreen Qt draws into memory buffers (no GPU, no screen), as every
figure of this project's benchmarks does.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PySide6 import QtCore

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_editor import BIG, RADIUS, Driver, _path, synthetic_case  # noqa: E402
from bench_gui import synthetic_case as ordered_case  # noqa: E402

TARGET_CURSOR_MS = 25.0
TARGET_DAB_MS = 16.0
TARGET_SLICE_RATIO = 1.5


def _repaint(window) -> None:
    for view in window.views.all_views():
        if view.isVisible():
            view.viewport().repaint()


def bench_cursor(app, window, moves=60):
    """(three views, one view) median ms of a cursor move / single-view slice change."""
    rng = np.random.default_rng(3)
    shape = window.session.shape
    targets = [tuple(int(rng.integers(int(n * 0.2), int(n * 0.8))) for n in shape) for _ in range(moves)]
    window.set_layout("2x2")
    window.set_plane("axial")
    app.processEvents()
    three = []
    for ijk in targets:
        t0 = time.perf_counter()
        window.views.set_cursor(ijk)
        _repaint(window)
        three.append((time.perf_counter() - t0) * 1000.0)
    window.set_layout("1x1")
    app.processEvents()
    one = []
    for ijk in targets:
        t0 = time.perf_counter()
        window.set_slice(ijk[2])
        _repaint(window)
        one.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(three), statistics.median(one)


def _bare_view(size):
    """A bare pyqtgraph GraphicsView + ImageItem of ``size``: the peer a slice change is measured against."""
    import pyqtgraph as pg

    view = pg.GraphicsView(background="k")
    box = pg.ViewBox(invertY=True, lockAspect=True, enableMenu=False)
    view.setCentralItem(box)
    item = pg.ImageItem(axisOrder="row-major")
    box.addItem(item)
    view.resize(size)
    view.show()
    return view, box, item


def _clear_caches(window) -> None:
    """Forget the views' slice caches (absent before issue 14: the benchmark also runs on older trees)."""
    for name in ("codes_cache", "image_cache"):
        cache = getattr(window.views, name, None)
        if cache is not None:
            cache.clear()


def bench_slice_change(app, window, rounds=5, steps=40):
    """(dicegui first visits, dicegui revisits, bare ImageItem) median ms of an axial slice change.

    dicegui: ``window.set_slice`` in layout 1×1 (image through the window,
    TP/FP/FN codes, LUT, caption, slice scores, legend, slider) and a
    synchronous repaint of the view. Bare: ``ImageItem.setImage`` of the
    same screen slice (the strided view as the array holds it, the same
    levels) in a plain pyqtgraph view of the same size, repainted the same
    way. Rounds alternate so both see the same machine load. The first
    round visits each slice for the first time (nothing cached); later
    rounds revisit them (image gather and overlay codes from the views'
    caches), as scrolling back and forth does.
    """
    from dicegui.core.display import plane_image

    window.set_layout("1x1")
    window.set_plane("axial")
    app.processEvents()
    s = window.session
    plane = window.plane
    n = s.n_slices(plane)
    bare, box, item = _bare_view(window.view.size())
    item.setImage(np.asarray(plane_image(s.image, plane, n // 2)), autoLevels=False, levels=window.levels)
    rows, cols = window.view.image_shape
    box.setRange(QtCore.QRectF(0, 0, cols, rows), padding=0.02)
    app.processEvents()
    first, again, peer = [], [], []
    indices = [int(n * 0.2) + (i * 7) % int(n * 0.6) for i in range(steps)]
    _clear_caches(window)
    for r in range(rounds):
        ours = first if r == 0 else again
        for k in indices:
            t0 = time.perf_counter()
            window.set_slice(k)
            window.view.viewport().repaint()
            ours.append((time.perf_counter() - t0) * 1000.0)
        for k in indices:
            t0 = time.perf_counter()
            item.setImage(plane_image(s.image, plane, k), autoLevels=False, levels=window.levels)
            bare.viewport().repaint()
            peer.append((time.perf_counter() - t0) * 1000.0)
    bare.close()
    return statistics.median(first), statistics.median(again), statistics.median(peer)


def bench_scroll(app, window, rounds=3, steps=30):
    """Scrolling one slice per step with the event loop run between steps, as wheel events arrive.

    Returns ``(ours step, ours idle, bare step, bare idle)`` medians in ms:
    the step is ``set_slice`` (or ``setImage``) and a synchronous repaint;
    idle is the ``processEvents()`` that follows it, where dicegui prepares
    the next slice. Each round scrolls over slices not seen before, so
    nothing but what the scroll itself prepared is cached.
    """
    from dicegui.core.display import plane_image

    window.set_layout("1x1")
    window.set_plane("axial")
    app.processEvents()
    s = window.session
    plane = window.plane
    bare, box, item = _bare_view(window.view.size())
    rows, cols = window.view.image_shape
    box.setRange(QtCore.QRectF(0, 0, cols, rows), padding=0.02)
    out = {"ours": ([], []), "bare": ([], [])}
    n = s.n_slices(plane)
    for r in range(rounds):
        start = int(n * 0.1) + r * (steps + 2)
        _clear_caches(window)
        window.set_slice(start)
        app.processEvents()
        for k in range(start + 1, start + 1 + steps):
            t0 = time.perf_counter()
            window.set_slice(k)
            window.view.viewport().repaint()
            t1 = time.perf_counter()
            app.processEvents()
            out["ours"][0].append((t1 - t0) * 1000.0)
            out["ours"][1].append((time.perf_counter() - t1) * 1000.0)
        for k in range(start + 1, start + 1 + steps):
            t0 = time.perf_counter()
            item.setImage(plane_image(s.image, plane, k), autoLevels=False, levels=window.levels)
            bare.viewport().repaint()
            t1 = time.perf_counter()
            app.processEvents()
            out["bare"][0].append((t1 - t0) * 1000.0)
            out["bare"][1].append((time.perf_counter() - t1) * 1000.0)
    bare.close()
    return tuple(statistics.median(v) for who in ("ours", "bare") for v in out[who])


def bench_dabs(app, window, layout: str, strokes=6, events=60, meshing: bool = False) -> float:
    """Median ms per dab; ``meshing``: the 3-D view rebuilds its meshes without pause meanwhile."""
    ev = window.views.error_view
    real_rebuild = ev.rebuild
    if not meshing:
        ev.rebuild = lambda: None  # the quiet baseline: no mesh work at all
    else:
        again = lambda: QtCore.QTimer.singleShot(0, real_rebuild)  # noqa: E731
        ev.meshReady.connect(again)
        real_rebuild()
    window.set_layout(layout)
    window.set_plane("axial")
    app.processEvents()
    ed = window.editor
    ed.panel.set_target("pred")
    ed.panel.set_label(1)
    ed.panel.radius.setValue(RADIUS)
    rows, cols = window.view.image_shape
    path = _path(rows, cols, events + 1, step_px=3.0)
    # the cursor on the path's loop centre: the coronal and sagittal slices cut the loop
    from dicegui.core.display import plane_to_voxel

    mid = plane_to_voxel(window.plane, window.index, rows // 2, cols // 2, window.session.shape)
    window.views.set_cursor(mid)
    drv = Driver(app, window)
    ed.set_tool("brush")
    drv.stroke(path[:10])
    times = []
    for s in range(strokes):
        ed.set_tool("eraser" if s % 2 else "brush")
        drv.stroke(path, times)
    ed.set_tool(None)
    ed.history.mark_discarded()
    if meshing:
        ev.meshReady.disconnect(again)
        builds = ev._generation
    ev.rebuild = real_rebuild
    ev.wait_for_mesh(120000)
    if meshing:
        print(f"    ({builds} mesh builds started during the dabs)")
    return statistics.median(times)


def _print_slice_change(order: str, medians) -> None:
    first, again, bare = medians
    print(f"axial slice change, 300×512×512 {order} (1×1, repainted); bare pyqtgraph ImageItem.setImage of the "
          f"same slice in the same run: median {bare:.2f} ms")
    for what, ours in (("first visit of a slice", first), ("revisit (caches)", again)):
        ok = ours <= TARGET_SLICE_RATIO * bare
        print(f"  {what:24s} median {ours:6.2f} ms; ratio to bare {ours / bare:.2f}× "
              f"(target ≤ {TARGET_SLICE_RATIO}×: {'ok' if ok else 'MISSED'})")


def main() -> int:
    from PySide6 import QtWidgets

    from dicegui.gui.main_window import MainWindow
    from dicegui.gui.session import Session

    import tempfile

    from dicegui.gui import settings

    settings.use_folder(tempfile.mkdtemp(prefix="dicegui-bench-"))  # never the user's settings
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    window = MainWindow()
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    t0 = time.perf_counter()
    window.set_session(Session(synthetic_case(BIG)))
    window.surface.reset()
    window.runner.wait(120000)
    window.views.error_view.wait_for_mesh(120000)
    app.processEvents()
    print(f"case {BIG[2]}×{BIG[1]}×{BIG[0]} ready in {time.perf_counter() - t0:.1f} s")

    for order in ("C", "F"):
        if order == "F":  # as nibabel hands NIfTI volumes over: axial slices contiguous
            window.set_session(Session(ordered_case("F")))
            window.surface.reset()
            window.views.error_view.wait_for_mesh(120000)  # no mesh work competing with the timing
            app.processEvents()
        three, one = bench_cursor(app, window)
        print(f"[{order}-order arrays] crosshair move, three views redrawn: median {three:.2f} ms "
              f"(target ≤ {TARGET_CURSOR_MS:.0f} ms: {'ok' if three <= TARGET_CURSOR_MS else 'MISSED'}); "
              f"one view's slice change (1×1, same run) {one:.2f} ms; ratio {three / one:.2f}×")

    window.set_session(Session(synthetic_case(BIG)))
    window.surface.reset()
    window.views.error_view.wait_for_mesh(120000)
    app.processEvents()
    window.wait_for_workers(120000)  # no surface or mesh computation competing with the timing
    _print_slice_change("C-order", bench_slice_change(app, window))
    step, idle, bare_step, bare_idle = bench_scroll(app, window)
    ok = step <= TARGET_SLICE_RATIO * bare_step
    print(f"  scrolling slice by slice over new slices, events run between steps: step median {step:.2f} ms, "
          f"then idle work {idle:.2f} ms (the next slice prepared); bare {bare_step:.2f} ms + {bare_idle:.2f} ms; "
          f"step ratio {step / bare_step:.2f}× (target ≤ {TARGET_SLICE_RATIO}×: {'ok' if ok else 'MISSED'}); "
          f"step + idle ratio {(step + idle) / (bare_step + bare_idle):.2f}×")
    window.set_session(Session(ordered_case("F")))
    window.surface.reset()
    window.wait_for_workers(120000)
    window.views.error_view.wait_for_mesh(120000)
    app.processEvents()
    _print_slice_change("F-order", bench_slice_change(app, window))
    window.set_session(Session(synthetic_case(BIG)))
    window.surface.reset()
    window.wait_for_workers(120000)
    window.views.error_view.wait_for_mesh(120000)
    app.processEvents()
    dab3 = bench_dabs(app, window, "2x2")
    dab1 = bench_dabs(app, window, "1x1")
    dab_mesh = bench_dabs(app, window, "2x2", meshing=True)
    print(f"brush dab, r={RADIUS}, three views shown (2×2): median {dab3:.2f} ms (target ≤ {TARGET_DAB_MS:.0f} ms: "
          f"{'ok' if dab3 <= TARGET_DAB_MS else 'MISSED'}); one view (1×1, same run) {dab1:.2f} ms; "
          f"ratio {dab3 / dab1:.2f}×")
    print(f"brush dab while the 3-D view rebuilds its meshes in the background: median {dab_mesh:.2f} ms "
          f"(target ≤ {TARGET_DAB_MS:.0f} ms: {'ok' if dab_mesh <= TARGET_DAB_MS else 'MISSED'}); "
          f"ratio to the quiet 2×2 dab {dab_mesh / dab3:.2f}× (offscreen: meshes computed, not drawn)")
    window.editor.history.mark_discarded()
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
