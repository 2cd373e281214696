"""Shared pieces of the edit tests: random masks, and live scores checked against a recount."""
from __future__ import annotations

import numpy as np

from dicegui.core import metrics


def blobs(rng, shape, p=0.55):
    """A random mask with about ``1 - p`` of its voxels set."""
    return rng.random(shape) > p


def assert_scores_match(live, gt, pred):
    """The live score's overlap equals :func:`dicegui.core.metrics.overlap` counted from the arrays."""
    got, expected = live.overlap(), metrics.overlap(gt, pred)
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == value or (np.isnan(got[key]) and np.isnan(value)), key
