"""What a paired comparison can say, written out: the text report, per-case rows and a JSON document.

``dicegui compare`` prints these and the worklist's "Compare with…" shows the
same text, so both state the same things in the same words: how many cases
were paired, which were left out and why, the differences with their
confidence intervals, the test, and the cases where the two models disagree
most. Qt-free.
"""
from __future__ import annotations

import math

from .metric_columns import column_title
from .paired_stats import CONFIDENCE, MIN_PAIRS, REASON_NOTES, PairedComparison

#: Columns of the per-case CSV.
ROW_COLUMNS = ("case", "status", "a", "b", "difference", "outcome", "detail")


def _num(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return f"{v:.4g}"


def _interval(iv) -> str:
    if iv is None:
        return "—"
    return f"{iv.estimate:+.4g}  ({CONFIDENCE:.0%} CI {iv.low:+.4g} to {iv.high:+.4g})"


def _p_text(p) -> str:
    if p is None:
        return "—"
    return f"{p:.3g}" if p >= 1e-4 else f"{p:.2e}"


def report_lines(r: PairedComparison, top: int = 10) -> list[str]:
    """The text report of a comparison, one string per line.

    Parameters
    ----------
    r : PairedComparison
    top : int
        How many of the most different cases to list.

    Returns
    -------
    list of str
    """
    direction = "lower is better" if r.lower_is_better else "higher is better"
    lines = [
        f"Compared {column_title(r.column)} ({r.column}, {direction}): B − A per case",
        f"  A: {r.source_a}",
        f"  B: {r.source_b}",
        f"Pairs used: {r.n_pairs}; left out: {len(r.excluded)}",
    ]
    for reason, count in r.excluded_counts().items():
        lines.append(f"  {reason}: {count}  ({REASON_NOTES[reason]})")
    lines += [
        f"Mean difference:   {_interval(r.mean)}",
        f"Median difference: {_interval(r.median)}",
        f"  bootstrap: percentile method, {r.resamples} resamples, seed {r.seed}",
        f"Wilcoxon signed-rank (two-sided, zero differences dropped: zero_method='{r.zero_method}'): "
        f"W = {_num(r.wilcoxon_statistic)}, p = {_p_text(r.wilcoxon_p)}",
        f"B better / tie / A better: {r.wins} / {r.ties} / {r.losses}",
    ]
    for w in r.warnings:
        lines.append(f"WARNING: {w}")
    if r.n_pairs:
        lines.append(f"Largest disagreements (|B − A|, first {min(top, r.n_pairs)}):")
        width = max(len(c) for c in r.cases[:top])
        for i in range(min(top, r.n_pairs)):
            lines.append(f"  {r.cases[i]:<{width}}  A {_num(r.a[i])}  B {_num(r.b[i])}  "
                         f"B − A {r.difference[i]:+.4g}  {r.outcome(i)}")
    return lines


def report_text(r: PairedComparison, top: int = 10) -> str:
    """:func:`report_lines` joined, ending with a newline."""
    return "\n".join(report_lines(r, top)) + "\n"


def case_rows(r: PairedComparison) -> list[dict]:
    """One row per case: paired ones (largest difference first), then the excluded ones with their reason."""
    rows = [{"case": c, "status": "paired", "a": float(r.a[i]), "b": float(r.b[i]),
             "difference": float(r.difference[i]), "outcome": r.outcome(i), "detail": ""}
            for i, c in enumerate(r.cases)]
    rows += [{"case": e.case, "status": "excluded: " + e.reason, "detail": e.detail} for e in r.excluded]
    return rows


def as_dict(r: PairedComparison, top: int = 10) -> dict:
    """The comparison as plain data for JSON (nan/inf left to the JSON writer)."""
    def iv(x):
        return None if x is None else {"estimate": x.estimate, "ci_low": x.low, "ci_high": x.high}

    return {
        "column": r.column, "lower_is_better": r.lower_is_better, "a": r.source_a, "b": r.source_b,
        "n_pairs": r.n_pairs, "n_excluded": len(r.excluded), "excluded_counts": r.excluded_counts(),
        "mean_difference": iv(r.mean), "median_difference": iv(r.median),
        "confidence": CONFIDENCE, "bootstrap": {"method": "percentile", "resamples": r.resamples, "seed": r.seed},
        "wilcoxon": {"statistic": r.wilcoxon_statistic, "p": r.wilcoxon_p, "zero_method": r.zero_method,
                     "alternative": "two-sided"},
        "wins": r.wins, "ties": r.ties, "losses": r.losses, "min_pairs_for_test": MIN_PAIRS,
        "warnings": list(r.warnings), "largest_disagreements": list(r.cases[:top]),
        "cases": case_rows(r),
    }
