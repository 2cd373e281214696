"""Region groups: parsing (presets, text, JSON) and masks of label unions."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dicegui.core.region_groups import (
    PRESETS, RegionSpecError, format_regions, missing_labels, parse_regions, region_mask,
)


def test_presets_follow_the_brats_conventions():
    # BraTS 2021: 1 NCR, 2 ED, 4 ET; BraTS 2023 renumbered ET to 3
    assert parse_regions("brats2021") == {"WT": (1, 2, 4), "TC": (1, 4), "ET": (4,)}
    assert parse_regions("BraTS2023") == {"WT": (1, 2, 3), "TC": (1, 3), "ET": (3,)}
    assert set(PRESETS) == {"brats2021", "brats2023"}


def test_text_form_keeps_order_sorts_and_dedupes_labels():
    r = parse_regions(" WT = 4,2,1,2 ; TC=1,4;ET=4; ")
    assert list(r) == ["WT", "TC", "ET"]
    assert r["WT"] == (1, 2, 4)
    assert format_regions(r) == "WT=1,2,4;TC=1,4;ET=4"
    assert parse_regions(format_regions(r)) == r


def test_json_file_in_both_shapes(tmp_path):
    a = tmp_path / "a.json"
    a.write_text(json.dumps({"regions": {"kidneys": [2, 3], "liver": 5}}))
    b = tmp_path / "b.json"
    b.write_text(json.dumps({"kidneys": [2, 3]}))
    assert parse_regions(str(a)) == {"kidneys": (2, 3), "liver": (5,)}
    assert parse_regions(Path(b)) == {"kidneys": (2, 3)}


@pytest.mark.parametrize("spec, needle", [
    ("WT", "not NAME=labels"),
    ("WT=1,x", "'x'"),
    ("WT=0", "0 is background"),
    ("WT=", "needs a list of labels"),
    ("W T=1", "letters, digits"),
    ("W_T=1", "letters, digits"),
    ("WT=1;WT=2", "given twice"),
    ("", "no region"),
    ("WT=-1", "'-1'"),
])
def test_bad_text_names_the_problem(spec, needle):
    with pytest.raises(RegionSpecError, match=None) as info:
        parse_regions(spec)
    assert needle in str(info.value)


def test_bad_files_are_named(tmp_path):
    bad = tmp_path / "r.json"
    bad.write_text("{not json")
    with pytest.raises(RegionSpecError, match="r.json"):
        parse_regions(str(bad))
    bad.write_text(json.dumps([1, 2]))
    with pytest.raises(RegionSpecError, match="r.json"):
        parse_regions(str(bad))
    with pytest.raises(RegionSpecError, match="missing.json"):
        parse_regions(str(tmp_path / "missing.json"))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.int32, np.int64, np.float32])
def test_region_mask_equals_isin(dtype):
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 7, size=(9, 8, 7)).astype(dtype)
    for members in [(1,), (1, 2, 4), (6, 300), (300,)]:
        np.testing.assert_array_equal(region_mask(labels, members), np.isin(labels, members))


def test_region_mask_of_huge_ids_and_bool():
    labels = np.array([0, 70000, 5, 2**31], dtype=np.int64)
    np.testing.assert_array_equal(region_mask(labels, (70000, 2**31)), [False, True, False, True])
    b = np.array([True, False])
    np.testing.assert_array_equal(region_mask(b, (1,)), b)
    assert not region_mask(b, (2,)).any()


def test_missing_labels_flags_a_wrong_convention():
    # a BraTS 2023 case (labels 1, 2, 3) scored with the 2021 preset: ET=4 is nowhere
    assert missing_labels(PRESETS["brats2021"], {0, 1, 2, 3}) == {"ET": (4,)}
    assert missing_labels(PRESETS["brats2023"], {0, 1, 2, 3}) == {}
