"""DICOM SEG in and out (dicegui.core.io.dicom_seg), on a synthetic CT series written with pydicom.

References are independent of our code: the series' slice order comes from
the positions the test wrote, and SEGs to read are built with highdicom
directly from the source datasets in file order.
"""
import numpy as np
import pydicom
import pytest
from pydicom.sr.codedict import codes
from pydicom.uid import generate_uid

from dicegui.core.io import LoadError, SaveError
from dicegui.core.io.dicom_seg import read_seg, read_seg_split, write_seg
from synthetic_dicom import write_ct_series

hd = pytest.importorskip("highdicom")


@pytest.fixture
def ct(tmp_path):
    info = write_ct_series(tmp_path / "ct", orientation=(0.8, 0.6, 0, -0.6, 0.8, 0))
    info["dir"] = tmp_path / "ct"
    return info


def _label_map(shape):
    lm = np.zeros(shape, np.uint8)
    lm[3:10, 4:20, 2:6] = 1
    lm[15:25, 10:12, 5:9] = 2
    lm[12, 12, 11] = 2  # the last slice, one voxel
    return lm


def _sources_in_file_order(folder):
    return [pydicom.dcmread(f) for f in sorted(folder.iterdir())]


def _highdicom_seg(sources, frames, labels, out):
    """A SEG built by highdicom alone: ``frames[sop] -> (rows, cols, segments)`` bool."""
    pixels = np.stack([frames[str(ds.SOPInstanceUID)] for ds in sources])
    descs = [hd.seg.SegmentDescription(segment_number=i + 1, segment_label=name,
                                       segmented_property_category=codes.SCT.Tissue,
                                       segmented_property_type=codes.SCT.Tissue,
                                       algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL)
             for i, name in enumerate(labels)]
    seg = hd.seg.Segmentation(source_images=sources, pixel_array=pixels.astype(np.uint8),
                              segmentation_type="BINARY", segment_descriptions=descs,
                              series_instance_uid=generate_uid(), series_number=5, sop_instance_uid=generate_uid(),
                              instance_number=1, manufacturer="test", manufacturer_model_name="test",
                              software_versions="1", device_serial_number="1")
    seg.save_as(out)
    return out


def test_round_trip_is_exact_and_highdicom_reads_the_file(ct, tmp_path):
    lm = _label_map((32, 32, 12))
    out = write_seg(lm, ct["dir"], tmp_path / "seg.dcm", names={1: "Liver", 2: "Spleen"},
                    colors={1: (255, 0, 0), 2: (0, 0, 255)})
    got = read_seg(out, ct["dir"])
    assert np.array_equal(got.label_map, lm)
    assert got.names == {1: "Liver", 2: "Spleen"}
    assert got.colors[1] == (255, 0, 0) and got.colors[2] == (0, 0, 255)
    seg = hd.seg.segread(out)  # highdicom validates on read
    assert [seg.get_segment_description(n).SegmentLabel for n in (1, 2)] == ["Liver", "Spleen"]
    assert seg.SeriesDescription == "dicegui corrected"
    assert seg.ReferencedSeriesSequence[0].SeriesInstanceUID == ct["series"]
    assert seg.SOPInstanceUID not in ct["sops"] and seg.SeriesInstanceUID != ct["series"]
    # highdicom's own volume of the written SEG: frame k of the slice at position k
    by_sop = seg.get_pixels_by_source_instance(ct["sops"], combine_segments=True,
                                               assert_missing_frames_are_empty=True)
    assert np.array_equal(np.moveaxis(by_sop, 0, 2), lm)


def test_a_seg_built_by_highdicom_lands_on_the_series_slices(ct, tmp_path):
    rng = np.random.default_rng(3)
    truth = np.zeros((32, 32, 12, 2), bool)
    truth[..., 0] = rng.random((32, 32, 12)) > 0.8
    truth[..., 1] = ~truth[..., 0] & (rng.random((32, 32, 12)) > 0.9)
    frames = {sop: truth[:, :, k] for k, sop in enumerate(ct["sops"])}  # k: position along the normal
    path = _highdicom_seg(_sources_in_file_order(ct["dir"]), frames, ["Kidney L", "Kidney R"], tmp_path / "s.dcm")
    got = read_seg(path, ct["dir"])
    expected = truth[..., 0] * 1 + truth[..., 1] * 2
    assert np.array_equal(got.label_map, expected)
    assert got.names == {1: "Kidney L", 2: "Kidney R"}


