"""The shipped demo (resources/demo) and its construction (dicegui.core.demo)."""
from __future__ import annotations

import hashlib
import importlib.util


import nibabel as nib
import numpy as np
import pytest

from dicegui.core import demo
from dicegui.core.metrics import overlap

RESOURCES = demo.RESOURCES_DIR


def _files_on_disk(role):
    return np.asanyarray(nib.load(str(demo.DEMO_DIR / demo.DEMO_FILES[role])).dataobj)


def test_shipped_files_are_the_recorded_bytes():
    sums = {}
    for line in (demo.DEMO_DIR / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        sums[name] = digest
    assert set(sums) == set(demo.DEMO_FILES.values())
    for name, digest in sums.items():
        assert hashlib.sha256((demo.DEMO_DIR / name).read_bytes()).hexdigest() == digest
    total = sum((demo.DEMO_DIR / n).stat().st_size for n in sums)
    assert total < 1_500_000  # about 1 MB, as the issue asks


def test_provenance_and_licences_are_beside_the_data():
    text = (demo.DEMO_DIR / "PROVENANCE.md").read_text()
    for needle in ("2.18.0", "tests/reference_files/example_ct_sm.nii.gz", "Apache", "CC BY 4.0",
                   "not an expert", "Nothing was changed"):
        assert needle in text
    assert "Apache License" in (demo.DEMO_DIR / "LICENSE-TotalSegmentator-Apache-2.0.txt").read_text()


def test_label_names():
    names = demo.label_names()
    assert len(names) == 117
    assert names[1] == "spleen" and names[5] == "liver" and names[8] == "adrenal_gland_right"


def test_totalseg_demo_scores_match_the_files():
    case = demo.build_demo("totalseg")
    gt, pred = _files_on_disk("gt"), _files_on_disk("pred")
    assert case.shape == (122, 101, 30)
    np.testing.assert_allclose(case.spacing, (3.0, 3.0, 3.0))
    assert len(np.unique(gt)) - 1 == 41
    # independent count on the raw files (nibabel, no dicegui IO)
    tp = int(np.sum((gt > 0) & (pred > 0)))
    fp = int(np.sum((gt == 0) & (pred > 0)))
    fn = int(np.sum((gt > 0) & (pred == 0)))
    scores = overlap(case.gt_mask, case.pred_mask)
    assert (scores["tp"], scores["fp"], scores["fn"]) == (tp, fp, fn)
    assert scores["dice"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert case.label_names[5] == "liver"
    assert any("not an expert" in w for w in case.warnings)


def test_accuracy_trap_demo():
    case = demo.build_demo("accuracy-trap")
    raw = _files_on_disk("gt")
    n_target = int(np.sum(raw == demo.TRAP_LABEL))
    assert n_target == 152
    assert int(np.count_nonzero(case.gt_mask)) == n_target
    assert not np.any(case.pred_mask)
    scores = overlap(case.gt_mask, case.pred_mask)
    n = raw.size
    assert scores["accuracy"] == pytest.approx((n - n_target) / n)  # 0.99959
    assert scores["accuracy"] > 0.999
    assert scores["dice"] == 0.0
    assert case.label_names == {1: "adrenal_gland_right"}
    note = demo.demo_note("accuracy-trap", case)
    assert "152 voxels" in note and "not an expert" in note


def test_unknown_demo_lists_the_known_ones():
    with pytest.raises(ValueError, match="totalseg"):
        demo.build_demo("nope")


def test_build_script_reads_class_map_without_importing(tmp_path):
    spec = importlib.util.spec_from_file_location("build_demo", RESOURCES / "build_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    src = tmp_path / "map_to_binary.py"
    src.write_text(
        "import torch  # never executed\n"
        "class_map = {\n  'total': {\n    1: 'spleen',  # comment\n    2: 'kidney_right'},\n"
        "  'other': {1: 'x'}\n}\nraise SystemExit('must not run')\n"
    )
    assert module.read_class_map(src) == {1: "spleen", 2: "kidney_right"}
    shipped = demo.label_names()
    assert shipped[117] == "costal_cartilages"
