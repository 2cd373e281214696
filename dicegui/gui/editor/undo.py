"""Undo history of one case: one QUndoCommand per edit, wrapping an :class:`EditDelta`.

Every edit the editor makes is already in the masks when its step is pushed
(a stroke paints live during the drag), so a step's first ``redo()`` does
nothing; later undo/redo calls write the delta's old or new values through
:func:`dicegui.core.edits.apply_delta`, i.e. through
:class:`~dicegui.core.live.LiveScore`, which keeps every count exact.

One place for every change of the history
-----------------------------------------
:meth:`EditHistory.push` records a step, :meth:`EditHistory._apply` is the
only code that undoes or redoes one (whether from the Undo action, a key or
a click in the history view). Each emits one signal (``pushed``,
``applied``), which is where a recovery journal can listen.

Unsaved state per mask
----------------------
The window asks "is the reference modified?", "is the prediction modified?"
separately (each is saved to its own file). At a save the history remembers
the steps that led to the saved state; later, the way back from the current
state to the saved one undoes the saved steps past the common start of both
histories and redoes the current ones: the mask is unchanged when none of
those steps touches it. This also covers a redo branch discarded by a new
step, and steps pushed onto :attr:`EditHistory.stack` by other panels (any
``QUndoCommand`` with a ``delta`` attribute; one without counts as touching
both masks).

Memory bound
------------
:attr:`EditHistory.memory_limit` caps the bytes held by the steps' deltas.
When a push goes over it, the oldest steps are dropped (they can no longer
be undone) and ``dropped(n)`` is emitted. ``QUndoStack`` can neither remove
its oldest command nor change its count limit once it holds commands, so the
stack is rebuilt from the kept steps (new commands around the same deltas,
keeping each step's serial so the saved-state bookkeeping carries over).
The per-mask saved state stays exact: a saved state that lay among the
dropped steps becomes a fixed set of "steps away" that no undo can reach.
"""
from __future__ import annotations

import itertools

import shiboken6
from PySide6 import QtCore, QtGui

from ...core.edits import EditDelta, apply_delta

ROLES = ("gt", "pred")
_SERIAL = "_dicegui_step_serial"
_serials = itertools.count(1)


class EditCommand(QtGui.QUndoCommand):
    """One undo step: the voxels one stroke or fill changed in one mask.

    Parameters
    ----------
    history : EditHistory
        Applies the delta (the only writer).
    delta : EditDelta
        What changed; the edit is already in the masks when the step is made.
    text : str
        Label in the history view (``describe(delta)``).
    """

    def __init__(self, history: "EditHistory", delta: EditDelta, text: str):
        super().__init__(text)
        self.delta = delta
        self._history = history
        self._in_masks = True

    def redo(self) -> None:
        if self._in_masks:  # first redo() comes from push(): nothing to write
            return
        self._history._apply(self, undo=False)
        self._in_masks = True

    def undo(self) -> None:
        self._history._apply(self, undo=True)
        self._in_masks = False


