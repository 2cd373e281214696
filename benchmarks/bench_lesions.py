"""lesion_wise() on the BraTS case against the official script's per-lesion loop.

Case: ``../shared/data/brats_toolkit/TCGA-DU-7294`` (240×240×155, 1 mm), the
fused reference ``fusionator/simple.nii.gz`` against each algorithm in
``segmentor/``, three regions (WT = 1,2,4; TC = 1,4; ET = 4), BraTS-GLI
settings (dilation 3, lesions <= 50 voxels not counted, penalty 374).

Baseline: the steps of ``get_LesionWiseScores`` (rachitsaluja/BraTS-2023-
Metrics) as published: full-volume labelling of reference, prediction and
dilated reference, a full-volume pass per dilated component to merge
lesions, then per lesion a full-volume mask, a full-volume dilation, a
full-volume product and ``isin`` to find and gather its components, Dice on
full volumes and HD95 of the two full-volume masks. The baseline measures
HD95 with our own ``surface_distances`` (which crops to the masks), not
medpy or DeepMind's ``surface_distance`` (full-volume distance maps, several
times slower), so the ratio counts only what the lesion bookkeeping costs;
the same HD95 definition in both makes the numbers comparable to the bit.

Issue 11 targets: three regions in <= 2 s, and <= 0.2 × the baseline in the
same run, both judged with the time to build the three region masks from the
label maps added to each side (printed apart too). Each figure is the median
of ROUNDS interleaved runs (masks, baseline, ours per round). Every algorithm
is first run once by both and checked for identical results.

Run: ``python benchmarks/bench_lesions.py``; exits 1 on FAIL.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage as ndi

from dicegui.core.lesions import lesion_wise
from dicegui.core.surface import surface_distances

CASE = Path(__file__).resolve().parents[2] / "shared" / "data" / "brats_toolkit" / "TCGA-DU-7294"
REGIONS = {"WT": (1, 2, 4), "TC": (1, 4), "ET": (4,)}
DILATION, MIN_VOXELS, PENALTY = 3, 50, 374.0
TIMED = "lfb_rwth"  # the algorithm with the most components (three FP in ET)
ROUNDS = 5
TARGET_SECONDS, TARGET_RATIO = 2.0, 0.2


def baseline_region(gt, pred, spacing) -> dict:
    """The official script's steps, one full-volume pass after another."""
    full = ndi.generate_binary_structure(3, 3)
    element = ndi.generate_binary_structure(3, 2)
    gt_cc, _ = ndi.label(gt, full)
    pred_cc, _ = ndi.label(pred, full)
    dilated_cc, n = ndi.label(ndi.binary_dilation(gt, element, iterations=DILATION), full)
    combined = np.zeros_like(dilated_cc)
    for comp in range(1, n + 1):
        part = (dilated_cc == comp) * gt_cc
        combined += np.where(part > 0, comp, 0).astype(combined.dtype)

    matched, rows = [], []
    for comp in range(1, n + 1):
        g = combined == comp
        zone = ndi.binary_dilation(g, element, iterations=DILATION)
        ids = np.unique(pred_cc * zone)
        ids = ids[ids != 0]
        matched.extend(ids.tolist())
        p = np.isin(pred_cc, ids)
        voxels = int(g.sum())
        dice = 2.0 * np.logical_and(g, p).sum() / (voxels + p.sum())
        hd = surface_distances(g, p, spacing)["hd95"] if ids.size else PENALTY
        rows.append((comp, ids.tolist(), voxels, float(dice), float(hd), voxels > MIN_VOXELS))
    fp = np.unique(pred_cc[np.isin(pred_cc, matched + [0], invert=True)])
    counted = [r for r in rows if r[5]]
    denominator = len(counted) + len(fp)
    return {
        "num_tp": sum(1 for r in counted if r[1]),
        "num_fp": len(fp),
        "num_fn": sum(1 for r in counted if not r[1]),
        "lesion_dice": sum(r[3] for r in counted) / denominator if denominator else 1.0,
        "lesion_hd95": (sum(r[4] for r in counted) + len(fp) * PENALTY) / denominator
        if denominator else 0.0,
        "lesions": rows,
    }


