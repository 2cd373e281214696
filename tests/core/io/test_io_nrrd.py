"""NRRD and Slicer .seg.nrrd: LPS → RAS, segment names, layers, round trips."""
import nrrd
import numpy as np
import pytest
import SimpleITK as sitk

from dicegui.core.io import LoadError, SaveError, load_case, load_volume, save_mask, save_volume

LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])


def _sitk_affine(img):
    d = np.array(img.GetDirection()).reshape(3, 3)
    a = np.eye(4)
    a[:3, :3] = d * np.array(img.GetSpacing())
    a[:3, 3] = img.GetOrigin()
    return LPS_TO_RAS @ a


def _lps_header():
    return {
        "space": "left-posterior-superior",
        "space directions": np.array([[2.0, 0, 0], [0, 3.0, 0], [0, 0, 4.0]]),
        "space origin": np.array([10.0, 20.0, 30.0]),
        "kinds": ["domain", "domain", "domain"],
        "encoding": "gzip",
    }


def test_lps_space_becomes_ras_affine(tmp_path):
    data = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    nrrd.write(str(tmp_path / "a.nrrd"), data, _lps_header())
    vol = load_volume(tmp_path / "a.nrrd")
    # Worked by hand: x and y change sign going from LPS to RAS.
    expected = np.array([[-2.0, 0, 0, -10.0], [0, -3.0, 0, -20.0], [0, 0, 4.0, 30.0], [0, 0, 0, 1]])
    np.testing.assert_allclose(vol.affine, expected)
    np.testing.assert_array_equal(vol.data, data)
    assert vol.orientation() == "LPS" and vol.spacing == (2.0, 3.0, 4.0)
    ref = sitk.ReadImage(str(tmp_path / "a.nrrd"))
    np.testing.assert_allclose(vol.affine, _sitk_affine(ref))


def test_round_trip_keeps_header_fields(tmp_path):
    data = (np.random.default_rng(0).random((6, 5, 4)) > 0.5).astype(np.uint8)
    header = _lps_header()
    header["my_custom_field"] = "kept"
    nrrd.write(str(tmp_path / "m.nrrd"), data, header)
    vol = load_volume(tmp_path / "m.nrrd")
    out = save_volume(vol, vol.data, tmp_path / "m2.nrrd")
    h1, h2 = nrrd.read_header(str(tmp_path / "m.nrrd")), nrrd.read_header(str(out))
    for key in ("space", "kinds", "encoding", "my_custom_field", "dimension"):
        assert h1[key] == h2[key]
    for key in ("space directions", "space origin", "sizes"):
        np.testing.assert_array_equal(h1[key], h2[key])
    d2, _ = nrrd.read(str(out))
    assert d2.dtype == np.uint8
    np.testing.assert_array_equal(d2, data)


def test_seg_nrrd_label_names_and_save_back(tmp_path):
    labels = np.zeros((5, 6, 7), np.uint8)
    labels[1:3, 1:3, 1:3] = 1
    labels[3:5, 3:5, 3:5] = 3
    header = _lps_header()
    header.update({
        "Segment0_ID": "Segment_1", "Segment0_Name": "liver", "Segment0_LabelValue": "1", "Segment0_Layer": "0",
        "Segment1_ID": "Segment_2", "Segment1_Name": "tumour", "Segment1_LabelValue": "3", "Segment1_Layer": "0",
    })
    path = tmp_path / "case.seg.nrrd"
    nrrd.write(str(path), labels, header)
    vol = load_volume(path)
    assert vol.source_format == "seg.nrrd"
    assert vol.meta["label_names"] == {1: "liver", 3: "tumour"}
    case = load_case(gt=path)
    assert case.label_names == {1: "liver", 3: "tumour"}
    assert case.gt_info.labels == (1, 3)
    case.gt_mask[0, 0, 0] = 3
    out = save_mask(case, "gt")
    assert out.name == "case_corrected.seg.nrrd"
    data, h = nrrd.read(str(out))
    expected = labels.copy()
    expected[0, 0, 0] = 3
    np.testing.assert_array_equal(data, expected)
    assert h["Segment1_Name"] == "tumour" and h["Segment0_LabelValue"] == "1"


