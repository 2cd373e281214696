"""``dicegui score`` cohort runs that go wrong: a killed worker, a case that never
ends, Ctrl-C, resuming, an ``--out`` that cannot be written, hostile case names.

Every run here is a real ``dicegui score`` process. A case that must hang is
made by a harness around the command (``HARNESS``): it scores every case as
the command does, except that a case whose name contains ``hang`` writes its
worker's PID to a file and sleeps. The workers are forked from that process,
so the kill, the time limit and SIGINT act on real worker processes. Dice
values are checked against numpy on the masks written by the test.
"""
from __future__ import annotations

import csv
import io
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from dicegui import score_cli

HARNESS = r"""
import os, sys, time
from dicegui.core import cohort
from dicegui import score_cli

real = cohort.score_files

def score_files(name, gt, pred, options=cohort.ScoreOptions()):
    if "hang" in name or "wait" in name:
        with open(os.path.join(os.environ["PID_DIR"], name + ".pid"), "w") as fh:
            fh.write(str(os.getpid()))
        try:
            time.sleep(60.0 if "hang" in name else 1.0)
        except KeyboardInterrupt:  # workers must leave Ctrl-C to the run
            open(os.path.join(os.environ["PID_DIR"], name + ".interrupted"), "w").close()
            raise
    return real(name, gt, pred, options)

cohort.score_files = score_files
sys.exit(score_cli.main(sys.argv[1:]))
"""


def save_nifti(path, array):
    nib.save(nib.Nifti1Image(np.asarray(array, np.uint8), np.eye(4)), str(path))


def numpy_dice(gt, pred):
    gt, pred = gt != 0, pred != 0
    return 2.0 * np.count_nonzero(gt & pred) / (np.count_nonzero(gt) + np.count_nonzero(pred))


def make_cases(tmp_path, names):
    """Two folders with one random box pair per name; returns ``{name: numpy Dice}``."""
    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    gt_dir.mkdir(exist_ok=True)
    pred_dir.mkdir(exist_ok=True)
    expected = {}
    for seed, name in enumerate(names):
        rng = np.random.default_rng(seed)
        masks = []
        for _ in range(2):
            m = np.zeros((12, 12, 8), np.uint8)
            lo = rng.integers(1, 4, size=3)
            hi = lo + rng.integers(3, 6, size=3)
            m[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]] = 1
            masks.append(m)
        save_nifti(gt_dir / f"{name}.nii.gz", masks[0])
        save_nifti(pred_dir / f"{name}.nii.gz", masks[1])
        expected[name] = numpy_dice(*masks)
    return gt_dir, pred_dir, expected


