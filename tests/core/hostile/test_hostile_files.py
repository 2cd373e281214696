"""Hostile and broken files: one clear LoadError naming the file, nothing else.

The corpus (``corpus.py``) builds every file into the test's folder. Each must
be refused by ``load_volume``/``load_case`` with a single-line
:class:`LoadError` that names the file and gives the reason, and by
``dicegui score`` with exit code 2 and one line on stderr, never a traceback.
Files declaring absurd sizes must be refused before anything is allocated.
"""
import os
import re
import subprocess
import sys
import time
import tracemalloc

import nibabel as nib
import numpy as np
import pytest
from PIL import Image

from dicegui import score_cli
from dicegui.core.io import LoadError, load_case, load_volume


def assert_clear(message: str, names, reason: str | None = None) -> None:
    """One line, naming every file in ``names``, with a reason in words."""
    assert "\n" not in message and "Traceback" not in message, message
    for name in [names] if isinstance(names, str) else names:
        assert name in message, f"{name!r} not named in: {message}"
    assert len(message) < 600, message
    tail = message.split(names if isinstance(names, str) else names[-1], 1)[1]
    assert len(re.findall(r"[A-Za-z]{3,}", tail)) >= 2, f"no reason in words: {message}"
    if reason is not None:
        assert re.search(reason, message, re.IGNORECASE), f"reason /{reason}/ not in: {message}"


# ---------------------------------------------------------------- the loaders


def test_load_volume_and_load_case_refuse_with_one_clear_message(hostile, build, tmp_path):
    path = build(hostile, tmp_path)
    if hostile.stage == "volume":
        with pytest.raises(LoadError) as info:
            load_volume(path)
        assert_clear(str(info.value), path.name, hostile.reason)
        roles = ("image", hostile.role)
    else:
        # A valid image whose values cannot be a mask.
        vol = load_volume(path)
        assert vol.data.size > 0
        roles = (hostile.role,)
    for role in roles:
        with pytest.raises(LoadError) as info:
            load_case(**{role: path})
        assert_clear(str(info.value), path.name, hostile.reason)


def test_pairs_that_do_not_fit_name_both_files(hostile_pair, tmp_path):
    gt, pred = hostile_pair.build(tmp_path)
    # Each loads alone...
    load_case(gt=gt)
    load_case(pred=pred)
    # ...but not together, and the message says which two files differ.
    with pytest.raises(LoadError) as info:
        load_case(gt=gt, pred=pred)
    assert_clear(str(info.value), [pred.name, gt.name], hostile_pair.reason)


def _warm_up_readers(tmp_path, corpus):
    # Import every reader and its library once, so the measurement below sees
    # the refusal itself, not module imports.
    import nrrd  # noqa: F401
    import pydicom  # noqa: F401
    import tifffile  # noqa: F401

    from dicegui.core.io import dicom, nifti, numpy_files, nrrd as nrrd_io, raster  # noqa: F401

    warm = tmp_path / "warm"
    warm.mkdir()
    for name in ("nii_cut_mid_data.nii", "png_cut_mid_idat.png", "dcm_cut_mid_pixels.dcm",
                 "nrrd_raw_cut.nrrd", "npy_cut.npy", "npz_flipped_member.npz", "nii_gz_cut_mid_stream.nii.gz"):
        with pytest.raises(LoadError):
            load_volume(corpus.by_name(name).build(warm))


def test_absurd_sizes_are_refused_fast_before_any_allocation(absurd, build, tmp_path, corpus):
    _warm_up_readers(tmp_path, corpus)
    path = build(absurd, tmp_path)
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(LoadError) as info:
            load_volume(path)
        elapsed = time.perf_counter() - t0
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_clear(str(info.value), path.name, absurd.reason)
    # Every one of these declares gigabytes or more; a refusal from the
    # header alone takes milliseconds and a few hundred kB.
    assert elapsed < 1.0, f"{path.name} took {elapsed:.2f} s to refuse"
    assert peak < 16 * 2**20, f"{path.name}: {peak / 2**20:.1f} MiB allocated before refusing"


def test_every_format_and_failure_kind_is_in_the_corpus(corpus):
    names = [h.name for h in corpus.HOSTILE]
    assert len(names) == len(set(names))  # one file per name
    for prefix in ("nii", "png", "tif", "bmp", "jpg", "nrrd", "npy", "npz", "dcm", "empty", "text", "symlink"):
        assert sum(n.startswith(prefix) for n in names) >= 1, prefix
    assert sum(h.absurd for h in corpus.HOSTILE) >= 10
    assert len(corpus.HOSTILE) + len(corpus.PAIRS) >= 100


