"""``dicegui score`` on a DICOM series with SEG / RT Structure Set / NIfTI masks.

Expected Dice values are counted with NumPy on the masks the test drew, the
structures matched by name by hand; the NIfTI mask's affine is built from the
geometry the test wrote the series with (not from our DICOM reader).
"""
import copy
import csv
import io
import json

import nibabel as nib
import numpy as np
import pydicom
import pytest

from dicegui import score_cli
from dicegui.core.io.dicom_seg import write_seg
from dicegui.core.io.rtstruct import write_rtstruct
from synthetic_dicom import write_ct_series

pytest.importorskip("highdicom")
SHAPE = (32, 32, 12)


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    rc = score_cli.main([str(a) for a in argv], stdout=out, stderr=err)
    return rc, out.getvalue(), err.getvalue()


def dice(a, b):
    return 2 * np.count_nonzero(a & b) / (np.count_nonzero(a) + np.count_nonzero(b))


@pytest.fixture
def case(tmp_path):
    geo = write_ct_series(tmp_path / "ct", orientation=(0.8, 0.6, 0, -0.6, 0.8, 0))
    liver_gt = np.zeros(SHAPE, bool)
    liver_gt[3:12, 4:20, 2:7] = True
    spleen_gt = np.zeros(SHAPE, bool)
    spleen_gt[15:25, 10:16, 5:9] = True
    liver_pred = np.zeros(SHAPE, bool)
    liver_pred[4:12, 5:21, 2:6] = True
    spleen_pred = np.zeros(SHAPE, bool)
    spleen_pred[16:26, 10:15, 5:10] = True
    gt_map = liver_gt * 1 + spleen_gt * 2
    pred_map = spleen_pred * 1 + liver_pred * 2  # the prediction numbers its structures the other way round
    return dict(dir=tmp_path, series=tmp_path / "ct", geo=geo, gt_map=gt_map.astype(np.uint8),
                pred_map=pred_map.astype(np.uint8), gt_names={1: "Liver", 2: "Spleen"},
                pred_names={1: "spleen", 2: "Liver"},
                liver=dice(liver_gt, liver_pred), spleen=dice(spleen_gt, spleen_pred))


def _nifti(case, data, name):
    """The mask as NIfTI, its affine from the written geometry (LPS to RAS)."""
    g = case["geo"]
    lps = np.eye(4)
    lps[:3, 0] = g["col_cos"] * g["spacing"][0]
    lps[:3, 1] = g["row_cos"] * g["spacing"][1]
    lps[:3, 2] = g["normal"] * g["step"]
    lps[:3, 3] = g["origin"]
    path = case["dir"] / name
    nib.save(nib.Nifti1Image(data.astype(np.uint8), np.diag([-1.0, -1, 1, 1]) @ lps), path)
    return path


def _check_scores(result, case):
    per = result["per_label"]
    assert per["1"]["name"] == "Liver" and per["2"]["name"] == "Spleen"
    assert per["1"]["dice"] == pytest.approx(case["liver"], abs=1e-12)
    assert per["2"]["dice"] == pytest.approx(case["spleen"], abs=1e-12)


def test_seg_against_rtstruct_matches_structures_by_name(case):
    gt = write_seg(case["gt_map"], case["series"], case["dir"] / "gt_seg.dcm", names=case["gt_names"])
    pred = write_rtstruct(case["pred_map"], case["series"], case["dir"] / "pred_rs.dcm", names=case["pred_names"])
    rc, out, err = run([case["series"], "--gt-seg", gt, "--pred-rtstruct", pred])
    assert rc == 0, err
    _check_scores(json.loads(out), case)
    assert "renumbered" in err and "pred_rs.dcm" in err


