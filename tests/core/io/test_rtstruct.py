"""RT Structure Sets in and out (dicegui.core.io.rtstruct), on a synthetic oblique CT series.

Contours are placed in patient millimetres from the geometry the test itself
wrote (origin, direction cosines, spacing, slice step), and the expected
voxels come from ``skimage.draw.polygon`` on the same (row, column) points.
"""
import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from scipy import ndimage
from skimage.draw import polygon

from dicegui.core.io import LoadError
from dicegui.core.io.rtstruct import RTSTRUCT_SOP_CLASS, read_rtstruct, read_rtstruct_split, write_rtstruct
from synthetic_dicom import write_ct_series

SHAPE = (32, 32, 12)


@pytest.fixture
def ct(tmp_path):
    info = write_ct_series(tmp_path / "ct", orientation=(0.8, 0.6, 0, -0.6, 0.8, 0), spacing=(0.8, 0.7), step=2.5)
    info["dir"] = tmp_path / "ct"
    return info


def _mm(ct, rows, cols, k):
    """Patient (LPS) mm of pixel (row, col) on slice k, from the written geometry alone."""
    r, c = np.asarray(rows, float)[:, None], np.asarray(cols, float)[:, None]
    return (ct["origin"] + r * ct["spacing"][0] * ct["col_cos"] + c * ct["spacing"][1] * ct["row_cos"]
            + k * ct["step"] * ct["normal"])


