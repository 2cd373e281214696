"""Slice images gathered into C order on the worker thread, or at once when small or contiguous."""
from __future__ import annotations

import numpy as np

from dicegui.core.display import PLANES, plane_image
from dicegui.gui.views import image_gather


def test_a_strided_slice_is_gathered_on_the_worker_into_c_order():
    volume = np.arange(200 * 180 * 6, dtype=np.int16).reshape(200, 180, 6)
    view = plane_image(volume, PLANES["axial"], 3)  # strided and flipped, as on a C-order CT
    assert view.size >= image_gather.MIN_PIXELS_FOR_WORKER and not view.flags.c_contiguous
    job = image_gather.start(view)
    got = job.result()
    assert job.copied and got.flags.c_contiguous
    np.testing.assert_array_equal(got, np.array(view.tolist(), dtype=np.int16))
    assert job.result() is got  # asked again: the same array, no second wait


def test_small_contiguous_and_missing_images_are_done_at_once():
    volume = np.arange(20 * 18 * 6, dtype=np.int16).reshape(20, 18, 6)
    small = plane_image(volume, PLANES["axial"], 2)
    job = image_gather.start(small)
    assert job.copied
    np.testing.assert_array_equal(job.result(), np.array(small.tolist(), dtype=np.int16))
    contiguous = np.ascontiguousarray(small)
    job = image_gather.start(contiguous)
    assert job.result() is contiguous and not job.copied
    assert image_gather.start(None).result() is None
