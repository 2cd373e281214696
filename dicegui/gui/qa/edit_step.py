"""Undoable mask changes made by the QA and teaching panels ("fix this region", "empty the prediction",
"apply this threshold").

Each change is made first through :class:`~dicegui.core.live.LiveScore` by
the core, which returns an :class:`~dicegui.core.edits.EditDelta`, and is then
recorded as one step of the editor's undo history
(:meth:`dicegui.gui.editor.undo.EditHistory.push`, whose
:class:`~dicegui.gui.editor.undo.EditCommand` undoes and redoes it like a
brush stroke, Ctrl+Z included, and which tracks unsaved masks). A window
without the editor gets a :class:`DeltaCommand` on a stack of the panels'
own, cleared whenever another case opens.
"""
from __future__ import annotations

from PySide6 import QtGui

from ...core.edits import EditDelta, apply_delta, describe

_OWN_STACK = "_qa_undo_stack"


class DeltaCommand(QtGui.QUndoCommand):
    """One applied :class:`EditDelta` as an undo step (used only without the editor).

    The delta is already applied when the command is pushed (``QUndoStack.push``
    calls :meth:`redo` once, which is skipped); undo writes its old values back
    through the session's live scores, redo its new values, and the window
    refreshes its scores and overlay either way.
    """

    def __init__(self, window, delta: EditDelta, text: str | None = None):
        super().__init__(text or describe(delta))
        self.window = window
        self.delta = delta
        self.session = window.session
        self._pushed = False

    def _apply(self, undo: bool) -> None:
        if self.window.session is not self.session:  # another case is open: nothing to do here
            return
        apply_delta(self.session.live, self.delta, undo=undo)
        self.window.masks_changed()

    def redo(self) -> None:
        if not self._pushed:  # the first redo is the push of an edit already made
            self._pushed = True
            return
        self._apply(undo=False)

    def undo(self) -> None:
        self._apply(undo=True)


def editor_history(window):
    """The editor's :class:`~dicegui.gui.editor.undo.EditHistory`, when the window has an editor."""
    history = getattr(getattr(window, "editor", None), "history", None)
    return history if history is not None and hasattr(history, "push") else None


def undo_stack(window) -> QtGui.QUndoStack:
    """The stack the panels' steps go on: the editor's, else their own (made on first use)."""
    history = editor_history(window)
    if history is not None:
        return history.stack
    own = getattr(window, _OWN_STACK, None)
    if own is None:
        own = QtGui.QUndoStack(window)
        setattr(window, _OWN_STACK, own)
        window.sessionChanged.connect(own.clear)  # steps of another case make no sense
    return own


def push_edit(window, delta: EditDelta | None, text: str | None = None):
    """Record an already applied edit as one undo step and refresh the window.

    Parameters
    ----------
    window : MainWindow
    delta : EditDelta or None
        From the core (None: nothing changed, nothing is recorded).
    text : str, optional
        Undo history text (default :func:`dicegui.core.edits.describe`).

    Returns
    -------
    QUndoCommand or None
        The step (the editor's ``EditCommand``, or a :class:`DeltaCommand`).
    """
    if delta is None:
        return None
    text = text or describe(delta)
    history = editor_history(window)
    if history is not None:
        command = history.push(delta, text)
    else:
        command = DeltaCommand(window, delta, text)
        undo_stack(window).push(command)
    window.masks_changed()
    return command


def undo_last(window) -> bool:
    """Undo the last step (the editor's Undo when there is an editor); False when there is none."""
    editor = getattr(window, "editor", None)
    stack = undo_stack(window)
    if not stack.canUndo():
        return False
    if editor is not None and hasattr(editor, "undo"):
        editor.undo()  # ends a stroke in progress first
    else:
        stack.undo()
    return True


__all__ = ["DeltaCommand", "push_edit", "undo_stack", "undo_last", "editor_history"]
