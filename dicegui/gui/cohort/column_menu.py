"""The worklist's "Columns…" menu: every score column of the cohort, grouped, with a check box each.

Groups follow :data:`dicegui.core.metric_columns.GROUPS`: Foreground, Per
label (a sub-menu per label, titled with its name where the table has one),
Per region (a sub-menu per region), Lesion-wise and Instances (flat for the
foreground alone, else a sub-menu per region or label as well). A group the
table has no column of is listed greyed out, so the user sees what a richer
``dicegui score`` run would add. Ticking a column does not close the menu:
choosing five columns is five clicks, not five trips through the menu.
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from ...core.metric_columns import GROUPS, column_tip, column_title, owner_title, parse_column

RESET_TEXT = "Default columns"


class _StayOpenMenu(QtWidgets.QMenu):
    """A menu whose check boxes toggle without closing it."""

    def mouseReleaseEvent(self, ev) -> None:  # noqa: N802 (Qt's name)
        action = self.actionAt(ev.position().toPoint())
        if action is not None and action.isCheckable() and action.isEnabled() and action.menu() is None:
            action.trigger()
            return
        super().mouseReleaseEvent(ev)


class ColumnMenu(_StayOpenMenu):
    """Checkable score columns of a cohort, grouped.

    Signals
    -------
    columnToggled(str, bool)
        The user turned a column on (True) or off.
    resetRequested()
        The user asked for the default columns.
    """

    columnToggled = QtCore.Signal(str, bool)
    resetRequested = QtCore.Signal()

    def __init__(self, title: str = "&Columns", parent=None):
        super().__init__(title, parent)
        self.setToolTipsVisible(True)
        self._actions: dict[str, QtGui.QAction] = {}
        self._groups: dict[str, QtWidgets.QMenu] = {}
        self.set_columns([], [], {})

    # ---------------------------------------------------------- building
    def set_columns(self, available, shown, label_names=None) -> None:
        """Rebuild the menu for a cohort's columns.

        Parameters
        ----------
        available : sequence of str
            Every score column of the cohort, in display order.
        shown : iterable of str
            The columns now shown (ticked).
        label_names : mapping, optional
            ``{"2": "liver"}`` for the per-label titles.
        """
        self.clear()
        self._actions.clear()
        self._groups.clear()
        reset = self.addAction(RESET_TEXT)
        reset.setToolTip("Show the default columns again and forget the choices made here")
        reset.triggered.connect(self.resetRequested)
        self.addSeparator()
        by_group = {g: [c for c in available if parse_column(c).group == g] for g in GROUPS}
        for group in GROUPS:
            menu = _StayOpenMenu(group, self)
            menu.setToolTipsVisible(True)
            self._groups[group] = menu
            self._fill_group(menu, group, by_group[group], label_names or {})
            action = self.addMenu(menu)
            if not by_group[group]:
                action.setEnabled(False)
                action.setText(f"{group} (none in this table)")
        self.set_shown(shown)

    def _fill_group(self, menu, group: str, columns, label_names) -> None:
        owners: dict = {}
        for col in columns:
            owners.setdefault(parse_column(col).owner, []).append(col)
        if list(owners) in ([], [None]):
            self._add_columns(menu, columns, label_names)
            return
        # one sub-menu per label or region: a label map may have dozens of labels
        for owner, cols in owners.items():
            c = parse_column(cols[0])
            title = owner_title(c, label_names) or "Foreground"
            if c.scope == "label" and label_names.get(owner):
                title = f"Label {owner}: {label_names[owner]}"
            elif c.scope == "region":
                title = f"Region {owner}"
            sub = _StayOpenMenu(title, menu)
            sub.setToolTipsVisible(True)
            menu.addMenu(sub)
            self._add_columns(sub, cols, label_names)

    def _add_columns(self, menu, columns, label_names) -> None:
        for col in columns:
            c = parse_column(col)
            # inside a label's or region's part the owner is already said once
            action = menu.addAction(column_title(c.key))
            action.setCheckable(True)
            action.setData(col)
            action.setToolTip(column_tip(col, label_names))
            action.triggered.connect(lambda on, name=col: self.columnToggled.emit(name, bool(on)))
            self._actions[col] = action

    # ------------------------------------------------------------ access
    def set_shown(self, shown) -> None:
        """Tick exactly the columns in ``shown`` (without emitting :attr:`columnToggled`)."""
        shown = set(shown)
        for col, action in self._actions.items():
            blocker = QtCore.QSignalBlocker(action)
            action.setChecked(col in shown)
            del blocker

    def action_for(self, column: str) -> QtGui.QAction | None:
        """The check box of a column (None when the cohort has no such column)."""
        return self._actions.get(column)

    def group_menu(self, group: str) -> QtWidgets.QMenu:
        """The sub-menu of one of :data:`dicegui.core.metric_columns.GROUPS`."""
        return self._groups[group]
