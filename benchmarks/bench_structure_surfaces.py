"""Per-label surface distances on the 41-label demo: dicegui vs label-by-label peers, in one run.

Run: ``python benchmarks/bench_structure_surfaces.py`` (about a minute).

Issue 11's target: HD, HD95, ASSD and NSD of every label of the shipped
41-label demo (TotalSegmentator full vs fast model, 122×101×30 at 3 mm) in
≤ 1.5 s. Measured here, interleaved, medians of repeats:

* ``structure_surfaces`` (each label cut out of its own box, boxes from one
  ``find_objects`` pass per map);
* the same core metric called label by label on whole-volume masks
  (``surface_distances(gt == k, pred == k)``), the obvious loop;
* medpy's ``hd``, ``hd95`` and ``assd`` label by label (three calls per label,
  as a script using medpy does) and SimpleITK's HausdorffDistanceImageFilter
  (HD only) label by label, where installed.

Values are checked against each other before timing (HD equal to medpy's and
SimpleITK's; our ``hd95_pooled`` is medpy's ``hd95``).
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dicegui.core.demo import build_demo  # noqa: E402
from dicegui.core.structure_surfaces import structure_surfaces  # noqa: E402
from dicegui.core.surface import surface_distances  # noqa: E402


def ours(gt, pred, labels, spacing):
    return structure_surfaces(gt, pred, {k: (k,) for k in labels}, spacing=spacing, tolerances=2.0)


def loop_core(gt, pred, labels, spacing):
    return {k: surface_distances(gt == k, pred == k, spacing=spacing, tolerance=2.0) for k in labels}


def loop_medpy(gt, pred, labels, spacing):
    from medpy.metric import binary

    out = {}
    for k in labels:
        g, p = gt == k, pred == k
        if not g.any() or not p.any():
            out[k] = None  # medpy raises on an empty mask
            continue
        out[k] = (binary.hd(p, g, spacing), binary.hd95(p, g, spacing), binary.assd(p, g, spacing))
    return out


def loop_sitk(gt, pred, labels, spacing):
    import SimpleITK as sitk

    out = {}
    for k in labels:
        g, p = gt == k, pred == k
        if not g.any() or not p.any():
            out[k] = None
            continue
        gi, pi = sitk.GetImageFromArray(g.astype(np.uint8)), sitk.GetImageFromArray(p.astype(np.uint8))
        # SimpleITK's array order is z,y,x: reverse the spacing
        gi.SetSpacing(tuple(float(s) for s in spacing[::-1]))
        pi.SetSpacing(tuple(float(s) for s in spacing[::-1]))
        f = sitk.HausdorffDistanceImageFilter()
        f.Execute(gi, pi)
        out[k] = f.GetHausdorffDistance()
    return out


def timed(fn, *args, repeats=5):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    case = build_demo()
    gt, pred = case.gt_mask, case.pred_mask
    spacing = tuple(float(s) for s in case.spacing)
    labels = sorted((set(np.unique(gt).tolist()) | set(np.unique(pred).tolist())) - {0})
    print(f"demo {gt.shape} at {spacing} mm, {len(labels)} labels")

    a, b = ours(gt, pred, labels, spacing), loop_core(gt, pred, labels, spacing)
    for k in labels:
        for key in ("hd", "hd95", "assd", "nsd", "hd95_pooled"):
            assert np.isclose(a[k][key], b[k][key]) or (np.isinf(a[k][key]) and np.isinf(b[k][key])), (k, key)
    peers = {"core label by label": loop_core}
    try:
        m = loop_medpy(gt, pred, labels, spacing)
        for k, v in m.items():
            if v is not None:
                assert np.isclose(a[k]["hd"], v[0]) and np.isclose(a[k]["hd95_pooled"], v[1]), k
                assert np.isclose(a[k]["assd"], v[2]), k
        peers["medpy hd+hd95+assd by label"] = loop_medpy
    except ImportError:
        print("medpy not installed: left out")
    try:
        s = loop_sitk(gt, pred, labels, spacing)
        for k, v in s.items():
            if v is not None:
                assert np.isclose(a[k]["hd"], v), (k, a[k]["hd"], v)
        peers["SimpleITK Hausdorff (HD only) by label"] = loop_sitk
    except ImportError:
        print("SimpleITK not installed: left out")
    print("values agree (HD, HD95, ASSD, NSD)")

    times = {"dicegui structure_surfaces": []} | {name: [] for name in peers}
    for _ in range(3):  # interleaved rounds
        times["dicegui structure_surfaces"].append(timed(ours, gt, pred, labels, spacing))
        for name, fn in peers.items():
            times[name].append(timed(fn, gt, pred, labels, spacing, repeats=2))
    base = statistics.median(times["dicegui structure_surfaces"])
    print(f"{'method':<42} {'median s':>9} {'ours / it':>10}")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:<42} {med:9.3f} {base / med:10.3f}")
    print(f"target: all {len(labels)} labels <= 1.5 s: {'met' if base <= 1.5 else 'MISSED'} ({base:.3f} s)")


if __name__ == "__main__":
    main()
