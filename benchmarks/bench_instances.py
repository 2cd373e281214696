"""Instance metrics (``instance_scores``): panoptica's examples and a CT-sized volume.

Measured, each the median of a few runs:

* panoptica's three spine examples (512×512×17) when ``../shared/data/panoptica``
  is present;
* a 300×512×512 volume holding 300 spherical lesions (radius 10 voxels): the
  prediction is the reference shifted by 2 voxels, with 30 lesions missed
  and 30 false-positive lesions added; scored as components
  (``instance_labels=False``) and as instance ids (``instance_labels=True``);
* the same volume holding one large structure (an ellipsoid over most of it,
  the prediction shifted by 3 voxels): too full for the cell-cluster
  labelling, so each mask is labelled by one ``scipy.ndimage.label``.

Compared against, in the same run:

* a straightforward per-instance loop (one full-volume mask per reference
  instance, the predicted ids under it, then full-volume masks of each
  candidate pair for the IoU), as older evaluation scripts do: timed on the
  first 5 reference instances and scaled to all of them;
* panoptica itself, when ``PANOPTICA_PYTHON`` names a Python interpreter that
  has it (panoptica pins numpy<2.3, so it lives in its own environment, not
  in dicegui's): the arrays are handed over as ``.npy`` files and only
  ``Panoptica_Evaluator.evaluate`` is timed, in that interpreter.

Run: ``python benchmarks/bench_instances.py``
(``PANOPTICA_PYTHON=/path/to/venv/bin/python`` to add panoptica).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

from dicegui.core.instances import instance_scores

SHAPE = (300, 512, 512)
REPEATS = 3
LOOP_SAMPLE = 5
PANOPTICA_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "panoptica"

_PANOPTICA_SCRIPT = r"""
import json, sys, time, numpy as np
from panoptica import (Panoptica_Evaluator, InputType, NaiveThresholdMatching,
                       ConnectedComponentsInstanceApproximator)
from panoptica.metrics import Metric
ref, pred, instance_labels = np.load(sys.argv[1]), np.load(sys.argv[2]), sys.argv[3] == "1"
ev = Panoptica_Evaluator(
    expected_input=InputType.UNMATCHED_INSTANCE if instance_labels else InputType.SEMANTIC,
    instance_approximator=None if instance_labels else ConnectedComponentsInstanceApproximator(),
    instance_matcher=NaiveThresholdMatching(strict_threshold=True),
    instance_metrics=[Metric.DSC, Metric.IOU], global_metrics=[], verbose=False)
times = []
for _ in range(int(sys.argv[4])):
    t0 = time.perf_counter()
    r = ev.evaluate(pred, ref, verbose=False)["ungrouped"]
    times.append(time.perf_counter() - t0)
