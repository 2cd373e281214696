"""``dicegui score``: metrics of one case or of a cohort, from the command line.

Only the Qt-free core is imported here (never PySide6). Exit codes: 0 success,
2 bad input or usage (one line on stderr, no traceback), 1 unexpected error.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import sys
import stat
import tempfile
import time
from pathlib import Path

from .cli_runner import one_line, run_command
from .core.names import readable

PROG = "dicegui score"

DESCRIPTION = """\
Score a prediction against a ground truth: one case (GT PRED) or a cohort
(--gt-dir DIR --pred-dir DIR). Numbers are those of dicegui.core (metrics.overlap,
metrics.per_label, surface.surface_distances)."""

EPILOG = """\
single case:
  Prints the overlap() keys of the foreground (any nonzero label) at the top level;
  for label maps (or with --labels) also "per_label" {"<label>": {...}}, "mean_dice"
  and "mean_iou" (means over those labels, leaving out labels absent from both
  masks, which are flagged "absent"); for a probability-map prediction also
  "soft_dice" (hard metrics threshold it at 0.5); with --surface the keys hd, hd95,
  assd, nsd, hd95_pooled in mm (spacing read from the files; per label and region
  too; a 2-D image is measured on its 2-D contours) and "nsd_tolerance_mm"; in CSV
  NSD is written under its tolerance: nsd_1mm, label2_nsd_1.5mm.
  --regions adds "regions" {"<NAME>": {...}} (CSV region<NAME>_<key>); --lesion-wise
  adds lesion_dice, lesion_hd95, num_tp, num_fp, num_fn and a "lesions" list per
  region (else per label, else for the foreground); --instances adds
  instance_precision/recall/f1, pq, sq, rq; label maps get "confusion" (reference
  label x predicted label voxels) and swapped_voxels (both foreground, different
  label). The README states every rule with worked examples.
  How each mask's values were read, and any geometry fix, is printed on stderr.

DICOM series:
  dicegui score SERIES_DIR --gt-seg|--gt-rtstruct FILE --pred-seg|--pred-rtstruct FILE
  reads a DICOM SEG or RT Structure Set onto the image series in SERIES_DIR (the
  one it references); a second positional MASK (NIfTI, NRRD, ...) on the series'
  grid stands for the side given by no flag. Segments and ROIs become labels named
  after them; when both sides are SEG/RTSTRUCT the prediction's labels are
  renumbered to the ground truth's by name (said on stderr). Overlapping segments
  or ROIs, or an object of another series, are bad input (exit 2).

label names:
  A per_label entry starts with "name" (a label<L>_name column in CSV) when the
  label is named: by --label-names FILE (ITK-SNAP label description file, 3D
  Slicer colour table .ctbl/.txt, or dicegui's .labels.json), else by a
  .seg.nrrd's segments, else by <stem>.labels.json, <stem>.ctbl or <stem>.txt
  beside a mask file (one that cannot be read is a warning). An unreadable
  --label-names FILE is bad input (exit 2).

cohort:
  Files are paired by case name: the file name without its extension
  (.nii.gz .nii .nrrd .seg.nrrd .nhdr .png .tif .tiff .jpg .jpeg .bmp .npy .npz
  .dcm) and without one trailing _gt _pred _seg _label _labels _mask _prediction
  _segmentation _groundtruth (case-insensitive); sub-folders (DICOM series) pair
  by folder name. Unmatched files are listed on stderr and not scored.
  The table has one row per case, sorted by name (status ok | bad_input | timeout |
  internal_error, error message, metrics; per-label columns are label<L>_<key>),
  then summary rows (case = mean, median, std, min, max, n, n_inf, n_undefined;
  status = summary) over the cases with status ok: the statistics use finite
  values only (n counts them); n_inf counts infinite distances (an empty mask;
  --hd-cap MM replaces them) and n_undefined NaN values (0/0); std is the
  sample standard deviation (ddof=1). --empty skip marks a case whose masks are
  both empty status empty (not a failure, not summarised).
  With --out the table goes to that file and the report (summary, worst cases,
  failures) to stdout; without --out the table goes to stdout and the report
  to stderr. In a table written with --out the gt/pred paths are relative to
  the table's folder when the files lie inside it, absolute otherwise (without
  --out they are written as given). A progress bar is drawn on stderr (a
  redrawn bar on a terminal, otherwise a line every 10%).
  Cases run in worker processes: a case whose worker dies is status
  internal_error, one past --case-timeout is stopped and status timeout, and the
  rest go on. With --out every finished case is appended to OUT.partial at once;
  Ctrl-C writes the table of the cases finished so far with a summary row
  "incomplete" (exit 130) and keeps OUT.partial, and the same command with
  --resume scores only the cases left (the table is the one an uninterrupted run
  writes). --out is checked before the first case; a replaced table keeps its
  mode. Text cells starting with = + - @ get a leading ' (as the worklist's
  export); file names that are not UTF-8 are written as their own bytes.

