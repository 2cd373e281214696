"""Loading a 512×512×300 uint8 ``.nii.gz`` mask: dicegui's load_volume vs nibabel's own load.

Baseline, measured in the same run on the same file: ``np.asanyarray(nib.load(f).dataobj)``.
Target: load_volume costs at most 1.3× the baseline. Runs are interleaved and
the median of each is compared, so a busy machine slows both alike.

Usage: python benchmarks/bench_io.py [--repeats N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nibabel as nib
import numpy as np

from dicegui.core.io import load_volume

TARGET = 1.3
SHAPE = (512, 512, 300)


def make_mask(path: Path) -> None:
    """A realistic mask: a few organ-sized ellipsoids, so gzip has real work to do."""
    zz, yy, xx = np.ogrid[: SHAPE[0], : SHAPE[1], : SHAPE[2]]
    mask = np.zeros(SHAPE, np.uint8)
    rng = np.random.default_rng(0)
    for label in range(1, 6):
        c = rng.uniform(0.25, 0.75, 3) * SHAPE
        r = rng.uniform(20, 80, 3)
        inside = ((zz - c[0]) / r[0]) ** 2 + ((yy - c[1]) / r[1]) ** 2 + ((xx - c[2]) / r[2]) ** 2 <= 1
        mask[inside] = label
    noise = rng.random(SHAPE) < 0.001  # ragged edges like a real model output
    mask[noise] = 1
    nib.Nifti1Image(mask, np.diag([0.7, 0.7, 2.5, 1.0])).to_filename(path)


def timed(fn) -> float:
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    del out
    return dt


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mask.nii.gz"
        make_mask(path)
        size_mb = path.stat().st_size / 2**20

        def ours():
            return load_volume(path).data

        def baseline():
            return np.asanyarray(nib.load(path).dataobj)

        a, b = ours(), baseline()  # warm-up (page cache) and a sanity check
        assert a.shape == SHAPE and np.array_equal(a, b)
        del a, b
        t_ours, t_base = [], []
        for _ in range(args.repeats):
            t_base.append(timed(baseline))
            t_ours.append(timed(ours))
    med_ours, med_base = statistics.median(t_ours), statistics.median(t_base)
    ratio = med_ours / med_base
    verdict = "PASS" if ratio <= TARGET else "FAIL"
    print(f"file: {SHAPE[0]}x{SHAPE[1]}x{SHAPE[2]} uint8 .nii.gz, {size_mb:.1f} MiB on disk")
    print(f"nibabel np.asanyarray(nib.load(f).dataobj): median {med_base:.3f} s (of {args.repeats})")
    print(f"dicegui load_volume(f):                     median {med_ours:.3f} s (of {args.repeats})")
    print(f"ratio load_volume / nibabel = {ratio:.3f} (target <= {TARGET}): {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
