"""``dicegui compare``: end to end on tables written by ``dicegui score``, formats, bad input, no Qt.

Reference numbers are computed here from the mask arrays (numpy Dice) and
scipy.stats.wilcoxon, never read back from our own output.
"""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from scipy import stats

from dicegui import compare_cli, score_cli
from dicegui.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]
BRATS = ROOT.parent / "shared" / "data" / "brats_toolkit" / "TCGA-DU-7294"


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    rc = compare_cli.main([str(a) for a in argv], stdout=out, stderr=err)
    return rc, out.getvalue(), err.getvalue()


def score(gt_dir, pred_dir, out, *extra):
    err = io.StringIO()
    rc = score_cli.main(["--gt-dir", str(gt_dir), "--pred-dir", str(pred_dir), "--out", str(out),
                         "--workers", "1", "--no-progress", *map(str, extra)], stdout=io.StringIO(), stderr=err)
    assert rc == 0, err.getvalue()
    return out


def save(path, arr):
    nib.save(nib.Nifti1Image(arr.astype(np.uint8), np.eye(4)), str(path))


def dice(gt, pred):
    gt, pred = gt > 0, pred > 0
    return 2 * np.logical_and(gt, pred).sum() / (gt.sum() + pred.sum())


def box(lo, hi, shape=(24, 24, 8)):
    m = np.zeros(shape, np.uint8)
    m[lo:hi, lo:hi, 2:6] = 1
    return m


@pytest.fixture
def synthetic(tmp_path):
    """12 cases scored twice: B's boxes sit closer to the reference than A's on most cases.

    Case ``x_empty`` has an empty prediction in A (HD95 infinite there), ``x_onlya``
    has no prediction of B.
    """
    gt_dir, a_dir, b_dir = (tmp_path / n for n in ("gt", "a", "b"))
    for d in (gt_dir, a_dir, b_dir):
        d.mkdir()
    rng = np.random.default_rng(0)
    expected = {}
    for i in range(12):
        name = f"case{i:02d}"
        gt = box(6, 16)
        a = box(6 + int(rng.integers(1, 4)), 16)
        b = box(6 + int(rng.integers(0, 3)), 16)
        save(gt_dir / f"{name}.nii.gz", gt)
        save(a_dir / f"{name}.nii.gz", a)
        save(b_dir / f"{name}.nii.gz", b)
        expected[name] = (dice(gt, a), dice(gt, b))
    save(gt_dir / "x_empty.nii.gz", box(6, 16))
    save(a_dir / "x_empty.nii.gz", np.zeros((24, 24, 8)))
    save(b_dir / "x_empty.nii.gz", box(7, 16))
    save(gt_dir / "x_onlya.nii.gz", box(6, 16))
    save(a_dir / "x_onlya.nii.gz", box(6, 15))
    ta = score(gt_dir, a_dir, tmp_path / "a.csv", "--surface")
    tb = score(gt_dir, b_dir, tmp_path / "b.csv", "--surface")
    return ta, tb, expected


def test_compare_dice_on_score_tables(synthetic):
    ta, tb, expected = synthetic
    rc, out, err = run([ta, tb, "--format", "json"])
    assert rc == 0, err
    doc = json.loads(out)
    names = sorted(expected)
    d = np.array([expected[n][1] - expected[n][0] for n in names])
    # x_empty pairs on Dice (0 in A), x_onlya is unpaired
    d_all = np.append(d, dice(box(6, 16), box(7, 16)) - 0.0)
    assert doc["n_pairs"] == 13
    assert doc["excluded_counts"] == {"only in A": 1}
    assert doc["mean_difference"]["estimate"] == pytest.approx(d_all.mean())
    assert doc["median_difference"]["estimate"] == pytest.approx(np.median(d_all))
    ref = stats.wilcoxon(d_all)
    assert doc["wilcoxon"]["statistic"] == pytest.approx(ref.statistic)
    assert doc["wilcoxon"]["p"] == pytest.approx(ref.pvalue)
    assert doc["wins"] == int((d_all > 0).sum()) and doc["ties"] == int((d_all == 0).sum())
    assert doc["largest_disagreements"][0] == "x_empty"
    lo, hi = doc["mean_difference"]["ci_low"], doc["mean_difference"]["ci_high"]
    assert lo <= d_all.mean() <= hi


def test_compare_hd95_excludes_infinite_and_text_report(synthetic, tmp_path):
    ta, tb, _ = synthetic
    rc, out, err = run([ta, tb, "--metric", "hd95"])
    assert rc == 0, err
    assert "Pairs used: 12; left out: 2" in out
    assert "infinite: 1" in out and "--hd-cap" in out
    assert "lower is better" in out
    assert "zero_method='wilcox'" in out
    assert "Largest disagreements" in out