numbers:
  CSV writes floats with full precision (repr), undefined values (0/0) as nan
  and infinite distances (a mask is empty) as inf; empty cells = not computed.
  JSON is strict (RFC 8259): nan is written as null and +/-inf as the strings
  "Infinity"/"-Infinity" (float("Infinity") and Number("Infinity") read them).

exit codes:
  0 success (also when some cohort cases failed: see their status, or use --strict),
  2 bad input or usage, 1 unexpected error, 130 interrupted (Ctrl-C)."""


class UsageError(ValueError):
    """A command line that cannot be run; reported as one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    stream = None  # where --help goes (main's stdout), None = sys.stdout

    def error(self, message):  # argparse prints usage + exits; we want one line
        raise UsageError(message)

    def _print_message(self, message, file=None):
        if message:
            (self.stream or file or sys.stdout).write(message)


def build_parser() -> argparse.ArgumentParser:
    """The ``dicegui score`` argument parser."""
    p = _Parser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("gt", nargs="?", help="ground-truth mask file (single case)")
    p.add_argument("pred", nargs="?", help="predicted mask file (single case)")
    p.add_argument("--gt-dir", type=Path, help="folder of ground-truth masks (cohort)")
    p.add_argument("--pred-dir", type=Path, help="folder of predicted masks (cohort)")
    for role, word in (("gt", "ground truth"), ("pred", "prediction")):
        p.add_argument(f"--{role}-seg", type=Path, default=None, metavar="FILE",
                       help=f"{word} as a DICOM SEG over the series folder given as the first argument")
        p.add_argument(f"--{role}-rtstruct", type=Path, default=None, metavar="FILE",
                       help=f"{word} as a DICOM RT Structure Set over the series folder (first argument)")
    p.add_argument("--labels", type=_parse_labels, default=None,
                   help="comma-separated labels to score one by one, e.g. 1,2,4 "
                        "(default: every nonzero label, for label maps)")
    p.add_argument("--surface", action="store_true",
                   help="add surface distances hd, hd95, assd, nsd, hd95_pooled (mm)")
    p.add_argument("--tolerance", type=_parse_tolerance, default=None, metavar="MM|TABLE",
                   help="NSD tolerance in mm (default 1.0; implies --surface): one number, a table "
                        "per label/region such as \"*=2;1=3.0;WT=1\", or a JSON file")
    p.add_argument("--regions", type=_parse_regions, default=None, metavar="SPEC",
                   help="score region groups (unions of labels): \"WT=1,2,4;TC=1,4;ET=4\", a preset "
                        "(brats2021: 1,2,4; brats2023: 1,2,3) or a JSON file; columns region<NAME>_<key>")
    p.add_argument("--lesion-wise", action="store_true",
                   help="lesion-wise Dice and HD95 (BraTS 2023) of each region, else each label, "
                        "else the foreground")
    p.add_argument("--dilation", type=_parse_dilation, default=3, metavar="K",
                   help="lesion-wise: dilations that merge nearby lesions and match predictions (default 3)")
    p.add_argument("--min-lesion-voxels", type=_parse_min_voxels, default=50, metavar="V",
                   help="lesion-wise: reference lesions of at most V voxels are listed but not "
                        "averaged (default 50)")
    p.add_argument("--lesion-hd-penalty", type=_parse_mm, default=374.0, metavar="MM",
                   help="lesion-wise: HD95 of a missed or spurious lesion (default 374)")
    p.add_argument("--instances", action="store_true",
                   help="instance detection (precision, recall, F1) and panoptic quality: "
                        "connected components matched one-to-one at IoU > 0.5")
    p.add_argument("--instance-labels", action="store_true",
                   help="with --instances: each nonzero value is one instance (not components)")
    p.add_argument("--empty", choices=("one", "nan", "skip"), default="one",
                   help="a structure absent from both masks: one = Dice 1 / distances 0 (default), "
                        "nan = undefined (left out of means), skip = left out (a case: status empty)")
    p.add_argument("--hd-cap", type=_parse_cap, default=None, metavar="MM",
                   help="replace infinite distances (an empty mask) by MM, e.g. 374 as BraTS")
    p.add_argument("--sigmoid", action="store_true",
                   help="apply a sigmoid to a prediction holding logits instead of refusing it")
    p.add_argument("--softmax", nargs="?", const="auto", choices=("auto", "first", "last"), default=None,
                   metavar="AXIS",
                   help="read a prediction holding a network's channels (one per class, background first) "
                        "with a softmax across them; AXIS = first or last says where the channels are "
                        "(default: the end that fits the reference's grid)")
    p.add_argument("--label-names", type=Path, default=None, metavar="FILE",
                   help="names of the labels: an ITK-SNAP label file, a Slicer colour table "
                        "(.ctbl/.txt) or a dicegui .labels.json (wins over names found beside the masks)")
    p.add_argument("--format", choices=("json", "csv"), default=None,
                   help="output format (single case default json; cohort default csv, "
                        "or json when --out ends in .json)")
    p.add_argument("--out", type=Path, help="cohort: write the table to this file")
    p.add_argument("--workers", type=_parse_workers, default=None, metavar="N",
                   help="cohort: local worker processes (default: the usable CPUs)")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="cohort: run on this Dask distributed scheduler (tcp://host:8786); "
                        "needs pip install 'dicegui[dask]' and files readable by the workers")
    p.add_argument("--case-timeout", type=_parse_timeout, default=None, metavar="S",
                   help="cohort: seconds one case may take before it is stopped (status timeout); "
                        "default 180, 720 with --surface; inf: no limit")
    p.add_argument("--resume", action="store_true",
                   help="cohort: continue a run that was stopped, keeping the cases already in "
                        "OUT.partial (needs --out and the same options)")
    p.add_argument("--worst", type=_parse_count, default=5, metavar="N",
                   help="cohort: how many worst cases to list (default 5)")
    p.add_argument("--strict", action="store_true",
                   help="cohort: exit 2 when a case fails or a file is unmatched")
    p.add_argument("--no-progress", action="store_true", help="cohort: no progress bar")
    p.add_argument("--debug", action="store_true", help="show a traceback on unexpected errors")
    return p


