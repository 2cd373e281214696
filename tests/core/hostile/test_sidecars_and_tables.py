"""Worklist tables and review sidecars that are not what they claim (issue 13.9): clear errors, no hang."""
import os
import threading

import numpy as np
import pytest

from dicegui.core.review import Cohort, CohortError, ReviewFileError


@pytest.fixture
def table(tmp_path):
    """A 12-case worklist table whose files exist."""
    lines = ["case,gt,pred,dice"]
    for i in range(12):
        for role in ("gt", "pred"):
            np.save(tmp_path / f"{role}{i}.npy", np.zeros((2, 2, 2), np.uint8))
        lines.append(f"c{i},gt{i}.npy,pred{i}.npy,0.{i}")
    path = tmp_path / "results.csv"
    path.write_text("\n".join(lines) + "\n")
    return path, lines


def _from_csv_within(path, seconds=10.0):
    """Cohort.from_csv in a thread: a hang fails the test instead of the suite."""
    out = {}

    def run():
        try:
            out["cohort"] = Cohort.from_csv(path)
        except Exception as exc:  # handed to the test
            out["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert out, f"Cohort.from_csv({path.name}) did not return within {seconds} s"
    return out


def test_the_table_loads_all_cases(table):
    assert len(_from_csv_within(table[0])["cohort"]) == 12


@pytest.mark.parametrize("row, broken, closing", [
    (4, 'c3,"gt3.npy,pred3.npy,0.3', None),  # open to the end of the file
    (6, 'c5,"gt5.npy,pred5.npy,0.5', (9, 'c8,gt8.npy",pred8.npy,0.8')),  # closed 3 lines later: 4 cells again
    (7, 'c6,gt6.npy,pred6.npy,"0.6"x', None),  # text after a closing quote
    (12, 'c11,gt11.npy,"pred11.npy,0.11', None),
])
def test_a_stray_quote_is_an_error_naming_its_line(row, broken, closing, table):
    path, lines = table
    lines = list(lines)
    lines[row] = broken
    if closing:
        lines[closing[0]] = closing[1]
    path.write_text("\n".join(lines) + "\n")
    err = _from_csv_within(path).get("error")
    assert isinstance(err, CohortError), err
    assert f"line {row + 1}" in str(err) and "results.csv" in str(err) and '"' in str(err)


def test_a_note_over_two_lines_is_kept(table):
    path, lines = table
    lines = [lines[0] + ",review_status,review_note"] + [f"{ln},," for ln in lines[1:]]
    lines.append('c12,gt0.npy,pred0.npy,0.5,approved,"first line\nsecond line"')
    path.write_text("\n".join(lines) + "\n")
    cohort = _from_csv_within(path)["cohort"]
    assert len(cohort) == 13
    assert next(c for c in cohort if c.name == "c12").note == "first line\nsecond line"


@pytest.mark.parametrize("kind", ["fifo", "dev_zero", "folder"])
def test_a_sidecar_that_is_not_a_regular_file_is_refused_without_hanging(kind, table):
    sidecar = table[0].with_name("results.review.json")
    if kind == "fifo":
        os.mkfifo(sidecar)
    elif kind == "dev_zero":
        os.symlink("/dev/zero", sidecar)
    else:
        sidecar.mkdir()
    err = _from_csv_within(table[0]).get("error")
    assert isinstance(err, ReviewFileError), err
    assert "results.review.json" in str(err) and "not a regular file" in str(err)


def test_a_case_path_that_is_a_pipe_is_a_problem_not_a_hang(table):
    path, lines = table
    os.mkfifo(path.parent / "pipe.npy")
    path.write_text("\n".join(list(lines) + ["c12,pipe.npy,pred0.npy,0.5"]) + "\n")
    cohort = _from_csv_within(path)["cohort"]
    case = next(c for c in cohort if c.name == "c12")
    assert case.problems and "named pipe" in case.problems[0]
