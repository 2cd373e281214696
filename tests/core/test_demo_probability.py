"""The 'probability' demo: an illustrative probability map built from the shipped case, labelled as such."""
from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest
from scipy import ndimage

from dicegui.core import demo
from dicegui.core.metrics import overlap


def _on_disk(role):
    return np.asanyarray(nib.load(str(demo.DEMO_DIR / demo.DEMO_FILES[role])).dataobj)


def test_probability_demo_is_a_blurred_fast_model_structure():
    case = demo.build_demo("probability")
    full, fast = _on_disk("gt"), _on_disk("pred")
    k = demo.PROB_LABEL
    # reference: the full model's structure as 0/1
    np.testing.assert_array_equal(case.gt_mask, (full == k).astype(np.uint8))
    # prediction: the fast model's structure blurred by a Gaussian of PROB_SIGMA_MM (scipy directly)
    spacing = np.sqrt((case.affine[:3, :3] ** 2).sum(axis=0))
    ref = ndimage.gaussian_filter((fast == k).astype(np.float32), demo.PROB_SIGMA_MM / spacing, mode="nearest")
    assert case.pred_prob.dtype == np.float32 and case.pred_prob.shape == full.shape
    np.testing.assert_allclose(case.pred_prob, np.clip(ref, 0, 1), atol=1e-6)
    assert 0.0 <= case.pred_prob.min() and case.pred_prob.max() <= 1.0
    # the hard prediction is the loader's rule for probability maps: p >= 0.5
    np.testing.assert_array_equal(case.pred_mask, (case.pred_prob >= 0.5).astype(np.uint8))
    assert case.pred_info.kind == "probability"
    # labelled as illustrative wherever it is described
    assert "ILLUSTRATIVE" in case.pred_info.message and "not a network" in case.pred_info.message
    assert any("ILLUSTRATIVE" in w for w in case.warnings)
    assert "ILLUSTRATIVE" in demo.DEMOS["probability"].description
    assert case.label_names == {1: "spleen"}
    # a real but imperfect agreement: the threshold matters
    d = overlap(case.gt_mask, case.pred_mask)["dice"]
    assert 0.9 < d < 1.0


def test_unknown_demo_lists_the_probability_demo():
    with pytest.raises(ValueError, match="probability"):
        demo.build_demo("nope")