_MAX_LABEL = 2**32 - 1  # as region groups and label maps


def _parse_labels(text: str) -> tuple:
    labels = {}  # ordered, and a set's speed: 'in' on a list made 20,000 labels take 3 s
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        # ASCII digits only: int() also reads '٣' as 3 and '1_0' as 10
        if not (part.isascii() and part.lstrip("-").isdigit()):
            raise argparse.ArgumentTypeError(f"'{part[:40]}' is not an integer label")
        value = int(part) if len(part) <= 12 else _MAX_LABEL + 1
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{value} is not a foreground label (> 0)")
        if value > _MAX_LABEL:
            raise argparse.ArgumentTypeError(f"{part[:40]} is not a label (labels are 1 to {_MAX_LABEL})")
        labels[value] = None
    if not labels:
        raise argparse.ArgumentTypeError("no label given")
    return tuple(labels)


_MAX_MM = 1e6


def _parse_mm(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of mm") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"{text} must be a finite number >= 0")
    if value > _MAX_MM:
        # far past any scan; such values overflow means and standard deviations of the summary rows
        raise argparse.ArgumentTypeError(f"{text} mm is more than {_MAX_MM:g} mm (1 km)")
    return value


def _parse_cap(text: str) -> float:
    value = _parse_mm(text)
    if value == 0:
        # a cap of 0 would score a distance to an empty mask as perfect agreement
        raise argparse.ArgumentTypeError(f"{text} must be a distance > 0 (BraTS uses 374)")
    return value


def _parse_tolerance(text: str):
    from .core.tolerances import parse_tolerances

    try:
        table = parse_tolerances(text)
    except ValueError as exc:  # argparse names the option itself
        msg = str(exc)
        if msg.startswith("--tolerance (") and "): " in msg:
            key, rest = msg[len("--tolerance ("):].split("): ", 1)
            msg = f"entry {key}: {rest}"
        raise argparse.ArgumentTypeError(msg.removeprefix("--tolerance: ")) from None
    return table.default if not table.by_key else table


def _parse_regions(text: str) -> dict:
    from .core.region_groups import parse_regions

    try:
        return parse_regions(text)
    except ValueError as exc:  # argparse names the option itself
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--regions: ")) from None


def _parse_dilation(text: str) -> int:
    return _parse_positive(text, "--dilation", 0)


def _parse_min_voxels(text: str) -> int:
    return _parse_positive(text, "--min-lesion-voxels", 0)


def _parse_positive(text: str, what: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what}: '{text}' is not a whole number") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"{what}: must be at least {minimum}")
    return value


def _parse_workers(text: str) -> int:
    return _parse_positive(text, "--workers", 1)


def _parse_timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not value > 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text} must be a number of seconds > 0 (inf: no limit)")
    return value