print(json.dumps({"seconds": sorted(times)[len(times) // 2], "tp": int(r.tp), "pq": float(r.pq)}))
"""


def median_time(fn, repeats=REPEATS):
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2], result


def lesion_volumes(seed=0):
    """Reference and prediction instance-id maps (uint16) of the big case."""
    rng = np.random.default_rng(seed)
    r = 10
    zz, yy, xx = np.ogrid[-r:r + 1, -r:r + 1, -r:r + 1]
    ball = zz ** 2 + yy ** 2 + xx ** 2 <= r * r
    centres = rng.integers(r + 3, np.array(SHAPE) - r - 3, size=(330, 3))
    gt = np.zeros(SHAPE, np.uint16)
    pred = np.zeros(SHAPE, np.uint16)
    for k, (z, y, x) in enumerate(centres, start=1):
        box = np.s_[z - r:z + r + 1, y - r:y + r + 1, x - r:x + r + 1]
        if k <= 300:
            gt[box][ball] = k
        if 30 < k:  # the first 30 are missed; 301..330 are false positives
            shifted = np.s_[z - r:z + r + 1, y - r:y + r + 1, x - r + 2:x + r + 3]
            pred[shifted][ball] = k + 1000
    return gt, pred


def per_instance_loop(gt, pred, sample):
    """IoU > 0.5 matches of the first ``sample`` reference instances, the slow way."""
    matches = 0
    for k in [int(v) for v in np.unique(gt) if v][:sample]:
        g = gt == k
        for c in [int(v) for v in np.unique(pred[g]) if v]:
            p = pred == c
            if np.logical_and(g, p).sum() / np.logical_or(g, p).sum() > 0.5:
                matches += 1
    return matches


def run_panoptica(ref, pred, instance_labels):
    python = os.environ.get("PANOPTICA_PYTHON")
    if not python:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        paths = [str(Path(tmp) / "ref.npy"), str(Path(tmp) / "pred.npy")]
        np.save(paths[0], ref)
        np.save(paths[1], pred)
        out = subprocess.run(
            [python, "-c", _PANOPTICA_SCRIPT, *paths, "1" if instance_labels else "0", str(REPEATS)],
            capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(name, ours, result, panoptica=None, loop=None):
    line = f"{name:<34} ours {ours:7.3f} s  (tp {result['tp']}, pq {result['pq']:.6f})"
    if loop is not None:
        line += f" | per-instance loop ~{loop:7.1f} s ({loop / ours:5.1f}x)"
    if panoptica is not None:
        line += (f" | panoptica {panoptica['seconds']:6.3f} s ({panoptica['seconds'] / ours:4.1f}x;"
                 f" tp {panoptica['tp']}, pq {panoptica['pq']:.6f})")
    print(line, flush=True)


def bench_examples():
    try:
        import nibabel as nib
    except ImportError:
        return
    for kind, instance_labels in [("semantic", False), ("unmatched_instance", True),
                                  ("matched_instance", True)]:
        folder = PANOPTICA_DATA / kind
        if not (folder / "ref.nii.gz").exists():
            print(f"{kind}: not present, skipped")
            continue
        ref = np.asanyarray(nib.load(folder / "ref.nii.gz").dataobj)
        pred = np.asanyarray(nib.load(folder / "pred.nii.gz").dataobj)
        ours, result = median_time(lambda: instance_scores(ref, pred, instance_labels=instance_labels))
        report(f"panoptica {kind} {ref.shape}", ours, result, run_panoptica(ref, pred, instance_labels))


def bench_big():
    gt, pred = lesion_volumes()
    n_ref = len(np.unique(gt)) - 1
    t0 = time.perf_counter()
    per_instance_loop(gt, pred, LOOP_SAMPLE)
    loop = (time.perf_counter() - t0) / LOOP_SAMPLE * n_ref
    ours, result = median_time(lambda: instance_scores(gt, pred, instance_labels=True))
    report(f"{SHAPE} ids, {n_ref} lesions", ours, result, run_panoptica(gt, pred, True), loop)
    gt_bin, pred_bin = gt != 0, pred != 0
    ours, result = median_time(lambda: instance_scores(gt_bin, pred_bin))
    report(f"{SHAPE} components", ours, result,
           run_panoptica(gt_bin.view(np.uint8), pred_bin.view(np.uint8), False))
    labelling, _ = median_time(lambda: ndimage.label(gt_bin, np.ones((3, 3, 3))))
    print(f"  (one scipy.ndimage.label of one mask, 26-connected: {labelling:.3f} s;"
          f" components mode labels both masks)")


def bench_dense():
    zz, yy, xx = np.ogrid[: SHAPE[0], : SHAPE[1], : SHAPE[2]]
    gt = ((zz - 150) / 140.0) ** 2 + ((yy - 256) / 230.0) ** 2 + ((xx - 256) / 230.0) ** 2 <= 1
    pred = np.roll(gt, 3, axis=1)
    ours, result = median_time(lambda: instance_scores(gt, pred))
    report(f"{SHAPE} one large structure", ours, result,
           run_panoptica(gt.view(np.uint8), pred.view(np.uint8), False))


def main():
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}; "
          f"panoptica: {os.environ.get('PANOPTICA_PYTHON') or 'not compared (set PANOPTICA_PYTHON)'}")
    bench_examples()
    bench_big()
    bench_dense()


if __name__ == "__main__":
    main()
