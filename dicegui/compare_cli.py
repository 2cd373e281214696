"""``dicegui compare A.csv B.csv``: is model B better than model A on the same cases?

Reads two tables written by ``dicegui score`` (CSV or JSON), pairs their cases
by name and reports the paired differences of one column
(:mod:`dicegui.core.paired_stats`, worded by :mod:`dicegui.core.paired_report`).
Only the Qt-free core is imported (never PySide6). Exit codes as ``dicegui
score``: 0 success, 2 bad input or usage (one line on stderr), 1 unexpected error.
"""
from __future__ import annotations

import argparse
import io
from pathlib import Path

from .cli_runner import run_command
from .score_cli import UsageError, _Parser, _write_atomically, dumps_json, write_csv

PROG = "dicegui compare"

DESCRIPTION = """\
Compare two models scored by dicegui score on the same cases: per-case differences
B - A of one column, mean and median difference with a bootstrap 95% confidence
interval, the Wilcoxon signed-rank test, and wins / ties / losses of B."""

EPILOG = """\
pairing:
  Rows pair by the case column. Left out, with the reason: cases in one table only,
  cases not scored ok in either table (failed, or status empty), and cases whose
  value is missing, undefined (nan) or infinite (a mask without surface: score
  with --hd-cap MM to turn infinite distances into numbers). Fewer than 10 pairs
  print a warning: the test and the intervals then say little.

statistics:
  Bootstrap: percentile method over --resamples resamples of the cases (default
  10000) with a fixed --seed (default 0): the same files give the same interval.
  Wilcoxon: scipy.stats.wilcoxon, two-sided, zero differences dropped
  (zero_method='wilcox'). "B better" follows the column's direction: a larger
  Dice, a smaller HD95.

output:
  text (default) is the report; json holds the numbers and every case; csv has one
  row per case (paired cases largest |B - A| first, then the excluded ones).
  --out writes atomically to a file.

exit codes:
  0 success, 2 bad input or usage, 1 unexpected error."""


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {n}")
    return n


def _seed(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {n}")
    return n


def build_parser() -> argparse.ArgumentParser:
    """The ``dicegui compare`` argument parser."""
    p = _Parser(prog=PROG, description=DESCRIPTION, epilog=EPILOG,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("a", type=Path, help="table of model A (dicegui score --out a.csv)")
    p.add_argument("b", type=Path, help="table of model B, same cases")
    p.add_argument("--metric", default="dice", help="column key to compare (default dice; e.g. hd95, nsd_1mm)")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--label", type=int, default=None, metavar="L",
                       help="compare label<L>_<metric> (per-label column)")
    scope.add_argument("--region", default=None, metavar="NAME",
                       help="compare region<NAME>_<metric> (region group column, e.g. ET)")
    p.add_argument("--format", choices=("text", "json", "csv"), default="text", help="output format (default text)")
    p.add_argument("--out", type=Path, default=None, help="write the output to this file")
    p.add_argument("--seed", type=_seed, default=None, help="bootstrap seed (default 0)")
    p.add_argument("--resamples", type=_positive, default=None, metavar="N",
                   help="bootstrap resamples (default 10000)")
    p.add_argument("--top", type=_positive, default=10, metavar="N",
                   help="how many of the most different cases the text report lists (default 10)")
    return p


def render(result, fmt: str, top: int = 10) -> str:
    """The output text of ``result`` in ``fmt`` (text, json or csv)."""
    from .core import paired_report

    if fmt == "json":
        return dumps_json(paired_report.as_dict(result, top)) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        write_csv(buf, paired_report.case_rows(result), paired_report.ROW_COLUMNS)
        return buf.getvalue()
    return paired_report.report_text(result, top)


def _run(args, stdout, _stderr) -> int:
    from .core import paired_stats

    column = paired_stats.metric_column(args.metric, label=args.label, region=args.region)
    kwargs = {}
    if args.seed is not None:
        kwargs["seed"] = args.seed
    if args.resamples is not None:
        kwargs["resamples"] = args.resamples
    if args.out is not None and args.out.is_dir():
        raise UsageError(f"--out {args.out} is a folder; give a file name such as compare.txt")
    result = paired_stats.compare_files(args.a, args.b, column, **kwargs)
    text = render(result, args.format, args.top)
    if args.out is not None:
        _write_atomically(args.out, text)
        if args.format != "text":
            stdout.write(render(result, "text", args.top))
        stdout.write(f"written to {args.out}\n")
    else:
        stdout.write(text)
    return 0


def main(argv: list[str] | None = None, stdout=None, stderr=None) -> int:
    """Run ``dicegui compare`` with ``argv`` (without the ``compare`` word); return the exit code."""
    return run_command(PROG, build_parser, _run, argv, stdout, stderr)