def _parse_count(text: str) -> int:
    return _parse_positive(text, "--worst", 0)


# --------------------------------------------------------------------------- formatting


def csv_cell(value) -> str:
    """Text of one CSV cell: full-precision floats, ``nan``/``inf``, empty for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    try:
        import numpy as np

        if isinstance(value, np.integer):
            return str(int(value))
        if isinstance(value, np.floating):
            value = float(value)
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back to the same float; nan/inf/-inf
    from .core.review import csv_cell_text

    # case names, paths and messages starting with = + - @ must not run as
    # spreadsheet formulas; the worklist's export and reader use the same rule
    return csv_cell_text(str(value))


def _write_text(stream, text: str) -> None:
    # a table holds file names as the file system gave them; a name that is
    # not UTF-8 (a surrogate escape) goes to a byte stream as its own bytes
    try:
        stream.write(text)
    except UnicodeEncodeError:
        buffer = getattr(stream, "buffer", None)
        if buffer is None:
            stream.write(readable(text))
            return
        stream.flush()
        buffer.write(text.encode(getattr(stream, "encoding", None) or "utf-8", "surrogateescape"))
        buffer.flush()


def json_safe(obj):
    """Replace what strict JSON cannot hold: nan → None, ±inf → "Infinity"/"-Infinity"."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return obj
    if hasattr(obj, "item") and not isinstance(obj, (list, dict)):  # numpy scalar
        obj = obj.item()
        if isinstance(obj, int):
            return obj
    if isinstance(obj, float):
        if math.isnan(obj):
            return None
        if math.isinf(obj):
            return "Infinity" if obj > 0 else "-Infinity"
        return obj
    return str(obj)


def dumps_json(obj) -> str:
    """Strict JSON text (``allow_nan=False`` guarantees no NaN token slips through)."""
    return json.dumps(json_safe(obj), indent=2, allow_nan=False)


def write_csv(stream, rows, columns) -> None:
    """Rows as CSV with a header; missing keys become empty cells."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([csv_cell(r.get(c)) for c in columns])


def _write_atomically(path: Path, text: str) -> None:
    # a crash mid-write must not leave a half table where the last good one was
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"--out: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8", errors="surrogateescape") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _mode_for(path: Path) -> int:
    """The mode a written table gets: the replaced file's, else what a new file gets under the umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def check_out_writable(path: Path) -> None:
    """Refuse an ``--out`` that cannot be written, before any case is scored.

    Raises
    ------
    UsageError
        The path is a folder, its folder is missing, or a file cannot be
        created there (the table is written through a file beside it).
    """
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"--out {path} is a folder; give a file name such as results.csv")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"--out {path}: folder {folder} does not exist")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UsageError(f"--out {path}: cannot write in folder {folder} ({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(probe)
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"--out {path}: the file is read-only")


# --------------------------------------------------------------------------- progress


class Progress:
    """A progress bar on a text stream, with no dependency.

    On a terminal the bar is redrawn in place; otherwise (a log file, a test's
    captured stderr) one line is printed each time another 10 % is done.
    """

    def __init__(self, stream, total: int, enabled: bool = True, width: int = 30):
        self.stream = stream
        self.total = total
        self.enabled = enabled and total > 0
        self.width = width
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.failed = 0
        self._last_decile = -1
        self._t0 = time.perf_counter()

    def __call__(self, done: int, total: int, row: dict) -> None:
        if row.get("status") not in (None, "ok", "empty"):
            self.failed += 1
        if not self.enabled:
            return
        frac = done / total if total else 1.0
        elapsed = time.perf_counter() - self._t0
        extra = f", {self.failed} failed" if self.failed else ""
        if self.tty:
            filled = int(round(frac * self.width))
            bar = "#" * filled + "." * (self.width - filled)
            eta = elapsed / done * (total - done) if done else 0.0
            self.stream.write(f"\r[{bar}] {done}/{total}{extra} {elapsed:5.1f}s eta {eta:5.1f}s ")
            if done == total:
                self.stream.write("\n")
        else:
            decile = int(frac * 10)
            if decile == self._last_decile and done != total:
                return
            self._last_decile = decile
            self.stream.write(f"scored {done}/{total} cases ({frac:.0%}{extra}) {elapsed:.1f}s\n")
        self.stream.flush()


