"""Benchmark of dicegui.core.metrics against baselines measured in the same run.

Targets (issue 2), on 300 x 512 x 512 volumes:

* ``overlap()`` on bool masks: <= 0.4 x ``medpy.metric.binary.dc`` and
  <= 2.5 x the memory-read floor ``np.count_nonzero(gt); np.count_nonzero(pred)``;
* ``per_label()`` with 4 labels on uint8 maps: <= 3 x the binary ``overlap()``.

Run: ``python benchmarks/bench_metrics.py`` (about half a minute, ~2 GB RAM).
Prints the median time of a few interleaved repeats, the ratios and PASS/FAIL;
exits 1 on any FAIL.
"""
from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from dicegui.core.metrics import overlap, per_label

SHAPE = (300, 512, 512)
REPEATS = 5


def median_times(fns: dict, repeats=REPEATS) -> dict:
    """Median wall time of each function, measured in interleaved rounds so
    that load from other processes on a shared machine hits all alike."""
    for fn in fns.values():
        fn()  # warm-up: page faults, lazy imports
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def ball(center, radius, shape=SHAPE) -> np.ndarray:
    """Boolean ball built slab by slab (no full-size float temporaries)."""
    out = np.zeros(shape, bool)
    cz, cy, cx = center
    y, x = np.ogrid[:shape[1], :shape[2]]
    r2_plane = (y - cy) ** 2 + (x - cx) ** 2
    for z in range(max(0, int(cz - radius)), min(shape[0], int(cz + radius) + 1)):
        out[z] = r2_plane < radius ** 2 - (z - cz) ** 2
    return out


def binary_masks():
    gt = ball((150, 256, 256), 100)
    pred = ball((156, 262, 250), 96)  # an offset, slightly small prediction
    return gt, pred


def label_maps():
    """Four organ-sized labels; the prediction is shifted and a little larger."""
    organs = [((150, 200, 180), 70), ((120, 300, 330), 55), ((190, 330, 170), 45), ((160, 190, 340), 40)]
    gt = np.zeros(SHAPE, np.uint8)
    pred = np.zeros(SHAPE, np.uint8)
    for k, ((cz, cy, cx), r) in enumerate(organs, start=1):
        gt[ball((cz, cy, cx), r)] = k
        pred[ball((cz + 3, cy - 4, cx + 2), r * 1.05)] = k
    return gt, pred


def report(name, ratio, limit) -> bool:
    ok = ratio <= limit
    print(f"{name:<44s} {ratio:6.3f}  (target <= {limit})  {'PASS' if ok else 'FAIL'}")
    return ok


def main() -> int:
    from medpy.metric.binary import dc

    gt, pred = binary_masks()
    gl, pl = label_maps()
    t = median_times({
        "floor": lambda: (np.count_nonzero(gt), np.count_nonzero(pred)),
        "overlap": lambda: overlap(gt, pred),
        "medpy": lambda: dc(pred, gt),
        "per_label": lambda: per_label(gl, pl),
    })
    t_floor, t_overlap, t_medpy, t_labels = t["floor"], t["overlap"], t["medpy"], t["per_label"]
    # same answers as the references, or the timings mean nothing
    assert abs(overlap(gt, pred)["dice"] - dc(pred, gt)) < 1e-12
    result = per_label(gl, pl)
    assert sorted(result["labels"]) == [1, 2, 3, 4]
    for k in (1, 2, 3, 4):
        assert abs(result["labels"][k]["dice"] - dc(pl == k, gl == k)) < 1e-12
    fg = np.count_nonzero(gl) / gl.size

    print(f"volume {SHAPE}, median of {REPEATS} interleaved rounds")
    print(f"  count_nonzero floor  {t_floor * 1e3:8.1f} ms")
    print(f"  overlap (bool)       {t_overlap * 1e3:8.1f} ms")
    print(f"  medpy dc             {t_medpy * 1e3:8.1f} ms")
    print(f"  per_label (4, uint8) {t_labels * 1e3:8.1f} ms   (gt foreground {fg:.1%})")
    ok = report("overlap / medpy dc", t_overlap / t_medpy, 0.4)
    ok &= report("overlap / count_nonzero floor", t_overlap / t_floor, 2.5)
    ok &= report("per_label(4 labels, uint8) / overlap", t_labels / t_overlap, 3.0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
