"""Crash recovery in the window: journal every edit, offer to restore after a crash.

The journal itself (record format, locking, replay) is
:mod:`dicegui.core.journal`; this module only wires it to the window:

* when a case with a mask opens (one is enough: edits of a lone prediction
  or of a new segmentation are journalled too), a :class:`~dicegui.core.journal.RecoveryJournal`
  starts in ``recovery/`` beside the settings file
  (:func:`dicegui.gui.settings.recovery_folder`);
* every step pushed on the editor's history, and every undo and redo, is
  recorded (:class:`~dicegui.gui.editor.undo.EditHistory` signals ``pushed``
  and ``applied`` are the only places steps are made or re-applied);
* a successful save tells the journal (``mark_saved``); when no mask has
  unsaved edits any more (everything saved, edits discarded, or undone back
  to the files) the journal is cleared, and started again at the next edit
  from the files the masks now equal;
* a write failure (full disk...) shows one warning in the status bar; the
  editing goes on, and the journal keeps counting the edits it no longer
  holds, so the later offer says how many are missing.

At start-up :meth:`RecoveryManager.offer_pending` looks for journals left
by a crashed or killed session and asks Restore / Discard / Later. Journals
that could not be read are never deleted: the core moves them to
``recovery/damaged/`` and the window says so in one dialog (a damaged
journal that is restored or discarded is kept there too, and the status bar
says where).
Restoring loads the case files, replays the edits through the new session's
:class:`~dicegui.core.live.LiveScore` (so every count is exact), shows the
case with the restored edits as one undo step per edited mask (both masks
unsaved), and carries on writing the same journal.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtWidgets

from ..core.edits import EditDelta
from ..core.journal import PendingRecovery, RecoveryError, RecoveryJournal, discard, find_journals, replay
from . import settings as app_settings

RESTORE, DISCARD, LATER = "restore", "discard", "later"
MASK_WORDS = {"gt": "reference", "pred": "prediction"}


def ask_recovery(parent, pending: PendingRecovery) -> str:
    """Ask what to do with a pending journal: ``"restore"``, ``"discard"`` or ``"later"``."""
    box = QtWidgets.QMessageBox(parent)
    box.setIcon(QtWidgets.QMessageBox.Icon.Question)
    box.setWindowTitle("Restore unsaved edits?")
    box.setText("dicegui did not close normally. Restore the unsaved edits?")
    box.setInformativeText(pending.describe())
    restore = box.addButton("Restore", QtWidgets.QMessageBox.ButtonRole.AcceptRole)
    drop = box.addButton("Discard", QtWidgets.QMessageBox.ButtonRole.DestructiveRole)
    later = box.addButton("Later", QtWidgets.QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(restore)
    box.setEscapeButton(later)
    box.exec()
    clicked = box.clickedButton()
    return RESTORE if clicked is restore else DISCARD if clicked is drop else LATER


def read_options(case) -> dict:
    """How the case's prediction was read (sigmoid, channels), to read it the same way after a crash."""
    out = {}
    if case.pred_channels is not None:
        out["channels"] = case.pred_channels.activation
        out["channel_axis"] = int(case.pred.meta.get("channel_axis", -1))
    elif case.pred_raw is not None:
        out["sigmoid"] = True
    return out

