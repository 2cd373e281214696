"""``dicegui compare`` on 10,000 paired cases vs a straightforward Python-loop bootstrap.

Two ``dicegui score``-shaped CSV tables of 10,000 cases (Dice of model A, and
of model B = A + a small shift + noise, plus status/error columns) are
written to a temporary folder. Timed in one run, on the same values:

* ours: :func:`dicegui.core.paired_stats.compare_files` end to end (read
  both CSVs, pair, differences, bootstrap CI of mean and median with 10,000
  resamples, Wilcoxon, W/T/L, ordering), best of 3 after a warm-up that
  imports scipy;
* baseline: the bootstrap written the plain way, a Python loop of 10,000
  resamples each doing ``rng.integers``, ``mean`` and ``np.median`` on the
  differences (only the bootstrap: reading and the test not included).

Checks: ours ≤ 2 s; the loop's intervals agree with ours to within the
bootstrap's own noise (both are percentile intervals of 10,000 resamples
with the same seed, the loop gathering unsorted values, so the draws map to
different values: agreement to a tenth of the interval's width is asked).
Exit code 0 = PASS, 1 = FAIL.

Run: ``python benchmarks/bench_compare.py [--cases 10000] [--resamples 10000]``
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dicegui.core import paired_stats  # noqa: E402

TARGET_S = 2.0


def write_tables(folder: Path, n: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(42)
    a = rng.uniform(0.4, 0.95, n)
    b = np.clip(a + 0.01 + rng.normal(0, 0.05, n), 0, 1)
    paths = []
    for name, values in (("a.csv", a), ("b.csv", b)):
        p = folder / name
        rows = "".join(f"case{i:05d},ok,,{float(v)!r}\n" for i, v in enumerate(values))
        p.write_text("case,status,error,dice\n" + rows)
        paths.append(p)
    return paths[0], paths[1]


def loop_bootstrap(d: np.ndarray, resamples: int, seed: int):
    rng = np.random.default_rng(seed)
    means, medians = [], []
    for _ in range(resamples):
        s = d[rng.integers(0, d.size, d.size)]
        means.append(s.mean())
        medians.append(np.median(s))
    return np.percentile(means, [2.5, 97.5]), np.percentile(medians, [2.5, 97.5])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--resamples", type=int, default=10_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pa, pb = write_tables(Path(tmp), args.cases)
        paired_stats.compare_files(pa, pb, resamples=10)  # warm-up: imports scipy.stats
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            r = paired_stats.compare_files(pa, pb, resamples=args.resamples)
            times.append(time.perf_counter() - t0)
        ours = min(times)
        t0 = time.perf_counter()
        mean_ci, median_ci = loop_bootstrap(r.difference, args.resamples, r.seed)
        loop = time.perf_counter() - t0
    print(f"{r.n_pairs} paired cases, {args.resamples} resamples")
    print(f"ours (read 2 CSVs, pair, bootstrap mean+median, Wilcoxon, order): {ours:.3f} s "
          f"(runs: {', '.join(f'{t:.3f}' for t in times)})")
    print(f"baseline (Python-loop bootstrap only, mean+median):            {loop:.3f} s")
    print(f"speed-up over the loop's bootstrap alone: {loop / ours:.1f}x")
    print(f"mean CI ours [{r.mean.low:.5f}, {r.mean.high:.5f}] loop [{mean_ci[0]:.5f}, {mean_ci[1]:.5f}]")
    print(f"median CI ours [{r.median.low:.5f}, {r.median.high:.5f}] loop [{median_ci[0]:.5f}, {median_ci[1]:.5f}]")
    width = r.mean.high - r.mean.low
    agree = (abs(r.mean.low - mean_ci[0]) < width / 10 and abs(r.mean.high - mean_ci[1]) < width / 10)
    ok = ours <= TARGET_S and agree
    print(f"target ours <= {TARGET_S} s: {'PASS' if ours <= TARGET_S else 'FAIL'}; "
          f"intervals agree: {'PASS' if agree else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
