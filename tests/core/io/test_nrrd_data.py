"""core.io.nrrd_data and .nhdr files: detached data read within limits, saved back as header + data file."""
import bz2
import gzip

import nrrd
import numpy as np
import pytest

from dicegui.core.io import LoadError, load_volume, save_volume

RNG = np.random.default_rng(7)


@pytest.mark.parametrize("encoding", ["raw", "gzip", "bzip2"])
def test_nhdr_written_by_pynrrd_loads_and_saves_back_as_nhdr_plus_data(encoding, tmp_path):
    data = RNG.integers(0, 4, (6, 5, 4), dtype=np.uint8)
    nrrd.write(str(tmp_path / "mask.nhdr"), data, {"encoding": encoding, "space": "left-posterior-superior",
                                                   "space directions": np.diag([0.5, 0.7, 2.0])})
    vol = load_volume(tmp_path / "mask.nhdr")
    np.testing.assert_array_equal(vol.data, data)
    edited = vol.data.copy()
    edited[0, 0, 0] = 9
    out = save_volume(vol, edited, tmp_path / "mask.nhdr", overwrite=True)
    assert out == tmp_path / "mask.nhdr"
    back, header = nrrd.read(str(out))  # pynrrd as the independent reader
    np.testing.assert_array_equal(back, edited)
    suffix = {"raw": ".raw", "gzip": ".raw.gz", "bzip2": ".raw.bz2"}[encoding]
    assert header["data file"] == f"mask{suffix}" and (tmp_path / f"mask{suffix}").is_file()
    np.testing.assert_allclose(header["space directions"], np.diag([0.5, 0.7, 2.0]))
    assert not list(tmp_path.glob("*.tmp*"))


def test_a_mask_from_nifti_saved_as_nhdr(tmp_path):
    import nibabel as nib

    data = RNG.integers(0, 2, (4, 4, 3), dtype=np.uint8)
    nib.save(nib.Nifti1Image(data, np.diag([2.0, 2.0, 3.0, 1.0])), tmp_path / "m.nii.gz")
    out = save_volume(load_volume(tmp_path / "m.nii.gz"), data, tmp_path / "m.nhdr")
    back, header = nrrd.read(str(out))
    np.testing.assert_array_equal(back, data)
    assert header["data file"] == "m.raw.gz"


def _attached(path, payload: bytes, extra="", encoding="raw"):
    path.write_bytes(f"NRRD0004\ntype: int16\ndimension: 3\nsizes: 4 3 2\nencoding: {encoding}\n{extra}\n".encode()
                     + payload)


def test_skips_within_the_file_match_pynrrd(tmp_path):
    data = RNG.integers(-100, 100, (4, 3, 2)).astype("<i2")
    raw = data.tobytes(order="F")
    _attached(tmp_path / "a.nrrd", b"junk line\nmore\n" + b"\0" * 7 + raw, "endian: little\nline skip: 2\nbyte skip: 7\n")
    _attached(tmp_path / "b.nrrd", b"xxxx" + raw, "endian: little\nbyte skip: -1\n")
    _attached(tmp_path / "c.nrrd", gzip.compress(b"\0" * 5 + raw), "endian: little\nbyte skip: 5\n", "gzip")
    for name in ("a.nrrd", "b.nrrd"):
        ref, _ = nrrd.read(str(tmp_path / name))
        np.testing.assert_array_equal(ref, data)
        np.testing.assert_array_equal(load_volume(tmp_path / name).data, ref)
    # teem skips 'byte skip' bytes of the decompressed data (pynrrd 1.1 seeks the file instead)
    np.testing.assert_array_equal(load_volume(tmp_path / "c.nrrd").data, data)


@pytest.mark.parametrize("compress, encoding", [(gzip.compress, "gzip"), (bz2.compress, "bzip2")])
def test_more_compressed_data_than_declared_is_refused(compress, encoding, tmp_path):
    _attached(tmp_path / "x.nrrd", compress(b"\0" * (24 * 2 + 200_000)), "endian: little\n", encoding)
    with pytest.raises(LoadError, match="past the declared"):
        load_volume(tmp_path / "x.nrrd")


def test_a_short_compressed_payload_is_truncated(tmp_path):
    _attached(tmp_path / "x.nrrd", gzip.compress(b"\0" * 20), "endian: little\n", "gzip")
    with pytest.raises(LoadError, match="truncated"):
        load_volume(tmp_path / "x.nrrd")


def test_data_split_over_several_files_is_refused_by_name(tmp_path):
    (tmp_path / "x.nhdr").write_text("NRRD0004\ntype: uint8\ndimension: 3\nsizes: 2 2 2\nencoding: raw\n"
                                     "data file: slice%03d.raw 0 1 1 2\n")
    with pytest.raises(LoadError, match="several files"):
        load_volume(tmp_path / "x.nhdr")


def test_save_mask_of_a_case_opened_from_nhdr(tmp_path):
    from dicegui.core.io import load_case, save_mask

    gt = RNG.integers(0, 2, (5, 4, 3), dtype=np.uint8)
    pred = RNG.integers(0, 2, (5, 4, 3), dtype=np.uint8)
    nrrd.write(str(tmp_path / "gt.nhdr"), gt, {"encoding": "gzip"})
    nrrd.write(str(tmp_path / "pred.nhdr"), pred, {"encoding": "gzip"})
    case = load_case(gt=tmp_path / "gt.nhdr", pred=tmp_path / "pred.nhdr")
    case.pred_mask[1, 1, 1] = 1 - case.pred_mask[1, 1, 1]
    out = save_mask(case, "pred")
    assert out.name == "pred_corrected.nhdr"
    back, header = nrrd.read(str(out))
    expected = pred.copy()
    expected[1, 1, 1] = 1 - expected[1, 1, 1]
    np.testing.assert_array_equal(back, expected)
    assert header["data file"] == "pred_corrected.raw.gz"
