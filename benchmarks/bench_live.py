"""LiveScore: one brush dab + score read vs a full overlap() of the volume.

Volumes: 300×512×512 uint8, gt an ellipsoid blob, pred the same blob offset.
A dab is a radius-10 disc on one slice at a random position, alternately
painting a spot (value 1) and erasing it again (value 0), applied to the
prediction through ``LiveScore.apply`` followed by ``LiveScore.overlap()``.
Two index styles are timed, as an editor would issue them:

* box: the disc's bounding-box slices, values = disc where painted, the
  previous content elsewhere (read from the mask first, inside the timing);
* voxels: integer index arrays of the disc's voxels, scalar value.

The baseline is ``metrics.overlap`` on the whole volume, measured in the
same run. Target: the dab is at least 500× faster (median over ~200 dabs).

Run: ``python benchmarks/bench_live.py``
"""
from __future__ import annotations

import time

import numpy as np

from dicegui.core import metrics
from dicegui.core.live import LiveScore

SHAPE = (300, 512, 512)
RADIUS = 10
N_DABS = 200
TARGET = 500.0


def blob(shape, centre, radii) -> np.ndarray:
    """uint8 ellipsoid, built slice by slice to avoid full-size float temporaries."""
    # Every slice is written (np.zeros would leave untouched pages unmapped,
    # and the first write to each would time a page fault, not our code).
    out = np.empty(shape, np.uint8)
    yy, xx = np.ogrid[: shape[1], : shape[2]]
    for z in range(shape[0]):
        dz = ((z - centre[0]) / radii[0]) ** 2
        out[z] = ((yy - centre[1]) / radii[1]) ** 2 + ((xx - centre[2]) / radii[2]) ** 2 <= 1 - dz
    return out


def median_time(fn, repeats) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main() -> int:
    gt = blob(SHAPE, (150, 256, 256), (110, 180, 170))
    pred = blob(SHAPE, (158, 268, 246), (105, 175, 180))

    t0 = time.perf_counter()
    live = LiveScore(gt, pred)
    build = time.perf_counter() - t0
    full = median_time(lambda: metrics.overlap(gt, pred), 5)

    yy, xx = np.mgrid[-RADIUS : RADIUS + 1, -RADIUS : RADIUS + 1]
    disc = yy**2 + xx**2 <= RADIUS**2
    dy, dx = np.nonzero(disc)
    dy, dx = dy - RADIUS, dx - RADIUS
    rng = np.random.default_rng(0)

    def positions():
        # Each position twice: a paint dab, then an erase dab on the same spot,
        # so every dab changes voxels (erasing background would be a no-op).
        half = N_DABS // 2
        return tuple(np.repeat(rng.integers(lo, hi, half), 2) for lo, hi in
                     ((0, SHAPE[0]), (RADIUS, SHAPE[1] - RADIUS), (RADIUS, SHAPE[2] - RADIUS)))

    def dab_box(z, y, x, value):
        box = (z, slice(y - RADIUS, y + RADIUS + 1), slice(x - RADIUS, x + RADIUS + 1))
        values = np.where(disc, np.uint8(value), pred[box])
        live.apply("pred", box, values)
        return live.overlap()

    def dab_voxels(z, y, x, value):
        index = (np.full(dy.size, z), y + dy, x + dx)
        live.apply("pred", index, value)
        return live.overlap()

    def time_dabs(dab, values):
        times = []
        for z, y, x, value in zip(*positions(), values):
            t0 = time.perf_counter()
            dab(int(z), int(y), int(x), int(value))
            times.append(time.perf_counter() - t0)
        return float(np.median(times))

    paint_erase = (np.arange(N_DABS) + 1) % 2  # 1, 0, 1, 0, ...
    results = {"box": time_dabs(dab_box, paint_erase), "voxels": time_dabs(dab_voxels, paint_erase)}
    # Informational: once a label other than 0/1 is painted, per-label counts
    # are maintained as well (label maps), at some extra cost per dab.
    label_time = time_dabs(dab_box, paint_erase * np.repeat(rng.integers(1, 5, N_DABS // 2), 2))
    # repr() compares nan entries (labels absent from gt) as equal.
    assert repr(live.per_label()) == repr(metrics.per_label(gt, pred)), "per_label drifted"

    # The counts must still be right after all those dabs.
    assert repr(live.overlap()) == repr(metrics.overlap(gt, pred)), "overlap drifted"

    print(f"volume {SHAPE} uint8, {int(disc.sum())}-voxel disc (r={RADIUS}), "
          f"{N_DABS} dabs per style")
    print(f"LiveScore construction (one pass):   {build * 1e3:9.1f} ms")
    print(f"full metrics.overlap() (median of 5): {full * 1e3:9.1f} ms")
    ok = True
    for name, t in results.items():
        ratio = full / t
        ok &= ratio >= TARGET
        print(f"dab + overlap(), {name:6s} (median):   {t * 1e6:9.1f} us  "
              f"-> {ratio:7.0f}x faster")
    print(f"label map (labels 0-4), box (median): {label_time * 1e6:9.1f} us  "
          f"-> {full / label_time:7.0f}x faster (informational)")
    print(f"target >= {TARGET:.0f}x (binary dabs): {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
