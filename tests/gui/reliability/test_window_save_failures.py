"""Saving into a read-only (immutable) folder or onto a full disk: a message, the file and the edits intact."""
from __future__ import annotations

import errno
import subprocess

import nibabel as nib
import numpy as np
import pytest


def _paint(w, rel, row):
    w.editor.panel.set_target("pred")
    w.editor.set_tool("brush")
    w.editor.panel.radius.setValue(2)
    w.set_slice(5)
    rel.drag(w, [(row, 3), (row, 30)])


@pytest.fixture
def immutable():
    """``immutable(folder)``: chattr +i (undone at the end); skips where the filesystem refuses."""
    done = []

    def make(folder):
        r = subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
        if r.returncode:
            pytest.skip(f"chattr +i not possible here: {r.stderr.decode().strip()}")
        done.append(folder)
    yield make
    for folder in done:
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True)


def test_save_into_a_read_only_folder_keeps_the_file_and_the_edits(qtbot, rel, rel_case, tmp_path, immutable,
                                                                   message_boxes):
    w = rel.make_window(qtbot)
    assert w.open_paths(rel_case, remember=False)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "pred_fixed.nii.gz"
    _paint(w, rel, 6)
    assert w.editor.saver.save_as("pred", out) == out
    first_bytes = out.read_bytes()
    _paint(w, rel, 14)
    edited = w.session.case.pred_mask.copy()
    steps = w.editor.history.count
    immutable(out_dir)
    assert w.editor.saver.save("pred") is None  # the file this session wrote, now in a read-only folder
    kind, title, text = message_boxes[-1]
    assert kind == "critical" and "Could not save" in title and "pred_fixed.nii.gz" in text
    assert out.read_bytes() == first_bytes  # the original file is untouched
    assert sorted(p.name for p in out_dir.iterdir()) == ["pred_fixed.nii.gz"]  # no half-written file
    np.testing.assert_array_equal(w.session.case.pred_mask, edited)
    assert w.editor.history.is_modified("pred") and w.isWindowModified() and w.editor.history.count == steps
    rel.assert_panel_matches(w)
    # the edits are still journalled for recovery
    assert w.recovery.journal is not None and w.recovery.journal.steps >= 1
    subprocess.run(["chattr", "-i", str(out_dir)], check=True)
    assert w.editor.saver.save("pred") == out
    np.testing.assert_array_equal(np.asanyarray(nib.load(str(out)).dataobj), edited)
    assert not w.isWindowModified()


def test_disk_full_while_writing_keeps_the_previous_file(qtbot, rel, rel_case, tmp_path, monkeypatch,
                                                         message_boxes):
    import dicegui.core.io.atomic as atomic

    w = rel.make_window(qtbot)
    assert w.open_paths(rel_case, remember=False)
    out = tmp_path / "pred_fixed.nii.gz"
    _paint(w, rel, 6)
    assert w.editor.saver.save_as("pred", out) == out
    first_bytes = out.read_bytes()
    _paint(w, rel, 14)
    edited = w.session.case.pred_mask.copy()

    def full(fd):  # the data does not fit: the write is reported when it is flushed to disk
        raise OSError(errno.ENOSPC, "No space left on device")
    with monkeypatch.context() as m:  # only this; the message boxes stay non-blocking
        m.setattr(atomic.os, "fsync", full)
        assert w.editor.saver.save("pred") is None
    assert "No space left on device" in message_boxes[-1][2]
    assert out.read_bytes() == first_bytes
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".pred_fixed")) == []
    np.testing.assert_array_equal(w.session.case.pred_mask, edited)
    assert w.isWindowModified()
    w.editor.history.mark_discarded()
