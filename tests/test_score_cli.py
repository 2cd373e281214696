"""``dicegui score``: single case, cohorts (local pool and Dask), exit codes, no Qt.

Numbers are checked against references computed here from the arrays the
tests write: ``dicegui.core`` called directly (the CLI must print the same
numbers), SimpleITK's LabelOverlapMeasuresImageFilter and medpy.
"""
from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from dicegui import score_cli
from dicegui.core import metrics

sitk = pytest.importorskip("SimpleITK")
medpy_binary = pytest.importorskip("medpy.metric.binary")

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------- helpers


def run(argv):
    """Run ``dicegui score`` in-process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    rc = score_cli.main([str(a) for a in argv], stdout=out, stderr=err)
    return rc, out.getvalue(), err.getvalue()


def strict_json(text):
    def refuse(token):
        raise AssertionError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def save_nifti(path, array, spacing=(1.0, 1.0, 1.0), affine=None):
    if affine is None:
        affine = np.diag(list(spacing) + [1.0])
    nib.save(nib.Nifti1Image(np.asarray(array), affine), str(path))
    return Path(path)


def file_spacing(path):
    """Voxel size as the file stores it (column norms of nibabel's affine)."""
    return tuple(float(v) for v in np.sqrt((nib.load(str(path)).affine[:3, :3] ** 2).sum(axis=0)))


def sitk_dice(gt, pred, label=None):
    f = sitk.LabelOverlapMeasuresImageFilter()
    if label is None:
        gt, pred = np.asarray(gt) != 0, np.asarray(pred) != 0
    f.Execute(sitk.GetImageFromArray(np.asarray(gt, np.uint16)), sitk.GetImageFromArray(np.asarray(pred, np.uint16)))
    return f.GetDiceCoefficient() if label is None else f.GetDiceCoefficient(int(label))


def assert_one_clean_line(err, *needles):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for n in needles:
        assert n in lines[0], (n, lines[0])


def box_pair(seed, shape=(24, 20, 16)):
    rng = np.random.default_rng(seed)
    gt = np.zeros(shape, np.uint8)
    pred = np.zeros(shape, np.uint8)
    for m in (gt, pred):
        lo = rng.integers(2, 6, size=3)
        hi = lo + rng.integers(5, 10, size=3)
        m[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]] = 1
    return gt, pred


def label_pair(seed, shape=(24, 24, 12)):
    """Label maps with labels 1, 2, 4 (BraTS-like), pred a perturbed copy."""
    rng = np.random.default_rng(seed)
    gt = np.zeros(shape, np.uint8)
    gt[4:18, 4:18, 2:10] = 2
    gt[7:15, 7:15, 3:9] = 1
    gt[9:13, 9:13, 4:8] = 4
    pred = gt.copy()
    flip = rng.random(shape) < 0.08
    pred[flip] = rng.choice(np.array([0, 1, 2, 4], np.uint8), size=int(flip.sum()))
    return gt, pred


def medpy_directed(a, b, spacing):
    """medpy's directed border distances (its private helper, an independent implementation)."""
    return getattr(medpy_binary, "__surface_distances")(a, b, voxelspacing=spacing, connectivity=1)


# ----------------------------------------------------------------- usage / formatting (no IO)