class EditHistory(QtCore.QObject):
    """The QUndoStack of the open case, with per-mask unsaved state.

    Signals
    -------
    pushed(object)
        A new step (its :class:`EditDelta`), after it was recorded.
    aboutToApply(object, bool)
        A step is about to be undone (True) or redone (False).
    applied(object, bool)
        A step was undone (True) or redone (False): its delta, after the masks
        and counts were written.
    modifiedChanged(bool)
        Whether any mask has unsaved edits.
    """

    pushed = QtCore.Signal(object)
    aboutToApply = QtCore.Signal(object, bool)
    applied = QtCore.Signal(object, bool)
    modifiedChanged = QtCore.Signal(bool)
    dropped = QtCore.Signal(int)

    #: Default bound of :attr:`memory_limit` (bytes); the window sets the user's setting.
    DEFAULT_MEMORY_LIMIT = 200 * 1024 * 1024

    def __init__(self, parent=None, memory_limit: int | None = None):
        super().__init__(parent)
        self.stack = QtGui.QUndoStack(self)
        self.live = None
        #: Most bytes the steps' deltas may hold; older steps are dropped beyond it.
        self.memory_limit = int(memory_limit or self.DEFAULT_MEMORY_LIMIT)
        #: Steps dropped to stay under :attr:`memory_limit` since the case was opened.
        self.dropped_steps = 0
        self._rebuilding = False
        # Per mask: (serial, mask touched) of the steps that led to the saved state.
        self._saved: dict[str, list] = {r: [] for r in ROLES}
        self._modified = False
        self.stack.indexChanged.connect(lambda _i: self._check_modified())

    # ---------------------------------------------------------------- case
    def reset(self, live) -> None:
        """Start the history of a newly opened case (``live`` holds its masks)."""
        self._saved = {r: [] for r in ROLES}  # first: clearing must not compare with an old case
        self.live = live
        self.dropped_steps = 0
        self.stack.clear()
        self._check_modified()

    # --------------------------------------------------------------- steps
    def push(self, delta: EditDelta | None, text: str) -> EditCommand | None:
        """Record an edit already made in the masks; None (no step) when it changed nothing."""
        if delta is None or delta.voxels == 0:
            return None
        cmd = EditCommand(self, delta, text)
        self.stack.push(cmd)
        self.pushed.emit(delta)
        self.enforce_limit()
        self._check_modified()
        return cmd

    # -------------------------------------------------------- memory bound
    def enforce_limit(self) -> int:
        """Drop the oldest undoable steps while the history holds more than :attr:`memory_limit`.

        Only called at the top of the stack (after a push: no redo branch);
        the newest step is always kept. Steps pushed by other panels without
        a delta cannot be re-created, so a history holding one is not
        trimmed. Returns the number of steps dropped (``dropped(n)`` is
        emitted when it is not zero).
        """
        count = self.stack.count()
        if self.stack.index() != count or any(self.delta_at(i) is None for i in range(count)):
            return 0
        sizes = [getattr(self.delta_at(i), "nbytes", 0) for i in range(self.stack.count())]
        total = sum(sizes)
        if total <= self.memory_limit:
            return 0
        # Down to 90 % of the bound, so that the (linear) rebuild is not
        # repeated at every following push.
        target = 0.9 * self.memory_limit
        n = 0
        while n < count - 1 and total > target:
            total -= sizes[n]
            n += 1
        if n:
            self._drop_oldest(n)
            self.dropped_steps += n
            self.dropped.emit(n)
        return n

    def _drop_oldest(self, n: int) -> None:
        steps = [self._step(i) for i in range(self.stack.count())]
        kept = [(self.delta_at(i), self.stack.text(i), steps[i][0]) for i in range(n, self.stack.count())]
        dropped_serials = [s for s, _ in steps[:n]]
        for role in ROLES:
            saved = self._saved[role]
            common = 0
            while common < min(len(saved), n) and saved[common][0] == dropped_serials[common]:
                common += 1
            if common == n:
                self._saved[role] = saved[n:]
            else:
                # The saved state is no longer reachable: what separates it
                # from the current state is the saved steps past the common
                # start plus the dropped ones past it (the kept ones are
                # compared as usual). Serial -1 never matches a real step.
                self._saved[role] = [(-1, w) for _, w in saved[common:]] + [(-1, w) for _, w in steps[common:n]]
        self._rebuilding = True
        try:
            self.stack.clear()
            for delta, text, serial in kept:
                cmd = EditCommand(self, delta, text)
                setattr(cmd, _SERIAL, serial)
                self.stack.push(cmd)  # its first redo() is a no-op: the edit is in the masks
        finally:
            self._rebuilding = False

    def _apply(self, cmd: EditCommand, undo: bool) -> None:
        """Write a step's old (undo) or new (redo) values: the only undo/redo writer."""
        self.aboutToApply.emit(cmd.delta, undo)
        apply_delta(self.live, cmd.delta, undo=undo)
        self.applied.emit(cmd.delta, undo)

    def undo(self) -> None:
        self.stack.undo()

    def redo(self) -> None:
        self.stack.redo()

    def delta_at(self, i: int) -> EditDelta | None:
        return getattr(self.stack.command(i), "delta", None)

    def _step(self, i: int) -> tuple:
        """(serial, mask touched or None for "either") of step ``i``."""
        cmd = self.stack.command(i)
        serial = getattr(cmd, _SERIAL, None)
        if serial is None:
            serial = next(_serials)
            setattr(cmd, _SERIAL, serial)
        delta = getattr(cmd, "delta", None)
        return serial, getattr(delta, "which", None)

    @property
    def count(self) -> int:
        return self.stack.count()

    @property
    def index(self) -> int:
        return self.stack.index()

    def texts(self) -> list[str]:
        """Labels of every step, oldest first."""
        return [self.stack.text(i) for i in range(self.stack.count())]

    @property
    def nbytes(self) -> int:
        """Memory held by the deltas of all steps (undo and redo)."""
        return sum(getattr(self.delta_at(i), "nbytes", 0) for i in range(self.stack.count()))

    # --------------------------------------------------------- saved state
    def is_modified(self, role: str | None = None) -> bool:
        """Unsaved edits in one mask (``"gt"``/``"pred"``) or in either (None)."""
        if role is None:
            return any(self.is_modified(r) for r in ROLES)
        saved = self._saved[role]
        current = self.stack.index()
        common = 0
        while common < min(len(saved), current) and saved[common][0] == self._step(common)[0]:
            common += 1
        back = (which for _, which in saved[common:])
        forth = (self._step(i)[1] for i in range(common, current))
        return any(which in (role, None) for which in itertools.chain(back, forth))

    def _current_steps(self) -> list:
        return [self._step(i) for i in range(self.stack.index())]

    def mark_saved(self, role: str) -> None:
        """The mask was written to disk as it is now."""
        self._saved[role] = self._current_steps()
        self._check_modified()

    def mark_discarded(self) -> None:
        """The user chose to drop the unsaved edits (the masks are about to be replaced)."""
        steps = self._current_steps()
        for role in ROLES:
            self._saved[role] = list(steps)
        self._check_modified()

    def _check_modified(self) -> None:
        if self._rebuilding or not shiboken6.isValid(self.stack):  # mid-trim, or being destroyed
            return
        modified = self.is_modified()
        if modified != self._modified:
            self._modified = modified
            self.modifiedChanged.emit(modified)
