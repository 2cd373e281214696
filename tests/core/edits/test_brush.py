"""Brush geometry against hand-worked footprints and brute-force distances."""
import numpy as np
import pytest
from scipy import ndimage

from dicegui.core.edits import (
    Brush,
    Stroke,
    brush_footprint,
    dab_targets,
    digital_line,
    disc_footprint,
    plane_axes,
    sphere_footprint,
)
from dicegui.core.live import LiveScore


def hand_disc(r, spacing=(1.0, 1.0)):
    """{(du, dv): (du·su)² + (dv·sv)² <= (r·min(s))²} by explicit loops, as a dict of offsets."""
    su, sv = spacing
    rmm = r * min(spacing)
    reach = int(r) + 2  # r voxels of the finer axis is the farthest the disc can reach
    out = set()
    for du in range(-reach, reach + 1):
        for dv in range(-reach, reach + 1):
            if (du * su) ** 2 + (dv * sv) ** 2 <= rmm ** 2:
                out.add((du, dv))
    return out


def as_offsets(fp):
    cu, cv = fp.shape[0] // 2, fp.shape[1] // 2
    return {(int(u) - cu, int(v) - cv) for u, v in zip(*np.nonzero(fp))}


def painted(shape, axis, s, points, brush, spacing=(1.0, 1.0, 1.0), dtype=np.uint8):
    gt = np.zeros(shape, dtype)
    pred = np.zeros(shape, dtype)
    live = LiveScore(gt, pred)
    stroke = Stroke(live, "pred", axis, s, brush, spacing)
    for p in points:
        stroke.add(p)
    return pred, stroke.finish()


def test_radius_two_disc_written_out():
    expected = np.array(
        [[0, 0, 1, 0, 0],
         [0, 1, 1, 1, 0],
         [1, 1, 1, 1, 1],
         [0, 1, 1, 1, 0],
         [0, 0, 1, 0, 0]], bool)
    np.testing.assert_array_equal(disc_footprint(2), expected)
    np.testing.assert_array_equal(disc_footprint(0), np.ones((1, 1), bool))


@pytest.mark.parametrize("r", [0, 0.5, 1, 1.5, 2, 2.5, 3, 4, 7, 10])
def test_disc_equals_hand_set(r):
    assert as_offsets(disc_footprint(r)) == hand_disc(r)


def test_anisotropic_disc_is_round_in_mm_written_out():
    # spacing 0.5 mm along u, 1.5 mm along v, radius 4 (of the 0.5 mm axis) = 2 mm:
    # u reaches 4 voxels, v reaches 1 voxel (1.5 mm) only where (u·0.5)² <= 4 - 2.25.
    expected = np.array(
        [[0, 1, 0],   # u = -4 (2.0 mm)
         [0, 1, 0],   # u = -3
         [1, 1, 1],   # u = -2 (1.0 mm): 1 + 2.25 <= 4
         [1, 1, 1],
         [1, 1, 1],
         [1, 1, 1],
         [1, 1, 1],
         [0, 1, 0],
         [0, 1, 0]], bool)
    np.testing.assert_array_equal(disc_footprint(4, (0.5, 1.5)), expected)
    assert as_offsets(disc_footprint(6, (1.5, 0.7))) == hand_disc(6, (1.5, 0.7))


@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("r", [0, 3, 5.5])
def test_dab_in_volume_paints_the_disc_on_the_right_plane(axis, r):
    shape = (23, 25, 27)
    s = 11
    u_ax, v_ax = plane_axes(axis)
    center = (12, 13)
    pred, delta = painted(shape, axis, s, [center], Brush(radius=r))
    expected = np.zeros(shape, bool)
    for du, dv in hand_disc(r):
        idx = [0, 0, 0]
        idx[axis] = s
        idx[u_ax] = center[0] + du
        idx[v_ax] = center[1] + dv
        expected[tuple(idx)] = True
    np.testing.assert_array_equal(pred != 0, expected)
    assert delta.voxels == len(hand_disc(r))
    assert (delta.axis, delta.slice_index, delta.scope) == (axis, s, "slice")


def test_sphere_in_mm_equals_direct_distance():
    spacing = (2.5, 0.8, 1.2)
    rmm = 4.0
    ball = sphere_footprint(rmm, spacing)
    c = np.array(ball.shape) // 2
    i, j, k = np.indices(ball.shape)
    d = np.sqrt(((i - c[0]) * 2.5) ** 2 + ((j - c[1]) * 0.8) ** 2 + ((k - c[2]) * 1.2) ** 2)
    np.testing.assert_array_equal(ball, d <= rmm)
    # the box is tight: every face holds at least one voxel
    for axis in range(3):
        assert ball.take(0, axis=axis).any() and ball.take(-1, axis=axis).any()


