"""Crash recovery in the window: every edit journalled, restored bit-identically after a crash or kill -9."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from unittest import mock
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from PySide6 import QtWidgets

from dicegui.core.journal import find_pending

Button = QtWidgets.QMessageBox.StandardButton
ROOT = Path(__file__).resolve().parents[3]


def _sessions(folder):
    return sorted(p for p in Path(folder).glob("session-*")) if Path(folder).is_dir() else []


def _answer(monkeypatch, button):
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", staticmethod(lambda *a, **k: button))


def _edit(w, rel):
    """Paint the prediction, erase in the reference, undo one, redo it: all through real events."""
    ed = w.editor
    ed.panel.radius.setValue(2)
    w.set_slice(5)
    ed.panel.set_target("pred")
    ed.set_tool("brush")
    rel.drag(w, [(4, 3), (4, 25), (10, 30)])
    rel.drag(w, [(30, 5), (25, 12)])
    ed.panel.set_target("gt")
    ed.set_tool("eraser")
    rel.drag(w, [(15, 10), (20, 25)])
    ed.undo()
    ed.redo()
    ed.set_tool("fill")
    # flood fill of the background region of the slice around the corner: it asks first, Yes
    with mock.patch.object(QtWidgets.QMessageBox, "question", return_value=Button.Yes):
        rel.drag(w, [(2, 2)])
    ed.undo()


def test_edits_are_journalled_and_saves_clear_the_journal(qtbot, rel, rel_case, tmp_path):
    from dicegui.gui import settings

    w = rel.make_window(qtbot)
    assert w.open_paths(rel_case, remember=False)
    rec = w.recovery
    assert rec.folder == settings.recovery_folder()
    assert rec.folder.parent == Path(settings.settings().fileName()).parent
    journal = rec.journal
    assert journal is not None and journal.active and journal.steps == 0
    _edit(w, rel)
    # 3 strokes + undo + redo + fill + undo
    assert rec.journal.steps == 7
    assert w.editor.history.is_modified("gt") and w.editor.history.is_modified("pred")
    w.editor.saver.save_as("pred", tmp_path / "p.nii.gz")
    assert rec.journal.steps == 5  # the reference's 5 records stay: it is still unsaved
    w.editor.saver.save_as("gt", tmp_path / "g.nii.gz")
    assert rec.journal is None and _sessions(rec.folder) == []
    # the next edit journals again, from the saved files
    w.editor.set_tool("brush")
    rel.drag(w, [(8, 8), (8, 20)])
    assert rec.journal.steps == 1
    files = {r: f.path for r, f in _pending_of(rec).files.items() if f}
    assert files["gt"] == str((tmp_path / "g.nii.gz").absolute())
    assert files["pred"] == str((tmp_path / "p.nii.gz").absolute())
    # undoing back to the saved state leaves nothing to recover
    w.editor.undo()
    assert rec.journal is None and _sessions(rec.folder) == []


def _pending_of(rec):
    """The PendingRecovery of a live journal (read while its lock is held by this process)."""
    from dicegui.core.journal.pending import _pending_from

    return _pending_from(rec.journal.session)


def test_discard_and_clean_close_leave_no_journal(qtbot, rel, rel_case, monkeypatch):
    w = rel.make_window(qtbot)
    assert w.open_paths(rel_case, remember=False)
    folder = w.recovery.folder
    _edit(w, rel)
    first = w.recovery.journal.session
    _answer(monkeypatch, Button.Discard)
    assert w.open_paths(rel_case, remember=False)  # discards the edits
    assert not first.exists()
    w.editor.set_tool("brush")
    rel.drag(w, [(8, 8), (8, 20)])
    assert w.recovery.journal.steps == 1
    w.close()  # Discard again: the window closes cleanly
    assert not w.isVisible()
    assert _sessions(folder) == [] and find_pending(folder) == []


def _crash(window):
    """What a crash leaves: the journal's files closed by the OS, no closeEvent, nothing cleared."""
    window.recovery.journal.close()
    window.recovery.journal = None
    window.recovery.shutdown = lambda: None
    window.editor.history.mark_discarded()  # so that tearing the window down asks nothing


