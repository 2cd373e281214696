"""load_dicom_case: a DICOM series with SEG / RT Structure Set / file masks as one case."""
import numpy as np
import pytest

from dicegui.core.io import LoadError
from dicegui.core.io.dicom_case import load_dicom_case
from dicegui.core.io.dicom_seg import write_seg
from dicegui.core.io.rtstruct import write_rtstruct
from synthetic_dicom import write_ct_series

pytest.importorskip("highdicom")


def test_structures_are_named_coloured_and_matched_by_name(tmp_path):
    write_ct_series(tmp_path / "ct")
    gt = np.zeros((32, 32, 12), np.uint8)
    gt[2:8, 2:8, 1:4] = 1
    gt[20:30, 20:30, 6:9] = 2
    pred = np.zeros_like(gt)
    pred[3:8, 2:9, 1:4] = 1  # "Brainstem" here, label 2 in the reference
    pred[20:29, 20:30, 6:8] = 2  # "Cochlea L" here, label 1 in the reference
    write_seg(gt, tmp_path / "ct", tmp_path / "gt.dcm", names={1: "Cochlea L", 2: "Brainstem"},
              colors={1: (200, 10, 10)})
    write_rtstruct(pred, tmp_path / "ct", tmp_path / "pred.dcm", names={1: "brainstem", 2: "Cochlea L"},
                   colors={1: (0, 0, 250), 2: (0, 250, 0)})
    case = load_dicom_case(tmp_path / "ct", ("seg", tmp_path / "gt.dcm"), ("rtstruct", tmp_path / "pred.dcm"))
    assert np.array_equal(case.gt_mask, gt)
    assert np.array_equal(case.pred_mask, np.where(pred == 1, 2, np.where(pred == 2, 1, 0)))
    assert case.label_names == {1: "Cochlea L", 2: "Brainstem"}
    assert case.label_colors[1] == (200, 10, 10)
    assert case.image_array.shape == (32, 32, 12)
    assert any("renumbered" in w and "pred.dcm" in w for w in case.warnings)


def test_a_missing_mask_file_is_named(tmp_path):
    write_ct_series(tmp_path / "ct")
    with pytest.raises(LoadError, match="nothere.dcm: no such file"):
        load_dicom_case(tmp_path / "ct", ("seg", tmp_path / "nothere.dcm"))
