"""Hostile use of the challenge-style scores: regions, tolerances, lesion-wise, instances, empty rules.

Every input is built here, small. Each test holds one defence: a bad option
or a mask no real segmentation looks like (a noise of isolated voxels, an
instance-id map scored as labels) gives one clear line, exit 2, fast, and a
cohort carries on past it (status bad_input); odd but valid shapes (a PNG, a
one-slice volume, one voxel, all foreground) give the hand-worked numbers.
"""
import io
import json
import os
import subprocess
import sys
import time

import nibabel as nib
import numpy as np
import pytest
from PIL import Image

from dicegui import score_cli
from dicegui.core import case_scoring, lesions
from dicegui.core.case_scoring import ScoreOptions
from dicegui.core.cohort import score_files
from dicegui.core.lesions import lesion_wise
from dicegui.core.structure_surfaces import structure_surfaces
from dicegui.core.surface import surface_distances


def save(path, array):
    array = np.asarray(array)
    nib.save(nib.Nifti1Image(array, np.eye(4), dtype=array.dtype), str(path))
    return path


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    code = score_cli.main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if not ln.startswith(("note: ", "warning: "))]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("dicegui score: error: "), err
    return lines[0]


def speckles(n: int) -> np.ndarray:
    """Isolated voxels on every other grid point: (n/2)^3 components even with 26-connectivity."""
    a = np.zeros((n, n, n), np.uint8)
    a[::2, ::2, ::2] = 1
    return a


# ---------------------------------------------------------------- lesion-wise bounds


def test_a_noise_mask_is_refused_before_the_per_lesion_loop():
    noise = speckles(60).astype(bool)  # 27,000 lesions, each meeting the prediction
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"27000 separate reference lesions .* at most 10000"):
        lesion_wise(noise, noise, dilation=0)
    assert time.perf_counter() - t0 < 1.0


def test_the_lesion_bound_counts_lesions_that_meet_the_prediction(monkeypatch):
    monkeypatch.setattr(lesions, "MAX_MEASURED_LESIONS", 8)
    gt = speckles(8).astype(bool)  # 64 lesions
    pred = np.zeros_like(gt)
    pred[0, 0, :8] = True  # meets the 4 lesions of row (0, 0)
    r = lesion_wise(gt, pred, dilation=0, min_lesion_voxels=0)
    assert r["num_tp"] == 4 and r["num_fn"] == 60  # missed lesions cost nothing to score
    pred[0, :8, :8] = True  # meets 16
    with pytest.raises(ValueError, match="16 separate reference lesions"):
        lesion_wise(gt, pred, dilation=0)


def test_a_dilation_beyond_the_image_acts_as_filling_it():
    gt = np.zeros((12, 12, 12), bool)
    gt[1:3, 1:3, 1:3] = True
    gt[9:11, 9:11, 9:11] = True
    pred = np.zeros_like(gt)
    pred[1:3, 1:3, 2:4] = True
    pred[9:11, 9:11, 8:10] = True
    for dilation in (10**9, 10**30):  # 10**30 overflowed scipy's C long: exit 1
        r = lesion_wise(gt, pred, dilation=dilation, min_lesion_voxels=0)
        # filling the image joins the two blobs into one lesion, matched by both components
        assert len(r["lesions"]) == 1 and r["lesions"][0]["pred_ids"] == [1, 2]
        inter = np.count_nonzero(gt & pred)
        assert r["lesion_dice"] == pytest.approx(2 * inter / (gt.sum() + pred.sum()))
        assert r["dilation"] == dilation


def test_cli_huge_dilation_and_lesion_bound_per_structure(tmp_path):
    gt = save(tmp_path / "gt.nii.gz", speckles(60))
    code, out, _ = run([gt, gt, "--lesion-wise", "--dilation", "9" * 23])
    assert code == 0 and json.loads(out)["num_tp"] == 1  # all speckles merge into one lesion
    code, _, err = run([gt, gt, "--lesion-wise", "--dilation", "0"])
    line = one_error_line(err)
    assert "gt.nii.gz" in line and "27000 separate reference lesions" in line
    code, _, err = run([gt, gt, "--lesion-wise", "--dilation", "0", "--regions", "WT=1"])
    assert code == 2 and "lesion-wise region WT: 27000" in one_error_line(err)


