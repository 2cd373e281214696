"""File ▸ New segmentation: an empty label map on the open image's grid, as the prediction or the reference.

The core makes the mask (:func:`dicegui.core.new_segmentation.new_label_map`,
the image's exact shape and affine); here the window offers it when that role
is empty, says in the tooltip why it is not offered otherwise, and re-opens
the case so every panel sees the new mask. The mask has no file yet, so its
first save asks where to write it (see :mod:`.saving`).
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

ROLE_TITLES = {"pred": "as &prediction", "gt": "as &reference"}
ROLE_WORDS = {"pred": "prediction", "gt": "reference"}


class NewSegmentation(QtCore.QObject):
    """The "New segmentation" actions of an :class:`~dicegui.gui.editor.controller.Editor`.

    Attributes
    ----------
    actions : dict
        ``{"pred"|"gt": QAction}`` in File ▸ New segmentation.
    toolbar_action : QAction
        Toolbar button: a new prediction, else a new reference.
    """

    def __init__(self, editor):
        super().__init__(editor)
        self.editor = editor
        window = editor.window
        self.actions = {}
        for role in ("pred", "gt"):
            act = QtGui.QAction(f"New segmentation {ROLE_TITLES[role]}", window)
            act.setText(ROLE_TITLES[role])
            act.triggered.connect(lambda _=False, r=role: self.create(r))
            self.actions[role] = act
        self.menu = QtWidgets.QMenu("&New segmentation", window)
        self.menu.setToolTipsVisible(True)
        self.menu.addActions(list(self.actions.values()))
        file_menu = editor._menu("File")
        if file_menu is not None:
            file_menu.insertMenu(editor.act_save, self.menu)
        self.toolbar_action = QtGui.QAction("New segmentation", window)
        self.toolbar_action.triggered.connect(self._toolbar_triggered)
        editor.toolbar.insertAction(editor.act_save, self.toolbar_action)
        window.sessionChanged.connect(self.update_actions)
        self.update_actions()

    # ----------------------------------------------------------- state
    def why_not(self, role: str) -> str:
        """Why a new ``role`` cannot be started now ("" when it can)."""
        s = self.editor.window.session
        if s is None:
            return "Open an image first: the new segmentation takes its grid"
        if getattr(s.case, f"{role}_mask") is not None:
            return f"This case already has a {ROLE_WORDS[role]}"
        return ""

    def update_actions(self) -> None:
        for role, act in self.actions.items():
            reason = self.why_not(role)
            act.setEnabled(not reason)
            act.setToolTip(reason or f"An empty label map on the image's grid, opened as the {ROLE_WORDS[role]}")
        role = self._toolbar_role()
        self.toolbar_action.setEnabled(role is not None)
        if role is not None:
            tip = f"An empty {ROLE_WORDS[role]} on the image's grid (File ▸ New segmentation)"
        elif self.editor.window.session is None:
            tip = self.why_not("pred")
        else:
            tip = "This case already has a reference and a prediction"
        self.toolbar_action.setToolTip(f"New segmentation: {tip}")

    def _toolbar_role(self) -> str | None:
        return next((r for r in ("pred", "gt") if not self.why_not(r)), None)

    def _toolbar_triggered(self) -> None:
        role = self._toolbar_role()
        if role is not None:
            self.create(role)

    # ---------------------------------------------------------- action
    def create(self, role: str) -> bool:
        """Start an empty ``role`` mask on the open case and show it; False when refused."""
        from ...core.new_segmentation import new_label_map
        from ..session import Session

        ed = self.editor
        w = ed.window
        reason = self.why_not(role)
        if reason:
            ed.report(f"New segmentation: {reason.lower()}")
            return False
        if not ed.confirm_discard("start a new segmentation"):
            return False
        s = w.session
        try:
            case = new_label_map(s.case, role)
            session = Session(case, paths=dict(s.paths), demo=s.demo)
        except (ValueError, MemoryError) as exc:
            w._report_error("Could not start a new segmentation", str(exc))
            return False
        w.set_session(session)
        ed.panel.set_target(role)
        ed.report(f"New empty {ROLE_WORDS[role]}: paint with B, fill with F; Ctrl+S asks where to save it")
        return True