def ours_region(gt, pred, spacing) -> dict:
    r = lesion_wise(gt, pred, spacing, dilation=DILATION, min_lesion_voxels=MIN_VOXELS,
                    hd_penalty=PENALTY)
    r["lesions"] = [(x["gt_id"], x["pred_ids"], x["voxels"], x["dice"], x["hd95"], x["counted"])
                    for x in r["lesions"]]
    return r


def three_regions(score, gt_labels, pred_labels, spacing) -> dict:
    return {name: score(np.isin(gt_labels, labels), np.isin(pred_labels, labels), spacing)
            for name, labels in REGIONS.items()}


def same(a: dict, b: dict) -> bool:
    keys = ("num_tp", "num_fp", "num_fn", "lesion_dice", "lesion_hd95", "lesions")
    return all(a[region][k] == b[region][k] for region in REGIONS for k in keys)


def timed(fn):
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def main() -> int:
    if not CASE.is_dir():
        print(f"{CASE} is absent: nothing to measure")
        return 0
    ref_img = nib.load(CASE / "fusionator" / "simple.nii.gz")
    gt_labels = np.asanyarray(ref_img.dataobj)
    spacing = tuple(float(s) for s in ref_img.header.get_zooms()[:3])
    algorithms = {p.name.removesuffix(".nii.gz"): np.asanyarray(nib.load(p).dataobj)
                  for p in sorted((CASE / "segmentor").glob("*.nii.gz"))}
    print(f"reference fusionator/simple {gt_labels.shape}, spacing {spacing}; "
          f"dilation {DILATION}, min lesion voxels {MIN_VOXELS}, penalty {PENALTY}")

    all_same = True
    for name, pred_labels in algorithms.items():
        t_base, base = timed(
            lambda: three_regions(baseline_region, gt_labels, pred_labels, spacing))
        t_ours, ours = timed(
            lambda: three_regions(ours_region, gt_labels, pred_labels, spacing))
        agree = same(ours, base)
        all_same &= agree
        cells = "  ".join(
            f"{region} tp/fp/fn {o['num_tp']}/{o['num_fp']}/{o['num_fn']} "
            f"dice {o['lesion_dice']:.4f} hd95 {o['lesion_hd95']:.2f}"
            for region, o in ours.items())
        print(f"{name:10s} {cells}  | once: loop {t_base:5.2f} s, ours {t_ours:5.3f} s, "
              f"identical {agree}")

    pred_labels = algorithms[TIMED]
    t_masks, t_base, t_ours = [], [], []
    for _ in range(ROUNDS):
        t, masks = timed(lambda: [(np.isin(gt_labels, labels), np.isin(pred_labels, labels))
                                  for labels in REGIONS.values()])
        t_masks.append(t)
        t_base.append(timed(lambda: [baseline_region(g, p, spacing) for g, p in masks])[0])
        t_ours.append(timed(lambda: [ours_region(g, p, spacing) for g, p in masks])[0])

    masks_s, base_s, ours_s = (statistics.median(t) for t in (t_masks, t_base, t_ours))
    total_s = masks_s + ours_s
    ratio = total_s / (masks_s + base_s)
    print(f"\n{TIMED}, three regions, median of {ROUNDS} interleaved runs:")
    print(f"  region masks from the label maps : {masks_s:6.3f} s (np.isin, same for both)")
    print(f"  per-lesion full-volume loop      : {base_s:6.3f} s")
    print(f"  lesion_wise                      : {ours_s:6.3f} s  ratio {ours_s / base_s:.3f}")
    print(f"  results identical on all {len(algorithms)} algorithms: {all_same}")
    ok = all_same and total_s <= TARGET_SECONDS and ratio <= TARGET_RATIO
    print(f"  with the masks: {total_s:.3f} s (target <= {TARGET_SECONDS} s), ratio ours/loop "
          f"{ratio:.3f} (target <= {TARGET_RATIO}): {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
