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


def _two_organs():
    gt = np.zeros((32, 32, 12), np.uint8)
    gt[2:8, 2:8, 1:4] = 1
    gt[20:30, 20:30, 6:9] = 2
    return gt


def test_mask_kind_is_read_from_the_header_only(tmp_path):
    from dicegui.core.io.dicom_case import dicom_mask_kind

    write_ct_series(tmp_path / "ct")
    write_seg(_two_organs(), tmp_path / "ct", tmp_path / "seg.dcm")
    write_rtstruct(_two_organs(), tmp_path / "ct", tmp_path / "rt.dcm")
    (tmp_path / "short.dcm").write_bytes(b"DICM")
    (tmp_path / "junk.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\xff" * 64)
    assert dicom_mask_kind(tmp_path / "seg.dcm") == "seg"
    assert dicom_mask_kind(tmp_path / "rt.dcm") == "rtstruct"
    a_slice = next((tmp_path / "ct").iterdir())
    for other in (a_slice, tmp_path / "ct", tmp_path / "short.dcm", tmp_path / "junk.dcm", tmp_path / "none.dcm"):
        assert dicom_mask_kind(other) is None


def test_open_case_reads_seg_and_rtstruct_onto_the_series_and_plain_files_as_before(tmp_path):
    import nibabel as nib

    from dicegui.core.io.opening import open_case

    write_ct_series(tmp_path / "ct")
    gt = _two_organs()
    pred = np.zeros_like(gt)
    pred[3:8, 2:8, 1:4] = 1
    write_seg(gt, tmp_path / "ct", tmp_path / "gt.dcm", names={1: "Parotid R", 2: "Brainstem"})
    write_rtstruct(pred, tmp_path / "ct", tmp_path / "pred.dcm", names={1: "Parotid R"})
    a_slice = sorted((tmp_path / "ct").iterdir())[0]
    for image in (tmp_path / "ct", a_slice):  # the folder, or one of its files as a file dialog gives it
        case = open_case(image=image, gt=tmp_path / "gt.dcm", pred=tmp_path / "pred.dcm")
        assert np.array_equal(case.gt_mask, gt) and np.array_equal(case.pred_mask, pred)
        assert case.label_names == {1: "Parotid R", 2: "Brainstem"}
    with pytest.raises(LoadError, match=r"gt.dcm: a DICOM SEG is drawn on an image series; open that series"):
        open_case(gt=tmp_path / "gt.dcm")
    # no DICOM mask: load_case unchanged
    a = tmp_path / "a.nii.gz"
    nib.save(nib.Nifti1Image(gt, np.eye(4)), str(a))
    plain = open_case(gt=a, pred=a)
    assert np.array_equal(plain.gt_mask, gt)


@pytest.mark.parametrize("kind", ["seg", "rtstruct"])
def test_save_case_mask_writes_the_edited_mask_as_a_dicom_object_that_reads_back(tmp_path, kind):
    from dicegui.core.io import SaveError
    from dicegui.core.io.dicom_case import save_case_mask
    from dicegui.core.io.opening import open_case
    from dicegui.core.io.dicom_seg import read_seg
    from dicegui.core.io.rtstruct import read_rtstruct

    write_ct_series(tmp_path / "ct")
    gt = _two_organs()
    write_seg(gt, tmp_path / "ct", tmp_path / "gt.dcm", names={1: "Parotid R", 2: "Brainstem"},
              colors={1: (250, 0, 0), 2: (0, 0, 250)})
    case = open_case(image=tmp_path / "ct", gt=tmp_path / "gt.dcm")
    case.gt_mask[10:14, 10:14, 5] = 2  # an edit
    out = save_case_mask(case, "gt", tmp_path / "corrected.dcm", kind=kind)
    back = (read_seg if kind == "seg" else read_rtstruct)(out, tmp_path / "ct")
    assert np.array_equal(back.label_map, case.gt_mask)
    assert back.names == {1: "Parotid R", 2: "Brainstem"}
    with pytest.raises(SaveError, match="exists"):
        save_case_mask(case, "gt", out, kind=kind)
    # a non-DICOM target is the ordinary writer; a .dcm target needs the series as the image
    nii = save_case_mask(case, "gt", tmp_path / "corrected.nii.gz")
    assert nii.name == "corrected.nii.gz"
    import nibabel as nib

    alone = open_case(gt=nii)
    with pytest.raises(SaveError, match="image is not a DICOM series; save as NIfTI or NRRD"):
        save_case_mask(alone, "gt", tmp_path / "alone.dcm")
    assert np.array_equal(np.asanyarray(nib.load(str(nii)).dataobj), case.gt_mask)


def test_save_case_mask_keeps_the_kind_the_mask_was_read_from(tmp_path):
    from dicegui.core.io.dicom_case import dicom_mask_kind, save_case_mask
    from dicegui.core.io.opening import open_case

    write_ct_series(tmp_path / "ct")
    write_rtstruct(_two_organs(), tmp_path / "ct", tmp_path / "rt.dcm")
    case = open_case(image=tmp_path / "ct", pred=tmp_path / "rt.dcm")
    assert dicom_mask_kind(save_case_mask(case, "pred", tmp_path / "again.dcm")) == "rtstruct"