def test_no_code_in_an_npy_header_is_run(tmp_path, corpus, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = corpus.by_name("npy_code_in_header.npy").build(tmp_path)
    with pytest.raises(LoadError):
        load_volume(path)
    assert not (tmp_path / "PWNED").exists()


# ---------------------------------------------------------------- values that are fine after all


def test_mask_of_0_and_255_loads_as_binary(tmp_path):
    rng = np.random.default_rng(11)
    fg = rng.random((12, 10, 6)) > 0.6
    other = rng.random((12, 10, 6)) > 0.5
    nib.Nifti1Image(np.where(fg, 255, 0).astype(np.uint8), np.eye(4)).to_filename(tmp_path / "gt255.nii.gz")
    nib.Nifti1Image(other.astype(np.uint8), np.eye(4)).to_filename(tmp_path / "pred01.nii.gz")
    Image.fromarray(np.where(fg[:, :, 0], 255, 0).astype(np.uint8)).save(tmp_path / "gt255.png")

    case = load_case(gt=tmp_path / "gt255.nii.gz", pred=tmp_path / "pred01.nii.gz")
    assert case.gt_info.kind == "binary" and case.gt_info.foreground_value == 255
    assert set(np.unique(case.gt_mask).tolist()) == {0, 1}
    np.testing.assert_array_equal(case.gt_mask.astype(bool), fg)
    png = load_case(gt=tmp_path / "gt255.png")
    np.testing.assert_array_equal(png.gt_mask[:, :, 0].astype(bool), fg[:, :, 0])

    # Dice worked out independently from the boolean arrays.
    tp = np.count_nonzero(fg & other)
    expected = 2 * tp / (np.count_nonzero(fg) + np.count_nonzero(other))
    out, err = _run_score([str(tmp_path / "gt255.nii.gz"), str(tmp_path / "pred01.nii.gz")], expect=0)
    import json

    assert json.loads(out)["dice"] == pytest.approx(expected, abs=1e-12)
    assert "0/255" in err  # the value rule applied is said, on stderr


def test_logits_load_with_the_sigmoid_asked_for(tmp_path, corpus):
    path = corpus.by_name("nii_logits.nii.gz").build(tmp_path)
    logits = np.asanyarray(nib.load(path).dataobj)
    case = load_case(pred=path, sigmoid=True)
    # sigmoid(x) >= 0.5 exactly where x >= 0
    np.testing.assert_array_equal(case.pred_mask.astype(bool), logits >= 0)


# ---------------------------------------------------------------- dicegui score


def _run_score(argv, expect):
    import io

    out, err = io.StringIO(), io.StringIO()
    code = score_cli.main(argv, stdout=out, stderr=err)
    assert code == expect, (code, err.getvalue())
    return out.getvalue(), err.getvalue()


def test_score_exits_2_with_one_line_naming_the_file(hostile, build, tmp_path, corpus, capsys):
    path = build(hostile, tmp_path)
    partner = corpus.good_mask(tmp_path)
    argv = [str(path), str(partner)] if hostile.role == "gt" else [str(partner), str(path)]
    code = score_cli.main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    assert path.name in lines[0] and lines[0].startswith("dicegui score: error: ")


def test_score_on_a_pair_that_does_not_fit(hostile_pair, tmp_path, capsys):
    gt, pred = hostile_pair.build(tmp_path)
    assert score_cli.main([str(gt), str(pred)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and gt.name in lines[0] and pred.name in lines[0], captured.err


SUBPROCESS_CASES = ["nii_gz_flipped_bytes.nii.gz", "png_bomb_100000x100000.png", "dcm_mixed_series",
                    "npy_object_pickle.npy", "nii_logits.nii.gz", "symlink_loop_a.nii.gz"]


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_score_in_a_real_process(name, tmp_path, corpus):
    entry = corpus.by_name(name)
    path = entry.build(tmp_path)
    partner = corpus.good_mask(tmp_path)
    argv = [str(path), str(partner)] if entry.role == "gt" else [str(partner), str(path)]
    proc = subprocess.run([sys.executable, "-m", "dicegui", "score", *argv],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and path.name in lines[0], proc.stderr


def test_cohort_keeps_going_past_hostile_files(tmp_path, corpus):
    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    gt_dir.mkdir()
    pred_dir.mkdir()
    bad = {}
    for i, name in enumerate(["nii_gz_cut_mid_stream.nii.gz", "nii_absurd_dims.nii", "nii_pixdim_nan.nii.gz",
                              "nii_nan_mask.nii.gz"]):
        built = corpus.by_name(name).build(tmp_path)
        target = gt_dir / f"case{i}.nii{'.gz' if name.endswith('.gz') else ''}"
        os.replace(built, target)
        corpus.good_mask(pred_dir, target.name)
        bad[f"case{i}"] = target.name
    corpus.good_mask(gt_dir, "fine.nii.gz")
    corpus.good_mask(pred_dir, "fine.nii.gz")
    out_csv = tmp_path / "scores.csv"
    argv = ["score", "--gt-dir", str(gt_dir), "--pred-dir", str(pred_dir), "--workers", "1",
            "--no-progress", "--out", str(out_csv)]
    proc = subprocess.run([sys.executable, "-m", "dicegui", *argv], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    import csv

    rows = {r["case"]: r for r in csv.DictReader(out_csv.open())}
    assert rows["fine"]["status"] == "ok" and float(rows["fine"]["dice"]) == 1.0
    for case, file_name in bad.items():
        assert rows[case]["status"] == "bad_input", rows[case]
        assert_clear(rows[case]["error"], file_name)
    strict = subprocess.run([sys.executable, "-m", "dicegui", *argv, "--strict"], capture_output=True,
                            text=True, timeout=120, cwd=tmp_path)
    assert strict.returncode == 2


def test_cohort_over_the_whole_corpus(tmp_path, corpus):
    """Every hostile file as a cohort case: all bad_input, none an internal error."""
    from dicegui.core.cohort import case_name

    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    gt_dir.mkdir()
    pred_dir.mkdir()
    corpus.build_all(gt_dir, [h for h in corpus.HOSTILE if h.needs is None])
    names = {case_name(p) for p in gt_dir.iterdir()} - {None}
    for name in names:
        corpus.good_mask(pred_dir, name + ".nii.gz")
    out_csv = tmp_path / "scores.csv"
    proc = subprocess.run([sys.executable, "-m", "dicegui", "score", "--gt-dir", str(gt_dir), "--pred-dir",
                           str(pred_dir), "--workers", "2", "--no-progress", "--out", str(out_csv)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    import csv

    rows = [r for r in csv.DictReader(out_csv.open()) if r["status"] != "summary"]
    assert len(rows) == len(names) > 100
    assert {r["status"] for r in rows} == {"bad_input"}, [r for r in rows if r["status"] != "bad_input"]
    assert all(r["error"] and "\n" not in r["error"] for r in rows)


def test_cohort_with_a_non_utf8_file_name_still_writes_its_table(tmp_path, corpus):
    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    gt_dir.mkdir()
    pred_dir.mkdir()
    for folder in (gt_dir, pred_dir):
        corpus.good_mask(folder, "ok.nii.gz")
        made = corpus.good_mask(folder, "tmp.nii.gz")
        try:
            os.rename(made, os.path.join(os.fsencode(folder), b"bad\xffname.nii.gz"))
        except OSError:
            pytest.skip("this file system refuses names that are not UTF-8")
    out_csv = tmp_path / "scores.csv"
    code = score_cli.main(["--gt-dir", str(gt_dir), "--pred-dir", str(pred_dir), "--workers", "1",
                           "--no-progress", "--out", str(out_csv)])
    assert code == 0
    assert out_csv.exists()
    # the worklist and the paired comparison read the table back, and the odd name opens its files
    from dicegui.core.paired_stats import read_score_table
    from dicegui.core.review import Cohort

    bad_name = os.fsdecode(b"bad\xffname")
    cohort = Cohort.from_csv(out_csv)
    assert {case.name for case in cohort} == {"ok", bad_name}
    case = cohort[bad_name]
    assert case.openable and os.fsencode(case.gt).endswith(b"gt/bad\xffname.nii.gz")
    loaded = case.load()
    assert loaded.gt_mask.sum() > 0
    assert set(read_score_table(out_csv)) == {"ok", bad_name}


# ---------------------------------------------------------------- no false alarms


def _extreme_files(folder):
    """Valid files compressed about as far as their formats allow: they must still load."""
    import gzip

    import nrrd
    import tifffile

    big = np.zeros((3000, 2000), np.uint8)
    big[1500, 1000] = 1
    bilevel = np.zeros((64, 80), bool)
    bilevel[10:20, 5:50] = True
    vol = np.zeros((200, 180, 160), np.uint8)
    vol[100, 90, 80] = 1
    files = {}
    Image.fromarray(big).save(folder / "zeros8.png")
    files["zeros8.png"] = big
    Image.fromarray(big.astype(bool)).save(folder / "zeros1.png")  # 1 bit per pixel
    files["zeros1.png"] = big
    Image.fromarray(bilevel).save(folder / "bilevel_raw.tif", compression="raw")
    files["bilevel_raw.tif"] = bilevel
    tifffile.imwrite(folder / "zeros_deflate.tif", big, compression="zlib", compressionargs={"level": 9})
    files["zeros_deflate.tif"] = big
    raw = nib.Nifti1Image(vol, np.eye(4)).to_bytes()
    (folder / "zeros.nii.gz").write_bytes(gzip.compress(raw, compresslevel=9))
    files["zeros.nii.gz"] = vol
    nrrd.write(str(folder / "zeros.nrrd"), vol, {"encoding": "gzip"}, compression_level=9)
    files["zeros.nrrd"] = vol
    np.savez_compressed(folder / "zeros.npz", data=vol)
    files["zeros.npz"] = vol
    return files


def test_size_checks_never_refuse_valid_highly_compressed_files(tmp_path):
    for name, expected in _extreme_files(tmp_path).items():
        vol = load_volume(tmp_path / name)
        data = vol.data[:, :, 0] if expected.ndim == 2 else vol.data
        # far fewer bytes on disk than voxels decoded (1 bit each, or deflated)
        assert (tmp_path / name).stat().st_size * 5 < expected.size, name
        # (a 1-bit PNG comes back as 0/255: the voxels that are set are what counts)
        np.testing.assert_array_equal(data != 0, expected != 0, err_msg=name)