@pytest.mark.parametrize("demo", [False, True])
def test_restore_after_a_crash_is_bit_identical(qtbot, rel, rel_case, monkeypatch, demo):
    a = rel.make_window(qtbot)
    assert a.open_demo("totalseg") if demo else a.open_paths(rel_case, remember=False)
    opened = {r: getattr(a.session.case, f"{r}_mask").copy() for r in ("gt", "pred")}
    _edit(a, rel)
    edited = {r: getattr(a.session.case, f"{r}_mask").copy() for r in ("gt", "pred")}
    steps = a.recovery.journal.steps
    _crash(a)

    b = rel.make_window(qtbot)
    asked = []

    def ask(parent, pending):
        asked.append(pending.describe())
        return "restore"
    import dicegui.gui.recovery as recovery
    monkeypatch.setattr(recovery, "ask_recovery", ask)
    assert b.recovery.offer_pending() == "restore"
    assert len(asked) == 1 and f"{steps} steps" in asked[0]
    assert ("example_seg" in asked[0]) if demo else ("pred.nii.gz" in asked[0] and "gt.nii.gz" in asked[0])
    for r in ("gt", "pred"):
        restored = getattr(b.session.case, f"{r}_mask")
        assert restored.dtype == edited[r].dtype
        np.testing.assert_array_equal(restored, edited[r])
    assert b.session.demo == ("totalseg" if demo else None)
    rel.assert_panel_matches(b)
    # unsaved, undoable as one step per mask, and still journalled
    h = b.editor.history
    changed = {r: not np.array_equal(opened[r], edited[r]) for r in ("gt", "pred")}
    assert changed["pred"] and (changed["gt"] or demo)
    assert all(h.is_modified(r) == changed[r] for r in changed) and b.isWindowModified()
    assert h.count == sum(changed.values())
    assert b.recovery.journal is not None and b.recovery.journal.steps == steps
    for _ in range(h.count):
        h.undo()
    for r in ("gt", "pred"):
        np.testing.assert_array_equal(getattr(b.session.case, f"{r}_mask"), opened[r])
    assert not h.is_modified()
    assert b.recovery.journal is None and find_pending(b.recovery.folder) == []


def test_later_keeps_the_journal_and_discard_deletes_it(qtbot, rel, rel_case):
    a = rel.make_window(qtbot)
    assert a.open_paths(rel_case, remember=False)
    _edit(a, rel)
    _crash(a)
    b = rel.make_window(qtbot)
    folder = b.recovery.folder
    assert b.recovery.offer_pending(ask=lambda w, p: "later") == "later"
    assert len(find_pending(folder)) == 1 and b.session is None
    assert b.recovery.offer_pending(ask=lambda w, p: "discard") == "discard"
    assert find_pending(folder) == [] and _sessions(folder) == []


def test_a_failing_journal_warns_once_and_editing_goes_on(qtbot, rel, rel_case, monkeypatch):
    import errno

    import dicegui.core.journal as journal_mod

    w = rel.make_window(qtbot)
    assert w.open_paths(rel_case, remember=False)
    shown = []
    bar = w.statusBar()
    original = bar.showMessage
    monkeypatch.setattr(bar, "showMessage", lambda text, *a: (shown.append(text), original(text, *a)))

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")
    w.editor.set_tool("brush")
    rel.drag(w, [(8, 8), (8, 20)])
    monkeypatch.setattr(journal_mod.writer, "_sync", full)
    for row in (12, 16, 20):
        rel.drag(w, [(row, 8), (row, 20)])
    warnings = [t for t in shown if t.startswith("Crash recovery")]
    assert len(warnings) == 1 and "No space left on device" in warnings[0]
    assert w.editor.history.count == 4
    rel.assert_panel_matches(w)


