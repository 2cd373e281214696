"""fill_polygon against skimage.draw.polygon, the reference it reimplements row by row."""
import numpy as np
import pytest
from skimage.draw import polygon

from dicegui.core.io.polygon_fill import fill_polygon


def _both(r, c, shape):
    ref = np.zeros(shape, bool)
    ref[polygon(r, c, shape=shape)] = True
    rr, cc = fill_polygon(r, c, shape)
    got = np.zeros(shape, bool)
    got[rr, cc] = True
    assert len(rr) == np.count_nonzero(got)  # each pixel once
    return ref, got


def test_random_polygons_off_the_grid_give_skimages_pixels():
    rng = np.random.default_rng(0)
    for _ in range(1500):
        n = int(rng.integers(3, 14))
        r, c = rng.random(n) * 30 - 4, rng.random(n) * 32 - 4  # some self-intersecting, some past the border
        ref, got = _both(r, c, (22, 24))
        assert np.array_equal(ref, got), (r.tolist(), c.tolist())


def test_an_organ_outline_gives_skimages_pixels():
    t = np.linspace(0, 2 * np.pi, 700, endpoint=False)
    r = 250.3 + (90 + 7 * np.sin(5 * t)) * np.sin(t)
    c = 240.2 + (120 + 7 * np.cos(3 * t)) * np.cos(t)
    ref, got = _both(r, c, (512, 512))
    assert ref.sum() > 30000 and np.array_equal(ref, got)


@pytest.mark.parametrize("r, c", [([1, 1, 4, 4], [1, 5, 5, 1]), ([1, 5, 1], [1, 3, 5]), ([0, 6, 3], [0, 0, 6])])
def test_outlines_through_pixel_centres_include_them(r, c):
    ref, got = _both(np.array(r, float), np.array(c, float), (8, 8))
    assert np.array_equal(ref, got)


def test_degenerate_input_is_empty():
    assert all(len(a) == 0 for a in fill_polygon([1, 2], [1, 2], (5, 5)))
    assert all(len(a) == 0 for a in fill_polygon([10, 12, 11], [1, 2, 3], (5, 5)))