def test_compare_csv_rows_and_out_file(synthetic, tmp_path):
    ta, tb, expected = synthetic
    dest = tmp_path / "cmp.csv"
    rc, out, err = run([ta, tb, "--format", "csv", "--out", dest])
    assert rc == 0, err
    assert f"written to {dest}" in out and "Pairs used" in out
    rows = list(csv.DictReader(dest.open()))
    paired = {r["case"]: r for r in rows if r["status"] == "paired"}
    for name, (a, b) in expected.items():
        assert float(paired[name]["a"]) == pytest.approx(a)
        assert float(paired[name]["difference"]) == pytest.approx(b - a)
    diffs = [abs(float(r["difference"])) for r in rows if r["status"] == "paired"]
    assert diffs == sorted(diffs, reverse=True)
    assert [r["case"] for r in rows if r["status"] == "excluded: only in A"] == ["x_onlya"]


def test_bad_input_one_line_exit_2(synthetic, tmp_path):
    ta, tb, _ = synthetic
    bad = tmp_path / "bad.csv"
    bad.write_text("name,dice\nx,1\n")
    for argv, problem in (([ta, tmp_path / "none.csv"], "none.csv: no such file"),
                          ([ta, bad], "bad.csv: no 'case' column"),
                          ([ta, tb, "--metric", "nsd_9mm"], "no column 'nsd_9mm'"),
                          ([ta, tb, "--resamples", "0"], "must be at least 1"),
                          ([ta, tb, "--label", "1", "--region", "ET"], "not allowed with")):
        rc, out, err = run(argv)
        assert rc == 2, (argv, err)
        assert problem in err and err.count("\n") == 1, err


def test_seed_and_resamples_are_used(synthetic):
    ta, tb, _ = synthetic
    first = json.loads(run([ta, tb, "--format", "json", "--seed", "5", "--resamples", "500"])[1])
    again = json.loads(run([ta, tb, "--format", "json", "--seed", "5", "--resamples", "500"])[1])
    assert first["bootstrap"] == {"method": "percentile", "resamples": 500, "seed": 5}
    assert first["mean_difference"] == again["mean_difference"]


def test_dispatched_from_dicegui_without_qt(synthetic):
    ta, tb, _ = synthetic
    code = textwrap.dedent(f"""
        import sys, io, contextlib
        from dicegui.cli import main
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            rc = main(["compare", {str(ta)!r}, {str(tb)!r}])
        assert rc == 0, rc
        assert "Pairs used: 13" in buf.getvalue(), buf.getvalue()
        bad = [m for m in sys.modules if m.startswith(("PySide6", "pyqtgraph"))]
        assert not bad, bad
        print("OK")
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "OK", r.stderr


@pytest.mark.skipif(not BRATS.is_dir(), reason="shared BraTS toolkit data absent")
def test_compare_brats_algorithms(tmp_path):
    # one patient, six algorithms: cohort A holds three of them as cases, cohort B the other three
    ref = BRATS / "fusionator" / "simple.nii.gz"
    seg = BRATS / "segmentor"
    pairs = {"p1": ("lfb_rwth", "mic-dkfz"), "p2": ("scan", "scan_2019"), "p3": ("zyx_2019", "xfeng")}
    for d in ("gt", "a", "b"):
        (tmp_path / d).mkdir()
    gt = np.asarray(nib.load(str(ref)).dataobj)
    expected = {}
    for case, (alg_a, alg_b) in pairs.items():
        (tmp_path / "gt" / f"{case}.nii.gz").symlink_to(ref)
        (tmp_path / "a" / f"{case}.nii.gz").symlink_to(seg / f"{alg_a}.nii.gz")
        (tmp_path / "b" / f"{case}.nii.gz").symlink_to(seg / f"{alg_b}.nii.gz")
        pa = np.asarray(nib.load(str(seg / f"{alg_a}.nii.gz")).dataobj)
        pb = np.asarray(nib.load(str(seg / f"{alg_b}.nii.gz")).dataobj)
        expected[case] = (dice(gt, pa), dice(gt, pb), dice(gt == 4, pa == 4), dice(gt == 4, pb == 4))
    ta = score(tmp_path / "gt", tmp_path / "a", tmp_path / "a.csv", "--regions", "brats2021")
    tb = score(tmp_path / "gt", tmp_path / "b", tmp_path / "b.csv", "--regions", "brats2021")
    doc = json.loads(run([ta, tb, "--format", "json"])[1])
    d = np.array([expected[c][1] - expected[c][0] for c in sorted(pairs)])
    assert doc["n_pairs"] == 3
    assert doc["mean_difference"]["estimate"] == pytest.approx(d.mean())
    assert doc["wilcoxon"]["p"] == pytest.approx(stats.wilcoxon(d).pvalue)
    assert any("fewer than 10 pairs" in w for w in doc["warnings"])
    rc, out, err = run([ta, tb, "--region", "ET"])
    assert rc == 0, err
    d_et = np.array([expected[c][3] - expected[c][2] for c in sorted(pairs)])
    assert f"Mean difference:   {d_et.mean():+.4g}" in out
    assert "Pairs used: 3; left out: 0" in out
    assert cli_main(["compare", str(ta), str(tb), "--out", str(tmp_path / "r.txt")]) == 0
    assert "Pairs used: 3" in (tmp_path / "r.txt").read_text()
