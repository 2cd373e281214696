""".npy / .npz: no pickles, headers checked first, bytes kept on round trip."""
import numpy as np
import pytest

from dicegui.core.io import LoadError, load_volume, save_volume


@pytest.mark.parametrize("order", ["C", "F"])
def test_npy_round_trip_is_byte_identical(tmp_path, order):
    data = np.asarray(np.random.default_rng(0).integers(0, 5, (4, 5, 6)).astype(np.int16), order=order)
    np.save(tmp_path / "a.npy", data)
    vol = load_volume(tmp_path / "a.npy")
    np.testing.assert_array_equal(vol.data, data)
    np.testing.assert_array_equal(vol.affine, np.eye(4))
    out = save_volume(vol, vol.data, tmp_path / "b.npy")
    assert out.read_bytes() == (tmp_path / "a.npy").read_bytes()


def test_2d_bool_and_singleton_arrays(tmp_path):
    np.save(tmp_path / "flat.npy", np.eye(3, dtype=bool))
    vol = load_volume(tmp_path / "flat.npy")
    assert vol.shape == (3, 3, 1) and vol.is_2d and vol.data.dtype == bool
    out = save_volume(vol, vol.data, tmp_path / "flat2.npy")
    assert out.read_bytes() == (tmp_path / "flat.npy").read_bytes()
    np.save(tmp_path / "s.npy", np.zeros((2, 3, 4, 1), np.uint8))
    assert load_volume(tmp_path / "s.npy").shape == (2, 3, 4)
    np.save(tmp_path / "t.npy", np.zeros((2, 3, 4, 5), np.uint8))
    with pytest.raises(LoadError, match=r"t.npy: array is 4-D \(2×3×4×5\): 2 channels .* --softmax"):
        load_volume(tmp_path / "t.npy")
    np.save(tmp_path / "u.npy", np.zeros((70, 3, 4, 80), np.uint8))
    with pytest.raises(LoadError, match=r"u.npy: array is 4-D \(70×3×4×80\); dicegui shows one"):
        load_volume(tmp_path / "u.npy")


def test_object_arrays_are_never_unpickled(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(LoadError, match="obj.npy: the array holds Python objects"):
        load_volume(tmp_path / "obj.npy")
    np.savez(tmp_path / "obj.npz", data=np.array([None, 1], dtype=object))
    with pytest.raises(LoadError, match="obj.npz: array 'data' holds Python objects"):
        load_volume(tmp_path / "obj.npz")


def test_npz_key_choice(tmp_path):
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    np.savez(tmp_path / "one.npz", whatever=a)
    np.testing.assert_array_equal(load_volume(tmp_path / "one.npz").data, a)
    np.savez(tmp_path / "named.npz", mask=a, other=a * 0, third=a * 0)
    assert load_volume(tmp_path / "named.npz").meta["key"] == "mask"
    np.savez(tmp_path / "two.npz", image=a, mask=a)
    with pytest.raises(LoadError, match="two.npz: holds arrays image, mask"):
        load_volume(tmp_path / "two.npz")


def test_npz_geometry_and_round_trip_keeps_other_arrays(tmp_path):
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    affine = np.diag([-0.5, -0.5, 2.0, 1.0])
    affine[:3, 3] = [1, 2, 3]
    np.savez_compressed(tmp_path / "g.npz", mask=a, affine=affine, notes=np.array([1.5, 2.5]))
    vol = load_volume(tmp_path / "g.npz")
    np.testing.assert_array_equal(vol.affine, affine)
    assert vol.meta["has_geometry"] and vol.orientation() == "LPS"
    edited = vol.data.copy()
    edited[0, 0, 0] = 9
    out = save_volume(vol, edited, tmp_path / "g2.npz")
    with np.load(out) as z:
        assert sorted(z.files) == ["affine", "mask", "notes"]
        np.testing.assert_array_equal(z["mask"], edited)
        assert z["mask"].dtype == np.uint8
        np.testing.assert_array_equal(z["notes"], [1.5, 2.5])
    np.savez(tmp_path / "sp.npz", data=a, spacing=np.array([0.5, 0.6, 3.0]))
    assert load_volume(tmp_path / "sp.npz").spacing == (0.5, 0.6, 3.0)
    np.savez(tmp_path / "bad.npz", data=a, affine=np.eye(3))
    with pytest.raises(LoadError, match="bad.npz: 'affine' must be a finite 4×4 matrix"):
        load_volume(tmp_path / "bad.npz")


def test_absurd_npy_header_refused(tmp_path):
    path = tmp_path / "huge.npy"
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (50000, 50000, 50000)})
        fh.write(b"\x00" * 64)
    with pytest.raises(LoadError, match="huge.npy: header declares voxel data of 50000×50000×50000 × 8 bytes"):
        load_volume(path)


def test_structured_and_truncated_refused(tmp_path):
    np.save(tmp_path / "st.npy", np.zeros(3, dtype=[("a", "i4"), ("b", "f4")]))
    with pytest.raises(LoadError, match="st.npy: the array has type"):
        load_volume(tmp_path / "st.npy")
    np.save(tmp_path / "ok.npy", np.zeros((10, 10, 10)))
    (tmp_path / "cut.npy").write_bytes((tmp_path / "ok.npy").read_bytes()[:500])
    with pytest.raises(LoadError, match="cut.npy: cannot read .npy data"):
        load_volume(tmp_path / "cut.npy")


def test_1d_npy_is_a_one_by_n_image_and_saves_back_1d(tmp_path):
    seed = np.array([0.9, 0.1, 0.8, 0.1])
    np.save(tmp_path / "p.npy", seed)
    v = load_volume(tmp_path / "p.npy")
    assert v.data.shape == (1, 4, 1) and v.is_2d
    assert v.data[0, :, 0].tolist() == seed.tolist()
    out = save_volume(v, v.data, tmp_path / "back.npy")
    assert np.load(out, allow_pickle=False).tolist() == seed.tolist()