# ---------------------------------------------------------------- many labels


def id_map(shape, first=1):
    """Every voxel its own value: an instance-id map."""
    return (np.arange(np.prod(shape), dtype=np.int32) + first).reshape(shape)


def test_an_instance_id_map_scored_as_labels_is_refused_at_once(tmp_path):
    ids = id_map((11, 11, 9))  # 1,089 values
    gt = save(tmp_path / "ids_gt.nii.gz", ids)
    pred = save(tmp_path / "ids_pred.nii.gz", ids)
    t0 = time.perf_counter()
    code, _, err = run([gt, pred])
    assert time.perf_counter() - t0 < 1.0
    line = one_error_line(err)
    assert code == 2 and "ids_gt.nii.gz" in line and "1089 label values" in line and "--instance-labels" in line
    code, out, _ = run([gt, pred, "--instances", "--instance-labels"])
    assert code == 0 and json.loads(out)["instance_tp"] == ids.size
    row = score_files("ids", gt, pred, ScoreOptions())
    assert row["status"] == "bad_input" and "1089 label values" in row["error"]


def test_confusion_of_too_many_labels_is_left_out_but_swaps_still_count(tmp_path):
    gt = id_map((12, 12, 8))  # 1,152 labels: a dense matrix would be 1,153^2 cells
    pred = gt.copy()
    pred[:3] = np.roll(gt[:3], 1)  # 3 x 12 x 8 = 288 voxels given a neighbour's label
    pred[0, 0, :4] = 0  # four of them now background: not swaps
    expected = int(np.count_nonzero((gt > 0) & (pred > 0) & (gt != pred)))
    code, out, err = run([save(tmp_path / "g.nii.gz", gt), save(tmp_path / "p.nii.gz", pred), "--labels", "1,2"])
    assert code == 0, err
    result = json.loads(out)
    assert result["swapped_voxels"] == expected == 284
    values = np.union1d(gt, pred).size  # 1,153: background (in pred) has a row too
    assert any(f"confusion matrix left out: {values} label values" in w for w in result["label_warnings"])


def test_surfaces_of_chosen_labels_in_a_map_of_large_ids_are_quick_and_right():
    gt = id_map((40, 40, 42), first=70_000)  # 67,200 ids above 2**16: the slow branch of _boxes
    gt[5:15, 5:15, 5:15] = 70_000
    gt[20:30, 20:30, 20:30] = 70_001
    pred = np.roll(gt, 2, axis=0)
    t0 = time.perf_counter()
    r = structure_surfaces(gt, pred, {70_000: (70_000,), 70_001: (70_001,)})
    assert time.perf_counter() - t0 < 3.0  # was one full-volume pass per id: minutes
    for k in (70_000, 70_001):
        ref = surface_distances(gt == k, pred == k)
        assert r[k]["hd95"] == pytest.approx(ref["hd95"]) and r[k]["assd"] == pytest.approx(ref["assd"])


def test_long_lists_are_cut_in_json_and_say_so(monkeypatch, tmp_path):
    monkeypatch.setattr(case_scoring, "MAX_LISTED", 5)
    gt = speckles(6)  # 27 instances, each matched by itself
    path = save(tmp_path / "s.nii.gz", gt)
    code, out, _ = run([path, path, "--instances"])
    result = json.loads(out)
    assert code == 0 and result["instance_tp"] == 27 and result["pq"] == 1.0
    assert len(result["instances"]["matches"]) == 5
    assert result["instances"]["lists_cut"] == {"matches": "first 5 of 27 listed"}


# ---------------------------------------------------------------- options


@pytest.mark.parametrize("value", ["0", "0.0", "nan", "inf", "-1", "1e309"])
def test_hd_cap_must_be_a_positive_distance(value, tmp_path):
    path = save(tmp_path / "m.nii.gz", speckles(4))
    code, out, err = run([path, path, "--hd-cap", value, "--surface"])
    assert code == 2 and out == "" and "--hd-cap" in one_error_line(err)
    with pytest.raises(ValueError, match="hd_cap"):
        ScoreOptions(hd_cap=0.0)


