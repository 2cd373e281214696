"""core.io.safe_paths: one rule for paths written inside files (NRRD data file, worklist cells)."""
import os

import pytest

from dicegui.core.io.safe_paths import PathRefused, resolve_inside


@pytest.fixture
def folder(tmp_path):
    inner = tmp_path / "case"
    (inner / "sub").mkdir(parents=True)
    (inner / "sub" / "data.raw").write_bytes(b"x")
    (tmp_path / "outside.raw").write_bytes(b"y")
    return inner


def _rule(text, base, **kw):
    with pytest.raises(PathRefused) as info:
        resolve_inside(text, base, **kw)
    return info.value.rule


def test_a_file_inside_resolves_to_its_real_path(folder):
    assert resolve_inside("sub/data.raw", folder) == (folder / "sub" / "data.raw").resolve()
    assert resolve_inside("sub/../sub/data.raw", folder) == (folder / "sub" / "data.raw").resolve()


def test_each_rule_is_named(folder, tmp_path):
    assert _rule("../outside.raw", folder) == "parent"
    assert _rule("sub/../../outside.raw", folder) == "parent"
    assert _rule(str(tmp_path / "outside.raw"), folder) == "absolute"
    assert _rule(str(tmp_path / "outside.raw"), folder, absolute_ok=True) == "link-outside"
    os.symlink(tmp_path / "outside.raw", folder / "link.raw")
    assert _rule("link.raw", folder) == "link-outside"
    os.symlink(tmp_path, folder / "up")  # a linked folder on the way out
    assert _rule("up/outside.raw", folder) == "link-outside"
    os.symlink("loop_b", folder / "loop_a")
    os.symlink("loop_a", folder / "loop_b")
    assert _rule("loop_a", folder) == "loop"
    assert _rule("nothing.raw", folder) == "missing"
    os.mkfifo(folder / "pipe")
    assert _rule("pipe", folder) == "not-regular"
    assert _rule("sub", folder) == "not-regular"


def test_an_absolute_path_inside_is_accepted_when_asked(folder):
    target = str(folder / "sub" / "data.raw")
    assert resolve_inside(target, folder, absolute_ok=True) == (folder / "sub" / "data.raw").resolve()


def test_trusting_the_file_still_refuses_pipes_loops_and_missing_files(folder, tmp_path):
    assert resolve_inside("../outside.raw", folder, trust_outside=True) == (tmp_path / "outside.raw").resolve()
    os.mkfifo(folder / "pipe")
    assert _rule("pipe", folder, trust_outside=True) == "not-regular"
    assert _rule("/dev/zero", folder, trust_outside=True) == "not-regular"
    assert _rule("nothing", folder, trust_outside=True) == "missing"


def test_folders_only_when_asked(folder):
    assert resolve_inside("sub", folder, folders_ok=True) == (folder / "sub").resolve()