# --------------------------------------------------------------------------- commands


def _options(args):
    from .core.cohort import ScoreOptions

    surface = args.surface or args.tolerance is not None
    label_names = None
    if args.label_names is not None:
        from .core.io.label_names import read_label_table

        read_label_table(args.label_names)  # a bad file is bad input (exit 2) before any case is scored
        # absolute: workers (a Dask cluster) may run in another folder
        label_names = os.path.abspath(args.label_names)
    if args.instance_labels and not args.instances:
        raise UsageError("--instance-labels applies with --instances")
    return ScoreOptions(
        labels=args.labels,
        surface=surface,
        tolerance=1.0 if args.tolerance is None else args.tolerance,
        sigmoid=args.sigmoid,
        softmax=args.softmax is not None,
        channel_axis={"first": 0, "last": -1}.get(args.softmax),
        label_names=label_names,
        regions=args.regions,
        lesion_wise=args.lesion_wise,
        dilation=args.dilation,
        min_lesion_voxels=args.min_lesion_voxels,
        lesion_hd_penalty=args.lesion_hd_penalty,
        instances=args.instances,
        instance_labels=args.instance_labels,
        empty=args.empty,
        hd_cap=args.hd_cap,
    )


def _dicom_masks(args):
    """``(series folder, gt spec, pred spec)`` from --gt-seg/--pred-rtstruct/...; None without those flags."""
    given = {role: [(kind, getattr(args, f"{role}_{kind}")) for kind in ("seg", "rtstruct")
                    if getattr(args, f"{role}_{kind}") is not None] for role in ("gt", "pred")}
    if not given["gt"] and not given["pred"]:
        return None
    for role, specs in given.items():
        if len(specs) > 1:
            raise UsageError(f"give one of --{role}-seg and --{role}-rtstruct")
    if args.gt is None:
        raise UsageError("--gt-seg/--pred-seg/--gt-rtstruct/--pred-rtstruct need the DICOM series folder first")
    if not Path(args.gt).is_dir():
        raise UsageError(f"series {args.gt}: not a folder; give the DICOM series folder the SEG/RTSTRUCT refers to")
    missing = [role for role in ("gt", "pred") if not given[role]]
    if args.pred is not None and not missing:
        raise UsageError(f"{args.pred}: both masks are given by flags; drop the extra argument")
    specs = {role: given[role][0] if given[role] else None for role in ("gt", "pred")}
    if missing and args.pred is not None:
        specs[missing[0]] = ("file", Path(args.pred))
    if specs["gt"] is None or specs["pred"] is None:
        raise UsageError(f"give the {'ground truth' if specs['gt'] is None else 'prediction'} too: a flag "
                         "(--gt-seg ...) or a mask file after the series folder")
    for kind, path in specs.values():
        if not path.exists():
            raise UsageError(f"{path}: no such file")
    return Path(args.gt), specs["gt"], specs["pred"]


def _run_single(args, stdout, stderr) -> int:
    from .core import cohort
    from .core.io.opening import open_case

    dicom = _dicom_masks(args)
    if dicom is not None:
        args.gt, args.pred = str(dicom[1][1]), str(dicom[2][1])  # messages and CSV name the mask files
    from .core.io.formats import unreachable_reason

    for role, path in (("ground truth", args.gt), ("prediction", args.pred)):
        reason = unreachable_reason(path)  # a symlink loop is not "no such file"
        if reason is not None:
            raise UsageError(f"{role} {reason}")
    options = _options(args)
    if dicom is not None:
        from .core.io.dicom_case import load_dicom_case

        case = load_dicom_case(dicom[0], dicom[1], dicom[2], label_names=options.label_names)
    else:
        case = open_case(gt=args.gt, pred=args.pred, sigmoid=options.sigmoid, label_names=options.label_names,
                         channels="softmax" if options.softmax else None, channel_axis=options.channel_axis)
    notes, warnings = cohort.case_notes(case)
    for n in notes:
        stderr.write(f"note: {n}\n")
    for w in warnings:
        stderr.write(f"warning: {w}\n")
    try:
        result = cohort.score_case(case, options)
    except ValueError as exc:  # e.g. too many labels or lesions: say which files
        raise UsageError(f"{args.gt} vs {args.pred}: {one_line(exc)}") from None
    fmt = args.format or "json"
    if fmt == "json":
        stdout.write(dumps_json(result) + "\n")
    else:
        name = cohort.case_name(args.pred) or Path(args.pred).name
        row = {"case": name, "status": cohort.STATUS_OK, "error": "",
               "gt_kind": getattr(case.gt_info, "kind", ""),
               "pred_kind": getattr(case.pred_info, "kind", "")}
        row.update(cohort.flatten(result))
        row["warnings"] = " | ".join(warnings)
        row["gt"], row["pred"] = str(args.gt), str(args.pred)
        write_csv(stdout, [row], cohort.columns_of([row]))
    return 0


