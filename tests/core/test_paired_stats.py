"""Paired comparison of two score tables: statistics against scipy/numpy, exclusions, bootstrap."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from dicegui.core import paired_stats as ps

HEADER = "case,status,error,dice,hd95,label2_dice,regionET_dice\n"


def write(path, rows, header=HEADER):
    path.write_text(header + "".join(rows))
    return path


def table_pair(tmp_path):
    """Two hand-written tables: 12 ok pairs on dice plus one case of every exclusion reason."""
    a_dice = [0.80, 0.70, 0.90, 0.60, 0.85, 0.75, 0.50, 0.95, 0.65, 0.88, 0.72, 0.81]
    b_dice = [0.82, 0.69, 0.93, 0.70, 0.85, 0.80, 0.45, 0.96, 0.75, 0.86, 0.80, 0.84]
    a_rows = [f"c{i:02d},ok,,{x},{10 - x},{x},{x}\n" for i, x in enumerate(a_dice)]
    b_rows = [f"c{i:02d},ok,,{x},{10 - x},{x},{x}\n" for i, x in enumerate(b_dice)]
    a_rows += ["onlyA,ok,,0.5,1,0.5,0.5\n", "failed,bad_input,cannot read,,,,\n", "empty,ok,,0.9,1,,0.9\n",
               "undef,ok,,nan,1,0.5,0.5\n", "inf,ok,,0.4,inf,0.4,0.4\n", "skipped,empty,both masks are empty,,,,\n"]
    b_rows += ["onlyB,ok,,0.5,1,0.5,0.5\n", "failed,ok,,0.5,1,0.5,0.5\n", "empty,ok,,0.9,1,,0.9\n",
               "undef,ok,,0.5,1,0.5,0.5\n", "inf,ok,,0.6,2,0.6,0.6\n", "skipped,ok,,0.5,1,0.5,0.5\n",
               "mean,summary,,0.7,1,0.7,0.7\n"]
    return (write(tmp_path / "a.csv", a_rows), write(tmp_path / "b.csv", b_rows),
            np.array(a_dice), np.array(b_dice))


def test_statistics_match_scipy_and_numpy(tmp_path):
    pa, pb, a, b = table_pair(tmp_path)
    r = ps.compare_files(pa, pb, "dice")
    # the 12 cases, then "empty" (dice 0.9 in both: only its label column is empty) and "inf" (dice 0.4 -> 0.6)
    d = np.concatenate([b - a, [0.0, 0.2]])
    assert r.n_pairs == 14
    assert r.mean.estimate == pytest.approx(np.mean(d))
    assert r.median.estimate == pytest.approx(np.median(d))
    ref = stats.wilcoxon(d, zero_method="wilcox")  # c04 and "empty" are ties and dropped
    assert r.wilcoxon_statistic == pytest.approx(ref.statistic)
    assert r.wilcoxon_p == pytest.approx(ref.pvalue)
    assert (r.wins, r.ties, r.losses) == (int((d > 0).sum()), 2, int((d < 0).sum()))
    # largest disagreement first: inf (+0.2), then c03 and c08 (+0.10), then c10 (+0.08)
    assert r.cases[0] == "inf" and set(r.cases[1:3]) == {"c03", "c08"} and r.cases[3] == "c10"
    assert np.allclose(np.abs(r.difference), np.sort(np.abs(d))[::-1])
    assert r.warnings == []  # 12 pairs, no infinite value on dice


def test_lower_is_better_flips_wins(tmp_path):
    pa, pb, a, b = table_pair(tmp_path)
    r = ps.compare_files(pa, pb, "hd95")  # hd95 = 10 - dice here, so B's wins are the same cases
    d = (10 - b) - (10 - a)
    assert r.lower_is_better
    assert r.wins == int((d < 0).sum()) == int(((b - a) > 0).sum())
    assert r.losses == int((d > 0).sum())


def test_exclusion_reasons_counted(tmp_path):
    pa, pb, _, _ = table_pair(tmp_path)
    r = ps.compare_files(pa, pb, "dice")
    assert r.excluded_counts() == {"only in A": 1, "only in B": 1, "not scored ok": 2, "undefined": 1}
    by_case = {e.case: e for e in r.excluded}
    assert "bad_input: cannot read" in by_case["failed"].detail
    assert by_case["skipped"].reason == "not scored ok"
    r2 = ps.compare_files(pa, pb, "hd95")
    assert r2.excluded_counts()["infinite"] == 1
    assert any("--hd-cap" in w for w in r2.warnings)
    r3 = ps.compare_files(pa, pb, ps.metric_column("dice", label=2))
    assert r3.column == "label2_dice"
    assert r3.excluded_counts()["missing"] == 1  # "empty": no label2_dice value in either table
    r4 = ps.compare_files(pa, pb, ps.metric_column("dice", region="ET"))
    assert r4.column == "regionET_dice" and r4.n_pairs == 15  # "empty", "undef" and "inf" have finite region values


def test_few_pairs_warn(tmp_path):
    a = write(tmp_path / "a.csv", [f"c{i},ok,,0.{i},1,,\n" for i in range(1, 5)])
    b = write(tmp_path / "b.csv", [f"c{i},ok,,0.{i + 1},1,,\n" for i in range(1, 5)])
    r = ps.compare_files(a, b)
    assert r.n_pairs == 4
    assert any("fewer than 10 pairs" in w for w in r.warnings)


def test_bootstrap_ci_covers_known_shift_and_is_deterministic():
    rng = np.random.default_rng(7)
    a = rng.uniform(0.5, 0.9, 200)
    b = a + 0.03 + rng.normal(0, 0.02, 200)  # true mean and median shift 0.03
    ta = {f"c{i}": {"case": f"c{i}", "status": "ok", "dice": x} for i, x in enumerate(a)}
    tb = {f"c{i}": {"case": f"c{i}", "status": "ok", "dice": x} for i, x in enumerate(b)}
    r = ps.compare_tables(ta, tb, seed=3)
    assert r.mean.low < 0.03 < r.mean.high
    assert r.median.low < 0.03 < r.median.high
    assert r.mean.high - r.mean.low < 0.01  # 200 cases, sd 0.02: width about 4 * 0.02 / sqrt(200)
    again = ps.compare_tables(ta, tb, seed=3)
    assert (again.mean, again.median) == (r.mean, r.median)
    assert ps.compare_tables(ta, tb, seed=4).mean != r.mean


def test_bootstrap_resamples_equal_a_plain_loop():
    # the counting shortcut must give the mean and median of the very resamples a loop would draw
    d = np.random.default_rng(1).normal(size=37)
    means, medians = ps.bootstrap_means_medians(d, resamples=50, seed=9)
    rng = np.random.default_rng(9)
    srt = np.sort(d)
    idx = rng.integers(0, d.size, size=(50, d.size))
    assert np.allclose(means, srt[idx].mean(axis=1))
    assert np.allclose(medians, np.median(srt[idx], axis=1))
    even = d[:36]
    means, medians = ps.bootstrap_means_medians(even, resamples=20, seed=2)
    idx = np.random.default_rng(2).integers(0, 36, size=(20, 36))
    assert np.allclose(medians, np.median(np.sort(even)[idx], axis=1))


def test_json_table_reads_like_csv(tmp_path):
    rows = [{"case": f"c{i}", "status": "ok", "dice": 0.5 + i / 100, "hd95": 3.0} for i in range(12)]
    rows[0]["hd95"] = "Infinity"
    rows[1]["dice"] = None  # strict JSON of nan
    (tmp_path / "a.json").write_text(json.dumps({"cases": rows}))
    tb = {f"c{i}": {"case": f"c{i}", "status": "ok", "dice": 0.6, "hd95": 2.0} for i in range(12)}
    r = ps.compare_tables(ps.read_score_table(tmp_path / "a.json"), tb, "dice")
    assert r.excluded_counts() == {"undefined": 1}
    r = ps.compare_tables(ps.read_score_table(tmp_path / "a.json"), tb, "hd95")
    assert r.excluded_counts() == {"infinite": 1}


@pytest.mark.parametrize("text, problem", [
    ("", "empty file"),
    ("name,dice\nx,1\n", "no 'case' column"),
    ("case,dice\nx,1\nx,2\n", "appears twice"),
    ("case,dice\nx,1,2,3\n", "cells but"),
])
def test_bad_tables_name_file_and_problem(tmp_path, text, problem):
    p = tmp_path / "t.csv"
    p.write_text(text)
    with pytest.raises(ps.CompareError, match=problem) as info:
        ps.read_score_table(p)
    assert str(p) in str(info.value)


def test_missing_column_and_file(tmp_path):
    pa, pb, _, _ = table_pair(tmp_path)
    with pytest.raises(ps.CompareError, match="no column 'nsd_1mm'"):
        ps.compare_files(pa, pb, "nsd_1mm")
    with pytest.raises(ps.CompareError, match="no such file"):
        ps.compare_files(tmp_path / "nope.csv", pb)
    with pytest.raises(ps.CompareError, match="label or a region"):
        ps.metric_column("dice", label=1, region="ET")
    assert math.isfinite(ps.compare_files(pa, pb).mean.low)