def test_layered_seg_nrrd_merged_and_split_back(tmp_path):
    layers = np.zeros((2, 4, 5, 6), np.uint8)
    layers[0, 0:2, 0:2, 0:2] = 1  # segment "a" in layer 0
    layers[1, 2:4, 2:4, 2:4] = 1  # segment "b" in layer 1, same label value
    header = _lps_header()
    header["space directions"] = np.vstack([[np.nan] * 3, header["space directions"]])
    header["kinds"] = ["list", "domain", "domain", "domain"]
    header.update({"Segment0_Name": "a", "Segment0_LabelValue": "1", "Segment0_Layer": "0",
                   "Segment1_Name": "b", "Segment1_LabelValue": "1", "Segment1_Layer": "1"})
    path = tmp_path / "layers.seg.nrrd"
    nrrd.write(str(path), layers, header)
    vol = load_volume(path)
    assert vol.shape == (4, 5, 6)
    # Label values collide across layers, so segments are numbered 1, 2 in order.
    assert vol.meta["label_names"] == {1: "a", 2: "b"}
    assert (vol.data == 1).sum() == 8 and (vol.data == 2).sum() == 8
    np.testing.assert_allclose(vol.affine[:3, :3], np.diag([-2.0, -3.0, 4.0]))
    out = save_volume(vol, vol.data, tmp_path / "again.seg.nrrd")
    back, _ = nrrd.read(str(out))
    np.testing.assert_array_equal(back, layers)
    labels = vol.data.copy()
    labels[0, 4, 5] = 7
    with pytest.raises(SaveError, match="labels \\[7\\] have no segment"):
        save_volume(vol, labels, tmp_path / "bad.seg.nrrd")


def test_overlapping_layers_refused(tmp_path):
    layers = np.zeros((2, 3, 3, 3), np.uint8)
    layers[:, 1, 1, 1] = 1
    header = {"kinds": ["list", "domain", "domain", "domain"],
              "Segment0_Name": "a", "Segment0_LabelValue": "1", "Segment0_Layer": "0",
              "Segment1_Name": "b", "Segment1_LabelValue": "1", "Segment1_Layer": "1"}
    nrrd.write(str(tmp_path / "ov.seg.nrrd"), layers, header)
    with pytest.raises(LoadError, match="ov.seg.nrrd: segment 'b' overlaps another segment"):
        load_volume(tmp_path / "ov.seg.nrrd")


def test_vector_nrrd_refused_and_absurd_sizes_refused(tmp_path):
    nrrd.write(str(tmp_path / "vec.nrrd"), np.zeros((3, 4, 4, 4), np.float32),
               {"kinds": ["vector", "domain", "domain", "domain"]})
    with pytest.raises(LoadError, match="vec.nrrd: NRRD with 3 components per voxel"):
        load_volume(tmp_path / "vec.nrrd")
    (tmp_path / "huge.nrrd").write_bytes(
        b"NRRD0004\ntype: double\ndimension: 3\nsizes: 40000 40000 40000\nencoding: gzip\n\n" + b"\x00" * 64)
    with pytest.raises(LoadError, match="huge.nrrd: header declares voxel data of 40000×40000×40000"):
        load_volume(tmp_path / "huge.nrrd")


def test_2d_nrrd(tmp_path):
    nrrd.write(str(tmp_path / "flat.nrrd"), np.arange(6, dtype=np.uint8).reshape(2, 3),
               {"space": "left-posterior-superior", "space directions": np.array([[0.5, 0, 0], [0, 0.5, 0]]),
                "kinds": ["domain", "domain"]})
    vol = load_volume(tmp_path / "flat.nrrd")
    assert vol.shape == (2, 3, 1) and vol.is_2d
    out = save_volume(vol, vol.data, tmp_path / "flat2.nrrd")
    d, h = nrrd.read(str(out))
    assert d.shape == (2, 3) and h["dimension"] == 2


def test_real_deepmind_nrrd_agrees_with_simpleitk(shared_data, tmp_path):
    path = shared_data / "deepmind_hn_oar" / "0522c0057" / "oncologist" / "Parotid-Lt.nrrd"
    vol = load_volume(path)
    ref = sitk.ReadImage(str(path))
    np.testing.assert_allclose(vol.affine, _sitk_affine(ref), atol=1e-6)
    # np.array_equal: assert_array_equal takes seconds on 38 M voxels
    assert np.array_equal(vol.data, sitk.GetArrayFromImage(ref).transpose(2, 1, 0))
    out = save_volume(vol, vol.data, tmp_path / "Parotid-Lt.nrrd")
    back = load_volume(out)
    assert np.array_equal(back.data, vol.data)
    np.testing.assert_allclose(back.affine, vol.affine)
    h1, h2 = nrrd.read_header(str(path)), nrrd.read_header(str(out))
    assert {k: str(v) for k, v in h1.items() if k != "type"} == {k: str(v) for k, v in h2.items() if k != "type"}
