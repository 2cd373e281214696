"""3-D error view data: meshes in mm, signed distances equal to core.surface's, colours, picking."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from scipy.spatial import cKDTree

from dicegui.core.surface import directed_distances
from dicegui.core.surface_mesh import (
    block_any,
    border_voxels,
    default_limit,
    diverging_colors,
    error_surface,
    mask_mesh,
    hit_voxel,
    mesh_step,
    ray_mesh_hit,
    vertex_normals,
    vertex_voxel,
)


def _ball(shape, centre, radius_mm, spacing):
    grids = np.ogrid[tuple(slice(0, n) for n in shape)]
    d2 = sum(((g - c) * s) ** 2 for g, c, s in zip(grids, centre, spacing))
    return d2 <= radius_mm ** 2


def test_mesh_vertices_are_in_mm_on_the_half_level():
    spacing = (0.8, 1.2, 2.0)
    ball = _ball((50, 40, 24), (25, 20, 12), 12.0, spacing)
    verts, faces = mask_mesh(ball, spacing)
    assert faces.max() < len(verts) and faces.dtype == np.int32
    # every vertex lies on the 0.5 level of the mask: between a voxel inside and one outside,
    # so its distance from the ball's centre (in mm) is within one voxel side of the radius
    r = np.linalg.norm(verts - np.array([25, 20, 12]) * spacing, axis=1)
    assert np.all(np.abs(r - 12.0) <= max(spacing))
    # the mesh's extent matches the mask's extent in mm, half a voxel out on each side at most
    idx = np.argwhere(ball)
    lo, hi = idx.min(0) * spacing, idx.max(0) * spacing
    assert np.all(verts.min(0) >= lo - np.array(spacing) / 2 - 1e-4)
    assert np.all(verts.max(0) <= hi + np.array(spacing) / 2 + 1e-4)  # float32 vertices


def test_empty_and_flat_masks():
    v, f = mask_mesh(np.zeros((5, 5, 5), bool), (1, 1, 1))
    assert v.shape == (0, 3) and f.shape == (0, 3)
    with pytest.raises(ValueError, match="needs a volume"):
        error_surface(np.ones((8, 8, 1)), np.ones((8, 8, 1)), (1, 1, 1))
    s = error_surface(None, _ball((20, 20, 20), (10, 10, 10), 5, (1, 1, 1)), (1, 1, 1))
    assert len(s.ref_vertices) == 0 and np.all(np.isnan(s.pred_distance_mm))


def test_vertex_distances_are_core_surface_distances_of_the_nearest_border_voxel():
    """The issue's check: colours come from dicegui.core.surface's distances at the mesh vertices."""
    spacing = (1.0, 0.8, 2.0)
    shape = (48, 52, 24)
    ref = _ball(shape, (24, 26, 12), 14.0, spacing)
    pred = _ball(shape, (27, 24, 12), 12.0, spacing)  # shifted and smaller: both signs occur
    s = error_surface(ref.astype(np.uint8), (pred * 3).astype(np.uint8), spacing)
    # independent: border by scipy erosion, nearest border voxel by a k-d tree, and the
    # distance of that voxel from core.surface.directed_distances (one per border voxel, row-major)
    border = np.argwhere(pred & ~ndimage.binary_erosion(pred, ndimage.generate_binary_structure(3, 1)))
    dist = directed_distances(pred, ref, spacing=spacing)
    assert len(dist) == len(border)
    _, nearest = cKDTree(border * np.array(spacing)).query(s.pred_vertices.astype(float))
    sign = np.where(ref[tuple(border[nearest].T)], -1.0, 1.0)
    np.testing.assert_allclose(s.pred_distance_mm, sign * dist[nearest])
    assert s.pred_distance_mm.min() < 0 < s.pred_distance_mm.max()


def test_the_sign_says_over_or_under_segmentation_and_the_size_is_right():
    spacing = (1.0, 1.0, 1.0)
    shape = (60, 60, 60)
    ref = _ball(shape, (30, 30, 30), 15.0, spacing)
    bigger = _ball(shape, (30, 30, 30), 19.0, spacing)
    smaller = _ball(shape, (30, 30, 30), 11.0, spacing)
    over = error_surface(ref, bigger, spacing).pred_distance_mm
    under = error_surface(ref, smaller, spacing).pred_distance_mm
    assert np.all(over > 0) and np.all(under < 0)
    # analytic gap 4 mm between the spheres, discretised on a 1 mm grid
    assert np.median(over) == pytest.approx(4.0, abs=1.0)
    assert np.median(under) == pytest.approx(-4.0, abs=1.0)
    same = error_surface(ref, ref, spacing)
    assert np.all(same.pred_distance_mm == 0)


def test_labels_and_downsampling():
    spacing = (1.0, 1.0, 1.0)
    shape = (40, 40, 40)
    lab = np.zeros(shape, np.uint8)
    lab[_ball(shape, (12, 20, 20), 6, spacing)] = 1
    lab[_ball(shape, (28, 20, 20), 6, spacing)] = 2
    one = error_surface(lab, lab, spacing, label=2)
    assert one.label == 2 and one.pred_vertices[:, 0].min() > 20 * 1.0  # only the second ball
    assert mesh_step((100, 100, 100), 1_000_000) == 1 and mesh_step((400, 400, 400), 1_000_000) == 4
    coarse = error_surface(lab, lab, spacing, max_voxels=2000)
    assert coarse.step > 1 and coarse.spacing == (float(coarse.step),) * 3
    assert len(coarse.pred_vertices) < len(error_surface(lab, lab, spacing).pred_vertices)


@pytest.mark.parametrize("slab", [1, 700, 1 << 22])
def test_one_label_of_label_maps_is_the_surface_of_its_binary_masks(slab, monkeypatch):
    # the label's box (the second balls) is smaller than the maps' foreground box;
    # the answer must be that of the binary masks == 2, meshed and measured as they
    # are, whether the selection is made one plane, a few planes or all at once
    import dicegui.core.surface_mesh as surface_mesh

    monkeypatch.setattr(surface_mesh, "_SELECT_SLAB", slab)
    spacing = (1.0, 0.8, 1.5)
    shape = (44, 40, 30)
    ref, pred = np.zeros(shape, np.uint8), np.zeros(shape, np.uint8)
    ref[_ball(shape, (10, 20, 15), 6, spacing)] = 1
    ref[_ball(shape, (30, 18, 15), 7, spacing)] = 2
    pred[_ball(shape, (12, 21, 15), 6, spacing)] = 1
    pred[_ball(shape, (32, 16, 14), 6, spacing)] = 2
    for max_voxels in (8_000_000, 1_500):  # full resolution and pooled
        got = error_surface(ref, pred, spacing, label=2, max_voxels=max_voxels)
        monkeypatch.setattr(surface_mesh, "_SELECT_SLAB", 1 << 30)
        want = error_surface(ref == 2, pred == 2, spacing, max_voxels=max_voxels)
        monkeypatch.setattr(surface_mesh, "_SELECT_SLAB", slab)
        assert got.step == want.step and len(got.pred_vertices) > 0
        for name in ("pred_vertices", "pred_faces", "ref_vertices", "ref_faces", "pred_distance_mm"):
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
    only_ref = error_surface(ref, None, spacing, label=1)
    np.testing.assert_array_equal(only_ref.ref_vertices, mask_mesh(ref == 1, spacing)[0])


def test_error_surface_makes_no_volume_sized_temporaries():
    # a small ball in a large label map: the selection is made on its box, not the volume
    import tracemalloc

    shape = (160, 256, 256)
    ref = np.zeros(shape, np.uint8)
    ref[_ball(shape, (80, 128, 128), 10, (1, 1, 1))] = 3
    pred = np.roll(ref, 2, axis=1)
    tracemalloc.start()
    try:
        error_surface(ref, pred, (1, 1, 1))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < ref.nbytes / 4  # whole-volume bool copies of both masks and their union: 3 volumes


def test_colours_limit_and_picking():
    rgba = diverging_colors(np.array([-10.0, -1.0, 0.0, 2.0, 50.0, np.nan]), 4.0)
    assert rgba.shape == (6, 4) and np.all(rgba[:, 3] == 1)
    inside, zero, outside = rgba[0, :3], rgba[2, :3], rgba[4, :3]
    assert inside[2] > inside[0] and outside[0] > outside[2]  # blue inside, vermillion outside
    np.testing.assert_allclose(zero, [235 / 255] * 3)
    np.testing.assert_allclose(rgba[1, :3], zero + (inside - zero) * 0.25)  # linear in between
    assert default_limit(np.array([0.0, 0.1, 0.2]), (0.7, 0.7, 3.0)) == 3.0  # at least a voxel
    assert vertex_voxel((1.6, 2.4, 9.0), (0.8, 1.2, 3.0), (4, 4, 4)) == (2, 2, 3)
    assert border_voxels(np.ones((3, 3, 3), bool)).shape == (26, 3)


def test_distances_match_the_analytic_distance_between_spheres_on_an_anisotropic_grid():
    """Independent reference: |p - c_ref| - R_ref at each vertex p, within one voxel diagonal."""
    spacing = np.array((0.8, 1.0, 1.5))
    shape = (70, 56, 40)
    centre = np.array((35, 28, 20)) * spacing
    ref = _ball(shape, centre / spacing, 15.0, spacing)
    for radius, sign in ((11.0, -1), (19.0, 1)):  # inside the reference, then around it
        pred = _ball(shape, (centre + (3.0, 0, 0)) / spacing, radius, spacing)
        s = error_surface(ref, pred, spacing)
        analytic = np.linalg.norm(s.pred_vertices - centre, axis=1) - 15.0
        assert np.all(np.abs(s.pred_distance_mm - analytic) <= np.linalg.norm(spacing))
        assert np.median(np.abs(s.pred_distance_mm - analytic)) <= spacing.max() / 2
        assert np.all(np.sign(s.pred_distance_mm) == sign)


def test_crop_changes_nothing_but_the_offset():
    """A case placed inside a larger volume gives the same meshes shifted by its offset in mm."""
    spacing = (0.9, 1.1, 2.0)
    small_ref = _ball((30, 30, 20), (15, 15, 10), 9.0, spacing)
    small_pred = _ball((30, 30, 20), (17, 15, 10), 8.0, spacing)
    offset = np.array((41, 7, 13))
    big_ref = np.zeros((100, 60, 50), np.uint8)
    big_pred = np.zeros((100, 60, 50), np.uint8)
    window = tuple(slice(o, o + n) for o, n in zip(offset, small_ref.shape))
    big_ref[window], big_pred[window] = small_ref, small_pred
    small = error_surface(small_ref, small_pred, spacing)
    big = error_surface(big_ref, big_pred, spacing)
    shift = offset * np.array(spacing)
    np.testing.assert_allclose(big.pred_vertices, small.pred_vertices + shift, atol=1e-4)
    np.testing.assert_allclose(big.ref_vertices, small.ref_vertices + shift, atol=1e-4)
    np.testing.assert_array_equal(big.pred_distance_mm, small.pred_distance_mm)
    np.testing.assert_array_equal(big.pred_faces, small.pred_faces)


def test_block_any_by_hand():
    m = np.zeros((5, 4, 3), bool)
    m[4, 0, 0] = True  # in the partial last block along axis 0
    m[1, 3, 2] = True
    coarse = block_any(m, 2)
    expected = np.zeros((3, 2, 2), bool)
    expected[2, 0, 0] = expected[0, 1, 1] = True
    np.testing.assert_array_equal(coarse, expected)
    assert block_any(m, 1) is not None and block_any(m, 1).sum() == 2


def test_pooling_keeps_a_small_island_of_over_segmentation():
    """A stride would drop a one-voxel false positive; the pooled mesh shows it, outside, where it is."""
    spacing = np.array((1.0, 1.0, 1.0))
    shape = (64, 64, 64)
    ref = _ball(shape, (32, 32, 32), 20.0, spacing)
    pred = ref.copy()
    island = np.array((61, 5, 59))
    pred[tuple(island)] = True
    s = error_surface(ref, pred, spacing, max_voxels=5_000)
    step = s.step
    assert step >= 3
    # the case is meaningful: every step-th voxel of the prediction misses the island
    assert np.array_equal(pred[::step, ::step, ::step], ref[::step, ::step, ::step])
    near = np.linalg.norm(s.pred_vertices - island * spacing, axis=1) <= step * np.sqrt(3)
    assert near.any(), "the island has no surface"
    # the island lies 19+ mm outside the reference's surface (analytic), the pooled figure within a block
    analytic = np.linalg.norm(island - 32) - 20.0
    assert np.all(s.pred_distance_mm[near] > 0)
    assert np.abs(s.pred_distance_mm[near] - analytic).max() <= 2 * step * np.sqrt(3)
    # the pooled mesh of one mask alone is the same grid: mask_mesh agrees with error_surface
    verts, _ = mask_mesh(pred, spacing, max_voxels=5_000)
    np.testing.assert_allclose(verts, s.pred_vertices, atol=1e-4)


def test_pooled_vertices_stay_in_the_volume_mm_frame():
    """Whatever the step, a ball's mesh is centred on the ball's centre in mm (anisotropic, off-origin box)."""
    spacing = np.array((0.7, 0.9, 2.5))
    shape = (120, 100, 40)
    centre = np.array((70.0, 43.0, 22.0))
    ball = _ball(shape, centre, 20.0, spacing)
    for cap in (10**8, 40_000, 5_000):
        verts, _ = mask_mesh(ball, spacing, max_voxels=cap)
        mid = (verts.min(0) + verts.max(0)) / 2
        assert np.all(np.abs(mid - centre * spacing) <= spacing), (cap, mid, centre * spacing)


def test_both_masks_empty_give_empty_surfaces():
    s = error_surface(np.zeros((6, 6, 6)), np.zeros((6, 6, 6)), (1, 1, 1))
    assert s.empty and s.pred_distance_mm.shape == (0,) and s.pred_faces.shape == (0, 3)


def test_ray_hits_the_first_triangle_by_hand():
    # two unit squares (two triangles each) facing the ray, at z = 5 and z = 2
    verts = np.array([[0, 0, 5], [1, 0, 5], [1, 1, 5], [0, 1, 5],
                      [0, 0, 2], [1, 0, 2], [1, 1, 2], [0, 1, 2]], float)
    faces = np.array([[0, 1, 2], [0, 2, 3], [4, 5, 6], [4, 6, 7]])
    t, point = ray_mesh_hit(verts, faces, (0.25, 0.5, 0.0), (0, 0, 2.0))
    assert t == pytest.approx(1.0) and point == pytest.approx([0.25, 0.5, 2.0])  # the nearer square
    t, point = ray_mesh_hit(verts, faces, (0.25, 0.5, 3.0), (0, 0, 1.0))  # starts between them
    assert point == pytest.approx([0.25, 0.5, 5.0])
    assert ray_mesh_hit(verts, faces, (0.25, 0.5, 0.0), (0, 0, -1.0)) is None  # behind the eye
    assert ray_mesh_hit(verts, faces, (1.5, 0.5, 0.0), (0, 0, 1.0)) is None  # beside the squares
    assert ray_mesh_hit(verts, faces, (0.5, 0.5, 3.0), (1.0, 0, 0)) is None  # edge-on


def test_a_click_on_a_sphere_lands_on_its_front_border_voxel():
    """Independent: the analytic first crossing of the ray with the ball, and the ball's own voxels."""
    spacing = np.array((0.8, 1.0, 1.5))
    shape = (50, 40, 30)
    centre_idx = np.array((25, 20, 15))
    ball = _ball(shape, centre_idx, 12.0, spacing)
    verts, faces = mask_mesh(ball, spacing)
    centre = centre_idx * spacing
    rng = np.random.default_rng(5)
    for _ in range(20):
        d = rng.normal(size=3)
        d /= np.linalg.norm(d)
        origin = centre - 60 * d + np.cross(d, rng.normal(size=3)) * 0.4  # off-centre rays
        t, point = ray_mesh_hit(verts, faces, origin, d)
        # the pruned search (corners within one voxel diagonal of the line) finds the same point
        pruned = ray_mesh_hit(verts, faces, origin, d, max_edge=float(np.linalg.norm(spacing)))
        assert pruned[0] == t and np.array_equal(pruned[1], point)
        # analytic entry into the 12 mm sphere: the mesh's entry is within one voxel side of it
        oc = origin - centre
        b = oc @ d
        t_sphere = -b - np.sqrt(b * b - (oc @ oc - 144.0))
        assert abs(t - t_sphere) <= spacing.max()
        ijk = hit_voxel(point, ball.astype(np.uint8) * 4, spacing)
        assert ball[ijk], "the picked voxel must be inside the ball"
        # ...and the nearest such voxel to the hit point (brute force over the whole ball)
        inside = np.argwhere(ball)
        best = np.min(np.linalg.norm(inside * spacing - point, axis=1))
        assert np.linalg.norm(np.array(ijk) * spacing - point) == pytest.approx(best)
        assert best <= np.linalg.norm(spacing)  # a voxel diagonal at most: on the front border
    lab = np.zeros(shape, np.uint8)
    lab[ball] = 2  # along (25, 20, k) the ball spans k = 7..23 (|k - 15| * 1.5 mm <= 12 mm)
    lab[25, 20, 3:6] = 5  # another label between the eye and the ball
    point = (25 * 0.8, 20.0, 2.5 * 1.5)  # halfway between voxels k = 2 and 3
    assert hit_voxel(point, lab, spacing, label=5) == (25, 20, 3)
    assert hit_voxel(point, lab, spacing, label=2, reach=8) == (25, 20, 7)
    assert hit_voxel(point, lab, spacing, label=2) == (25, 20, 2)  # none in reach: the rounded point