def test_3d_brush_stroke_paints_sphere_of_the_in_plane_radius():
    spacing = (3.0, 0.7, 0.9)  # slices 3 mm apart, in-plane 0.7 × 0.9 mm
    shape = (9, 40, 40)
    axis, s, center = 0, 4, (20, 19)
    radius = 8  # voxels of the 0.7 mm axis -> 5.6 mm
    pred, delta = painted(shape, axis, s, [center], Brush(radius=radius, sphere=True), spacing)
    i, j, k = np.indices(shape)
    d2 = ((i - s) * 3.0) ** 2 + ((j - center[0]) * 0.7) ** 2 + ((k - center[1]) * 0.9) ** 2
    np.testing.assert_array_equal(pred != 0, d2 <= (radius * 0.7) ** 2)
    assert set(np.unique(np.nonzero(pred)[0])) == {3, 4, 5}  # 5.6 mm reaches one slice each way
    assert delta.scope == "sphere"


def test_dab_clipped_at_the_border_and_outside():
    shape = (3, 10, 10)
    pred, _ = painted(shape, 0, 1, [(0, 9)], Brush(radius=3))
    expected = np.zeros(shape, bool)
    for du, dv in hand_disc(3):
        if 0 <= du < 10 and 0 <= 9 + dv < 10:
            expected[1, du, 9 + dv] = True
    np.testing.assert_array_equal(pred != 0, expected)
    assert brush_footprint(shape, 0, 1, (-10, -10), (-10, -10), 3) is None
    pred, delta = painted(shape, 0, 1, [(-10, 4)], Brush(radius=3))
    assert delta is None and not pred.any()


def test_dab_works_in_the_footprint_box_only():
    # A dab in the middle of a large slice touches a (1, 2r+1, 2r+1) box, however big the volume.
    box, fp = brush_footprint((300, 512, 512), 0, 150, (256, 256), (256, 256), 10)
    assert fp.shape == (1, 21, 21)
    assert [(b.start, b.stop) for b in box] == [(150, 151), (246, 267), (246, 267)]
    assert disc_footprint(10) is disc_footprint(10.0)  # cached per radius


def dist_to_segment(points, a, b):
    """Brute force: distance of each point to segment a-b via the cross product (any dim ≤ 3)."""
    points = np.asarray(points, float)
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    ab = b - a
    out = np.empty(len(points))
    for n, p in enumerate(points):
        if np.dot(p - a, ab) <= 0:
            out[n] = np.linalg.norm(p - a)
        elif np.dot(p - b, ab) >= 0:
            out[n] = np.linalg.norm(p - b)
        else:
            out[n] = np.linalg.norm(np.cross(np.r_[ab, [0] * (3 - len(ab))],
                                             np.r_[p - a, [0] * (3 - len(ab))])) / np.linalg.norm(ab)
    return out


FAST_MOVES = [
    ((3, 4), (60, 45)),
    ((60, 5), (2, 58)),
    ((10, 30), (50, 31)),
    ((31, 2), (31, 61)),
    ((5, 5), (6, 55)),
]


@pytest.mark.parametrize("radius,spacing", [
    (0, (1.0, 1.0)), (1, (1.0, 1.0)), (2.5, (1.0, 1.0)), (5, (1.0, 1.0)),
    (0, (0.5, 1.5)), (3, (1.2, 0.6)),
])
@pytest.mark.parametrize("move", FAST_MOVES)
def test_fast_stroke_leaves_no_gaps(radius, spacing, move):
    shape = (3, 64, 64)
    vol_spacing = (2.0,) + spacing
    pred, _ = painted(shape, 0, 1, list(move), Brush(radius=radius), vol_spacing)
    assert not pred[0].any() and not pred[2].any()
    got = pred[1] != 0
    # connected along the path: one 8-connected piece (4-connected once it is 1 mm wide)
    _, n8 = ndimage.label(got, structure=np.ones((3, 3)))
    assert n8 == 1
    if radius >= 1 and spacing == (1.0, 1.0):
        _, n4 = ndimage.label(got)
        assert n4 == 1
    uu, vv = np.indices(got.shape)
    pts_mm = np.stack([uu.ravel() * spacing[0], vv.ravel() * spacing[1]], axis=1)
    a = np.array(move[0]) * spacing
    b = np.array(move[1]) * spacing
    dist = dist_to_segment(pts_mm, a, b).reshape(got.shape)
    rmm = radius * min(spacing)
    assert np.all(got[dist <= rmm - 1e-7]), "a voxel within the brush radius of the path was missed"
    # nothing further than the radius, or than half a voxel for the thin digital line
    assert not np.any(got & (dist > max(rmm, 0.5 * max(spacing)) + 1e-7))


