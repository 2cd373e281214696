"""NSD tolerance tables."""
from __future__ import annotations

import json

import pytest

from dicegui.core.tolerances import (
    DEFAULT_TOLERANCE, Tolerances, ToleranceSpecError, below_voxel_warning, nsd_key, parse_tolerances,
)


def test_one_number_is_the_default_for_everything():
    t = parse_tolerances("2.5")
    assert t == Tolerances(2.5, {})
    assert t.for_key(None) == t.for_key(7) == t.for_key("WT") == 2.5
    assert parse_tolerances(3) == Tolerances(3.0, {})


def test_table_per_label_and_region_with_default():
    t = parse_tolerances("1=3.0; 2=1.5 ;WT=1;*=2")
    assert t.for_key(1) == 3.0 and t.for_key(2) == 1.5 and t.for_key("WT") == 1.0
    assert t.for_key(9) == 2.0 and t.for_key(None) == 2.0
    assert parse_tolerances(t.text()) == t
    # without a default entry the default stays the documented one
    assert parse_tolerances("1=3").default == DEFAULT_TOLERANCE == 1.0


def test_json_file(tmp_path):
    f = tmp_path / "tol.json"
    f.write_text(json.dumps({"default": 2, "3": 1.5, "ET": 0.5}))
    t = parse_tolerances(str(f))
    assert (t.default, t.for_key(3), t.for_key("ET")) == (2.0, 1.5, 0.5)


@pytest.mark.parametrize("spec, needle", [
    ("-1", "non-negative"), ("abc", "not a distance"), ("inf", "non-negative"),
    ("1=x", "not a distance"), ("1=2;1=3", "twice"), ("a b=1", "not a label number"), ("1:2", "not a distance"),
])
def test_bad_specs(spec, needle):
    with pytest.raises(ToleranceSpecError) as info:
        parse_tolerances(spec)
    assert needle in str(info.value)


def test_nsd_key_names_the_tolerance():
    assert nsd_key(2.0) == "nsd_2mm" and nsd_key(1.5) == "nsd_1.5mm" and nsd_key(0.25) == "nsd_0.25mm"


def test_below_voxel_warning():
    # the 3 mm demo at the 1 mm default: a voxel step is already outside the tolerance
    w = below_voxel_warning(Tolerances(1.0), (3.0, 3.0, 3.0))
    assert w is not None and "1 mm" in w and "3 mm" in w
    assert below_voxel_warning(Tolerances(3.0), (3.0, 3.0, 3.0)) is None
    assert "0.5" in below_voxel_warning(Tolerances(2.0, {"ET": 0.5}), (1.0, 1.0, 1.0))