SCRIPT = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    from PySide6 import QtCore, QtWidgets
    from PySide6.QtTest import QTest
    from dicegui.gui import settings
    from dicegui.gui.app import _application
    from dicegui.gui.main_window import MainWindow

    app = _application()
    w = MainWindow()
    w.resize(1200, 800)
    w.show()
    QTest.qWaitForWindowExposed(w)
    assert w.open_paths({"image": sys.argv[1], "gt": sys.argv[2], "pred": sys.argv[3]}, remember=False)
    w.set_slice(5)
    w.editor.panel.radius.setValue(2)
    vp = w.view.viewport()
    left, nomod = QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier

    def drag(pixels):
        pts = [w.view.widget_pos_of(r, c) for r, c in pixels]
        QTest.mousePress(vp, left, nomod, pts[0])
        for p in pts[1:]:
            QTest.mouseMove(vp, p)
        QTest.mouseRelease(vp, left, nomod, pts[-1])

    w.editor.set_tool("brush")
    w.editor.panel.set_target("pred")
    drag([(3, 3), (3, 30), (12, 33)])
    w.editor.panel.set_target("gt")
    w.editor.set_tool("eraser")
    drag([(14, 8), (22, 28)])
    w.editor.undo()
    w.editor.redo()
    w.editor.set_tool("brush")
    drag([(30, 4), (33, 20)])
    np.save(sys.argv[4], w.session.case.gt_mask)
    np.save(sys.argv[5], w.session.case.pred_mask)
    sys.stdout.write("steps %d\\n" % w.recovery.journal.steps)
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_kill_9_then_app_main_restores_the_edits(qtbot, rel, rel_case, tmp_path, monkeypatch, private_settings):
    script = tmp_path / "crash.py"
    script.write_text(SCRIPT)
    gt_out, pred_out = tmp_path / "gt_edited.npy", tmp_path / "pred_edited.npy"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "DICEGUI_SETTINGS_DIR": str(private_settings)}
    proc = subprocess.run([sys.executable, str(script), *(str(rel_case[r]) for r in ("image", "gt", "pred")),
                           str(gt_out), str(pred_out)], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "steps 5" in proc.stdout  # paint, erase, undo, redo, paint
    edited_gt, edited_pred = np.load(gt_out), np.load(pred_out)

    # a new start of the program, with the same settings folder
    import dicegui.gui.app as app_mod
    import dicegui.gui.recovery as recovery
    asked, windows = [], []
    monkeypatch.setattr(recovery, "ask_recovery", lambda parent, p: asked.append(p) or "restore")
    # Windows of earlier tests may still be alive (one refusing to close over unsaved edits), and
    # topLevelWidgets() has no order: only a window that main() made is the new start's.
    before = QtWidgets.QApplication.topLevelWidgets()  # held: their ids are not reused

    def exec_(self=None):
        windows.extend(w for w in QtWidgets.QApplication.topLevelWidgets()
                       if type(w).__name__ == "MainWindow" and w.isVisible()
                       and not any(w is b for b in before))
        return 0
    monkeypatch.setattr(QtWidgets.QApplication, "exec", exec_)
    assert app_mod.main([]) == 0  # opens the demo, then offers the crashed session's edits
    assert len(asked) == 1 and asked[0].steps == 5 and asked[0].dropped_bytes == 0
    assert len(windows) == 1
    w = windows[0]
    qtbot.addWidget(w)
    assert w.session.demo is None
    np.testing.assert_array_equal(w.session.case.gt_mask, edited_gt)
    np.testing.assert_array_equal(w.session.case.pred_mask, edited_pred)
    original = np.asanyarray(nib.load(str(rel_case["pred"])).dataobj)
    assert not np.array_equal(edited_pred, original)
    rel.assert_panel_matches(w)
    assert w.editor.history.is_modified("gt") and w.editor.history.is_modified("pred")
    # saving both masks leaves nothing pending
    w.editor.saver.save_as("gt", tmp_path / "gt_fixed.nii.gz")
    w.editor.saver.save_as("pred", tmp_path / "pred_fixed.nii.gz")
    np.testing.assert_array_equal(np.asanyarray(nib.load(str(tmp_path / "pred_fixed.nii.gz")).dataobj),
                                  edited_pred)
    assert find_pending(w.recovery.folder) == [] and _sessions(w.recovery.folder) == []