def test_vertex_normals_by_hand_and_on_a_sphere():
    # a unit square folded along its diagonal: two triangles, normals +z and +x
    verts = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [5, 5, 5]], float)
    faces = np.array([[0, 1, 2], [0, 2, 3]])
    n = vertex_normals(verts, faces)
    np.testing.assert_allclose(n[1], [0, 0, 1])  # only in the first triangle
    np.testing.assert_allclose(n[3], [1, 0, 0])  # only in the second
    np.testing.assert_allclose(n[0], np.array([1, 0, 1]) / np.sqrt(2), rtol=1e-6)  # equal areas: halfway
    np.testing.assert_array_equal(n[4], 0)  # in no triangle
    # on a ball's mesh the normals point away from the centre (analytic: (v - c) / |v - c|)
    spacing = np.array((0.8, 1.0, 1.5))
    verts, faces = mask_mesh(_ball((50, 40, 30), (25, 20, 15), 12.0, spacing), spacing)
    n = vertex_normals(verts, faces)
    radial = verts - np.array((25, 20, 15)) * spacing
    radial /= np.linalg.norm(radial, axis=1, keepdims=True)
    cos = np.sum(n * radial, axis=1)
    assert np.median(cos) > 0.95 and cos.min() > 0.4  # a voxelised sphere: its steps tilt some facets


