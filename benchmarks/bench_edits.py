"""Brush dab cost during a drag, big volume vs small, and undo memory of 1,000 strokes.

Run: ``python benchmarks/bench_edits.py``

A "dab" is what happens at each mouse-move event of a drag: the segment from
the previous position is painted (radius 10, 2-D brush), written through
``LiveScore.apply``, and the panel's scores are read (``overlap()`` and the
current slice's ``slice_overlap``). Strokes alternate paint and erase along
the same path so every dab really changes voxels.

Figures (ratios are against baselines measured in the same run):

* dab on 300×512×512 vs the same dab on 64×64×64: target <= 1.5× (the cost
  must not depend on the volume size);
* dab vs one full ``metrics.overlap()`` of the big case (what recomputing
  the scores from scratch would cost per dab), for scale;
* release (``Stroke.finish``: merging dabs into one undo delta);
* memory of 1,000 radius-10 strokes on the big case: target < 50 MB.

The issue's 16 ms end-to-end budget also covers the overlay redraw, which is
the GUI's; the figure here is the core's share of it.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dicegui.core import metrics  # noqa: E402
from dicegui.core.edits import Brush, Stroke  # noqa: E402
from dicegui.core.live import LiveScore  # noqa: E402

RADIUS = 10
STROKES = 12
POSITIONS = 40


def make_case(shape, seed=0):
    """A ball of ground truth and a shifted ball of prediction, uint8 binary masks."""
    rng = np.random.default_rng(seed)
    gt = np.zeros(shape, np.uint8)
    pred = np.zeros(shape, np.uint8)
    c = np.array(shape) // 2
    r = min(shape) // 3
    # Fill ball by slabs to avoid a full-volume float temporary on the big case.
    jj, kk = np.ogrid[: shape[1], : shape[2]]
    for i in range(shape[0]):
        d2 = (i - c[0]) ** 2 + (jj - c[1]) ** 2 + (kk - c[2]) ** 2
        gt[i] = d2 <= r * r
        pred[i] = (i - c[0]) ** 2 + (jj - c[1] - 4) ** 2 + (kk - c[2]) ** 2 <= r * r
    # a little noise so the counts are not trivially symmetric
    noise = rng.integers(0, shape[0], 1000), rng.integers(0, shape[1], 1000), rng.integers(0, shape[2], 1000)
    pred[noise] = 1
    return gt, pred


def drag_path(center, n):
    """Mouse positions of a quick wavy drag across the centre (about 2-3 voxels apart)."""
    t = np.linspace(0, 1, n)
    u = center[0] - 20 + 40 * t
    v = center[1] + 12 * np.sin(t * 2 * np.pi)
    return list(zip(u, v))


def time_drag(shape):
    gt, pred = make_case(shape)
    live = LiveScore(gt, pred)
    axis, s = 0, shape[0] // 2
    center = (shape[1] // 2, shape[2] // 2)
    path = drag_path(center, POSITIONS)
    dabs, releases, changed = [], [], []
    for n in range(STROKES):
        stroke = Stroke(live, "pred", axis, s, Brush(radius=RADIUS, erase=n % 2 == 1))
        for p in path:
            t0 = time.perf_counter()
            stroke.add(p)
            live.overlap()
            live.slice_overlap(axis, s)
            dabs.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        delta = stroke.finish()
        releases.append(time.perf_counter() - t0)
        changed.append(0 if delta is None else delta.voxels)
    # sanity: the live scores are the real ones
    exact = metrics.overlap(gt, pred)
    assert live.overlap()["tp"] == exact["tp"] and live.overlap()["fp"] == exact["fp"]
    return statistics.median(dabs), statistics.median(releases), int(statistics.median(changed)), gt, pred


def stroke_memory(gt, pred, n_strokes=1000):
    rng = np.random.default_rng(1)
    live = LiveScore(gt, pred)
    shape = gt.shape
    total = voxels = 0
    t0 = time.perf_counter()
    for n in range(n_strokes):
        stroke = Stroke(live, "pred", 0, int(rng.integers(shape[0])), Brush(radius=RADIUS, erase=n % 4 == 3))
        p = rng.uniform(30, min(shape[1:]) - 30, 2)
        for _ in range(6):
            stroke.add(p)
            p = np.clip(p + rng.normal(0, 8, 2), 0, min(shape[1:]) - 1)
        delta = stroke.finish()
        if delta is not None:
            total += delta.nbytes
            voxels += delta.voxels
    return total, voxels, time.perf_counter() - t0


def main() -> int:
    big, small = (300, 512, 512), (64, 64, 64)
    dab_small, rel_small, vox_small, _, _ = time_drag(small)
    dab_big, rel_big, vox_big, gt, pred = time_drag(big)
    t_overlap = []
    for _ in range(3):
        t0 = time.perf_counter()
        metrics.overlap(gt, pred)
        t_overlap.append(time.perf_counter() - t0)
    t_overlap = statistics.median(t_overlap)
    ratio = dab_big / dab_small
    print(f"brush dab radius {RADIUS} during a drag (paint/erase, scores read each dab), median:")
    print(f"  64x64x64     {dab_small * 1e3:7.3f} ms   release {rel_small * 1e3:6.2f} ms "
          f"(median stroke {vox_small} voxels)")
    print(f"  300x512x512  {dab_big * 1e3:7.3f} ms   release {rel_big * 1e3:6.2f} ms "
          f"(median stroke {vox_big} voxels)")
    print(f"  big / small          {ratio:6.2f}x  (target <= 1.5x)  {'PASS' if ratio <= 1.5 else 'FAIL'}")
    print(f"  full overlap() big   {t_overlap * 1e3:7.1f} ms = {t_overlap / dab_big:6.0f}x one dab")
    print(f"  dab vs 16 ms budget  {dab_big / 0.016:6.3f}x of the budget (core share only)")
    total, voxels, secs = stroke_memory(gt, pred)
    mb = total / 2**20
    print(f"memory of 1000 strokes radius {RADIUS} on 300x512x512: {mb:.2f} MB for {voxels} changed voxels "
          f"({total / max(voxels, 1):.2f} B/voxel; {secs:.1f} s to draw)  (target < 50 MB)  "
          f"{'PASS' if mb < 50 else 'FAIL'}")
    return 0 if ratio <= 1.5 and mb < 50 else 1


if __name__ == "__main__":
    sys.exit(main())