def test_fast_3d_stroke_contains_the_capsule():
    spacing = (1.5, 1.0, 0.8)
    shape = (7, 30, 30)
    a, b = (3, 2), (26, 24)
    radius = 3
    pred, _ = painted(shape, 0, 3, [a, b], Brush(radius=radius, sphere=True), spacing)
    got = pred != 0
    idx = np.indices(shape).reshape(3, -1).T
    dist = dist_to_segment(idx * np.array(spacing), np.array((3,) + a) * spacing,
                           np.array((3,) + b) * spacing).reshape(shape)
    rmm = radius * 0.8
    assert np.all(got[dist <= rmm - 1e-7])
    assert not np.any(got & (dist > max(rmm, 0.5) + 1e-7))
    _, n = ndimage.label(got, structure=np.ones((3, 3, 3)))
    assert n == 1


def test_digital_line_is_8_connected_and_symmetric():
    rng = np.random.default_rng(3)
    for _ in range(50):
        p0, p1 = rng.integers(-20, 20, 2), rng.integers(-20, 20, 2)
        line = digital_line(p0, p1)
        assert tuple(line[0]) == tuple(p0) and tuple(line[-1]) == tuple(p1)
        assert np.abs(np.diff(line, axis=0)).max(initial=0) <= 1
        assert {tuple(p) for p in line} == {tuple(p) for p in digital_line(p1, p0)}


def label_slice():
    m = np.zeros((1, 12, 12), np.uint8)
    m[0, 2:10, 2:6] = 2
    m[0, 2:10, 6:10] = 1
    return m


def test_protect_other_labels_paints_only_background():
    disc = np.zeros((12, 12), bool)
    for du, dv in hand_disc(4):
        disc[6 + du, 6 + dv] = True
    original = label_slice()
    for protect in (False, True):
        m = original.copy()
        live = LiveScore(np.zeros_like(m), m)
        stroke = Stroke(live, "pred", 0, 0, Brush(radius=4, label=3, protect_other_labels=protect))
        stroke.add((6, 6))
        delta = stroke.finish()
        expected = original[0].copy()
        if protect:
            expected[disc & (original[0] == 0)] = 3
        else:
            expected[disc] = 3
        np.testing.assert_array_equal(m[0], expected)
        assert delta.voxels == int(np.count_nonzero(expected != original[0]))


@pytest.mark.parametrize("only_label", [False, True])
def test_eraser_writes_zero_and_can_spare_other_labels(only_label):
    disc = np.zeros((12, 12), bool)
    for du, dv in hand_disc(4):
        disc[6 + du, 6 + dv] = True
    original = label_slice()
    m = original.copy()
    live = LiveScore(np.zeros_like(m), m)
    stroke = Stroke(live, "pred", 0, 0, Brush(radius=4, label=1, erase=True, erase_only_label=only_label))
    stroke.add((6, 6))
    delta = stroke.finish()
    expected = original[0].copy()
    expected[disc & ((original[0] == 1) if only_label else True)] = 0
    np.testing.assert_array_equal(m[0], expected)
    assert delta.tool == "erase"
    assert delta.label == (1 if only_label else None)
    assert set(np.unique(delta.new)) == {0}


def test_dab_targets_skip_voxels_already_holding_the_value():
    region = np.array([[0, 1, 2]], np.uint8)
    fp = np.ones_like(region, bool)
    np.testing.assert_array_equal(dab_targets(region, fp, Brush(label=1)), [[True, False, True]])
    np.testing.assert_array_equal(
        dab_targets(region, fp, Brush(label=1, protect_other_labels=True)), [[True, False, False]])
    np.testing.assert_array_equal(dab_targets(region, fp, Brush(erase=True)), [[False, True, True]])