def _triangles(verts, faces):
    """Triangles as sorted rows of corner coordinates, each turned to start at its smallest corner."""
    tri = np.round(verts[faces].astype(float), 4)  # (m, 3, 3)
    keys = [tuple(map(tuple, t)) for t in tri]
    turned = [k[k.index(min(k)):] + k[:k.index(min(k))] for k in keys]  # same winding
    return sorted(turned)


def test_meshing_in_slabs_gives_the_single_call_mesh(monkeypatch):
    """Independent reference: skimage's marching cubes in one call on the padded mask."""
    import dicegui.core.surface_mesh as surface_mesh
    from skimage.measure import marching_cubes

    spacing = np.array((0.8, 1.0, 1.5))
    mask = _ball((30, 26, 20), (14, 13, 10), 9.0, spacing)
    mask[3:6, 2:20, 4:8] = True  # a slab-crossing block touching the ball
    monkeypatch.setattr(surface_mesh, "SLAB_VOXELS", 3 * 28 * 22)  # 3 planes per slab: many seams
    verts, faces = mask_mesh(mask, spacing)
    v, f, _, _ = marching_cubes(np.pad(mask.astype(np.uint8), 1), 0.5, spacing=tuple(spacing))
    v -= spacing
    assert len(verts) == len(v) and len(faces) == len(f)  # welded: no duplicate on the seams
    assert _triangles(verts, faces) == _triangles(v, f[:, ::-1])  # same triangles, wound outward