class RecoveryManager(QtCore.QObject):
    """Keeps the recovery journal of a :class:`~dicegui.gui.main_window.MainWindow`.

    Attributes
    ----------
    journal : RecoveryJournal or None
        The journal of the open case (None: no editable case, or it could
        not be started).
    folder : pathlib.Path
        The recovery folder.
    warning : str or None
        The last journal problem shown in the status bar.
    """

    def __init__(self, window, folder=None):
        super().__init__(window)
        self.window = window
        self.editor = window.editor
        self.folder = Path(folder) if folder is not None else app_settings.recovery_folder()
        self.journal: RecoveryJournal | None = None
        self.warning: str | None = None
        self._resuming: PendingRecovery | None = None
        #: Journals that could not be read, moved to damaged/, not yet told (see tell_set_aside).
        self.set_aside: list = []
        self._quiet = False  # the restored steps are already in the journal
        self._stale = False  # cleared: start again at the next edit
        window.sessionChanged.connect(self._session_changed)
        history = self.editor.history
        history.pushed.connect(self._pushed)
        history.applied.connect(self._applied)
        history.modifiedChanged.connect(self._modified_changed)
        self.editor.maskSaved.connect(self._saved)

    # ------------------------------------------------------------ journalling
    def _base_paths(self) -> dict:
        """The files the masks equal when nothing is unsaved (saved copies replace originals)."""
        s = self.window.session
        paths = {r: p for r, p in s.paths.items() if p is not None}
        if s.demo and s.demo != "totalseg":
            # The masks of the other demos are built in memory, not read from files.
            paths = {"image": paths["image"]} if "image" in paths else {}
        paths.update(self.editor.saver.saved_paths)
        return paths

    def _start(self) -> None:
        s = self.window.session
        self._stale = False
        if s is None or s.edits is None:
            return
        masks = {w: m for w, m in (("gt", s.edits.gt), ("pred", s.edits.pred)) if m is not None}
        options = {"demo": s.demo} if s.demo else {}
        options.update(read_options(s.case))
        saved = self.editor.saver.saved_paths
        new = [w for w in masks if getattr(getattr(s.case, w), "meta", {}).get("new") and w not in saved]
        if new:  # a new segmentation has no file: restore starts it empty again
            options["new"] = new
        journal = RecoveryJournal(self.folder)
        try:
            journal.start(self._base_paths(), shapes={w: m.shape for w, m in masks.items()},
                          dtypes={w: m.dtype for w, m in masks.items()}, options=options)
        except (OSError, ValueError) as exc:  # RecoveryError is a ValueError
            journal.clear()
            self._warn(f"Edits of this case cannot be journalled for crash recovery: {exc}")
            return
        self.journal = journal

    def _stop(self) -> None:
        """Forget the journal of a case whose edits are all saved or were discarded."""
        if self.journal is not None:
            self.journal.clear()
            self.journal = None

    def _session_changed(self) -> None:
        self._stop()  # the previous case was closed after its edits were saved or discarded
        self.warning = None
        pending, self._resuming = self._resuming, None
        if pending is not None:
            try:
                self.journal = RecoveryJournal.resume(pending)
                return
            except RecoveryError as exc:
                self._warn(f"The restored edits are no longer journalled: {exc}")
        self._start()

    def _ensure(self) -> RecoveryJournal | None:
        if self.journal is None and self._stale:
            self._start()
        return self.journal

    def _record(self, delta, undo: bool) -> None:
        if self._quiet:
            return
        journal = self._ensure()
        if journal is None:
            return  # after a failed write the journal still counts what it misses
        try:
            journal.record(delta, undo=undo)
        except (RecoveryError, ValueError) as exc:
            self._warn(str(exc))

    def _pushed(self, delta) -> None:
        self._record(delta, False)

    def _applied(self, delta, undo: bool) -> None:
        self._record(delta, undo)

    def _saved(self, role: str, path) -> None:
        if self.journal is None:
            return
        try:
            self.journal.mark_saved(role, path)
        except (RecoveryError, RuntimeError) as exc:
            self._warn(str(exc))

    def _modified_changed(self, modified: bool) -> None:
        if not modified and self.journal is not None and self.window.session is not None:
            # Saved, discarded or undone back to the files: nothing to recover.
            self._stop()
            self._stale = True

    def _warn(self, text: str) -> None:
        """One non-blocking warning per problem: the status bar, never a dialog."""
        if text == self.warning:
            return
        self.warning = text
        self.window.statusBar().showMessage(f"Crash recovery: {text}", 20000)

    def shutdown(self) -> None:
        """The window closes with nothing unsaved: no journal is left behind."""
        self._stop()
        self._stale = False

    # -------------------------------------------------------------- restoring
    def pending(self) -> list[PendingRecovery]:
        """Journals left by sessions that crashed or were killed (newest first).

        Journals that could not be read are moved to ``damaged/`` meanwhile
        and listed in :attr:`set_aside` (see :meth:`tell_set_aside`).
        """
        try:
            found = find_journals(self.folder)
        except OSError as exc:
            self._warn(f"the recovery folder {self.folder} cannot be read ({exc.strerror or exc})")
            return []
        self.set_aside = found.set_aside
        return found.pending

    def tell_set_aside(self) -> None:
        """One dialog naming the journals that could not be read and where they were kept."""
        if not self.set_aside:
            return
        lines = "\n".join(f"• {a.path.name}: {a.reason}." for a in self.set_aside)
        QtWidgets.QMessageBox.warning(
            self.window, "Recovery journal could not be read",
            f"{len(self.set_aside)} recovery journal{'s' if len(self.set_aside) != 1 else ''} of an earlier "
            f"session could not be read, so {'they are' if len(self.set_aside) != 1 else 'it is'} not offered. "
            f"Nothing was deleted: {'they were' if len(self.set_aside) != 1 else 'it was'} moved to "
            f"{self.folder / 'damaged'}.\n\n{lines}")
        self.set_aside = []

    def offer_pending(self, ask=None) -> str | None:
        """Offer each pending journal (newest first) until one is restored.

        Parameters
        ----------
        ask : callable, optional
            ``ask(window, pending) -> "restore" | "discard" | "later"``;
            :func:`ask_recovery` (a dialog) by default.

        Returns
        -------
        str or None
            ``"restore"`` when a journal was restored, else the last answer
            (None when nothing was pending).
        """
        ask = ask or ask_recovery
        answer = None
        found = self.pending()
        self.tell_set_aside()
        for pending in found:
            answer = ask(self.window, pending)
            if answer == DISCARD:
                self._discard(pending)
            elif answer == RESTORE:
                if self.restore(pending):
                    return RESTORE
            else:
                break  # later: every remaining journal stays for the next start
        return answer

    def _discard(self, pending: PendingRecovery) -> None:
        try:
            kept = discard(pending)
        except OSError as exc:
            self._warn(f"the journal {pending.session.name} could not be discarded ({exc.strerror or exc})")
            return
        if kept is not None:
            self.window.statusBar().showMessage(
                f"Discarded; the journal could not be read in full, so it is kept in {kept}", 15000)

    def restore(self, pending: PendingRecovery) -> bool:
        """Open the journal's case with its edits replayed; False (and a dialog) on failure."""
        from ..core.io import LoadError
        from .session import Session

        w = self.window
        if not self.editor.confirm_discard("restore the unsaved edits of another session"):
            return False
        try:
            session = self._load(pending)
            edits = session.edits
            if edits is None or any(getattr(edits, w) is None for w in pending.shapes):
                raise RecoveryError("the restored case lacks a mask the journal edited")
            before = {which: getattr(edits, which).copy()
                      for which in ("gt", "pred") if pending.steps_per_mask.get(which)}
            replay(pending, edits)
        except (LoadError, RecoveryError, ValueError, OSError, MemoryError) as exc:
            w._report_error("Could not restore the unsaved edits",
                            f"{exc}\nThe journal is kept; it is offered again at the next start.")
            return False
        # Labels painted into a label map after the case was opened.
        session.labels = session._present_labels()
        session.is_label_map = session._label_map()
        self._resuming = pending
        try:
            w.set_session(session)
        finally:
            self._resuming = None
        self._push_restored(session, before, pending)
        text = (f"Restored {pending.steps} edit{'s' if pending.steps != 1 else ''} "
                "from the recovery journal: save them to keep them")
        if pending.unread:
            text += f". The journal could not be read in full; a copy is kept in {self.folder / 'damaged'}"
        w.statusBar().showMessage(text, 15000)
        return True

    def _load(self, pending: PendingRecovery):
        from ..core.demo import DEMO_DIR, DEMO_FILES, build_demo
        from ..core.io.opening import open_case
        from .session import Session

        from ..core.new_segmentation import new_label_map

        files = {r: Path(f.path) for r, f in pending.files.items() if f is not None}
        demo = pending.options.get("demo")
        new = [w for w in pending.options.get("new", ()) if w in ("gt", "pred")]
        if demo:
            expected = {r: (DEMO_DIR / f).absolute() for r, f in DEMO_FILES.items()}
            if demo != "totalseg":
                expected = {"image": expected["image"]}
            if files == expected:
                case = build_demo(demo)
                for role in new:
                    new_label_map(case, role)
                return Session(case, paths=files, demo=demo)
        read = {k: pending.options[k] for k in ("sigmoid", "channels", "channel_axis") if k in pending.options}
        case = open_case(image=files.get("image"), gt=files.get("gt"), pred=files.get("pred"), **read)
        for role in new:  # new segmentations had no file: empty again, then the journal replays
            new_label_map(case, role)
        return Session(case, paths=files)

    def _push_restored(self, session, before: dict, pending: PendingRecovery) -> None:
        """The restored edits as one undo step per mask (which also marks them unsaved)."""
        self._quiet = True
        pushed = 0
        try:
            for which, old in before.items():
                now = getattr(session.edits, which)
                index = np.nonzero(old != now)
                delta = EditDelta.from_changes(which, index, old[index], now[index], label=None,
                                               tool="restore", scope="volume")
                if delta is None:
                    continue
                n = pending.steps_per_mask[which]
                self.editor.history.push(delta, f"Restored {n} edit{'s' if n != 1 else ''} of the "
                                                f"{MASK_WORDS[which]} ({delta.voxels} voxels)")
                pushed += 1
        finally:
            self._quiet = False
        if not pushed:  # the edits cancel out: the masks equal the files, nothing to keep
            self._stop()
            self._stale = True


def install_recovery(window) -> RecoveryManager:
    """Attach a :class:`RecoveryManager` to a window (after its editor)."""
    return RecoveryManager(window)