def test_overlapping_segments_are_refused_by_name_or_split(ct, tmp_path):
    a = np.zeros((32, 32, 12), bool)
    b = np.zeros((32, 32, 12), bool)
    a[2:10, 2:10, 3:5] = True
    b[8:20, 8:20, 4:8] = True  # overlap: rows 8-9, cols 8-9, slice 4 -> 4 voxels
    frames = {sop: np.stack([a[:, :, k], b[:, :, k]], -1) for k, sop in enumerate(ct["sops"])}
    path = _highdicom_seg(_sources_in_file_order(ct["dir"]), frames, ["Body", "Heart"], tmp_path / "o.dcm")
    with pytest.raises(LoadError) as err:
        read_seg(path, ct["dir"])
    msg = str(err.value)
    assert "o.dcm" in msg and "'Body' and 'Heart'" in msg and "(4 voxels)" in msg and "\n" not in msg
    parts = read_seg_split(path, ct["dir"])
    assert [p.names for p in parts] == [{1: "Body"}, {2: "Heart"}]
    assert np.array_equal(parts[0].label_map, a * 1) and np.array_equal(parts[1].label_map, b * 2)


def test_a_seg_of_another_series_names_both_uids(ct, tmp_path):
    other = write_ct_series(tmp_path / "other", seed=5)
    path = write_seg(_label_map((32, 32, 12)), tmp_path / "other", tmp_path / "seg.dcm")
    with pytest.raises(LoadError) as err:
        read_seg(path, ct["dir"])
    assert other["series"] in str(err.value) and ct["series"] in str(err.value) and "seg.dcm" in str(err.value)


def test_labels_are_written_in_order_as_segments_one_to_n(ct, tmp_path):
    lm = np.zeros((32, 32, 12), np.uint8)
    lm[1:4, 1:4, 1] = 4
    lm[10:14, 10:14, 7] = 2
    path = write_seg(lm, ct["dir"], tmp_path / "seg.dcm", names={2: "TC", 4: "ET"})
    got = read_seg(path, ct["dir"])
    assert got.names == {1: "TC", 2: "ET"}
    assert np.array_equal(got.label_map, np.where(lm == 2, 1, np.where(lm == 4, 2, 0)))


def test_a_series_without_study_and_series_uids_is_refused_with_why(tmp_path):
    write_ct_series(tmp_path / "bare", uids=False)
    with pytest.raises(SaveError) as err:
        write_seg(_label_map((32, 32, 12)), tmp_path / "bare", tmp_path / "seg.dcm")
    assert "StudyInstanceUID" in str(err.value) and "seg.dcm" in str(err.value)


def test_a_mask_off_the_series_grid_and_a_non_seg_file_are_refused(ct, tmp_path):
    with pytest.raises(SaveError, match=r"31×32×12.*32×32×12"):
        write_seg(np.ones((31, 32, 12), np.uint8), ct["dir"], tmp_path / "seg.dcm")
    some_slice = sorted(ct["dir"].iterdir())[0]
    with pytest.raises(LoadError, match=f"{some_slice.name}: not a DICOM SEG"):
        read_seg(some_slice, ct["dir"])
    assert not (tmp_path / "seg.dcm").exists()


def test_a_seg_without_source_references_is_placed_by_frame_positions(ct, tmp_path):
    lm = _label_map((32, 32, 12))
    ds = pydicom.dcmread(write_seg(lm, ct["dir"], tmp_path / "seg.dcm", names={1: "Liver", 2: "Spleen"}))
    for fg in ds.PerFrameFunctionalGroupsSequence:  # as some AI products write them
        del fg.DerivationImageSequence
    del ds.SourceImageSequence
    ds.save_as(tmp_path / "noref.dcm")
    got = read_seg(tmp_path / "noref.dcm", ct["dir"])
    assert np.array_equal(got.label_map, lm) and got.names == {1: "Liver", 2: "Spleen"}
    ds.PerFrameFunctionalGroupsSequence[3].PlanePositionSequence[0].ImagePositionPatient[2] += 1.0  # between slices
    ds.save_as(tmp_path / "off.dcm")
    with pytest.raises(LoadError, match=r"off.dcm: frame 4 names no source image and its position .* not on a slice"):
        read_seg(tmp_path / "off.dcm", ct["dir"])