def test_rtstruct_against_seg_and_seg_against_seg(case):
    gt = write_rtstruct(case["gt_map"], case["series"], case["dir"] / "gt_rs.dcm", names=case["gt_names"])
    pred = write_seg(case["pred_map"], case["series"], case["dir"] / "pred_seg.dcm", names=case["pred_names"])
    rc, out, err = run([case["series"], "--gt-rtstruct", gt, "--pred-seg", pred])
    assert rc == 0, err
    _check_scores(json.loads(out), case)
    gt_seg = write_seg(case["gt_map"], case["series"], case["dir"] / "gt_seg.dcm", names=case["gt_names"])
    rc, out, err = run([case["series"], "--gt-seg", gt_seg, "--pred-seg", pred, "--format", "csv"])
    assert rc == 0, err
    row = next(csv.DictReader(io.StringIO(out)))
    assert row["label1_name"] == "Liver" and float(row["label2_dice"]) == pytest.approx(case["spleen"], abs=1e-12)
    assert row["gt"].endswith("gt_seg.dcm") and row["pred"].endswith("pred_seg.dcm")


def test_nifti_prediction_against_an_rtstruct_reference(case):
    gt = write_rtstruct(case["gt_map"], case["series"], case["dir"] / "gt_rs.dcm", names=case["gt_names"])
    # a NIfTI numbered like the reference (a file carries no names to match by)
    pred_same_numbers = np.where(case["pred_map"] == 1, 2, np.where(case["pred_map"] == 2, 1, 0))
    pred = _nifti(case, pred_same_numbers, "pred.nii.gz")
    rc, out, err = run([case["series"], pred, "--gt-rtstruct", gt])
    assert rc == 0, err
    _check_scores(json.loads(out), case)


def test_a_nifti_off_the_series_grid_is_refused(case):
    gt = write_seg(case["gt_map"], case["series"], case["dir"] / "gt_seg.dcm", names=case["gt_names"])
    pred = case["dir"] / "small.nii.gz"
    nib.save(nib.Nifti1Image(np.zeros((16, 32, 12), np.uint8), np.eye(4)), pred)
    rc, out, err = run([case["series"], "--gt-seg", gt, pred])
    assert rc == 2 and out == "" and err.count("\n") == 1 and "small.nii.gz" in err


def test_bad_inputs_exit_2_with_one_line_naming_the_file(case, tmp_path):
    ct_slice = sorted(case["series"].iterdir())[0]
    gt = write_seg(case["gt_map"], case["series"], case["dir"] / "gt_seg.dcm", names=case["gt_names"])
    write_ct_series(tmp_path / "other", seed=9)
    other = write_seg(case["gt_map"], tmp_path / "other", tmp_path / "other_seg.dcm")
    for argv, named in (
        ([case["series"], "--gt-seg", ct_slice, "--pred-seg", gt], ct_slice.name),
        ([case["series"], "--gt-seg", gt, "--pred-seg", other], "other_seg.dcm"),
        ([case["series"], "--gt-rtstruct", gt, "--pred-seg", gt], "gt_seg.dcm"),
        ([case["series"], "--gt-seg", gt, "--pred-seg", case["dir"] / "missing.dcm"], "missing.dcm"),
        ([gt, "--gt-seg", gt, "--pred-seg", gt], "gt_seg.dcm"),
        ([case["series"], "--gt-seg", gt], "prediction"),
    ):
        rc, out, err = run(argv)
        assert rc == 2 and out == "" and err.count("\n") == 1 and named in err, (argv, err)


def test_overlapping_rois_are_bad_input_naming_them(case):
    both = np.zeros(SHAPE, np.uint8)
    both[2:10, 2:10, 3] = 1
    path = write_rtstruct(both, case["series"], case["dir"] / "body.dcm", names={1: "Body"})
    ds = pydicom.dcmread(path)  # a second ROI with the same contours: overlaps the first everywhere
    roi, contour = ds.StructureSetROISequence[0], ds.ROIContourSequence[0]
    roi2, contour2 = copy.deepcopy(roi), copy.deepcopy(contour)
    roi2.ROINumber = contour2.ReferencedROINumber = 2
    roi2.ROIName = "Heart"
    ds.StructureSetROISequence.append(roi2)
    ds.ROIContourSequence.append(contour2)
    ds.save_as(path)
    gt = write_seg(case["gt_map"], case["series"], case["dir"] / "gt_seg.dcm", names=case["gt_names"])
    rc, out, err = run([case["series"], "--gt-seg", gt, "--pred-rtstruct", path])
    assert rc == 2 and err.count("\n") == 1
    assert "body.dcm" in err and "'Body' and 'Heart' (64 voxels)" in err
