"""What keeping finished work costs: a cohort of 40 small cases scored with and
without the partial file (``OUT.partial``, one flushed JSON line per case), and
the supervised workers (one case at a time, a time limit each) against the
standard library's process pool, all in the same run, alternating, best of N.

Run: python benchmarks/bench_cohort_runs.py [--cases 40] [--repeats 5]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nibabel as nib
import numpy as np

from dicegui.core import cohort
from dicegui.core.partial_results import PartialWriter


def make_cases(folder: Path, n: int) -> list:
    (folder / "gt").mkdir()
    (folder / "pred").mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        for role in ("gt", "pred"):
            m = (rng.random((32, 32, 16)) > 0.6).astype(np.uint8)
            nib.save(nib.Nifti1Image(m, np.eye(4)), str(folder / role / f"c{i:03d}.nii.gz"))
    return cohort.pair_files(folder / "gt", folder / "pred").pairs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    options = cohort.ScoreOptions()
    with tempfile.TemporaryDirectory() as tmp:
        pairs = make_cases(Path(tmp), a.cases)
        times = {"supervised, no partial file": [], "supervised + partial file": [], "stdlib ProcessPoolExecutor": []}
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            cohort.run_cohort(pairs, options, workers=a.workers, case_timeout=180)
            times["supervised, no partial file"].append(time.perf_counter() - t0)

            t0 = time.perf_counter()
            w = PartialWriter(Path(tmp) / "r.csv.partial", "bench")
            cohort.run_cohort(pairs, options, workers=a.workers, case_timeout=180,
                              progress=lambda done, total, row: w.append(row))
            w.discard()
            times["supervised + partial file"].append(time.perf_counter() - t0)

            t0 = time.perf_counter()
            tasks = [(str(n), str(g), str(p), options) for n, g, p in pairs]
            with ProcessPoolExecutor(a.workers, mp_context=cohort._pool_context()) as pool:
                list(pool.map(cohort._score_pair, tasks))
            times["stdlib ProcessPoolExecutor"].append(time.perf_counter() - t0)
        print(f"{a.cases} cases of 32x32x16, {a.workers} workers, best and median of {a.repeats}:")
        base = min(times["supervised, no partial file"])
        for k, v in times.items():
            print(f"  {k:<30} best {min(v):.3f} s  median {np.median(v):.3f} s  ({min(v) / base - 1:+.1%} vs no partial)")


if __name__ == "__main__":
    main()