@pytest.mark.parametrize("flag, value", [("--lesion-hd-penalty", "nan"), ("--lesion-hd-penalty", "inf"),
                                         ("--lesion-hd-penalty", "-3"), ("--dilation", "-1"),
                                         ("--dilation", "1e3"), ("--min-lesion-voxels", "nan")])
def test_lesion_options_that_are_not_numbers(flag, value, tmp_path):
    path = save(tmp_path / "m.nii.gz", speckles(4))
    code, _, err = run([path, path, "--lesion-wise", flag, value])
    assert code == 2 and flag in one_error_line(err)


@pytest.mark.parametrize("option", ["--regions", "--tolerance"])
def test_a_named_pipe_as_spec_file_fails_at_once(option, tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    pipe = tmp_path / "spec.json"
    os.mkfifo(pipe)
    path = save(tmp_path / "m.nii.gz", speckles(4))
    # a real process: a hang here would block the whole test run, so give it a deadline
    proc = subprocess.run([sys.executable, "-m", "dicegui", "score", str(path), str(path), option, str(pipe)],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "named pipe" in one_error_line(proc.stderr) and str(pipe) in proc.stderr


# ---------------------------------------------------------------- odd but valid shapes


def squares_2d():
    gt = np.zeros((64, 64), np.uint8)
    gt[10:30, 10:30] = 255
    pred = np.zeros_like(gt)
    pred[12:32, 10:30] = 255  # the square two rows lower: 360 of 400 shared
    pred[50:55, 50:55] = 255  # a far false positive
    return gt, pred


def check_squares(result):
    # lesion-wise: one counted lesion (Dice 2*360/800 = 0.9) and one false positive (Dice 0)
    assert (result["num_tp"], result["num_fp"], result["num_fn"]) == (1, 1, 0)
    assert result["lesion_dice"] == pytest.approx(0.45)
    # instances: IoU 360/440 > 0.5 matches; the far blob is a false positive
    assert (result["instance_tp"], result["instance_fp"], result["instance_fn"]) == (1, 1, 0)
    assert result["sq"] == pytest.approx(360 / 440)
    assert result["rq"] == pytest.approx(1 / (1 + 0.5 * 1 + 0.5 * 0))
    assert result["pq"] == pytest.approx(360 / 440 / 1.5)


def test_png_masks_lesion_wise_and_instances(tmp_path):
    gt, pred = squares_2d()
    Image.fromarray(gt).save(tmp_path / "gt.png")
    Image.fromarray(pred).save(tmp_path / "pred.png")
    code, out, err = run([tmp_path / "gt.png", tmp_path / "pred.png", "--lesion-wise", "--instances", "--surface"])
    assert code == 0, err
    check_squares(json.loads(out))


def test_a_one_slice_volume_is_scored_as_the_2d_image(tmp_path):
    gt, pred = squares_2d()
    g = save(tmp_path / "g.nii.gz", (gt > 0).astype(np.uint8)[:, :, None])
    p = save(tmp_path / "p.nii.gz", (pred > 0).astype(np.uint8)[:, :, None])
    code, out, err = run([g, p, "--lesion-wise", "--instances"])
    assert code == 0, err
    check_squares(json.loads(out))


def test_one_voxel_volume(tmp_path):
    g = save(tmp_path / "g.nii.gz", np.ones((1, 1, 1), np.uint8))
    p = save(tmp_path / "p.nii.gz", np.zeros((1, 1, 1), np.uint8))
    code, out, err = run([g, p, "--lesion-wise", "--instances", "--surface", "--hd-cap", "374"])
    assert code == 0, err
    r = json.loads(out)
    # the one-voxel lesion is at most 50 voxels: listed, not counted, so nothing to count (1 and 0)
    assert r["lesions"][0]["counted"] is False and (r["lesion_dice"], r["lesion_hd95"]) == (1.0, 0.0)
    assert r["instance_fn"] == 1 and r["instance_recall"] == 0.0 and r["instance_precision"] is None
    assert r["hd95"] == 374.0 and "Infinity" not in out


def test_all_foreground_volume(tmp_path):
    path = save(tmp_path / "full.nii.gz", np.ones((30, 30, 30), np.uint8))
    code, out, err = run([path, path, "--lesion-wise", "--instances", "--surface"])
    assert code == 0, err
    r = json.loads(out)
    assert (r["num_tp"], r["lesion_dice"], r["pq"], r["hd95"], r["dice"]) == (1, 1.0, 1.0, 0.0, 1.0)


# ---------------------------------------------------------------- cohorts


def test_cohort_with_two_workers_carries_on_past_a_noise_case(tmp_path):
    g, p = tmp_path / "gt", tmp_path / "pred"
    g.mkdir()
    p.mkdir()
    fine = np.zeros((20, 20, 10), np.uint8)
    fine[4:12, 4:12, 2:8] = 1
    save(g / "fine.nii.gz", fine)
    save(p / "fine.nii.gz", np.roll(fine, 1, axis=0))
    save(g / "noise.nii.gz", speckles(60))
    save(p / "noise.nii.gz", speckles(60))
    save(g / "empty.nii.gz", np.zeros((20, 20, 10), np.uint8))
    save(p / "empty.nii.gz", np.zeros((20, 20, 10), np.uint8))
    save(g / "nopred.nii.gz", fine)
    save(p / "nopred.nii.gz", np.zeros_like(fine))
    out = tmp_path / "scores.json"
    proc = subprocess.run(
        [sys.executable, "-m", "dicegui", "score", "--gt-dir", str(g), "--pred-dir", str(p), "--workers", "2",
         "--lesion-wise", "--dilation", "0", "--instances", "--surface", "--regions", "WT=1", "--empty", "skip",
         "--hd-cap", "374", "--no-progress", "--out", str(out)],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert "Infinity" not in text  # --hd-cap reached every distance, nested ones too
    doc = json.loads(text)
    rows = {r["case"]: r for r in doc["cases"]}
    assert rows["noise"]["status"] == "bad_input" and "lesion-wise" in rows["noise"]["error"]
    assert rows["empty"]["status"] == "empty"
    assert rows["fine"]["status"] == rows["nopred"]["status"] == "ok"
    assert rows["nopred"]["hd95"] == 374.0
    assert doc["summary"]["n"]["dice"] == 2


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_empty_skip_with_every_case_empty_still_writes_a_table(fmt, tmp_path):
    g, p = tmp_path / "gt", tmp_path / "pred"
    g.mkdir()
    p.mkdir()
    for i in range(2):
        save(g / f"c{i}.nii.gz", np.zeros((6, 6, 6), np.uint8))
        save(p / f"c{i}.nii.gz", np.zeros((6, 6, 6), np.uint8))
    code, out, err = run(["--gt-dir", g, "--pred-dir", p, "--empty", "skip", "--surface", "--lesion-wise",
                          "--instances", "--regions", "brats2021", "--format", fmt, "--no-progress", "--workers", "1"])
    assert code == 0, err
    assert "scored 0 of 2 cases" in err and "Traceback" not in err
    if fmt == "json":
        doc = json.loads(out)
        assert [r["status"] for r in doc["cases"]] == ["empty", "empty"] and doc["worst"] == []
    else:
        assert out.splitlines()[1].startswith("c0,empty,")


# ---------------------------------------------------------------- instances


def test_instances_of_a_speckle_mask_are_matched_without_a_python_loop():
    from dicegui.core.instances import instance_scores

    gt = speckles(100)  # 125,000 one-voxel instances
    pred = gt.copy()
    pred[0, 0, 0] = 0  # one missed
    t0 = time.perf_counter()
    r = instance_scores(gt, pred)
    assert time.perf_counter() - t0 < 3.0  # the greedy Python pass alone took ~2 s per 10^6 pairs
    n = 125_000
    assert (r["tp"], r["fp"], r["fn"]) == (n - 1, 0, 1)
    assert r["rq"] == pytest.approx((n - 1) / (n - 1 + 0.5)) and r["sq"] == 1.0
    assert r["unmatched_gt_ids"] == [1] and r["matches"][0] == {
        "gt_id": 2, "pred_id": 1, "iou": 1.0, "dice": 1.0, "gt_voxels": 1, "pred_voxels": 1}


def test_an_id_map_split_into_components_value_by_value_is_refused(tmp_path):
    ids = id_map((25, 25, 17))  # 10,625 values
    gt = save(tmp_path / "ids_gt.nii.gz", ids)
    code, _, err = run([gt, gt, "--instances", "--labels", "1"])
    line = one_error_line(err)
    assert code == 2 and "reference: 10625 distinct values" in line and "--instance-labels" in line


# ---------------------------------------------------------------- --labels


@pytest.mark.parametrize("text, reason", [
    ("9" * 29, "labels are 1 to 4294967295"),
    ("4294967296", "labels are 1 to 4294967295"),
    ("\u0663", "not an integer label"),  # int() reads Arabic-Indic 3 as 3
    ("1_0", "not an integer label"),     # int() reads it as 10
    ("0", "not a foreground label"),
])
def test_labels_option_refuses_what_is_not_a_label(text, reason, tmp_path):
    path = save(tmp_path / "m.nii.gz", speckles(4))
    code, _, err = run([path, path, "--labels", text])
    assert code == 2 and reason in one_error_line(err)


def test_too_many_chosen_labels_are_refused_at_once(tmp_path):
    path = save(tmp_path / "m.nii.gz", speckles(4))
    many = ",".join(str(i) for i in range(1, 20_001))  # near the 128 kB limit of one argument
    t0 = time.perf_counter()
    code, _, err = run([path, path, "--labels", many, "--surface", "--lesion-wise"])
    assert time.perf_counter() - t0 < 1.0  # 440,000 columns and 8 s before
    assert code == 2 and "20000 labels chosen" in one_error_line(err)


def test_a_region_of_thousands_of_absent_labels_is_named_briefly(tmp_path):
    path = save(tmp_path / "m.nii.gz", speckles(4))
    code, out, err = run([path, path, "--regions", "BIG=" + ",".join(str(i) for i in range(2, 20_002))])
    assert code == 0, err
    (warning,) = json.loads(out)["label_warnings"]
    assert warning.startswith("region BIG (2,3,4,5,6,… 20000 labels): none of its labels") and len(warning) < 200


def test_a_penalty_near_the_float_limit_gives_a_finite_mean():
    gt = np.zeros((9, 9, 9), bool)
    pred = speckles(9).astype(bool)  # 125 false-positive components, no lesion
    gt[4, 4, 4] = True  # one lesion, met by the speckle there
    r = lesion_wise(gt, pred, dilation=0, min_lesion_voxels=0, hd_penalty=1e308)
    # (0 + 124 x 1e308) / 125 overflowed to inf, which summaries then called "an empty mask"
    assert (r["num_tp"], r["num_fp"]) == (1, 124)
    assert r["lesion_hd95"] == pytest.approx(1e308 * (124 / 125))


@pytest.mark.parametrize("flag", ["--hd-cap", "--lesion-hd-penalty"])
def test_distances_beyond_any_scan_are_refused(flag, tmp_path):
    # 1e308 as a cap or penalty overflows the summary's mean (and its std from 1e154)
    path = save(tmp_path / "m.nii.gz", speckles(4))
    code, _, err = run([path, path, "--lesion-wise", "--surface", flag, "1e308"])
    assert code == 2 and "more than 1e+06 mm" in one_error_line(err)
    code, _, err = run([path, path, "--lesion-wise", "--surface", flag, "1e6"])
    assert code == 0, err


def _score_or_die(name, gt_path, pred_path, options):
    if name == "boom":
        os._exit(3)  # what a segfault or the out-of-memory killer does to a worker
    return {"case": name, "status": "ok", "error": "", "dice": 1.0}


def test_a_worker_that_dies_costs_only_its_own_case(monkeypatch):
    from dicegui.core import cohort

    if cohort._pool_context().get_start_method() != "fork":
        pytest.skip("the stand-in scorer reaches workers only when they are forked")
    monkeypatch.setattr(cohort, "score_files", _score_or_die)
    pairs = [(f"c{i}", "g", "p") for i in range(5)] + [("boom", "g", "p")]
    rows = cohort.run_cohort(pairs, ScoreOptions(), workers=2)
    status = {r["case"]: r["status"] for r in rows}
    assert status == {**{f"c{i}": "ok" for i in range(5)}, "boom": "internal_error"}
    assert "worker process died" in next(r["error"] for r in rows if r["case"] == "boom")
