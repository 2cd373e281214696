"""dicegui.core.partial_results: rows kept line by line read back exactly."""
from __future__ import annotations

import math
import os

import numpy as np
import pytest

from dicegui.core.partial_results import (
    PartialResultsError, PartialWriter, options_fingerprint, partial_path, read_partial,
)


def test_rows_read_back_exactly_with_nan_inf_numpy_and_non_utf8_names(tmp_path):
    name = os.fsdecode(b"case\xff")
    rows = [
        {"case": name, "status": "ok", "dice": 0.1 + 0.2, "hd": math.inf, "precision": math.nan,
         "num_tp": np.int64(3), "iou": np.float32(0.25)},
        {"case": "=x", "status": "bad_input", "error": "p.nii: not a NIfTI file"},
    ]
    w = PartialWriter(tmp_path / "r.csv.partial", "abc")
    for r in rows:
        w.append(r)
    w.close()
    back = read_partial(tmp_path / "r.csv.partial", "abc")
    assert back[0]["case"] == name and back[0]["dice"] == 0.1 + 0.2
    assert back[0]["hd"] == math.inf and math.isnan(back[0]["precision"])
    assert back[0]["num_tp"] == 3 and type(back[0]["num_tp"]) is int and back[0]["iou"] == 0.25
    assert back[1] == rows[1]


def test_a_line_cut_short_by_a_kill_is_ignored_damage_elsewhere_names_the_line(tmp_path):
    path = tmp_path / "r.partial"
    w = PartialWriter(path, "abc", rows=[{"case": "a", "dice": 1.0}])
    w.append({"case": "b", "dice": 0.5})
    w.close()
    text = path.read_text()
    path.write_text(text + '{"case": "c", "di')
    assert [r["case"] for r in read_partial(path, "abc")] == ["a", "b"]
    lines = text.splitlines()
    path.write_text("\n".join([lines[0], "{broken", lines[2]]) + "\n")
    with pytest.raises(PartialResultsError, match="line 2"):
        read_partial(path, "abc")


def test_other_options_or_another_file_are_refused(tmp_path):
    path = tmp_path / "r.partial"
    PartialWriter(path, "abc").close()
    with pytest.raises(PartialResultsError, match="other options"):
        read_partial(path, "xyz")
    path.write_text("case,dice\n")
    with pytest.raises(PartialResultsError, match="not a partial results file"):
        read_partial(path, "abc")


def test_fingerprint_follows_the_options_and_path_sits_beside_the_table(tmp_path):
    from dicegui.core.cohort import ScoreOptions

    assert options_fingerprint(ScoreOptions()) == options_fingerprint(ScoreOptions())
    assert options_fingerprint(ScoreOptions()) != options_fingerprint(ScoreOptions(surface=True))
    assert partial_path(tmp_path / "results.csv") == tmp_path / "results.csv.partial"


def test_discard_removes_the_file(tmp_path):
    w = PartialWriter(tmp_path / "p", "abc")
    w.discard()
    assert not (tmp_path / "p").exists()