def _structure_set(ct, rois, out, series_uid=None):
    """A minimal RT Structure Set: ``rois`` is [(name, [(k, rows, cols), ...])]."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = RTSTRUCT_SOP_CLASS, generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID, ds.Modality = RTSTRUCT_SOP_CLASS, meta.MediaStorageSOPInstanceUID, "RTSTRUCT"
    ref_series = Dataset()
    ref_series.SeriesInstanceUID = series_uid or ct["series"]
    study = Dataset()
    study.RTReferencedSeriesSequence = [ref_series]
    frame = Dataset()
    frame.FrameOfReferenceUID = ct["frame"]
    frame.RTReferencedStudySequence = [study]
    ds.ReferencedFrameOfReferenceSequence = [frame]
    ds.StructureSetROISequence, ds.ROIContourSequence = [], []
    for number, (name, contours) in enumerate(rois, start=10):  # ROI numbers need not be 1..N
        roi = Dataset()
        roi.ROINumber, roi.ROIName, roi.ReferencedFrameOfReferenceUID = number, name, ct["frame"]
        ds.StructureSetROISequence.append(roi)
        item = Dataset()
        item.ReferencedROINumber, item.ROIDisplayColor = number, [10, 20, number]
        item.ContourSequence = []
        for k, rows, cols in contours:
            c = Dataset()
            c.ContourGeometricType = "CLOSED_PLANAR"
            pts = _mm(ct, rows, cols, k)
            c.NumberOfContourPoints = len(pts)
            c.ContourData = [pydicom.valuerep.DSfloat(v, auto_format=True) for v in pts.ravel()]
            item.ContourSequence.append(c)
        ds.ROIContourSequence.append(item)
    pydicom.dcmwrite(out, ds, enforce_file_format=True)
    return out


PENTAGON = ([3.2, 9.7, 20.4, 24.9, 12.1], [5.5, 22.3, 25.0, 9.8, 2.6])
# Vertices off the pixel grid: a pixel centre exactly on an edge is a tie
# that rounding in the mm round trip may break either way.
HOLE = ([10.3, 10.3, 15.6, 15.6], [10.2, 16.7, 16.7, 10.2])
TRIANGLE = ([20.4, 30.3, 30.3], [20.2, 20.2, 29.6])
BOX = ([15.3, 15.3, 26.6, 26.6], [15.2, 27.7, 27.7, 15.2])


def test_known_polygons_rasterise_as_skimage_draws_them(ct, tmp_path):
    path = _structure_set(ct, [("Liver", [(4, *PENTAGON), (4, *HOLE), (5, *PENTAGON)]),
                               ("Spleen", [(9, *TRIANGLE)])], tmp_path / "rs.dcm")
    got = read_rtstruct(path, ct["dir"])
    expected = np.zeros(SHAPE, np.uint8)
    for k in (4, 5):
        rr, cc = polygon(*PENTAGON, shape=SHAPE[:2])
        expected[rr, cc, k] = 1
    rr, cc = polygon(*HOLE, shape=SHAPE[:2])
    expected[rr, cc, 4] = 0  # a contour inside another is a hole
    rr, cc = polygon(*TRIANGLE, shape=SHAPE[:2])
    expected[rr, cc, 9] = 2
    assert got.label_map.sum() > 200
    assert np.array_equal(got.label_map, expected)
    assert got.names == {1: "Liver", 2: "Spleen"} and got.colors == {1: (10, 20, 10), 2: (10, 20, 11)}
    assert got.warnings == []


def test_a_contour_between_slices_is_skipped_with_a_warning(ct, tmp_path):
    path = _structure_set(ct, [("Liver", [(4.5, *PENTAGON), (6, *TRIANGLE)])], tmp_path / "rs.dcm")
    got = read_rtstruct(path, ct["dir"])
    rr, cc = polygon(*TRIANGLE, shape=SHAPE[:2])
    expected = np.zeros(SHAPE, np.uint8)
    expected[rr, cc, 6] = 1
    assert np.array_equal(got.label_map, expected)
    assert len(got.warnings) == 1 and "'Liver'" in got.warnings[0] and "1 contour" in got.warnings[0]


def test_overlapping_rois_are_refused_by_name_or_split(ct, tmp_path):
    path = _structure_set(ct, [("Body", [(3, *PENTAGON)]), ("Heart", [(3, *BOX)])], tmp_path / "rs.dcm")
    a = np.zeros(SHAPE[:2], bool)
    a[polygon(*PENTAGON, shape=SHAPE[:2])] = True
    b = np.zeros(SHAPE[:2], bool)
    b[polygon(*BOX, shape=SHAPE[:2])] = True
    shared = int(np.count_nonzero(a & b))
    assert shared > 0
    with pytest.raises(LoadError) as err:
        read_rtstruct(path, ct["dir"])
    assert "rs.dcm" in str(err.value) and f"'Body' and 'Heart' ({shared} voxels)" in str(err.value)
    body, heart = read_rtstruct_split(path, ct["dir"])
    assert np.array_equal(body.label_map[:, :, 3], a * 1) and np.array_equal(heart.label_map[:, :, 3], b * 2)
    assert body.names == {1: "Body"} and heart.names == {2: "Heart"}


def test_a_structure_set_of_another_series_names_both_uids(ct, tmp_path):
    other = generate_uid()
    path = _structure_set(ct, [("Liver", [(4, *PENTAGON)])], tmp_path / "rs.dcm", series_uid=other)
    with pytest.raises(LoadError) as err:
        read_rtstruct(path, ct["dir"])
    assert other in str(err.value) and ct["series"] in str(err.value)


def test_boxes_round_trip_exactly_and_contours_reference_their_slices(ct, tmp_path):
    lm = np.zeros(SHAPE, np.uint8)
    lm[3:10, 4:20, 2:6] = 1
    lm[15:25, 10:12, 5:9] = 2
    lm[0:5, 25:32, 0] = 3  # touches the border
    lm[12, 12, 11] = 3  # one voxel
    out = write_rtstruct(lm, ct["dir"], tmp_path / "rs.dcm", names={1: "Liver", 2: "Spleen", 3: "Tumour"})
    got = read_rtstruct(out, ct["dir"])
    assert np.array_equal(got.label_map, lm)
    assert got.names == {1: "Liver", 2: "Spleen", 3: "Tumour"}
    ds = pydicom.dcmread(out)
    assert ds.SOPClassUID == RTSTRUCT_SOP_CLASS and ds.SeriesDescription == "dicegui corrected"
    slice_of = {sop: k for k, sop in enumerate(ct["sops"])}
    for roi in ds.ROIContourSequence:
        for c in roi.ContourSequence:
            pts = np.asarray(c.ContourData, float).reshape(-1, 3)
            k = (pts - ct["origin"]) @ ct["normal"] / ct["step"]
            assert np.allclose(k, slice_of[c.ContourImageSequence[0].ReferencedSOPInstanceUID], atol=1e-6)


def test_blobs_with_holes_round_trip_exactly(ct, tmp_path):
    # Traced at level 0.5, every pixel centre is at least 0.35 pixel from the
    # polygon, so the fill gives back exactly the traced pixels (tolerance 0).
    rng = np.random.default_rng(7)
    for trial in range(3):
        smooth = ndimage.gaussian_filter(rng.random(SHAPE), 1.5)
        lm = (smooth > np.quantile(smooth, 0.6)).astype(np.uint8) + (smooth > np.quantile(smooth, 0.85))
        out = write_rtstruct(lm, ct["dir"], tmp_path / "rs.dcm", overwrite=True)
        got = read_rtstruct(out, ct["dir"])
        assert np.array_equal(got.label_map, lm), f"trial {trial}: {np.count_nonzero(got.label_map != lm)} voxels"


def test_a_file_that_is_not_a_structure_set_is_refused(ct, tmp_path):
    some_slice = sorted(ct["dir"].iterdir())[0]
    with pytest.raises(LoadError, match=f"{some_slice.name}: not an RT Structure Set"):
        read_rtstruct(some_slice, ct["dir"])


def test_a_series_without_study_and_series_uids_is_refused_for_a_structure_set_too(tmp_path):
    from dicegui.core.io import SaveError
    from dicegui.core.io.rtstruct import write_rtstruct

    write_ct_series(tmp_path / "bare", uids=False)
    mask = np.zeros((32, 32, 12), np.uint8)
    mask[4:9, 4:9, 2:5] = 1
    with pytest.raises(SaveError) as err:
        write_rtstruct(mask, tmp_path / "bare", tmp_path / "rt.dcm")
    text = str(err.value)
    assert "rt.dcm" in text and "StudyInstanceUID is missing in 12 slice(s)" in text
    assert "an RT Structure Set must reference" in text and not (tmp_path / "rt.dcm").exists()
