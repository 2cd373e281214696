"""Numbers in .txt / .csv files: 1 × N and R × C images, refusals that name file and line, case loading."""
from __future__ import annotations

import numpy as np
import pytest

from dicegui.core.io import LoadError, load_case, load_volume, save_volume
from dicegui.core.io.text_arrays import MAX_TEXT_BYTES
from dicegui.core.metrics import soft_dice


def _write(path, text):
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


@pytest.mark.parametrize("text", ["0.9 0.1 0.8 0.1\n", "0.9,0.1,0.8,0.1", "0.9;0.1;0.8;0.1\n",
                                  "# seed\n0.9\n0.1\n\n0.8\n0.1\n", "\ufeff0.9,\t0.1, 0.8 ,0.1,\n"])
def test_one_row_or_column_is_a_one_by_n_image(tmp_path, text):
    v = load_volume(_write(tmp_path / "p.txt", text))
    assert v.data.shape == (1, 4, 1) and v.is_2d
    assert v.data.dtype == np.float64
    assert v.data[0, :, 0].tolist() == [0.9, 0.1, 0.8, 0.1]


def test_a_table_is_rows_by_columns_and_whole_numbers_are_labels(tmp_path):
    v = load_volume(_write(tmp_path / "t.csv", "1,0,2\n0,0,1\n"))
    assert v.data.shape == (2, 3, 1)
    assert v.data.dtype.kind == "i"
    assert v.data[:, :, 0].tolist() == [[1, 0, 2], [0, 0, 1]]


def test_seed_example_from_text_files_scores_as_by_hand(tmp_path):
    gt = _write(tmp_path / "target.csv", "1,0,1,0\n")
    pred = _write(tmp_path / "prob.txt", "0.9 0.1 0.8 0.1\n")
    case = load_case(gt=gt, pred=pred)
    assert case.pred_info.kind == "probability"
    assert case.gt_mask[0, :, 0].tolist() == [1, 0, 1, 0]
    assert soft_dice(case.pred_prob, case.gt_mask, smooth=0) == pytest.approx(3.4 / 3.9, abs=1e-7)


@pytest.mark.parametrize("text, words", [
    ("a,b\n1,2\n", "line 1: 'a' is not a number"),
    ("1,2\n1\n", "line 2 holds 1 values"),
    ("# only a comment\n\n", "no numbers"),
    (b"\xff\xfe\x00\x01", "not UTF-8 text"),
    ("__import__('os')\n", "is not a number"),
])
def test_bad_text_is_refused_naming_file_and_problem(tmp_path, text, words):
    path = _write(tmp_path / "bad.csv", text)
    with pytest.raises(LoadError, match="bad.csv") as info:
        load_volume(path)
    assert words in str(info.value)


def test_oversized_text_is_refused_before_parsing(tmp_path):
    path = tmp_path / "big.txt"
    with open(path, "wb") as fh:
        fh.truncate(MAX_TEXT_BYTES + 1)  # sparse: no disk used
    with pytest.raises(LoadError, match="big.txt"):
        load_volume(path)


def test_round_trip_keeps_the_row(tmp_path):
    v = load_volume(_write(tmp_path / "t.csv", "1,0,1,0\n"))
    out = save_volume(v, v.data, tmp_path / "out.csv")
    assert out.read_text() == "1,0,1,0\n"
    assert load_volume(out).data.tolist() == v.data.tolist()