def test_bad_brush_settings_are_clear_errors():
    with pytest.raises(ValueError, match="radius"):
        Brush(radius=-1)
    with pytest.raises(ValueError, match="label"):
        Brush(label=0)
    m = np.zeros((2, 4, 4), np.uint8)
    live = LiveScore(np.zeros_like(m), m)
    with pytest.raises(ValueError, match="label 300 does not fit"):
        Stroke(live, "pred", 0, 0, Brush(label=300))
    with pytest.raises(ValueError, match="which"):
        Stroke(live, "mask", 0, 0, Brush())
    with pytest.raises(IndexError, match="slice 5"):
        Stroke(live, "gt", 0, 5, Brush())
    with pytest.raises(ValueError, match="axis"):
        Stroke(live, "gt", 3, 0, Brush())
    with pytest.raises(ValueError, match="spacing"):
        disc_footprint(2, (0, 1))


def test_digital_line_clipped_to_a_box_generates_only_the_inside():
    rng = np.random.default_rng(4)
    lo, hi = np.array([0, 0]), np.array([20, 30])
    for _ in range(50):
        p0, p1 = rng.integers(-40, 60, 2), rng.integers(-40, 60, 2)
        full = digital_line(p0, p1)
        inside = full[np.all((full >= lo) & (full < hi), axis=1)]
        np.testing.assert_array_equal(digital_line(p0, p1, lo, hi), inside)
    far = digital_line((5, 5), (5, 10**9), lo, hi)  # cost bounded by the box
    assert len(far) == 25


def test_stroke_from_far_outside_paints_only_the_part_inside():
    shape = (1, 20, 20)
    pred, _ = painted(shape, 0, 0, [(10, -10**7), (10, 10)], Brush(radius=1))
    expected = np.zeros((20, 20), bool)
    expected[9:12, 0:11] = True  # rows 10 ± 1 up to the end point
    expected[10, 11] = True  # the end cap of radius 1
    np.testing.assert_array_equal(pred[0] != 0, expected)
    with pytest.raises(ValueError, match="finite"):
        brush_footprint(shape, 0, 0, (float("nan"), 1), (1, 1), 2)


# ------------------------------------------------------- intensity range
def ramp_image(shape):
    """Image value = column index along the last axis (0, 1, 2, ...)."""
    return np.broadcast_to(np.arange(shape[-1], dtype=np.int16), shape)


@pytest.mark.parametrize("erase", [False, True])
def test_intensity_range_limits_paint_and_erase_to_the_range(erase):
    shape = (1, 12, 12)
    image = ramp_image(shape)
    disc = np.zeros((12, 12), bool)
    for du, dv in hand_disc(4):
        disc[6 + du, 6 + dv] = True
    start = np.ones(shape, np.uint8) if erase else np.zeros(shape, np.uint8)
    m = start.copy()
    live = LiveScore(np.zeros_like(m), m)
    brush = Brush(radius=4, label=1, erase=erase, intensity_range=(5, 7.5))
    stroke = Stroke(live, "pred", 0, 0, brush, image=image)
    stroke.add((6, 6))
    delta = stroke.finish()
    # hand-worked: columns 5, 6, 7 are within [5, 7.5]
    inside = disc.copy()
    inside[:, :5] = False
    inside[:, 8:] = False
    expected = start[0].copy()
    expected[inside] = 0 if erase else 1
    np.testing.assert_array_equal(m[0], expected)
    # columns 5 and 7 hold |du| <= 3 (7 voxels), column 6 |du| <= 4 (9 voxels)
    assert delta.voxels == int(inside.sum()) == 7 + 9 + 7


def test_dab_targets_with_a_range_and_bad_ranges():
    region = np.zeros((1, 5), np.uint8)
    image = np.array([[-1.0, 0.0, np.nan, 2.0, 3.0]])
    fp = np.ones_like(region, bool)
    got = dab_targets(region, fp, Brush(intensity_range=(0, 2)), image)
    np.testing.assert_array_equal(got, [[False, True, False, True, False]])
    with pytest.raises(ValueError, match="needs the image"):
        dab_targets(region, fp, Brush(intensity_range=(0, 2)))
    with pytest.raises(ValueError, match="low <= high"):
        Brush(intensity_range=(3, 1))
    with pytest.raises(ValueError, match="two numbers"):
        Brush(intensity_range=(1,))
    m = np.zeros((2, 4, 4), np.uint8)
    live = LiveScore(np.zeros_like(m), m)
    with pytest.raises(ValueError, match="needs an image"):
        Stroke(live, "pred", 0, 0, Brush(intensity_range=(0, 1)))
    with pytest.raises(ValueError, match="shape"):
        Stroke(live, "pred", 0, 0, Brush(intensity_range=(0, 1)), image=np.zeros((2, 4, 5)))
