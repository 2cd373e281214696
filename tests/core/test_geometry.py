"""Grids: canonical views, comparisons, flip/transpose onto a reference."""
import itertools

import nibabel as nib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicegui.core.geometry import (
    apply_ornt,
    canonical_view,
    describe_grid,
    describe_ornt,
    invert_ornt,
    orientation_code,
    reorient_onto,
    same_grid,
    spacing_of,
)


def _affine(spacing=(0.7, 0.8, 2.5), origin=(-10.0, 20.0, 30.0)):
    a = np.diag(list(spacing) + [1.0])
    a[:3, 3] = origin
    return a


def _oblique_affine():
    # 10° about z, 5° about x, anisotropic voxels: not axis aligned.
    t, u = np.deg2rad(10), np.deg2rad(5)
    rz = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(u), -np.sin(u)], [0, np.sin(u), np.cos(u)]])
    a = np.eye(4)
    a[:3, :3] = rz @ rx @ np.diag([0.9, 1.1, 3.0])
    a[:3, 3] = [5, -7, 11]
    return a


def _world(affine, shape):
    """World coordinates of every voxel centre, shape (3, *shape)."""
    idx = np.indices(shape).reshape(3, -1).astype(float)
    return (affine[:3, :3] @ idx + affine[:3, 3:4]).reshape((3,) + tuple(shape))


@pytest.mark.parametrize("codes", ["RAS", "LPS", "PIR", "SLA", "ILP"])
def test_canonical_view_matches_nibabel_and_shares_memory(codes):
    rng = np.random.default_rng(0)
    data = rng.integers(0, 100, (4, 5, 6)).astype(np.int16)
    ornt = nib.orientations.axcodes2ornt(codes)
    to_codes = nib.orientations.ornt_transform(nib.orientations.axcodes2ornt("RAS"), ornt)
    affine = _affine() @ nib.orientations.inv_ornt_aff(to_codes, data.shape)
    assert orientation_code(affine) == codes
    img = nib.Nifti1Image(data, affine)
    ref = nib.as_closest_canonical(img)

    view, can_affine = canonical_view(data, affine)

    assert np.shares_memory(view, data)
    np.testing.assert_array_equal(view, np.asanyarray(ref.dataobj))
    np.testing.assert_allclose(can_affine, ref.affine, atol=1e-9)
    assert orientation_code(can_affine) == "RAS"
    view[0, 0, 0] = 12345  # a view: edits reach the original
    assert (data == 12345).sum() == 1


def test_canonical_view_of_identity_is_the_array_itself():
    data = np.zeros((3, 4, 1))
    view, aff = canonical_view(data, np.eye(4))
    assert view.base is data or view is data or np.shares_memory(view, data)
    assert view.shape == data.shape
    np.testing.assert_array_equal(aff, np.eye(4))


def test_describe_grid_reads_like_the_issue_example():
    text = describe_grid("prediction.nii.gz", (512, 512, 120), (0.7, 0.7, 2.5), np.diag([0.7, 0.7, 2.5, 1]))
    assert text == "prediction.nii.gz is 512×512×120 at 0.7×0.7×2.5 mm RAS"
    lps = np.diag([-0.5859, -0.5859, 3.3, 1])
    assert describe_grid("b", (2, 3, 4), spacing_of(lps), lps) == "b is 2×3×4 at 0.5859×0.5859×3.3 mm LPS"


def test_same_grid_tolerance():
    a = _affine()
    shape = (50, 60, 20)
    b = a.copy()
    b[:3, 3] += 5e-4  # half a micrometre: float32 header noise
    assert same_grid(shape, a, shape, b)
    c = a.copy()
    c[:3, 3] += 0.5  # half a millimetre: another grid
    assert not same_grid(shape, a, shape, c)
    d = a.copy()
    d[2, 2] = 2.6  # other slice spacing
    assert not same_grid(shape, a, shape, d)
    assert not same_grid(shape, a, (50, 60, 21), a)


def test_same_grid_single_slice_ignores_sign_of_its_axis():
    a = _affine()
    b = a.copy()
    b[:3, 2] *= -1  # one slice: same voxel centres whichever way the axis points
    assert same_grid((8, 9, 1), a, (8, 9, 1), b)
    assert not same_grid((8, 9, 2), a, (8, 9, 2), b)


@settings(max_examples=30, deadline=None)
@given(perm=st.permutations([0, 1, 2]), flips=st.tuples(st.booleans(), st.booleans(), st.booleans()),
       oblique=st.booleans())
def test_reorient_onto_recovers_any_flip_and_permutation(perm, flips, oblique):
    rng = np.random.default_rng(1)
    ref_shape = (4, 5, 6)
    ref_affine = _oblique_affine() if oblique else _affine()
    ref = rng.integers(0, 1000, ref_shape)
    # The same voxels stored another way: flip some axes, then reorder them.
    index = tuple(slice(None, None, -1) if f else slice(None) for f in flips)
    moved = np.ascontiguousarray(ref[index].transpose(perm))
    # Its affine, computed independently: world position of each stored voxel.
    world = _world(ref_affine, ref_shape)[(slice(None),) + index].transpose([0] + [p + 1 for p in perm])
    origin = world[:, 0, 0, 0]
    moved_affine = np.eye(4)
    moved_affine[:3, 3] = origin
    for ax in range(3):
        step = [0, 0, 0]
        step[ax] = 1
        moved_affine[:3, ax] = world[(slice(None),) + tuple(step)] - origin
    for ax, n in enumerate(moved.shape):
        assert n > 1

    result = reorient_onto(moved, moved_affine, ref_shape, ref_affine)

    assert result is not None
    view, ornt = result
    assert np.shares_memory(view, moved)
    np.testing.assert_array_equal(view, ref)
    back = apply_ornt(view, invert_ornt(ornt))
    np.testing.assert_array_equal(back, moved)
    expected_nothing = perm == [0, 1, 2] and not any(flips)
    assert (describe_ornt(ornt) == "nothing") == expected_nothing


def test_reorient_onto_refuses_other_spacing_and_shift():
    ref_affine = _affine()
    data = np.zeros((4, 5, 6))
    other = _affine(spacing=(0.7, 0.8, 3.0))
    assert reorient_onto(data, other, (4, 5, 6), ref_affine) is None
    shifted = _affine(origin=(-10.0, 20.0, 31.0))
    assert reorient_onto(data, shifted, (4, 5, 6), ref_affine) is None


def test_describe_ornt_words():
    ornt = np.array([[1, -1], [0, 1], [2, -1]])
    assert describe_ornt(ornt) == "flipped axes 0 and 2, then transposed the axes to order (1, 0, 2)"
    assert describe_ornt(np.array([[0, -1], [1, 1], [2, 1]])) == "flipped axis 0"
    data = np.arange(24).reshape(2, 3, 4)
    # Hand-worked: flip axes 0 and 2, then swap axes 0 and 1.
    np.testing.assert_array_equal(apply_ornt(data, ornt), data[::-1, :, ::-1].transpose(1, 0, 2))


def test_all_48_orientations_round_trip():
    data = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1, -1), repeat=3):
            ornt = np.array([[perm[i], signs[i]] for i in range(3)])
            np.testing.assert_array_equal(apply_ornt(apply_ornt(data, ornt), invert_ornt(ornt)), data)