def _list_paths(stream, title: str, paths, limit: int = 20) -> None:
    if not paths:
        return
    stream.write(f"{title} ({len(paths)}):\n")
    for p in paths[:limit]:
        stream.write(f"  {p}\n")
    if len(paths) > limit:
        stream.write(f"  ... and {len(paths) - limit} more\n")


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}" if math.isfinite(v) else repr(v)
    return str(v)


def _report(stream, rows, summary, ranking, worst, n_workers, elapsed, dest) -> None:
    from .core.cohort import STATUS_EMPTY, STATUS_OK

    ok = [r for r in rows if r["status"] == STATUS_OK]
    empty = [r for r in rows if r["status"] == STATUS_EMPTY]
    failed = [r for r in rows if r["status"] not in (STATUS_OK, STATUS_EMPTY)]
    stream.write(f"scored {len(ok)} of {len(rows)} cases in {elapsed:.1f} s ({n_workers}) -> {dest}\n")
    if empty:
        stream.write(f"{len(empty)} case(s) with both masks empty left out (--empty skip): "
                     + ", ".join(readable(r["case"]) for r in empty[:10]) + (" ..." if len(empty) > 10 else "") + "\n")
    if failed:
        stream.write(f"{len(failed)} case(s) failed:\n")
        for r in failed:
            stream.write(f"  {readable(r['case'])}: {r['status']}: {readable(r['error'])}\n")
    warned = [r for r in ok if r.get("warnings")]
    if warned:
        stream.write(f"{len(warned)} case(s) with warnings (see the warnings column), e.g.:\n")
        for r in warned[:3]:
            stream.write(f"  {readable(r['case'])}: {readable(r['warnings'])}\n")
    stats = {s["case"]: s for s in summary}
    keys = _report_keys(stats["n"])
    if ok and keys:
        width = max(10, *(len(k) for k in keys))
        stream.write("summary over finite values (mean ± std, median, [min, max], n):\n")
        for k in keys:
            left = []
            if stats["n_inf"].get(k):
                left.append(f"{stats['n_inf'][k]} infinite (an empty mask; --hd-cap sets a value)")
            if stats["n_undefined"].get(k):
                left.append(f"{stats['n_undefined'][k]} undefined (0/0)")
            stream.write(
                f"  {k:<{width}} {_fmt(stats['mean'].get(k))} ± {_fmt(stats['std'].get(k))}, "
                f"median {_fmt(stats['median'].get(k))}, "
                f"[{_fmt(stats['min'].get(k))}, {_fmt(stats['max'].get(k))}], n={stats['n'][k]}"
                + (f"; left out: {', '.join(left)}" if left else "") + "\n"
            )
    if worst:
        stream.write(f"worst {len(worst)} case(s) by {ranking}:\n")
        width = max(len(readable(r["case"])) for r in worst)
        for i, r in enumerate(worst, 1):
            extra = "".join(f"  {k} {_fmt(r[k])}" for k in ("dice", "hd95") if k != ranking and k in r)
            stream.write(f"  {i}. {readable(r['case']):<{width}}  {ranking} {_fmt(r[ranking])}{extra}\n")


