"""3-D error view speed: building the surfaces, and a brush dab while they are rebuilt.

Run: ``python benchmarks/bench_view3d.py`` (about a minute; no Qt needed).

1. Building the view's data (``error_surface`` + vertex normals + colours:
   everything the view's worker computes) on the shipped demo
   (``dicegui --demo totalseg``: one organ, the liver, and all foreground)
   and on the 300×512×512 synthetic label-map case of ``bench_editor.py``
   (one label and all foreground). Compared in the same run with
   ``skimage.measure.marching_cubes`` of the same foreground over the whole
   uncropped volume, the naive mesh alone (no distances, no crop).
2. A brush dab (core ``Stroke.add`` on a ``LiveScore`` plus the scores the
   panel reads, as ``bench_edits.py`` times it) on the big case, quiet, and
   while a thread rebuilds the 3-D data without pause, as the view's worker
   would if the masks kept changing. Each dab is timed from the moment its
   mouse event is due, so time spent waiting for the GIL (held by the worker
   inside a C call) counts. The ratio says how much the worker slows the hand. Target: the median and the 95th percentile stay
   far inside the 16 ms budget of a dab.

The drawing itself (pyqtgraph, OpenGL) is not timed here: it needs a display.
"""
from __future__ import annotations

import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_editor import BIG, SPACING, synthetic_case  # noqa: E402
from bench_edits import drag_path  # noqa: E402

from dicegui.core.edits import Brush, Stroke  # noqa: E402
from dicegui.core.live import LiveScore  # noqa: E402
from dicegui.core.surface_mesh import (  # noqa: E402
    default_limit,
    diverging_colors,
    error_surface,
    vertex_normals,
)

TARGET_DAB_MS = 16.0
LIVER = 5  # TotalSegmentator's label for the liver
RADIUS = 10
PERIOD_S = 0.008  # between mouse-move events of a drag


def view_data(reference, prediction, spacing, label=None):
    """What the 3-D view's worker computes for one picture."""
    s = error_surface(reference, prediction, spacing, label)
    if np.isfinite(s.pred_distance_mm).any():
        diverging_colors(s.pred_distance_mm, default_limit(s.pred_distance_mm, s.spacing))
    vertex_normals(s.pred_vertices, s.pred_faces)
    vertex_normals(s.ref_vertices, s.ref_faces)
    return s


def _median_ms(fn, repeats=3):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000.0, out


def bench_build(name, gt, pred, spacing, label):
    ms, s = _median_ms(lambda: view_data(gt, pred, spacing, label))
    from skimage.measure import marching_cubes

    fg = (pred != 0) if label is None else (pred == label)
    naive, _ = _median_ms(lambda: marching_cubes(fg.astype(np.uint8), 0.5, spacing=tuple(spacing)))
    what = "all foreground" if label is None else f"label {label}"
    print(f"  {name:<22} {what:<15} {ms:8.1f} ms  ({len(s.pred_vertices):,} + {len(s.ref_vertices):,} vertices, "
          f"1 in {s.step} per axis)   naive uncropped marching cubes of the prediction alone {naive:8.1f} ms "
          f"(ratio {ms / naive:.2f}x)")


def time_dabs(live, strokes, stop_after=None):
    """Milliseconds per dab of radius-10 strokes on the middle axial slice, a hand's pace apart."""
    axis, index = 2, live.gt.shape[2] // 2
    path = drag_path((179, 281), 40)  # across the first organ: every dab changes voxels
    out = []
    due = time.perf_counter()
    for n in range(strokes):
        stroke = Stroke(live, "pred", axis, index, Brush(radius=RADIUS, erase=n % 2 == 1), spacing=SPACING)
        for p in path:
            # a mouse event every 8 ms; timed from when it is due, so a wait for the GIL
            # (held by the worker) counts against the dab, as the window would feel it
            due += PERIOD_S
            time.sleep(max(0.0, due - time.perf_counter()))
            stroke.add(p)
            live.overlap()
            live.slice_overlap(axis, index)
            done = time.perf_counter()
            out.append((done - due) * 1000.0)
            due = max(due, done)
        stroke.finish()
        if stop_after is not None and stop_after():
            break
    return np.array(out)


def bench_dab_during_rebuild(case):
    live = LiveScore(case.gt_mask, case.pred_mask)
    time_dabs(live, 2)  # warm-up
    quiet = time_dabs(live, 8)
    stop = threading.Event()
    builds = []

    def worker():
        while not stop.is_set():
            t0 = time.perf_counter()
            view_data(live.gt, live.pred, SPACING)  # the masks as the dabs leave them, as the view does
            builds.append(time.perf_counter() - t0)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    # at least three whole rebuilds overlap the dabs
    busy = time_dabs(live, 200, stop_after=lambda: len(builds) >= 3)
    stop.set()
    thread.join()
    for name, t in (("quiet", quiet), ("during rebuilds", busy)):
        print(f"  {name:<16} median {np.median(t):6.2f} ms   p95 {np.percentile(t, 95):6.2f} ms   "
              f"max {t.max():6.1f} ms   ({len(t)} dabs)")
    ratio = np.median(busy) / np.median(quiet)
    ok = np.percentile(busy, 95) <= TARGET_DAB_MS
    print(f"  ratio during/quiet (median) {ratio:.2f}x, p95 {np.percentile(busy, 95) / np.percentile(quiet, 95):.2f}x; "
          f"{len(builds)} rebuilds of {statistics.median(builds):.2f} s each ran meanwhile; "
          f"p95 during rebuilds within {TARGET_DAB_MS:.0f} ms: {'ok' if ok else 'MISSED'}")
    return ok


def main() -> int:
    from dicegui.core.demo import build_demo

    print("building the 3-D view's data (median of 3):")
    demo = build_demo("totalseg")
    spacing = np.sqrt((demo.affine[:3, :3] ** 2).sum(axis=0))
    shape = demo.gt_mask.shape
    for label in (LIVER, None):
        bench_build(f"demo {shape[0]}×{shape[1]}×{shape[2]}", demo.gt_mask, demo.pred_mask, spacing, label)
    case = synthetic_case(BIG)
    for label in (3, None):
        bench_build(f"synthetic {BIG[2]}×{BIG[1]}×{BIG[0]}", case.gt_mask, case.pred_mask, SPACING, label)
    print(f"brush dab r={RADIUS} on {BIG[2]}×{BIG[1]}×{BIG[0]} (core + scores), quiet vs while the 3-D data is rebuilt "
          f"in a thread (same run):")
    ok = bench_dab_during_rebuild(case)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
