"""Error-region navigator and threshold curve on a CT-sized volume (300×512×512).

Regions: ``error_regions(gt, pred, spacing)`` (find the box where the masks
differ, FP/FN masks there, one labelling per kind, per-region size, box,
centroid and Dice gain) against the baseline ``scipy.ndimage.label`` of the
full false-positive mask alone (the mask computed before the timing), in
three cases:

* organ: a 40×70×60-voxel-radius ellipsoid, the prediction shifted, with a
  missed chunk and five false-positive blobs elsewhere (the common case);
* large: a structure filling most of the volume (the box is most of it);
* speckle: the organ plus 0.05 % isolated false-positive voxels spread over
  the whole volume (worst case: the box is the whole volume and there are
  ~40 000 regions).

Also timed: ``fix_region`` of the top region plus its undo, against the same
baseline. Also measured (``tracemalloc``, outside the timings): the memory
the region list holds and the listing's traced peak, against the label
arrays of its boxes (the narrowest unsigned type for their regions), which the list
held until it kept only its voxels' indices (issue 14).

Threshold curve: ``threshold_curve(prob, gt, 101 thresholds)`` in one pass,
against ``metrics.overlap(gt, prob >= t)`` per threshold (measured on 3
thresholds in this run, times 101).

Ratios > 1 mean ours is faster. Run: ``python benchmarks/bench_regions.py``
"""
from __future__ import annotations

import time
import tracemalloc

import numpy as np
from scipy import ndimage

from dicegui.core import metrics
from dicegui.core.edits import apply_delta
from dicegui.core.live import LiveScore
from dicegui.core.regions import error_regions, fix_region
from dicegui.core.teaching import illustrative_probability_map
from dicegui.core.threshold import threshold_curve

SHAPE = (300, 512, 512)
SPACING = (2.5, 0.8, 0.8)
REPEATS = 3


def blob(shape, centre, radii, out=None) -> np.ndarray:
    """uint8 ellipsoid, slice by slice (no full-size float temporaries)."""
    if out is None:
        # every page written, so no timing includes first-touch page faults
        out = np.empty(shape, np.uint8)
        out.fill(0)
    yy, xx = np.ogrid[: shape[1], : shape[2]]
    for z in range(max(0, int(centre[0] - radii[0])), min(shape[0], int(centre[0] + radii[0]) + 1)):
        dz = ((z - centre[0]) / radii[0]) ** 2
        out[z] |= (((yy - centre[1]) / radii[1]) ** 2 + ((xx - centre[2]) / radii[2]) ** 2 <= 1 - dz)
    return out


def median_time(fn, repeats=REPEATS) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def organ_case():
    gt = blob(SHAPE, (150, 256, 256), (40, 70, 60))
    pred = blob(SHAPE, (153, 260, 252), (38, 72, 58))
    pred[150:170, 256:300, 256:300] = 0  # a missed chunk
    rng = np.random.default_rng(0)
    for _ in range(5):
        c = (rng.integers(30, 270), rng.integers(40, 470), rng.integers(40, 470))
        blob(SHAPE, c, (3, 6, 6), out=pred)
    return gt, pred


def large_case():
    return blob(SHAPE, (150, 256, 256), (110, 180, 170)), blob(SHAPE, (158, 268, 246), (105, 175, 180))


def speckle_case():
    gt, pred = organ_case()
    rng = np.random.default_rng(1)
    n = int(0.0005 * gt.size)
    flat = rng.integers(0, gt.size, n)
    pred.reshape(-1)[flat] = 1
    return gt, pred


def bench_regions(name, gt, pred) -> None:
    fp_full = (pred != 0) & (gt == 0)
    baseline = median_time(lambda: ndimage.label(fp_full))
    del fp_full
    regions = error_regions(gt, pred, SPACING)
    ours = median_time(lambda: error_regions(gt, pred, SPACING))
    n_fp = sum(r.kind == "FP" for r in regions)
    print(f"{name:8s} regions {len(regions):6d} ({n_fp} FP)  baseline label(FP) {baseline * 1e3:8.1f} ms  "
          f"error_regions {ours * 1e3:8.1f} ms  ratio {baseline / ours:6.2f}x")
    report_memory(gt, pred)
    live = LiveScore(gt, pred)

    def fix_and_undo():
        delta = fix_region(live, regions[0])
        apply_delta(live, delta, undo=True)

    t_fix = median_time(fix_and_undo)
    print(f"{'':8s} fix_region + undo of the top region ({regions[0].kind}, {regions[0].voxels} voxels): "
          f"{t_fix * 1e3:.1f} ms, ratio {baseline / t_fix:.1f}x")


def _label_bytes(regions: int) -> int:
    """Bytes per voxel of the narrowest unsigned type for ids 0..regions."""
    return 1 if regions < 2 ** 8 else 2 if regions < 2 ** 16 else 4


def report_memory(gt, pred) -> None:
    """What the region list holds, against the label arrays of the boxes it held before."""
    tracemalloc.start()
    regions = error_regions(gt, pred, SPACING)
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # each kind's regions of a box share one store of voxel indices, made
    # for the box its label array had (narrowest type for its region count)
    stores = {id(r._voxels): r._voxels for r in regions}.values()
    label_arrays = sum(int(np.prod(v.shape)) * _label_bytes(v.starts.size - 1) for v in stores)
    print(f"{'':8s} the list holds {held / 1e6:.1f} MB (listing's traced peak {peak / 1e6:.1f} MB); "
          f"label arrays of its {len(stores)} boxes: {label_arrays / 1e6:.1f} MB")


def bench_threshold(gt) -> None:
    t0 = time.perf_counter()
    prob = illustrative_probability_map(gt, SPACING, sigma_mm=3.0)
    t_map = time.perf_counter() - t0
    print(f"illustrative_probability_map (sigma 3 mm): {t_map * 1e3:.0f} ms")
    thresholds = np.linspace(0, 1, 101)
    per_threshold = median_time(lambda: metrics.overlap(gt, prob >= np.float64(0.37)))
    curve = median_time(lambda: threshold_curve(prob, gt, thresholds))
    baseline = per_threshold * thresholds.size
    print(f"threshold curve, 101 thresholds: baseline 101 × overlap(gt, prob >= t) "
          f"{baseline * 1e3:.0f} ms (per threshold {per_threshold * 1e3:.1f} ms), "
          f"threshold_curve {curve * 1e3:.0f} ms, ratio {baseline / curve:.1f}x")


def main() -> int:
    print(f"volume {SHAPE}, uint8 masks, spacing {SPACING} mm; median of {REPEATS}")
    gt, pred = organ_case()
    bench_regions("organ", gt, pred)
    bench_threshold(gt)
    del gt, pred
    bench_regions("large", *large_case())
    bench_regions("speckle", *speckle_case())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
