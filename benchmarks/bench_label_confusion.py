"""Benchmark of dicegui.core.label_confusion against baselines measured in the same run.

On the 300 x 512 x 512 uint8 label maps of ``bench_metrics`` (four organs,
prediction shifted and a little larger) with a label swap painted in (part
of organ 1 predicted as 2, part of 3 as 4):

* ``label_confusion()`` (one pass, joint histogram of the foreground blocks)
  against ``per_label()`` on the same maps (the per-label scores the window
  already computes, which counts only each label's own agreement; target
  <= 2x: it counts every pair), and against the straightforward
  reference: one ``np.count_nonzero((gt == a) & (pred == b))`` per label pair
  (25 full-volume passes), whose matrix must be equal.

Run: ``python benchmarks/bench_label_confusion.py`` (about a minute, ~1 GB RAM).
Exits 1 on any FAIL.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_metrics import SHAPE, label_maps, median_times  # noqa: E402

from dicegui.core.label_confusion import label_confusion  # noqa: E402
from dicegui.core.metrics import per_label  # noqa: E402

TARGET_VS_PER_LABEL = 2.0


def naive(gt, pred, values):
    return np.array([[np.count_nonzero((gt == a) & (pred == b)) for b in values] for a in values], np.int64)


def main() -> int:
    gt, pred = label_maps()
    pred[140:160, 180:220, 150:200][pred[140:160, 180:220, 150:200] == 1] = 2
    pred[180:200, 320:340, 160:180][pred[180:200, 320:340, 160:180] == 3] = 4
    result = label_confusion(gt, pred)
    values = result["labels"]
    assert values == [0, 1, 2, 3, 4]
    assert np.array_equal(result["matrix"], naive(gt, pred, values))  # same answer, or the timing means nothing
    t = median_times({
        "label_confusion": lambda: label_confusion(gt, pred),
        "per_label": lambda: per_label(gt, pred),
        "naive": lambda: naive(gt, pred, values),
    }, repeats=3)
    print(f"volume {SHAPE} uint8, 5 values, {result['swapped_voxels']:,} swapped voxels, "
          f"foreground {np.count_nonzero(gt) / gt.size:.1%}; median of 3 interleaved rounds")
    for name, sec in t.items():
        print(f"  {name:<16s} {sec * 1e3:8.1f} ms")
    ratio = t["label_confusion"] / t["per_label"]
    ok = ratio <= TARGET_VS_PER_LABEL
    print(f"label_confusion / per_label  {ratio:5.2f}  (target <= {TARGET_VS_PER_LABEL})  {'PASS' if ok else 'FAIL'}")
    print(f"label_confusion / naive pair loop  {t['label_confusion'] / t['naive']:5.3f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