def _report_keys(present: dict) -> list[str]:
    """Columns worth a summary line: headline overlap, NSD at each tolerance, region Dice, lesion-wise."""
    import re

    head = [k for k in ("dice", "iou", "mean_dice", "mean_iou", "mean_region_dice", "hd95", "assd") if k in present]
    nsd = [k for k in present if re.fullmatch(r"nsd(_[0-9.e+-]+mm)?", k)]
    regions = [k for k in present if re.fullmatch(r"region[A-Za-z0-9-]+_(dice|hd95|lesion_dice|lesion_hd95)", k)]
    lesion = [k for k in ("lesion_dice", "lesion_hd95", "pq", "instance_f1", "swapped_voxels") if k in present]
    return head + nsd + regions + lesion


def _run_cohort(args, stdout, stderr) -> int:
    from .core import cohort

    if args.gt is not None or args.pred is not None:
        raise UsageError("give either GT PRED (one case) or --gt-dir/--pred-dir (a cohort), not both")
    if args.gt_dir is None or args.pred_dir is None:
        raise UsageError("a cohort needs both --gt-dir and --pred-dir")
    if args.resume and args.out is None:
        raise UsageError("--resume continues the run of an --out table; give the same --out")
    options = _options(args)
    fmt = args.format or ("json" if args.out is not None and args.out.suffix.lower() == ".json" else "csv")
    if args.out is not None:
        check_out_writable(args.out)  # before any case: finding it after an hour of scoring loses the hour

    pairing = cohort.pair_files(args.gt_dir, args.pred_dir)
    _list_paths(stderr, f"ground-truth files without a prediction in {args.pred_dir}", pairing.unmatched_gt)
    _list_paths(stderr, f"prediction files without a ground truth in {args.gt_dir}", pairing.unmatched_pred)
    if pairing.ignored:
        stderr.write(f"ignored {len(pairing.ignored)} file(s) that are not images: "
                     + ", ".join(readable(p.name) for p in pairing.ignored[:5])
                     + (" ..." if len(pairing.ignored) > 5 else "") + "\n")
    if not pairing.pairs:
        raise UsageError(f"no case of {args.gt_dir} has a prediction in {args.pred_dir} (files pair by name)")

    kept, partial = _open_partial(args, options, pairing.pairs, stderr)
    todo = [p for p in pairing.pairs if str(p[0]) not in {r["case"] for r in kept}]
    workers = args.workers or min(cohort.default_workers(), max(1, len(todo)))
    where = f"Dask at {args.dask}" if args.dask else f"{workers} worker{'s' if workers > 1 else ''}"
    stderr.write(f"scoring {len(todo)} case(s) with {where}"
                 + (f" ({len(kept)} kept from {partial.path})" if kept else "") + "\n")
    progress = Progress(stderr, len(todo), enabled=not args.no_progress)

    def finished(done, total, row):
        if partial is not None:
            partial.append(row)
        progress(done, total, row)

    timeout = args.case_timeout if args.case_timeout is not None else cohort.default_case_timeout(options)
    t0 = time.perf_counter()
    try:
        rows = cohort.run_cohort(todo, options, workers=workers, dask_address=args.dask,
                                 progress=finished, case_timeout=timeout)
    except cohort.CohortInterrupted as stop:
        if partial is not None:
            partial.close()
        rows = sorted(kept + stop.rows, key=lambda r: r["case"])
        if progress.tty and progress.enabled:
            stderr.write("\n")
        _write_table(args, fmt, rows, pairing, cohort, stdout, incomplete=len(pairing.pairs))
        dest = args.out if args.out is not None else "stdout"
        stderr.write(f"{PROG}: interrupted: the {len(rows)} of {len(pairing.pairs)} cases finished are in "
                     f"{dest} (marked incomplete)"
                     + (f"; run again with --resume to score the rest\n" if partial is not None else "\n"))
        return 130
    except BaseException:
        if partial is not None:
            partial.close()
        raise
    rows = sorted(kept + rows, key=lambda r: r["case"])
    elapsed = time.perf_counter() - t0
    text_rows, summary, ranking, worst = _write_table(args, fmt, rows, pairing, cohort, stdout)
    if partial is not None:
        partial.discard()  # the table holds every case now
    report_stream, dest = (stdout, str(args.out)) if args.out is not None else (stderr, "stdout")
    _report(report_stream, text_rows, summary, ranking, worst, where, elapsed, dest)

    if any(r["status"] == cohort.STATUS_INTERNAL for r in rows):
        stderr.write(f"{PROG}: unexpected error in some cases (status internal_error); "
                     "please report it with the error column\n")
        return 1
    failed = sum(r["status"] not in (cohort.STATUS_OK, cohort.STATUS_EMPTY) for r in rows)
    unmatched = len(pairing.unmatched_gt) + len(pairing.unmatched_pred)
    if args.strict and (failed or unmatched):
        stderr.write(f"{PROG}: --strict: {failed} case(s) failed, {unmatched} file(s) unmatched\n")
        return 2
    return 0