@pytest.mark.parametrize(
    "argv, needle",
    [
        ([], "GT PRED"),
        (["only_one.nii.gz"], "GT PRED"),
        (["a", "b", "--labels", "1,x"], "'x' is not an integer label"),
        (["a", "b", "--labels", "0"], "foreground label"),
        (["a", "b", "--tolerance", "-1"], "--tolerance"),
        (["a", "b", "--workers", "2"], "--workers applies to a cohort"),
        (["a", "b", "--format", "xml"], "invalid choice"),
        (["--gt-dir", "x"], "needs both --gt-dir and --pred-dir"),
        (["a", "b", "--gt-dir", "x", "--pred-dir", "y"], "not both"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv, needle):
    rc, out, err = run(argv)
    assert rc == 2 and out == ""
    assert_one_clean_line(err, needle)


def test_help_documents_the_rules():
    rc, out, err = run(["--help"])
    assert rc == 0
    for needle in ("null", "Infinity", "_pred", ".seg.nrrd", "ddof=1", "exit codes"):
        assert needle in out


def test_json_rule_nan_null_inf_string():
    text = score_cli.dumps_json({"a": float("nan"), "b": float("inf"), "c": [float("-inf"), 1.5], 2: np.float64(0.25)})
    assert strict_json(text) == {"a": None, "b": "Infinity", "c": ["-Infinity", 1.5], "2": 0.25}
    assert float(strict_json(text)["b"]) == math.inf


def test_csv_cell_round_trips_floats():
    for v in (1 / 3, 0.1 + 0.2, 1e-300, 4 / 7):
        assert float(score_cli.csv_cell(v)) == v
    assert score_cli.csv_cell(np.float32(0.5)) == "0.5"
    assert score_cli.csv_cell(float("nan")) == "nan"
    assert score_cli.csv_cell(float("inf")) == "inf"
    assert score_cli.csv_cell(np.int64(7)) == "7"
    assert score_cli.csv_cell(None) == ""


def test_progress_prints_a_line_per_tenth_when_not_a_tty():
    err = io.StringIO()
    p = score_cli.Progress(err, 20)
    for i in range(1, 21):
        p(i, 20, {"status": "ok" if i != 3 else "bad_input"})
    lines = err.getvalue().splitlines()
    assert len(lines) == 11  # 0 %.. 100 % in steps of 10 % (first line at 1/20 = 5 %)
    assert lines[-1].startswith("scored 20/20 cases (100%, 1 failed)")


def test_dask_missing_gives_a_clear_message(tmp_path, monkeypatch):
    g, p = tmp_path / "gt", tmp_path / "pred"
    g.mkdir(), p.mkdir()
    (g / "a.nii.gz").write_bytes(b"x")
    (p / "a.nii.gz").write_bytes(b"x")
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    rc, out, err = run(["--gt-dir", g, "--pred-dir", p, "--dask", "tcp://127.0.0.1:1", "--no-progress"])
    assert rc == 2
    last = err.strip().splitlines()[-1]
    assert "pip install 'dicegui[dask]'" in last and "Traceback" not in err


# ----------------------------------------------------------------- Qt-free


def test_score_subprocess_never_imports_pyside(tmp_path):
    gt, pred = box_pair(1)
    save_nifti(tmp_path / "gt.nii.gz", gt)
    save_nifti(tmp_path / "pred.nii.gz", pred)
    for name, dice in (("a.csv", 0.5), ("b.csv", 0.6)):
        (tmp_path / name).write_text(f"case,status,dice\nc1,ok,{dice}\n")
    code = textwrap.dedent(f"""
        import sys, io, contextlib
        from dicegui.cli import main
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            rc = main(["score", {str(tmp_path / 'gt.nii.gz')!r}, {str(tmp_path / 'pred.nii.gz')!r}, "--surface"])
        assert rc == 0, rc
        with contextlib.redirect_stdout(buf):  # dicegui compare is Qt-free too
            rc = main(["compare", {str(tmp_path / 'a.csv')!r}, {str(tmp_path / 'b.csv')!r}])
        assert rc == 0, rc
        bad = [m for m in sys.modules if m.startswith(("PySide6", "pyqtgraph"))]
        assert not bad, bad
        print("OK")
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "OK", r.stderr


def test_python_m_dicegui_score_runs(tmp_path):
    gt, pred = box_pair(2)
    save_nifti(tmp_path / "gt.nii.gz", gt)
    save_nifti(tmp_path / "pred.nii.gz", pred)
    r = subprocess.run([sys.executable, "-m", "dicegui", "score", str(tmp_path / "gt.nii.gz"),
                        str(tmp_path / "pred.nii.gz")], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert strict_json(r.stdout)["dice"] == metrics.overlap(gt, pred)["dice"]


def test_core_and_all_submodules_import_no_qt():
    code = textwrap.dedent("""
        import pkgutil, importlib, sys
        import dicegui.core
        names = [m.name for m in pkgutil.walk_packages(dicegui.core.__path__, "dicegui.core.")]
        for n in names:
            importlib.import_module(n)
        bad = [m for m in sys.modules if m.startswith(("PySide6", "pyqtgraph"))]
        assert not bad, bad
        assert "dicegui.core.cohort" in names
        print(len(names))
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert int(r.stdout.strip()) >= 4


# ----------------------------------------------------------------- single case


OVERLAP_FLOATS = ("dice", "iou", "accuracy", "precision", "sensitivity", "specificity", "volume_similarity")


def same_number(a, b):
    return (a is None and b is not None and math.isnan(b)) or a == b


def test_single_case_json_equals_core_and_simpleitk(tmp_path):
    gt, pred = box_pair(3)
    g = save_nifti(tmp_path / "gt.nii.gz", gt, spacing=(0.8, 1.2, 2.5))
    p = save_nifti(tmp_path / "pred.nii.gz", pred, spacing=(0.8, 1.2, 2.5))
    rc, out, err = run([g, p])
    assert rc == 0, err
    doc = strict_json(out)
    core = metrics.overlap(gt, pred)
    for k in metrics.OVERLAP_KEYS:
        assert same_number(doc[k], core[k]), k
    assert doc["dice"] == pytest.approx(sitk_dice(gt, pred), abs=1e-12)
    # hand count: dice from the raw arrays
    tp = int(np.sum((gt == 1) & (pred == 1)))
    assert doc["dice"] == pytest.approx(2 * tp / (gt.sum() + pred.sum()), abs=1e-15)
    assert "per_label" not in doc and "hd" not in doc
    assert "gt.nii.gz" in err and "binary" in err  # the value rule, on stderr


def test_single_case_csv_equals_core(tmp_path):
    gt, pred = box_pair(4)
    g = save_nifti(tmp_path / "c7_gt.nii.gz", gt)
    p = save_nifti(tmp_path / "c7_pred.nii.gz", pred)
    rc, out, err = run([g, p, "--format", "csv"])
    assert rc == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 1 and rows[0]["case"] == "c7" and rows[0]["status"] == "ok"
    core = metrics.overlap(gt, pred)
    for k in metrics.OVERLAP_KEYS:
        v = float(rows[0][k])
        assert (math.isnan(v) and math.isnan(core[k])) or v == core[k], k
    assert int(rows[0]["tp"]) == core["tp"]


def test_label_map_per_label_against_simpleitk(tmp_path):
    gt, pred = label_pair(5)
    g = save_nifti(tmp_path / "gt.nii.gz", gt)
    p = save_nifti(tmp_path / "pred.nii.gz", pred)
    rc, out, err = run([g, p])
    assert rc == 0, err
    doc = strict_json(out)
    assert sorted(doc["per_label"]) == ["1", "2", "4"]
    dices = []
    for label in (1, 2, 4):
        entry = doc["per_label"][str(label)]
        ref = sitk_dice(gt, pred, label)
        assert entry["dice"] == pytest.approx(ref, abs=1e-12)
        assert entry["tp"] == int(np.sum((gt == label) & (pred == label)))
        assert entry["fp"] == int(np.sum((gt != label) & (pred == label)))
        dices.append(ref)
    assert doc["mean_dice"] == pytest.approx(np.mean(dices), abs=1e-12)
    ious = [d / (2 - d) for d in dices]
    assert doc["mean_iou"] == pytest.approx(np.mean(ious), abs=1e-12)
    # top level = foreground, any nonzero label
    assert doc["dice"] == pytest.approx(sitk_dice(gt, pred), abs=1e-12)
    assert "label map" in err


def test_explicit_labels_select_and_absent_label_follows_convention(tmp_path):
    gt, pred = label_pair(6)
    g = save_nifti(tmp_path / "gt.nii.gz", gt)
    p = save_nifti(tmp_path / "pred.nii.gz", pred)
    rc, out, err = run([g, p, "--labels", "4,1,3"])
    assert rc == 0, err
    doc = strict_json(out)
    assert sorted(doc["per_label"]) == ["1", "3", "4"]
    # label 3 is in neither mask: both empty -> Dice 1 (documented convention),
    # flagged absent and left out of the mean
    assert doc["per_label"]["3"]["dice"] == 1.0 and doc["per_label"]["3"]["tp"] == 0
    assert doc["per_label"]["3"]["absent"] is True and doc["per_label"]["1"]["absent"] is False
    expected = np.mean([sitk_dice(gt, pred, 4), sitk_dice(gt, pred, 1)])
    assert doc["mean_dice"] == pytest.approx(expected, abs=1e-12)


def test_surface_against_medpy(tmp_path):
    spacing = (0.8, 1.2, 2.0)
    gt, pred = box_pair(7)
    pred[20:22, 15:18, 12:14] = 1  # a distant false-positive island
    g = save_nifti(tmp_path / "gt.nii.gz", gt, spacing=spacing)
    p = save_nifti(tmp_path / "pred.nii.gz", pred, spacing=spacing)
    rc, out, err = run([g, p, "--surface", "--tolerance", "1.5"])
    assert rc == 0, err
    doc = strict_json(out)
    spacing = file_spacing(g)  # as stored: float32 in the NIfTI header
    assert doc["hd"] == pytest.approx(medpy_binary.hd(pred, gt, voxelspacing=spacing), abs=1e-9)
    assert doc["hd95_pooled"] == pytest.approx(medpy_binary.hd95(pred, gt, voxelspacing=spacing), abs=1e-9)
    assert doc["assd"] == pytest.approx(medpy_binary.assd(pred, gt, voxelspacing=spacing), abs=1e-9)
    d_gp = medpy_directed(gt, pred, spacing)  # gt border -> pred border
    d_pg = medpy_directed(pred, gt, spacing)
    assert doc["hd95"] == pytest.approx(max(np.percentile(d_gp, 95), np.percentile(d_pg, 95)), abs=1e-9)
    nsd = (np.sum(d_gp <= 1.5) + np.sum(d_pg <= 1.5)) / (d_gp.size + d_pg.size)
    assert doc["nsd"] == pytest.approx(nsd, abs=1e-12)
    assert doc["spacing_mm"] == pytest.approx(list(spacing))


def test_surface_per_label_against_medpy(tmp_path):
    gt, pred = label_pair(8)
    spacing = (1.0, 1.0, 2.0)
    g = save_nifti(tmp_path / "gt.nii.gz", gt, spacing=spacing)
    p = save_nifti(tmp_path / "pred.nii.gz", pred, spacing=spacing)
    rc, out, err = run([g, p, "--surface"])
    assert rc == 0, err
    doc = strict_json(out)
    spacing = file_spacing(g)
    for label in (1, 2, 4):
        ref = medpy_binary.hd(pred == label, gt == label, voxelspacing=spacing)
        assert doc["per_label"][str(label)]["hd"] == pytest.approx(ref, abs=1e-9)


def test_empty_prediction_nan_is_null_inf_is_a_string(tmp_path):
    gt, _ = box_pair(9)
    g = save_nifti(tmp_path / "gt.nii.gz", gt)
    p = save_nifti(tmp_path / "pred.nii.gz", np.zeros_like(gt))
    rc, out, err = run([g, p, "--surface"])
    assert rc == 0, err
    doc = strict_json(out)
    assert doc["dice"] == 0.0 and doc["tp"] == 0
    assert doc["precision"] is None  # 0/0
    assert doc["hd"] == "Infinity" and doc["hd95"] == "Infinity" and doc["nsd"] == 0.0
    rc, out, err = run([g, p, "--surface", "--format", "csv"])
    row = next(csv.DictReader(io.StringIO(out)))
    assert row["precision"] == "nan" and row["hd"] == "inf"


def test_flipped_prediction_is_reoriented_with_a_warning(tmp_path):
    gt, pred = box_pair(10)
    g = save_nifti(tmp_path / "gt.nii.gz", gt)
    flip = np.diag([-1.0, 1.0, 1.0, 1.0])
    flip[0, 3] = gt.shape[0] - 1  # same voxel centres, first axis reversed
    p = save_nifti(tmp_path / "pred_lps.nii.gz", pred[::-1].copy(), affine=flip)
    rc, out, err = run([g, p])
    assert rc == 0, err
    assert strict_json(out)["dice"] == pytest.approx(sitk_dice(gt, pred), abs=1e-12)
    warnings = [ln for ln in err.splitlines() if ln.startswith("warning:")]
    assert warnings and "pred_lps.nii.gz" in warnings[0]


def test_bad_inputs_exit_2_with_one_line_naming_the_file(tmp_path):
    gt, pred = box_pair(11)
    g = save_nifti(tmp_path / "gt.nii.gz", gt)
    p = save_nifti(tmp_path / "pred.nii.gz", pred)
    junk = tmp_path / "junk.nii.gz"
    junk.write_text("this is not an image\n")
    small = save_nifti(tmp_path / "small.nii.gz", pred[:10])
    rng = np.random.default_rng(0)
    logits = save_nifti(tmp_path / "logits.nii.gz", rng.normal(0, 3, gt.shape).astype(np.float32))
    cases = [
        ([g, tmp_path / "missing.nii.gz"], "missing.nii.gz"),
        ([g, junk], "junk.nii.gz"),
        ([g, small], "small.nii.gz"),
        ([g, logits], "logits.nii.gz"),
    ]
    for argv, name in cases:
        rc, out, err = run(argv)
        assert rc == 2, (argv, err)
        assert out == ""
        assert_one_clean_line(err, name)
    # the logit refusal gives the advice, and --sigmoid accepts them
    assert "sigmoid" in run([g, logits])[2].lower()
    rc, out, err = run([g, logits, "--sigmoid"])
    assert rc == 0, err
    prob = 1 / (1 + np.exp(-np.asarray(nib.load(str(logits)).dataobj, dtype=np.float64)))
    assert strict_json(out)["dice"] == pytest.approx(sitk_dice(gt, prob >= 0.5), abs=1e-12) or \
        strict_json(out)["dice"] == pytest.approx(sitk_dice(gt, prob > 0.5), abs=1e-12)


def test_unexpected_error_exit_1_without_traceback(tmp_path, monkeypatch):
    from dicegui.core import cohort

    gt, pred = box_pair(12)
    g = save_nifti(tmp_path / "gt.nii.gz", gt)
    p = save_nifti(tmp_path / "pred.nii.gz", pred)

    def boom(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(cohort, "score_case", boom)
    rc, out, err = run([g, p])
    assert rc == 1
    assert "Traceback" not in err
    assert "unexpected error: RuntimeError: boom" in err.splitlines()[-1]


# ----------------------------------------------------------------- cohorts


def read_table(path_or_text):
    text = Path(path_or_text).read_text() if isinstance(path_or_text, Path) else path_or_text
    rows = list(csv.DictReader(io.StringIO(text)))
    return [r for r in rows if r["status"] != "summary"], {r["case"]: r for r in rows if r["status"] == "summary"}


def make_cohort(tmp_path, n=4, labels=False, broken="c02"):
    g, p = tmp_path / "gt", tmp_path / "pred"
    g.mkdir(), p.mkdir()
    arrays = {}
    for i in range(n):
        name = f"c{i:02d}"
        gt, pred = label_pair(20 + i) if labels else box_pair(20 + i)
        arrays[name] = (gt, pred)
        save_nifti(g / f"{name}.nii.gz", gt, spacing=(1.0, 1.0, 1.5))
        if name == broken:
            (p / f"{name}_pred.nii.gz").write_bytes(b"\x1f\x8b broken gzip")
        else:
            save_nifti(p / f"{name}_pred.nii.gz", pred, spacing=(1.0, 1.0, 1.5))
    save_nifti(g / "lonely_gt.nii.gz", np.zeros((4, 4, 4), np.uint8))
    save_nifti(p / "stray.nii.gz", np.zeros((4, 4, 4), np.uint8))
    (p / "plans.json").write_text("{}")
    return g, p, arrays


def test_cohort_rows_summary_worst_unmatched_and_broken_case(tmp_path):
    g, p, arrays = make_cohort(tmp_path)
    out_csv = tmp_path / "results.csv"
    rc, out, err = run(["--gt-dir", g, "--pred-dir", p, "--out", out_csv, "--workers", "1", "--worst", "2"])
    assert rc == 0, err
    rows, summary = read_table(out_csv)
    assert [r["case"] for r in rows] == ["c00", "c01", "c02", "c03"]
    broken = rows[2]
    assert broken["status"] == "bad_input" and "c02_pred.nii.gz" in broken["error"] and broken["dice"] == ""
    ok = [r for r in rows if r["status"] == "ok"]
    for r in ok:
        gt, pred = arrays[r["case"]]
        assert float(r["dice"]) == metrics.overlap(gt, pred)["dice"]
        assert float(r["dice"]) == pytest.approx(sitk_dice(gt, pred), abs=1e-12)
        assert r["gt_kind"] == "binary" and r["error"] == ""
    dice = np.array([float(r["dice"]) for r in ok])
    assert list(summary) == ["mean", "median", "std", "min", "max", "n", "n_inf", "n_undefined"]
    assert float(summary["mean"]["dice"]) == pytest.approx(dice.mean(), abs=1e-15)
    assert float(summary["median"]["dice"]) == pytest.approx(np.median(dice), abs=1e-15)
    assert float(summary["std"]["dice"]) == pytest.approx(dice.std(ddof=1), abs=1e-15)
    assert float(summary["min"]["dice"]) == dice.min() and float(summary["max"]["dice"]) == dice.max()
    assert summary["n"]["dice"] == "3"
    tp = np.array([int(r["tp"]) for r in ok])
    assert float(summary["mean"]["tp"]) == pytest.approx(tp.mean())
    # report on stdout: worst cases by Dice, lowest first; the failure
    order = sorted((float(r["dice"]), r["case"]) for r in ok)
    worst_block = out.split("worst 2 case(s) by dice:")[1].splitlines()
    assert order[0][1] in worst_block[1] and order[1][1] in worst_block[2]
    assert "c02: bad_input" in out
    # unmatched and ignored files on stderr, and the progress
    assert "lonely_gt.nii.gz" in err and "stray.nii.gz" in err and "plans.json" in err
    assert "scored 4/4 cases (100%, 1 failed)" in err
    assert "Traceback" not in err
    # --strict turns failures into exit 2
    rc, out, err = run(["--gt-dir", g, "--pred-dir", p, "--out", out_csv, "--workers", "1", "--strict"])
    assert rc == 2 and "--strict" in err.splitlines()[-1]


def test_cohort_without_out_writes_the_table_to_stdout(tmp_path):
    g, p, arrays = make_cohort(tmp_path, n=2, broken=None)
    rc, out, err = run(["--gt-dir", g, "--pred-dir", p, "--workers", "1", "--no-progress"])
    assert rc == 0, err
    rows, summary = read_table(out)
    assert [r["case"] for r in rows] == ["c00", "c01"]
    assert "worst" in err and "scored" not in out


def test_cohort_two_workers_equal_one(tmp_path):
    g, p, _ = make_cohort(tmp_path, n=5, labels=True)
    a, b = tmp_path / "w1.csv", tmp_path / "w2.csv"
    rc1, _, err1 = run(["--gt-dir", g, "--pred-dir", p, "--out", a, "--workers", "1", "--surface"])
    rc2, _, err2 = run(["--gt-dir", g, "--pred-dir", p, "--out", b, "--workers", "2", "--surface"])
    assert rc1 == 0 and rc2 == 0, err1 + err2
    assert a.read_bytes() == b.read_bytes()
    rows, summary = read_table(a)
    assert {"label1_dice", "label2_hd95", "label4_nsd_1mm", "mean_dice"} <= set(rows[0])
    ok = [r for r in rows if r["status"] == "ok"]
    assert len(ok) == 4
    md = np.array([float(r["mean_dice"]) for r in ok])
    assert float(summary["mean"]["mean_dice"]) == pytest.approx(md.mean(), abs=1e-15)


def test_cohort_json_output_is_strict(tmp_path):
    g, p, _ = make_cohort(tmp_path, n=3)
    out_json = tmp_path / "results.json"
    rc, out, err = run(["--gt-dir", g, "--pred-dir", p, "--out", out_json, "--workers", "1", "--surface"])
    assert rc == 0, err
    doc = strict_json(out_json.read_text())
    assert [c["case"] for c in doc["cases"]] == ["c00", "c01", "c02"]
    assert doc["cases"][2]["status"] == "bad_input"
    assert doc["summary"]["n"]["dice"] == 2
    assert [Path(x).name for x in doc["unmatched_gt"]] == ["lonely_gt.nii.gz"]
    assert doc["ranking_metric"] == "dice" and len(doc["worst"]) == 2


def test_cohort_with_nothing_to_pair_is_bad_input(tmp_path):
    g, p = tmp_path / "gt", tmp_path / "pred"
    g.mkdir(), p.mkdir()
    save_nifti(g / "a.nii.gz", np.zeros((4, 4, 4), np.uint8))
    save_nifti(p / "b.nii.gz", np.zeros((4, 4, 4), np.uint8))
    rc, out, err = run(["--gt-dir", g, "--pred-dir", p])
    assert rc == 2 and "no case of" in err.splitlines()[-1] and "Traceback" not in err


def test_cohort_on_a_local_dask_cluster_equals_local_run(tmp_path):
    distributed = pytest.importorskip("distributed")
    g, p, _ = make_cohort(tmp_path, n=4)
    local, remote = tmp_path / "local.csv", tmp_path / "dask.csv"
    rc, _, err = run(["--gt-dir", g, "--pred-dir", p, "--out", local, "--workers", "1", "--surface"])
    assert rc == 0, err
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  protocol="tcp://", host="127.0.0.1", dashboard_address=None) as cluster:
        rc, out, err = run(["--gt-dir", g, "--pred-dir", p, "--out", remote, "--surface",
                            "--dask", cluster.scheduler_address])
    assert rc == 0, err
    assert "Dask at tcp://127.0.0.1" in err
    assert local.read_bytes() == remote.read_bytes()


# ----------------------------------------------------------------- real data


def test_brats_segmentors_as_a_cohort_against_simpleitk(shared_data, tmp_path):
    case = shared_data / "brats_toolkit" / "TCGA-DU-7294"
    reference = case / "fusionator" / "simple.nii.gz"
    outputs = sorted((case / "segmentor").glob("*.nii.gz"))
    g, p = tmp_path / "gt", tmp_path / "pred"
    g.mkdir(), p.mkdir()
    for f in outputs:  # one ground truth per algorithm output, by link (no copy)
        (g / f.name).symlink_to(reference)
        (p / f.name).symlink_to(f)
    out_csv = tmp_path / "brats.csv"
    rc, out, err = run(["--gt-dir", g, "--pred-dir", p, "--out", out_csv, "--workers", "2"])
    assert rc == 0, err
    rows, summary = read_table(out_csv)
    assert len(rows) == len(outputs) and all(r["status"] == "ok" for r in rows)
    ref = sitk.ReadImage(str(reference))
    ref_fg = ref != 0
    for r in rows:
        # SimpleITK reads the files itself: an independent loader too
        pred = sitk.Cast(sitk.ReadImage(str(p / f"{r['case']}.nii.gz")), sitk.sitkUInt8)
        f = sitk.LabelOverlapMeasuresImageFilter()
        f.Execute(ref_fg, pred != 0)
        assert float(r["dice"]) == pytest.approx(f.GetDiceCoefficient(), abs=1e-12)
        f.Execute(ref, pred)
        for label in (1, 2, 4):
            assert float(r[f"label{label}_dice"]) == pytest.approx(f.GetDiceCoefficient(label), abs=1e-12)
    # lfb_rwth stores its labels as float64: read as a label map, and said so
    lfb = next(r for r in rows if r["case"] == "lfb_rwth")
    assert lfb["pred_kind"] == "labels"
    assert "mean_dice" in out  # label maps are ranked by their mean Dice


def test_probability_prediction_reports_soft_dice(tmp_path):
    gt, _ = box_pair(13)
    rng = np.random.default_rng(13)
    prob = np.clip(gt * 0.6 + rng.uniform(0, 0.45, gt.shape), 0, 1).astype(np.float32)
    g = save_nifti(tmp_path / "gt.nii.gz", gt)
    p = save_nifti(tmp_path / "prob.nii.gz", prob)
    rc, out, err = run([g, p])
    assert rc == 0, err
    doc = strict_json(out)
    p64, t = prob.astype(np.float64), gt.astype(np.float64)
    assert doc["soft_dice"] == pytest.approx((2 * np.sum(p64 * t) + 1e-5) / (p64.sum() + t.sum() + 1e-5), rel=1e-12)
    assert doc["dice"] == pytest.approx(sitk_dice(gt, prob >= 0.5), abs=1e-12)
    assert "probability" in err


def test_progress_redraws_in_place_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    err = Tty()
    p = score_cli.Progress(err, 4, width=8)
    for i in range(1, 5):
        p(i, 4, {"status": "ok"})
    text = err.getvalue()
    assert text.count("\r") == 4 and text.endswith("\n") and text.count("\n") == 1
    assert "\r[##......] 1/4" in text and "[########] 4/4" in text


def test_cohort_warnings_column_and_report(tmp_path):
    g, p = tmp_path / "gt", tmp_path / "pred"
    g.mkdir(), p.mkdir()
    gt, pred = box_pair(30)
    save_nifti(g / "x.nii.gz", gt)
    flip = np.diag([1.0, -1.0, 1.0, 1.0])
    flip[1, 3] = gt.shape[1] - 1
    save_nifti(p / "x.nii.gz", pred[:, ::-1].copy(), affine=flip)
    out_csv = tmp_path / "r.csv"
    rc, out, err = run(["--gt-dir", g, "--pred-dir", p, "--out", out_csv])
    assert rc == 0, err
    rows, _ = read_table(out_csv)
    assert float(rows[0]["dice"]) == pytest.approx(sitk_dice(gt, pred), abs=1e-12)
    assert "x.nii.gz" in rows[0]["warnings"]
    assert "1 case(s) with warnings" in out


def test_png_masks_surface_on_2d_contours(tmp_path):
    from skimage.io import imsave

    gt = np.zeros((40, 50), np.uint8)
    pred = np.zeros_like(gt)
    gt[8:30, 10:35] = 255
    pred[12:33, 14:40] = 255
    pred[2:4, 44:47] = 255  # island
    imsave(tmp_path / "gt.png", gt, check_contrast=False)
    imsave(tmp_path / "pred.png", pred, check_contrast=False)
    rc, out, err = run([tmp_path / "gt.png", tmp_path / "pred.png", "--surface"])
    assert rc == 0, err
    doc = strict_json(out)
    g, p = gt > 0, pred > 0
    assert doc["dice"] == pytest.approx(sitk_dice(g, p), abs=1e-12)
    assert doc["hd"] == pytest.approx(medpy_binary.hd(p, g), abs=1e-9)
    assert doc["assd"] == pytest.approx(medpy_binary.assd(p, g), abs=1e-9)
    assert doc["hd95_pooled"] == pytest.approx(medpy_binary.hd95(p, g), abs=1e-9)
    assert "255" in err  # the 0/255 rule is reported


def test_grid_mismatch_of_two_files_with_one_name_names_their_folders(tmp_path):
    (tmp_path / "oncologist").mkdir()
    (tmp_path / "model").mkdir()
    gt = save_nifti(tmp_path / "oncologist" / "Brain.nii.gz", np.zeros((4, 4, 3), np.uint8))
    pred = save_nifti(tmp_path / "model" / "Brain.nii.gz", np.zeros((5, 4, 3), np.uint8))
    rc, out, err = run([gt, pred])
    assert rc == 2 and out == ""
    assert "model/Brain.nii.gz is 5×4×3" in err
    assert "ground truth oncologist/Brain.nii.gz is 4×4×3" in err
    # different names stay short
    other = save_nifti(tmp_path / "model" / "Brain2.nii.gz", np.zeros((5, 4, 3), np.uint8))
    rc, _, err = run([gt, other])
    assert rc == 2 and "Brain2.nii.gz is 5×4×3" in err and "ground truth Brain.nii.gz is 4×4×3" in err
    assert "/" not in err.split(": different")[0]


# ----------------------------------------------------------------- label names

ITKSNAP_NAMES = """\
# ITK-SnAP Label Description File
    0     0    0    0        0  0  0    "Clear Label"
    1   255    0    0        1  1  1    "necrotic core"
    2     0  255    0        1  1  1    "oedema"
    4     0    0  255        1  1  1    "enhancing tumour"
"""


def test_label_names_file_names_the_per_label_entries_single_case(tmp_path):
    gt, pred = label_pair(30)
    g = save_nifti(tmp_path / "gt.nii.gz", gt)
    p = save_nifti(tmp_path / "pred.nii.gz", pred)
    names = tmp_path / "brats.txt"
    names.write_text(ITKSNAP_NAMES)
    rc, out, err = run([g, p, "--label-names", names])
    assert rc == 0, err
    per = strict_json(out)["per_label"]
    assert {k: v["name"] for k, v in per.items()} == {"1": "necrotic core", "2": "oedema", "4": "enhancing tumour"}
    assert list(per["4"])[0] == "name"
    assert per["4"]["dice"] == pytest.approx(sitk_dice(gt, pred, 4), abs=1e-12)
    rc, out, err = run([g, p, "--label-names", names, "--format", "csv"])
    assert rc == 0, err
    header, row = next(csv.reader(io.StringIO(out))), next(csv.DictReader(io.StringIO(out)))
    assert row["label2_name"] == "oedema" and float(row["label2_dice"]) == pytest.approx(sitk_dice(gt, pred, 2))
    # a label's name leads its columns
    label2 = [c for c in header if c.startswith("label2_")]
    assert label2[0] == "label2_name" and "label2_dice" in label2


def test_label_names_in_a_cohort_table_and_a_sidecar_beside_the_masks(tmp_path):
    g, p, arrays = make_cohort(tmp_path, n=3, labels=True, broken=None)
    # a sidecar beside one prediction names labels 1 and 2 of that case only
    (p / "c01_pred.labels.json").write_text('{"labels": {"1": "core", "2": "edema"}}')
    out_csv = tmp_path / "results.csv"
    rc, out, err = run(["--gt-dir", g, "--pred-dir", p, "--out", out_csv, "--no-progress", "--workers", "1"])
    assert rc == 0, err
    rows, summary = read_table(out_csv)
    by_case = {r["case"]: r for r in rows}
    assert by_case["c01"]["label1_name"] == "core" and by_case["c00"]["label1_name"] == ""
    # names are text: the summary rows hold no statistics of them, and the numbers are unchanged
    assert summary["mean"]["label1_name"] == "" and summary["n"]["label1_name"] == ""
    dices = [sitk_dice(*arrays[c], 1) for c in ("c00", "c01", "c02")]
    assert float(summary["mean"]["label1_dice"]) == pytest.approx(np.mean(dices), abs=1e-12)

    names = tmp_path / "names.ctbl"
    names.write_text("# Color table file names.ctbl\n1 necrotic_core 255 0 0 255\n4 enhancing 0 0 255 255\n")
    out_json = tmp_path / "results.json"
    rc, out, err = run(["--gt-dir", g, "--pred-dir", p, "--out", out_json, "--no-progress", "--workers", "2",
                        "--label-names", names])
    assert rc == 0, err
    cases = {c["case"]: c for c in strict_json(out_json.read_text())["cases"]}
    # the explicit file wins over the sidecar; the sidecar still names label 2 of c01
    assert [cases[c]["label1_name"] for c in ("c00", "c01", "c02")] == ["necrotic core"] * 3
    assert cases["c01"]["label2_name"] == "edema" and "label2_name" not in cases["c00"]
    assert cases["c02"]["label4_name"] == "enhancing"


def test_unreadable_label_names_file_exits_2_with_one_line(tmp_path):
    gt, pred = label_pair(31)
    g = save_nifti(tmp_path / "gt.nii.gz", gt)
    p = save_nifti(tmp_path / "pred.nii.gz", pred)
    bad = tmp_path / "names.txt"
    bad.write_text('1 255 0 0 1 1 1 "a"\n1 0 255 0 1 1 1 "b"\n')
    for argv in ([g, p], ["--gt-dir", tmp_path, "--pred-dir", tmp_path / "elsewhere"]):
        rc, out, err = run([*argv, "--label-names", bad])
        assert rc == 2 and out == ""
        assert_one_clean_line(err, "names.txt", "line 2", "listed twice")
    rc, out, err = run([g, p, "--label-names", tmp_path / "absent.ctbl"])
    assert rc == 2
    assert_one_clean_line(err, "absent.ctbl", "cannot read")


def test_softmax_reads_a_channel_map_first_or_last_in_one_case_and_a_cohort(tmp_path):
    gt = np.zeros((16, 14, 6), np.uint8)
    gt[3:9, 3:9, 1:5] = 1
    gt[10:14, 2:7, 1:4] = 2
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 1.5, (*gt.shape, 3)).astype(np.float32)
    for c in range(3):
        logits[..., c] += 2.5 * (gt == c)
    g = save_nifti(tmp_path / "gt.nii.gz", gt)
    last = save_nifti(tmp_path / "pred.nii.gz", logits)
    np.save(tmp_path / "pred_first.npy", np.moveaxis(logits, -1, 0))
    labels = np.argmax(logits, axis=-1)  # softmax keeps the order of the logits: its argmax is theirs
    expected = {k: sitk_dice(gt == k, labels == k) for k in (1, 2)}
    rc, out, err = run([g, last])
    assert rc == 2 and "3 channels" in err and "--softmax" in err
    for pred, axis in ((last, []), (tmp_path / "pred_first.npy", ["first"])):
        rc, out, err = run([g, pred, "--softmax", *axis])
        assert rc == 0, err
        got = strict_json(out)["per_label"]
        for k in (1, 2):
            assert got[str(k)]["dice"] == pytest.approx(expected[k], abs=1e-12)
        assert ("first axis" if axis else "last axis") in err and "read with a softmax" in err
    # a cohort scores every case the same way
    (tmp_path / "g").mkdir()
    (tmp_path / "p").mkdir()
    save_nifti(tmp_path / "g" / "a.nii.gz", gt)
    save_nifti(tmp_path / "p" / "a.nii.gz", logits)
    rc, out, err = run(["--gt-dir", tmp_path / "g", "--pred-dir", tmp_path / "p", "--softmax", "--no-progress",
                        "--workers", "1"])
    assert rc == 0, err
    row = next(r for r in csv.DictReader(io.StringIO(out)) if r["case"] == "a")
    assert float(row["label2_dice"]) == pytest.approx(expected[2], abs=1e-12)


def test_cohort_on_a_dask_cluster_of_processes_spreads_cases_and_equals_local_run(tmp_path):
    # the same task function as the local pool: each Dask worker process reads its own files
    # and returns rows; both processes take cases (no timing here, only where the work went)
    distributed = pytest.importorskip("distributed")
    g, p, _ = make_cohort(tmp_path, n=8)
    local, remote = tmp_path / "local.csv", tmp_path / "dask.csv"
    rc, _, err = run(["--gt-dir", g, "--pred-dir", p, "--out", local, "--workers", "2", "--surface"])
    assert rc == 0, err
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  protocol="tcp://", host="127.0.0.1", dashboard_address=None) as cluster:
        rc, out, err = run(["--gt-dir", g, "--pred-dir", p, "--out", remote, "--surface",
                            "--dask", cluster.scheduler_address])
        with distributed.Client(cluster) as client:
            executed = client.run(lambda dask_worker: dask_worker.state.executed_count)
    assert rc == 0, err
    assert local.read_bytes() == remote.read_bytes()
    assert len(executed) == 2 and sum(executed.values()) == 8
    assert all(n > 0 for n in executed.values()), executed