def start(tmp_path, args):
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir(exist_ok=True)
    env = dict(os.environ, PID_DIR=str(pid_dir))
    # a session of its own: Ctrl-C in a terminal signals the whole process group, workers included
    return subprocess.Popen([sys.executable, "-c", HARNESS, *map(str, args)], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_pid(tmp_path, name, proc, limit=20.0) -> int:
    path = tmp_path / "pids" / f"{name}.pid"
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if path.exists() and path.read_text():
            return int(path.read_text())
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before {name} started: {proc.communicate()}")
        time.sleep(0.02)
    proc.kill()
    raise AssertionError(f"{name} never started")


def table(path) -> tuple[dict, list]:
    """Case rows by name and the summary rows of a table written by dicegui score."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return ({r["case"]: r for r in rows if r["status"] != "summary"},
            [r for r in rows if r["status"] == "summary"])


def assert_dice(rows, expected):
    for name, dice in expected.items():
        assert rows[name]["status"] == "ok", rows[name]
        assert float(rows[name]["dice"]) == pytest.approx(dice, abs=1e-12), name


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


def ignores_sigint(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status").read_text()
    mask = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigIgn:")), 16)
    return bool(mask & (1 << (signal.SIGINT - 1)))


def test_a_worker_killed_mid_run_costs_only_its_case(tmp_path):
    normal = [f"c{i:02d}" for i in range(8)]
    gt_dir, pred_dir, expected = make_cases(tmp_path, ["a_hang", "b_wait", *normal])
    out = tmp_path / "results.csv"
    proc = start(tmp_path, ["--gt-dir", gt_dir, "--pred-dir", pred_dir, "--out", out,
                            "--workers", "2", "--no-progress"])
    victim = wait_for_pid(tmp_path, "a_hang", proc)
    wait_for_pid(tmp_path, "b_wait", proc)  # both workers busy: the eight c cases are still queued
    os.kill(victim, signal.SIGKILL)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1  # an internal_error case, as before
    assert "Traceback" not in err and "BrokenProcessPool" not in err
    rows, _ = table(out)
    assert set(rows) == set(expected)
    assert rows["a_hang"]["status"] == "internal_error"
    assert "worker process died" in rows["a_hang"]["error"]
    assert_dice(rows, {n: expected[n] for n in ["b_wait", *normal]})
    assert not (tmp_path / "results.csv.partial").exists()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_case_past_its_time_limit_is_stopped_and_marked_timeout(tmp_path, workers):
    normal = [f"c{i:02d}" for i in range(4)]
    gt_dir, pred_dir, expected = make_cases(tmp_path, ["a_hang", *normal])
    out = tmp_path / "results.csv"
    t0 = time.monotonic()
    proc = start(tmp_path, ["--gt-dir", gt_dir, "--pred-dir", pred_dir, "--out", out,
                            "--workers", workers, "--case-timeout", "1.5", "--no-progress"])
    _, err = proc.communicate(timeout=40)
    elapsed = time.monotonic() - t0
    assert proc.returncode == 0, err
    assert elapsed < 15  # the hanging case sleeps 60 s
    rows, _ = table(out)
    assert rows["a_hang"]["status"] == "timeout"
    assert "1.5 s" in rows["a_hang"]["error"]
    assert_dice(rows, {n: expected[n] for n in normal})
    assert gone(int((tmp_path / "pids" / "a_hang.pid").read_text()))


def test_case_timeout_default_is_scaled_for_surface_distances():
    from dicegui.core.cohort import ScoreOptions, default_case_timeout

    assert 60 <= default_case_timeout(ScoreOptions()) <= 600
    assert default_case_timeout(ScoreOptions(surface=True)) > default_case_timeout(ScoreOptions())


@pytest.mark.parametrize("value", ["0", "-3", "nan", "soon"])
def test_bad_case_timeout_is_a_usage_error(value):
    err = io.StringIO()
    assert score_cli.main(["--gt-dir", "a", "--pred-dir", "b", "--case-timeout", value],
                          io.StringIO(), err) == 2
    assert len(err.getvalue().splitlines()) == 1 and "--case-timeout" in err.getvalue()


def test_ctrl_c_writes_the_finished_cases_and_resume_completes_the_same_table(tmp_path):
    normal = [f"c{i:02d}" for i in range(6)]
    gt_dir, pred_dir, expected = make_cases(tmp_path, [*normal, "z_hang"])
    out = tmp_path / "results.csv"
    args = ["--gt-dir", gt_dir, "--pred-dir", pred_dir, "--out", out, "--workers", "1", "--no-progress"]
    proc = start(tmp_path, args)
    worker = wait_for_pid(tmp_path, "z_hang", proc)  # cases go in name order: the c cases are done
    assert ignores_sigint(worker)  # else the worker races the run to print its own traceback
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C does: the run and its worker get it
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130
    lines = err.splitlines()
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert lines[0].startswith("scoring 7 case(s)") and len(lines) == 2, err
    assert lines[1].startswith("dicegui score: interrupted:") and "--resume" in lines[1]
    assert gone(worker)
    assert not (tmp_path / "pids" / "z_hang.interrupted").exists()
    rows, summary = table(out)
    assert set(rows) == set(normal)
    assert_dice(rows, {n: expected[n] for n in normal})
    marker = [s for s in summary if s["case"] == "incomplete"]
    assert len(marker) == 1 and "6 of 7" in marker[0]["error"]
    mean = next(s for s in summary if s["case"] == "mean")
    assert float(mean["dice"]) == pytest.approx(np.mean([expected[n] for n in normal]), abs=1e-12)
    assert (tmp_path / "results.csv.partial").exists()
    assert not list(tmp_path.glob(".*.tmp"))

    # without --resume the partial file is not thrown away silently
    err = io.StringIO()
    assert score_cli.main([*map(str, args)], io.StringIO(), err) == 2
    assert "--resume" in err.getvalue() and len(err.getvalue().splitlines()) == 1

    # resume (no harness: z_hang is an ordinary case now) scores only what is left
    err = io.StringIO()
    assert score_cli.main([*map(str, args), "--resume"], io.StringIO(), err) == 0, err.getvalue()
    assert "scoring 1 case(s)" in err.getvalue()
    assert not (tmp_path / "results.csv.partial").exists()
    full = tmp_path / "full.csv"
    assert score_cli.main([*map(str, args[:5]), str(full), "--workers", "1", "--no-progress"],
                          io.StringIO(), io.StringIO()) == 0
    assert out.read_text() == full.read_text()
    rows, _ = table(out)
    assert_dice(rows, expected)


def test_resume_with_other_options_is_refused(tmp_path):
    gt_dir, pred_dir, _ = make_cases(tmp_path, ["c00", "c01"])
    out = tmp_path / "results.csv"
    from dicegui.core.cohort import ScoreOptions
    from dicegui.core.partial_results import PartialWriter, options_fingerprint, partial_path

    PartialWriter(partial_path(out), options_fingerprint(ScoreOptions(surface=True))).close()
    err = io.StringIO()
    code = score_cli.main(["--gt-dir", str(gt_dir), "--pred-dir", str(pred_dir), "--out", str(out),
                           "--resume", "--no-progress"], io.StringIO(), err)
    assert code == 2 and "other options" in err.getvalue() and len(err.getvalue().splitlines()) == 1


@pytest.mark.parametrize("out", ["/proc/results.csv", "{tmp}/missing/results.csv", "{tmp}/a_file/results.csv"])
def test_out_that_cannot_be_written_exits_2_before_any_case(tmp_path, out):
    gt_dir, pred_dir, _ = make_cases(tmp_path, ["a_hang", "c00"])
    (tmp_path / "a_file").write_text("x")
    proc = start(tmp_path, ["--gt-dir", gt_dir, "--pred-dir", pred_dir, "--out", out.format(tmp=tmp_path),
                            "--no-progress"])
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 2
    assert len(err.splitlines()) == 1 and err.startswith("dicegui score: error: --out"), err
    assert not (tmp_path / "pids" / "a_hang.pid").exists()  # refused before the first case


def test_unwritable_folder_exits_2_for_a_user(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into any folder")
    gt_dir, pred_dir, _ = make_cases(tmp_path, ["c00"])
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    err = io.StringIO()
    code = score_cli.main(["--gt-dir", str(gt_dir), "--pred-dir", str(pred_dir),
                           "--out", str(locked / "r.csv")], io.StringIO(), err)
    locked.chmod(0o700)
    assert code == 2 and "cannot write in folder" in err.getvalue()


def test_replaced_table_keeps_its_mode_new_table_follows_umask_no_tmp_left(tmp_path):
    gt_dir, pred_dir, _ = make_cases(tmp_path, ["c00", "c01"])
    out = tmp_path / "results.csv"
    base = ["--gt-dir", str(gt_dir), "--pred-dir", str(pred_dir), "--no-progress", "--workers", "1"]
    old = os.umask(0o022)
    try:
        assert score_cli.main([*base, "--out", str(out)], io.StringIO(), io.StringIO()) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644  # not mkstemp's 0600
    out.chmod(0o640)
    assert score_cli.main([*base, "--out", str(out)], io.StringIO(), io.StringIO()) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gt", "pred", "results.csv"]


def test_formula_case_names_are_escaped_and_the_worklist_reads_them_back(tmp_path):
    from dicegui.core.review import Cohort

    names = ["=HYPERLINK(1)", "+1", "-2", "@SUM(A1)", "plain"]
    gt_dir, pred_dir, expected = make_cases(tmp_path, names)
    out = tmp_path / "results.csv"
    assert score_cli.main(["--gt-dir", str(gt_dir), "--pred-dir", str(pred_dir), "--out", str(out),
                           "--workers", "1", "--no-progress"], io.StringIO(), io.StringIO()) == 0
    with open(out, newline="") as fh:
        cells = [row[0] for row in csv.reader(fh)][1:]
    for name in names[:4]:
        assert "'" + name in cells and name not in cells
    assert "plain" in cells
    worklist = Cohort.from_csv(out)
    assert sorted(c.name for c in worklist) == sorted(names)
    for c in worklist:
        assert c.gt.exists() and c.scores["dice"] == pytest.approx(expected[c.name], abs=1e-12)


def test_a_case_name_that_is_not_utf8_is_written_as_its_bytes_and_shown_readably(tmp_path):
    raw = b"case\xff"
    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    _, _, expected = make_cases(tmp_path, ["ok"])
    name = os.fsdecode(raw)
    rng = np.random.default_rng(7)
    g = (rng.random((10, 10, 6)) > 0.5).astype(np.uint8)
    p = (rng.random((10, 10, 6)) > 0.5).astype(np.uint8)
    save_nifti(os.fsdecode(bytes(gt_dir) + b"/" + raw + b".nii.gz"), g)
    save_nifti(os.fsdecode(bytes(pred_dir) + b"/" + raw + b"_pred.nii.gz"), p)
    out = tmp_path / "results.csv"
    report = io.StringIO()
    assert score_cli.main(["--gt-dir", str(gt_dir), "--pred-dir", str(pred_dir), "--out", str(out),
                           "--workers", "1", "--no-progress", "--worst", "2"], report, io.StringIO()) == 0
    assert raw + b"," in out.read_bytes()  # the file name's own bytes, not a replacement character
    with open(out, newline="", encoding="utf-8", errors="surrogateescape") as fh:
        rows = {r["case"]: r for r in csv.DictReader(fh)}
    assert float(rows[name]["dice"]) == pytest.approx(numpy_dice(g, p), abs=1e-12)
    assert (out.parent / rows[name]["pred"]).exists()  # the path reads back to the same file
    assert "case\\xff" in report.getvalue()  # the report shows it readably
    # the table on stdout of a real process (UTF-8, strict) does not fail on it either
    done = subprocess.run([sys.executable, "-m", "dicegui", "score", "--gt-dir", str(gt_dir), "--pred-dir",
                           str(pred_dir), "--no-progress", "--workers", "1"], capture_output=True,
                          env=dict(os.environ, PYTHONIOENCODING="utf-8"), timeout=60)
    assert done.returncode == 0, done.stderr
    assert b"\ncase\xff," in done.stdout
    assert b"case\\xff" in done.stderr


def test_a_run_killed_outright_resumes_from_its_partial_file(tmp_path):
    normal = [f"c{i:02d}" for i in range(5)]
    gt_dir, pred_dir, expected = make_cases(tmp_path, [*normal, "z_hang"])
    out = tmp_path / "results.csv"
    args = ["--gt-dir", str(gt_dir), "--pred-dir", str(pred_dir), "--out", str(out), "--workers", "1",
            "--no-progress"]
    proc = start(tmp_path, args)
    worker = wait_for_pid(tmp_path, "z_hang", proc)
    proc.kill()  # no handler runs: only what was flushed survives
    t0 = time.monotonic()
    while not gone(worker) and time.monotonic() - t0 < 10:
        time.sleep(0.02)
    if not gone(worker):
        os.kill(worker, signal.SIGKILL)  # leave no process behind, then fail
        raise AssertionError("the worker scored on after its run was killed")
    proc.communicate(timeout=20)
    assert not out.exists()
    partial = (tmp_path / "results.csv.partial").read_text().splitlines()
    assert len(partial) == 1 + len(normal)  # a header, then one line per finished case
    err = io.StringIO()
    assert score_cli.main([*args, "--resume"], io.StringIO(), err) == 0, err.getvalue()
    assert "scoring 1 case(s)" in err.getvalue()
    rows, summary = table(out)
    assert_dice(rows, expected)
    assert [s["case"] for s in summary] == ["mean", "median", "std", "min", "max", "n", "n_inf", "n_undefined"]