def _open_partial(args, options, pairs, stderr):
    """Rows kept from an earlier run (``--resume``) and the writer of ``OUT.partial`` (None without --out)."""
    from .core.partial_results import PartialWriter, options_fingerprint, partial_path, read_partial

    if args.out is None:
        return [], None
    path = partial_path(args.out)
    fingerprint = options_fingerprint(options)
    kept = []
    if args.resume:
        if path.exists():
            wanted = {(str(n), str(g), str(p)) for n, g, p in pairs}
            # a row counts only for the same case and the same two files
            kept = [r for r in read_partial(path, fingerprint)
                    if (r["case"], r.get("gt"), r.get("pred")) in wanted]
        else:
            stderr.write(f"nothing to resume: {path} does not exist; scoring every case\n")
    elif path.exists():
        raise UsageError(f"{path} holds the cases of a run that was stopped: add --resume to continue it, "
                         "or delete it to start over")
    return kept, PartialWriter(path, fingerprint, kept)


def _write_table(args, fmt, rows, pairing, cohort, stdout, incomplete: int | None = None):
    """Write the table (to ``--out`` or stdout); ``incomplete`` = cases asked for when the run was stopped."""
    if args.out is not None:
        # paths relative to the table's own folder (absolute when outside
        # it), the way Cohort.from_csv reads them back, whatever the cwd
        rows = cohort.paths_relative_to(rows, args.out.parent)
    columns = cohort.columns_of(rows)
    summary = cohort.summarize(rows, columns)
    ranking = cohort.ranking_metric(rows)
    worst = cohort.worst_cases(rows, args.worst, ranking)
    note = None
    if incomplete is not None:
        note = (f"interrupted: {len(rows)} of {incomplete} cases scored; "
                "the summary covers these only (dicegui score --resume continues)")
    if fmt == "json":
        doc = {
            "cases": rows,
            "summary": {s["case"]: {k: v for k, v in s.items() if k not in ("case", "status")}
                        for s in summary},
            "ranking_metric": ranking,
            "worst": [r["case"] for r in worst],
            "unmatched_gt": [str(p) for p in pairing.unmatched_gt],
            "unmatched_pred": [str(p) for p in pairing.unmatched_pred],
        }
        if note is not None:
            doc.update(incomplete=True, note=note)
        text = dumps_json(doc) + "\n"
    else:
        buf = io.StringIO()
        # the mark of a stopped run is a summary row: the worklist skips it as it skips the statistics
        marker = [] if note is None else [{"case": "incomplete", "status": cohort.STATUS_SUMMARY, "error": note}]
        write_csv(buf, rows + summary + marker, columns)
        text = buf.getvalue()
    if args.out is not None:
        _write_atomically(args.out, text)
    else:
        _write_text(stdout, text)
    return rows, summary, ranking, worst


def main(argv: list[str] | None = None, stdout=None, stderr=None) -> int:
    """Run ``dicegui score`` with ``argv`` (without the ``score`` word); return the exit code."""
    return run_command(PROG, build_parser, _run, argv, stdout, stderr, is_user_error=_is_dask_missing,
                       debug_flag=True)


def _run(args, stdout, stderr) -> int:
    cohort_mode = args.gt_dir is not None or args.pred_dir is not None
    if not cohort_mode:
        if _dicom_masks(args) is None and (args.gt is None or args.pred is None):
            raise UsageError("give GT PRED (one case) or --gt-dir DIR --pred-dir DIR (a cohort)")
        for flag in ("out", "workers", "dask"):
            if getattr(args, flag) is not None:
                raise UsageError(f"--{flag} applies to a cohort (--gt-dir/--pred-dir) only")
        return _run_single(args, stdout, stderr)
    if any(getattr(args, f"{role}_{kind}") is not None for role in ("gt", "pred") for kind in ("seg", "rtstruct")):
        raise UsageError("--gt-seg/--pred-seg/--gt-rtstruct/--pred-rtstruct score one case, not a cohort")
    return _run_cohort(args, stdout, stderr)


def _is_dask_missing(exc: BaseException) -> bool:
    from .core.cohort import DaskUnavailable

    return isinstance(exc, DaskUnavailable)
