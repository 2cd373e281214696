"""dicegui score: --regions, tolerance tables, --empty, --hd-cap and honest summaries, end to end on files."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from scipy import ndimage

from dicegui import score_cli

BRATS = Path(__file__).resolve().parents[2] / "shared" / "data" / "brats_toolkit" / "TCGA-DU-7294"


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    rc = score_cli.main([str(a) for a in argv], stdout=out, stderr=err)
    return rc, out.getvalue(), err.getvalue()


def save(path, array, spacing=(1.0, 1.0, 1.0)):
    nib.save(nib.Nifti1Image(np.asarray(array), np.diag(list(spacing) + [1.0])), str(path))


def brats_like(seed):
    """A 'tumour': oedema (2) around a core of necrosis (1) and enhancing rim (4)."""
    rng = np.random.default_rng(seed)
    a = np.zeros((24, 24, 16), np.uint8)
    c = rng.integers(9, 15, size=3)
    zz, yy, xx = np.ogrid[:24, :24, :16]
    r = np.sqrt((zz - c[0]) ** 2 + (yy - c[1]) ** 2 + (xx - min(c[2], 9)) ** 2)
    a[r < 7] = 2
    a[r < 4] = 4
    a[r < 2] = 1
    return a


def test_cohort_regions_tolerances_empty_skip_and_summary(tmp_path):
    g, p = tmp_path / "gt", tmp_path / "pred"
    g.mkdir(), p.mkdir()
    arrays = {}
    for i in range(3):
        gt = brats_like(i)
        pred = np.roll(gt, 1, axis=0)
        pred[pred == 1] = 4  # the model calls the necrosis enhancing: a swap inside TC
        arrays[f"c{i}"] = (gt, pred)
        save(g / f"c{i}.nii.gz", gt)
        save(p / f"c{i}.nii.gz", pred)
    z = np.zeros((24, 24, 16), np.uint8)
    save(g / "empty.nii.gz", z)
    save(p / "empty.nii.gz", z)
    miss = brats_like(7)
    save(g / "missed.nii.gz", miss)
    save(p / "missed.nii.gz", z)  # an empty prediction: infinite distances
    out_csv = tmp_path / "r.csv"
    rc, out, err = run(["--gt-dir", g, "--pred-dir", p, "--out", out_csv, "--workers", "1", "--no-progress",
                        "--regions", "brats2021", "--tolerance", "*=2;WT=1;4=0.5", "--empty", "skip"])
    assert rc == 0, err
    rows = list(csv.DictReader(out_csv.open()))
    cases = {r["case"]: r for r in rows if r["status"] != "summary"}
    summary = {r["case"]: r for r in rows if r["status"] == "summary"}
    assert cases["empty"]["status"] == "empty" and "both masks are empty" in cases["empty"]["error"]
    cols = set(rows[0])
    assert {"regionWT_dice", "regionTC_dice", "regionET_dice", "regionWT_nsd_1mm", "regionTC_nsd_2mm",
            "nsd_2mm", "label4_nsd_0.5mm", "label1_nsd_2mm", "swapped_voxels"} <= cols
    for name in ("c0", "c1", "c2"):
        gt, pred = arrays[name]
        for region, members in {"WT": (1, 2, 4), "TC": (1, 4), "ET": (4,)}.items():
            a, b = np.isin(gt, members), np.isin(pred, members)
            dice = 2 * np.count_nonzero(a & b) / (np.count_nonzero(a) + np.count_nonzero(b))
            assert float(cases[name][f"region{region}_dice"]) == pytest.approx(dice, abs=1e-12)
        both = (gt > 0) & (pred > 0) & (gt != pred)
        assert int(cases[name]["swapped_voxels"]) == np.count_nonzero(both)
    # the missed case: infinite hd95 counted, not averaged; the mean is over the three finite ones
    assert cases["missed"]["hd95"] == "inf"
    assert summary["n_inf"]["hd95"] == "1" and summary["n"]["hd95"] == "3"
    finite = [float(cases[c]["hd95"]) for c in ("c0", "c1", "c2")]
    assert float(summary["mean"]["hd95"]) == pytest.approx(np.mean(finite), abs=1e-12)
    assert "inf ±" not in out and "nan" not in out.split("summary")[1].split("worst")[0].split("left out")[0]
    assert "1 infinite" in out and "empty" in out


def test_hd_cap_and_empty_nan(tmp_path):
    gt = brats_like(1)
    save(tmp_path / "g.nii.gz", gt)
    save(tmp_path / "p.nii.gz", np.zeros_like(gt))
    rc, out, err = run([tmp_path / "g.nii.gz", tmp_path / "p.nii.gz", "--surface", "--hd-cap", "374",
                        "--regions", "WT=1,2,4;X=9", "--empty", "nan"])
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["hd95"] == 374.0 and doc["regions"]["WT"]["hd"] == 374.0 and doc["hd_cap_mm"] == 374.0
    # region X (label 9) is in neither mask: undefined under --empty nan, and said
    assert doc["regions"]["X"]["dice"] is None
    assert any("region X" in w for w in doc["label_warnings"])


@pytest.mark.parametrize("argv, needle", [
    (["--regions", "WT"], "--regions"),
    (["--regions", "W_T=1"], "letters, digits"),
    (["--tolerance", "1=x"], "--tolerance"),
    (["--empty", "zero"], "--empty"),
    (["--hd-cap", "-3"], "--hd-cap"),
    (["--instance-labels"], "--instances"),
])
def test_bad_options_one_line_exit_2(tmp_path, argv, needle):
    gt = brats_like(2)
    save(tmp_path / "g.nii.gz", gt)
    save(tmp_path / "p.nii.gz", gt)
    rc, out, err = run([tmp_path / "g.nii.gz", tmp_path / "p.nii.gz", *argv])
    assert rc == 2
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("note:")]
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in err


@pytest.mark.skipif(not BRATS.is_dir(), reason="shared BraTS data absent")
def test_brats_xfeng_whole_tumour_is_high_while_mean_label_dice_is_low(tmp_path):
    sitk = pytest.importorskip("SimpleITK")
    rc, out, err = run([BRATS / "fusionator" / "simple.nii.gz", BRATS / "segmentor" / "xfeng.nii.gz",
                        "--regions", "brats2021"])
    assert rc == 0, err
    doc = json.loads(out)
    gt = np.asarray(nib.load(BRATS / "fusionator" / "simple.nii.gz").dataobj)
    pred = np.asarray(nib.load(BRATS / "segmentor" / "xfeng.nii.gz").dataobj)
    f = sitk.LabelOverlapMeasuresImageFilter()
    f.Execute(sitk.GetImageFromArray(np.isin(gt, (1, 2, 4)).astype(np.uint8)),
              sitk.GetImageFromArray(np.isin(pred, (1, 2, 4)).astype(np.uint8)))
    assert doc["regions"]["WT"]["dice"] == pytest.approx(f.GetDiceCoefficient(), abs=1e-12)
    assert doc["regions"]["WT"]["dice"] > 0.98 and doc["mean_dice"] < 0.6
    assert doc["confusion"]["swapped_voxels"] == 2373


def test_lesion_wise_worked_example_through_files(tmp_path):
    """The README's worked example (hand numbers in tests/core/test_lesions.py), as region ET of label maps."""
    gt = np.zeros((20, 20, 40), np.uint8)
    pred = np.zeros_like(gt)
    for z, y, x in ((2, 2, 2), (2, 2, 9), (2, 12, 30)):
        gt[z:z + 4, y:y + 4, x:x + 4] = 4
    for z, y, x in ((2, 2, 2), (2, 2, 10), (2, 12, 36)):
        pred[z:z + 4, y:y + 4, x:x + 4] = 4
    pred[12:15, 2:5, 30:33] = 4
    gt[15:18, 15:18, 2:6] = 2          # oedema elsewhere: in WT, not in ET
    pred[15:18, 15:18, 2:6] = 2
    save(tmp_path / "g.nii.gz", gt)
    save(tmp_path / "p.nii.gz", pred)
    rc, out, err = run([tmp_path / "g.nii.gz", tmp_path / "p.nii.gz", "--regions", "ET=4;WT=2,4", "--lesion-wise"])
    assert rc == 0, err
    et = json.loads(out)["regions"]["ET"]
    assert (et["num_tp"], et["num_fp"], et["num_fn"]) == (2, 1, 0)
    assert et["lesion_dice"] == pytest.approx(0.875 / 3, abs=1e-12)
    assert et["lesion_hd95"] == pytest.approx((1 + 6 + 374) / 3, abs=1e-12)
    assert [les["voxels"] for les in et["lesions"]] == [128, 64]
    rc, out, err = run([tmp_path / "g.nii.gz", tmp_path / "p.nii.gz", "--regions", "ET=4", "--lesion-wise",
                        "--dilation", "1", "--format", "csv"])
    row = next(csv.DictReader(io.StringIO(out)))
    assert (row["regionET_num_tp"], row["regionET_num_fp"], row["regionET_num_fn"]) == ("2", "2", "1")
    assert float(row["regionET_lesion_dice"]) == pytest.approx(0.35, abs=1e-12)
    assert float(row["regionET_lesion_hd95"]) == pytest.approx(224.6, abs=1e-9)
    assert "regionET_lesions" not in row
