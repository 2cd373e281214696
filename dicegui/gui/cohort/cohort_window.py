"""The cohort worklist: every case with its scores, worst first, with a review status and a note.

A cohort opens from the CSV table ``dicegui score --out`` wrote, or from two
folders (paired and scored as ``dicegui score`` does, in a worker thread).
The table is :class:`dicegui.core.review.Cohort` in its current order: a
click on a column header sorts by that column, worst first (a second click
reverses it); an infinite distance (a mask without surface, shown ``∞``) is
the worst value, undefined and missing values (``—``) go last.

Which score columns are shown is chosen in the "Columns…" menu (also View ▸
Columns): foreground, per label, per region, lesion-wise and instance
columns, grouped (:mod:`.column_menu`). The defaults are the usual
foreground scores, every region's Dice and the lesion-wise Dice
(:func:`dicegui.core.metric_columns.default_columns`); choices are
remembered for the next tables (:mod:`.column_memory`). What a column name
means (scope, NSD tolerance, whether larger is worse, its title) is decided
in :mod:`dicegui.core.metric_columns`, the rule the core's sort uses too. A double-click (or Enter) opens the case in the main window
(zoomed onto its masks when they span less than a quarter of the slice: a
lens is otherwise a few screen pixels);
Ctrl+→ / Ctrl+← (also Alt+N / Alt+P) open the next / previous case, here and
in the main window.

The review status (unreviewed / approved / corrected / rejected; Alt+U /
Alt+A / Alt+C / Alt+R) and the note of the selected case are saved by the
core in the review sidecar beside the CSV (``results.review.json``) or in
the prediction folder (``dicegui.review.json``) at every change, so a review
survives closing the window or the program. File ▸ Export writes the reviewed
table (review columns first).
"""
from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from ...core.metric_columns import cell_text as score_cell_text
from ...core.metric_columns import column_tip, default_columns, display_order, label_names_of
from ...core.metric_columns import column_title as score_column_title
from ...core.names import readable
from ...core.review import REVIEW_STATUSES, Cohort, CohortError
from . import column_memory
from .column_menu import ColumnMenu

STATUS_TITLES = {"unreviewed": "Unreviewed", "approved": "Approved", "corrected": "Corrected",
                 "rejected": "Rejected"}
STATUS_COLOURS = {"unreviewed": None, "approved": QtGui.QColor(214, 240, 222),
                  "corrected": QtGui.QColor(255, 240, 204), "rejected": QtGui.QColor(250, 220, 214)}
#: Titles and tips of the columns that are not scores (scores: :mod:`dicegui.core.metric_columns`).
COLUMN_TITLES = {"case": "Case", "review": "Review", "note": "Note", "status": "Scoring"}
COLUMN_TIPS = {"case": "Case name", "review": "Review status", "note": "Review note",
               "status": "Result of the scoring run (ok, bad_input, timeout, internal_error)"}
NEXT_KEYS = ("Ctrl+Right", "Alt+N")
PREVIOUS_KEYS = ("Ctrl+Left", "Alt+P")
_OUTSIDE = "leads outside the table's folder"


class _ScoreSignals(QtCore.QObject):
    progress = QtCore.Signal(int, int)
    done = QtCore.Signal(object)
    failed = QtCore.Signal(str)


class _ScoreJob(QtCore.QRunnable):
    """Score a cohort opened from folders (worker thread)."""

    def __init__(self, cohort: Cohort, options, workers: int, signals: _ScoreSignals):
        super().__init__()
        self.cohort, self.options, self.workers, self.signals = cohort, options, workers, signals

    def run(self) -> None:
        try:
            self.cohort.score(self.options, workers=self.workers,
                              progress=lambda done, total, _row: self.signals.progress.emit(done, total))
        except Exception as exc:  # noqa: BLE001 - shown as one message; dead or stuck cases are rows
            self.signals.failed.emit(f"{type(exc).__name__}: {' '.join(str(exc).split())}")
        else:
            self.signals.done.emit(self.cohort)


class _Item(QtWidgets.QTableWidgetItem):
    def __init__(self, text: str, align_right: bool = False):
        super().__init__(text)
        if align_right:
            self.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)


class OpenFoldersDialog(QtWidgets.QDialog):
    """Choose the reference and prediction folders (and optionally images) of a cohort, and what to score.

    The scoring choices are those of ``dicegui score``: surface distances
    with the NSD tolerance (one value or a per-label/per-region table, so
    the worklist's NSD can be asked at the tolerance the main window
    shows), region groups, lesion-wise and instance metrics. They are
    checked when Open is pressed; a bad one is said in the dialog, which
    stays open.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Open a cohort from folders")
        self.edits = {}
        form = QtWidgets.QFormLayout(self)
        for key, title in (("gt", "Reference masks"), ("pred", "Predicted masks"), ("image", "Images (optional)")):
            edit = QtWidgets.QLineEdit()
            browse = QtWidgets.QPushButton("Browse…")
            browse.clicked.connect(lambda _=False, e=edit, t=title: self._browse(e, t))
            row = QtWidgets.QHBoxLayout()
            row.addWidget(edit, 1)
            row.addWidget(browse)
            form.addRow(title, row)
            self.edits[key] = edit
        self._build_score_choices(form)
        self.problem = QtWidgets.QLabel("")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("QLabel { color: #a0301a; }")
        form.addRow(self.problem)
        self.buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Open
                                                  | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)

    def _build_score_choices(self, form) -> None:
        from ...core.tolerances import DEFAULT_TOLERANCE

        self.surface = QtWidgets.QCheckBox("Also surface distances (HD95, ASSD, NSD; slower)")
        form.addRow(self.surface)
        self.tolerance = QtWidgets.QLineEdit(format(DEFAULT_TOLERANCE, "g"))
        self.tolerance.setToolTip("NSD tolerance in mm: one value (2) or per label / region (*=2;1=3.0;WT=1)")
        self.tolerance.setEnabled(False)
        self.surface.toggled.connect(self.tolerance.setEnabled)
        form.addRow("NSD tolerance (mm)", self.tolerance)
        self.regions = QtWidgets.QLineEdit()
        self.regions.setPlaceholderText("none; e.g. brats2021 or WT=1,2,4;TC=1,4;ET=4")
        self.regions.setToolTip("Region groups scored as one mask each (unions of labels), as dicegui score --regions")
        form.addRow("Regions", self.regions)
        self.lesion_wise = QtWidgets.QCheckBox("Lesion-wise Dice and HD95 (BraTS 2023)")
        self.instances = QtWidgets.QCheckBox("Instance detection and panoptic quality")
        form.addRow(self.lesion_wise)
        form.addRow(self.instances)

    def _browse(self, edit, title) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, title, edit.text())
        if folder:
            edit.setText(folder)

    def values(self) -> dict:
        return {k: (Path(e.text()) if e.text().strip() else None) for k, e in self.edits.items()}

    def score_options(self):
        """The scoring choices as :class:`dicegui.core.case_scoring.ScoreOptions`.

        Raises
        ------
        ValueError
            A tolerance or region text that cannot be used (the core's message).
        """
        from ...core.cohort import ScoreOptions
        from ...core.region_groups import parse_regions
        from ...core.tolerances import parse_tolerances

        surface = self.surface.isChecked()
        kwargs = {"surface": surface, "lesion_wise": self.lesion_wise.isChecked(),
                  "instances": self.instances.isChecked()}
        if surface:
            kwargs["tolerance"] = parse_tolerances(self.tolerance.text().strip())
        if self.regions.text().strip():
            kwargs["regions"] = parse_regions(self.regions.text().strip())
        return ScoreOptions(**kwargs)

    def accept(self) -> None:
        try:
            self.score_options()
        except ValueError as exc:
            self.problem.setText(str(exc))
            return
        self.problem.setText("")
        super().accept()


class CohortWindow(QtWidgets.QMainWindow):
    """The worklist window.

    Parameters
    ----------
    main_window : MainWindow, optional
        Where cases open (None: the table and the review work on their own).

    Signals
    -------
    caseOpened(str)
        A case was opened in the main window.
    cohortChanged()
        A cohort was opened (or re-scored).
    """

    caseOpened = QtCore.Signal(str)
    cohortChanged = QtCore.Signal()

    def __init__(self, main_window=None, parent=None):
        super().__init__(parent)
        self.main_window = main_window
        self.cohort: Cohort | None = None
        self.current: str | None = None
        self.columns: list[str] = []
        self.label_names: dict = {}
        self.dialogs_enabled = True
        self.last_error: str | None = None
        self.pool = QtCore.QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._signals = _ScoreSignals(self)
        self._signals.progress.connect(self._score_progress)
        self._signals.done.connect(self._scored)
        self._signals.failed.connect(lambda m: self._error("Could not score the cohort", m))
        self.setWindowTitle("Cohort")
        self.resize(1100, 640)

        self._build_table()
        split = QtWidgets.QSplitter()
        split.addWidget(self._build_centre())
        split.addWidget(self._build_review_panel())
        split.setStretchFactor(0, 1)
        self.setCentralWidget(split)
        self._build_status_bar()
        self._build_actions()
        self._set_case_enabled(False)
        from .cohort_plots import attach_plots  # the "Plots" dock follows the table; a click opens the case

        self.plots = attach_plots(self)
        from .compare_view import attach_compare  # File ▸ Compare with…: another model's table, same cases

        self.act_compare = attach_compare(self)

    def _build_table(self) -> None:
        self.table = QtWidgets.QTableWidget(0, 0)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.sectionClicked.connect(self._header_clicked)
        self.table.cellDoubleClicked.connect(lambda r, _c: self.open_case(self._name_at(r)))
        self.table.itemSelectionChanged.connect(self._selection_changed)

    def _build_centre(self) -> QtWidgets.QWidget:
        """The source line, the "Columns…" button and the table."""
        self.source_label = QtWidgets.QLabel("Open a cohort: File ▸ Open table (CSV)… or Open folders…")
        self.source_label.setWordWrap(True)
        self.column_menu = ColumnMenu("&Columns", self)
        self.column_menu.columnToggled.connect(self.set_column_shown)
        self.column_menu.resetRequested.connect(self.reset_columns)
        self.columns_button = QtWidgets.QPushButton("Columns…")
        self.columns_button.setToolTip("Choose the score columns: per label, per region, lesion-wise, instances")
        # popup(), not a button menu: exec() would block the event loop (and a test driving it)
        self.columns_button.clicked.connect(self.show_column_menu)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.source_label, 1)
        top.addWidget(self.columns_button, 0, QtCore.Qt.AlignmentFlag.AlignBottom)
        centre = QtWidgets.QWidget()
        cl = QtWidgets.QVBoxLayout(centre)
        cl.setContentsMargins(4, 4, 4, 4)
        cl.addLayout(top)
        cl.addWidget(self.table, 1)
        return centre

    def _build_review_panel(self) -> QtWidgets.QWidget:
        """The selected case: its name, scores, review status, note and open button."""
        self.case_title = QtWidgets.QLabel("No case selected")
        f = self.case_title.font()
        f.setBold(True)
        f.setPointSize(f.pointSize() + 1)
        self.case_title.setFont(f)
        self.case_scores = QtWidgets.QLabel("")
        self.case_scores.setWordWrap(True)
        self.status_buttons: dict[str, QtWidgets.QRadioButton] = {}
        self.status_group = QtWidgets.QButtonGroup(self)
        status_box = QtWidgets.QGroupBox("Review")
        sl = QtWidgets.QVBoxLayout(status_box)
        for status in REVIEW_STATUSES:
            b = QtWidgets.QRadioButton("&" + STATUS_TITLES[status])
            self.status_group.addButton(b)
            self.status_buttons[status] = b
            sl.addWidget(b)
            b.toggled.connect(lambda on, st=status: on and self.set_status(st))
        self.note = QtWidgets.QLineEdit()
        self.note.setPlaceholderText("Note (saved when you press Enter or leave the field)")
        self.note.editingFinished.connect(self.commit_note)
        sl.addWidget(QtWidgets.QLabel("Note"))
        sl.addWidget(self.note)
        self.open_button = QtWidgets.QPushButton("Open in the main window")
        self.open_button.clicked.connect(lambda: self.open_case(self.current))
        self.problem = QtWidgets.QLabel("")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("QLabel { color: #a0301a; }")
        side = QtWidgets.QWidget()
        side_l = QtWidgets.QVBoxLayout(side)
        side_l.addWidget(self.case_title)
        side_l.addWidget(self.case_scores)
        side_l.addWidget(status_box)
        side_l.addWidget(self.open_button)
        side_l.addWidget(self.problem)
        side_l.addStretch(1)
        side.setMinimumWidth(260)
        side.setMaximumWidth(340)
        return side

    def _build_status_bar(self) -> None:
        self.counts_label = QtWidgets.QLabel("")
        self.progress = QtWidgets.QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setVisible(False)
        self.statusBar().addWidget(self.counts_label, 1)
        self.statusBar().addPermanentWidget(self.progress)

    # ------------------------------------------------------------ actions
    def _build_actions(self) -> None:
        def act(text, slot, keys=(), tip=None):
            a = QtGui.QAction(text, self)
            if keys:
                a.setShortcuts([QtGui.QKeySequence(k) for k in keys])
            if tip:
                a.setToolTip(tip)
                a.setStatusTip(tip)
            a.triggered.connect(slot)
            self.addAction(a)
            return a

        self.act_open_csv = act("Open &table (CSV)…", lambda: self.open_csv_dialog(), ("Ctrl+O",),
                                "Open the table written by dicegui score --out")
        self.act_open_dirs = act("Open &folders…", lambda: self.open_dirs_dialog(), ("Ctrl+Shift+O",),
                                 "Pair and score two folders of masks")
        self.act_export = act("&Export reviewed table…", lambda: self.export_dialog(), ("Ctrl+E",),
                              "Write the table with the review status and note of every case")
        self.act_close = act("&Close", self.close, ("Ctrl+W",))
        self.act_next = act("&Next case", self.next_case, NEXT_KEYS, "Open the next case (Ctrl+→ or Alt+N)")
        self.act_previous = act("&Previous case", self.previous_case, PREVIOUS_KEYS,
                                "Open the previous case (Ctrl+← or Alt+P)")
        self.act_open_case = act("&Open selected case", lambda: self.open_case(self.current), ("Return",))
        self.act_open_case.setShortcutContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.table.addAction(self.act_open_case)
        menu = self.menuBar().addMenu("&File")
        for a in (self.act_open_csv, self.act_open_dirs, self.act_export):
            menu.addAction(a)
        menu.addSeparator()
        menu.addAction(self.act_close)
        go = self.menuBar().addMenu("&Go")
        for a in (self.act_open_case, self.act_next, self.act_previous):
            go.addAction(a)
        view = self.menuBar().addMenu("&View")
        view.addMenu(self.column_menu)
        tb = self.addToolBar("Cohort")
        tb.setObjectName("cohort_toolbar")
        tb.setMovable(False)
        for a in (self.act_open_csv, self.act_open_dirs, self.act_export):
            tb.addAction(a)
        tb.addSeparator()
        tb.addAction(self.act_previous)
        tb.addAction(self.act_next)

    def _error(self, title: str, text: str) -> None:
        self.last_error = text
        self.progress.setVisible(False)
        if self.dialogs_enabled:
            QtWidgets.QMessageBox.critical(self, title, text)
        else:
            import sys

            print(f"dicegui: {text}", file=sys.stderr)

    # ------------------------------------------------------------- opening
    def open_csv_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open a cohort table", "",
                                                        "CSV tables (*.csv);;All files (*)")
        if path:
            self.open_csv(path)

    def open_csv(self, path, allow_absolute: bool | None = None) -> bool:
        """Open the table of ``dicegui score --out``; False (and a message) when it cannot be read.

        With ``allow_absolute=None`` a table naming files outside its own
        folder asks whether to trust its paths (untrusted when dialogs are off).
        """
        try:
            cohort = Cohort.from_csv(path, allow_absolute=bool(allow_absolute))
            if allow_absolute is None and any(_OUTSIDE in p for c in cohort for p in c.problems):
                if self._ask_trust(path):
                    cohort = Cohort.from_csv(path, allow_absolute=True)
        except (CohortError, OSError) as exc:
            self._error("Could not open the cohort", str(exc))
            return False
        self.set_cohort(cohort)
        return True

    def _ask_trust(self, path) -> bool:
        if not self.dialogs_enabled:
            return False
        answer = QtWidgets.QMessageBox.question(
            self, "Trust the paths of this table?",
            f"{path} names mask files outside its own folder (absolute or ../ paths). Open them?\n\n"
            "Only say yes for a table you or a colleague wrote with dicegui score.",
            QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.No)
        return answer == QtWidgets.QMessageBox.StandardButton.Yes

    def open_dirs_dialog(self) -> None:
        dlg = OpenFoldersDialog(self)
        if dlg.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            v = dlg.values()
            if v["gt"] is None or v["pred"] is None:
                self._error("Could not open the cohort", "Choose both a reference folder and a prediction folder.")
                return
            self.open_dirs(v["gt"], v["pred"], v["image"], options=dlg.score_options())

    def open_dirs(self, gt_dir, pred_dir, image_dir=None, *, surface: bool = False, workers: int | None = None,
                  options=None) -> bool:
        """Pair two folders and score them in a worker thread (the table fills in when done).

        ``options`` (:class:`dicegui.core.case_scoring.ScoreOptions`) says
        what to score; without it, overlap scores and, with ``surface``,
        surface distances at the default tolerance.
        """
        from ...core.cohort import ScoreOptions, default_workers

        try:
            cohort = Cohort.from_dirs(gt_dir, pred_dir, image_dir)
        except (ValueError, OSError) as exc:
            self._error("Could not open the cohort", str(exc))
            return False
        n = sum(c.openable for c in cohort)
        if workers is None:
            workers = 1 if n <= 4 else min(default_workers(), n)
        self.set_cohort(cohort)
        self.source_label.setText(f"Scoring {n} case(s) of {pred_dir}…")
        self.progress.setRange(0, max(n, 1))
        self.progress.setValue(0)
        self.progress.setVisible(True)
        options = options if options is not None else ScoreOptions(surface=surface)
        self.pool.start(_ScoreJob(cohort, options, workers, self._signals))
        return True

    def wait(self, msecs: int = 60000) -> bool:
        """Block until scoring is done and shown (tests, screenshots)."""
        done = self.pool.waitForDone(msecs)
        QtWidgets.QApplication.processEvents()
        return done

    def _score_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _scored(self, cohort) -> None:
        self.progress.setVisible(False)
        if cohort is self.cohort:
            self.set_cohort(cohort)

    def set_cohort(self, cohort: Cohort) -> None:
        """Show a cohort (worst first by its default metric) with the chosen columns."""
        self.cohort = cohort
        keep = self.current if self.current in cohort else None
        self.current = None
        self.label_names = label_names_of(c.fields for c in cohort)
        available = self.available_columns()
        shown = column_memory.chosen_columns(available, self.default_columns())
        self.column_menu.set_columns(available, shown, self.label_names)
        self._set_columns(shown)
        unmatched = len(cohort.unmatched_gt) + len(cohort.unmatched_pred)
        extra = f"; {unmatched} file(s) without a partner were left out" if unmatched else ""
        self.source_label.setText(f"<b>{cohort.source}</b> — {len(cohort)} cases; review kept in "
                                  f"{cohort.sidecar.name}{extra}.")
        self.setWindowTitle(f"Cohort {cohort.source.name}")
        if len(cohort):
            self.select(keep if keep is not None else cohort.order[0])
        self.cohortChanged.emit()

    # -------------------------------------------------------------- columns
    def available_columns(self) -> list[str]:
        """Every score column of the cohort, in the worklist's order (what the Columns menu lists)."""
        return [] if self.cohort is None else display_order(self.cohort.metrics())

    def default_columns(self) -> list[str]:
        """The score columns shown before anyone chooses (:func:`dicegui.core.metric_columns.default_columns`)."""
        if self.cohort is None:
            return []
        return default_columns(self.cohort.metrics(), self.cohort.default_metric())

    def shown_metrics(self) -> list[str]:
        """The score columns now shown, in table order."""
        return [c for c in self.columns if c not in COLUMN_TITLES]

    def set_column_shown(self, column: str, shown: bool = True) -> bool:
        """Show or hide a score column, and remember the choice for the next tables.

        Returns
        -------
        bool
            False when the cohort has no such column (nothing changes).
        """
        available = self.available_columns()
        if column not in available:
            return False
        column_memory.remember(column, shown)
        now = set(self.shown_metrics())
        now = now | {column} if shown else now - {column}
        self._set_columns([c for c in available if c in now])
        if shown:  # the column may land right of the visible ones: bring it into sight
            self.table.scrollTo(self.table.model().index(max(0, self.table.currentRow()), self.columns.index(column)))
        return True

    def reset_columns(self) -> None:
        """Back to the default columns, forgetting the choices made (here and for the next tables)."""
        column_memory.forget()
        if self.cohort is not None:
            self._set_columns(self.default_columns())

    def show_column_menu(self) -> None:
        """Open the "Columns…" menu under its button (not modal: the table stays live)."""
        button = self.columns_button
        self.column_menu.popup(button.mapToGlobal(QtCore.QPoint(0, button.height())))

    def column_title(self, column: str) -> str:
        """The header a column is shown under."""
        return COLUMN_TITLES.get(column) or score_column_title(column, self.label_names)

    def _set_columns(self, metrics) -> None:
        failed = any(c.score_status not in ("", "ok") for c in self.cohort)
        self.columns = ["case", "review", *metrics, *(["status"] if failed else []), "note"]
        self.column_menu.set_shown(metrics)
        self.table.setColumnCount(len(self.columns))
        self.table.setHorizontalHeaderLabels([self.column_title(c) for c in self.columns])
        for i, c in enumerate(self.columns):
            tip = COLUMN_TIPS.get(c) or column_tip(c, self.label_names)
            sortable = c not in ("note", "status")
            self.table.horizontalHeaderItem(i).setToolTip(tip + ("; click to sort, worst first" if sortable else ""))
        keep = self.current
        self._fill()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(self.columns.index("note"), QtWidgets.QHeaderView.ResizeMode.Stretch)
        if keep is not None:
            self.select(keep)

    # ---------------------------------------------------------------- table
    def _fill(self) -> None:
        c = self.cohort
        blocker = QtCore.QSignalBlocker(self.table)
        self.table.setRowCount(len(c))
        for row, case in enumerate(c):
            self._fill_row(row, case)
        del blocker
        self._update_sort_indicator()
        self._update_counts()

    def _fill_row(self, row: int, case) -> None:
        for col, key in enumerate(self.columns):
            if key == "case":
                item = _Item(readable(case.name))
                if not case.openable:
                    item.setForeground(QtGui.QColor(160, 48, 26))
                    item.setToolTip(readable("; ".join(case.problems)) or "cannot be opened")
            elif key == "review":
                item = _Item(STATUS_TITLES[case.review])
            elif key == "note":
                item = _Item(case.note)
                item.setToolTip(case.note)
            elif key == "status":
                item = _Item(case.score_status or "—")
                if case.fields.get("error"):
                    item.setToolTip(readable(case.fields["error"]))
            else:
                text, tip = score_cell_text(key, case.scores.get(key))
                item = _Item(text, align_right=True)
                if tip:
                    item.setToolTip(tip)
            colour = STATUS_COLOURS[case.review]
            if colour is not None:
                item.setBackground(colour)
            self.table.setItem(row, col, item)

    def _name_at(self, row: int) -> str | None:
        # rows follow the cohort's order; the cell shows readable(name), which may differ from the name
        if self.cohort is None or not 0 <= row < len(self.cohort.order):
            return None
        return self.cohort.order[row]

    def row_of(self, name: str) -> int:
        return self.cohort.index_of(name)

    def cell_text(self, name: str, column: str) -> str:
        """Text shown for a case in a column (tests, screenshots)."""
        return self.table.item(self.row_of(name), self.columns.index(column)).text()

    def shown_order(self) -> list[str]:
        return [self._name_at(r) for r in range(self.table.rowCount())]

    def _header_clicked(self, section: int) -> None:
        key = self.columns[section]
        self.sort_by(key)

    def sort_by(self, key: str) -> None:
        """Sort by a column: worst first, reversed by a second click on the same column."""
        if self.cohort is None or key in ("note", "status"):
            self._update_sort_indicator()
            return
        metric = "review" if key == "review" else key
        if self.cohort.sort_metric == metric:
            self.cohort.sort(metric, descending=not self.cohort.sort_descending)
        else:
            self.cohort.sort(metric)
        keep = self.current
        self._fill()
        if keep is not None:
            self.select(keep)

    def _update_sort_indicator(self) -> None:
        header = self.table.horizontalHeader()
        c = self.cohort
        metric = None if c is None else ("review" if c.sort_metric == "review" else c.sort_metric)
        if metric in self.columns:
            order = QtCore.Qt.SortOrder.DescendingOrder if c.sort_descending else QtCore.Qt.SortOrder.AscendingOrder
            header.setSortIndicator(self.columns.index(metric), order)
        else:
            header.setSortIndicator(-1, QtCore.Qt.SortOrder.AscendingOrder)

    def _update_counts(self) -> None:
        counts = self.cohort.review_counts()
        self.counts_label.setText(" · ".join(f"{counts[s]} {s}" for s in REVIEW_STATUSES)
                                  + f"  ({len(self.cohort)} cases)")

    # ------------------------------------------------------------ selection
    def select(self, name: str | None) -> None:
        """Select a case in the table and show its review."""
        if name is None or self.cohort is None or name not in self.cohort:
            return
        row = self.row_of(name)
        self.table.selectRow(row)
        # scroll to the row only: a sort or a new column must not jump back to the first columns
        self.table.scrollToItem(self.table.item(row, max(0, self.table.columnAt(0))))
        self._show_case(name)

    def _selection_changed(self) -> None:
        rows = {i.row() for i in self.table.selectedItems()}
        if len(rows) == 1:
            name = self._name_at(rows.pop())
            if name != self.current:
                self._show_case(name)

    def _show_case(self, name: str) -> None:
        if self.current is not None and self.current != name:
            self.commit_note()
        self.current = name
        case = self.cohort[name]
        self.case_title.setText(readable(case.name))
        parts = []
        for key in self.shown_metrics():
            v = case.scores.get(key)
            if v is not None:
                parts.append(f"{self.column_title(key)} {score_cell_text(key, v)[0]}")
        self.case_scores.setText(" · ".join(parts) or "not scored")
        for status, b in self.status_buttons.items():
            blocker = QtCore.QSignalBlocker(b)
            b.setChecked(status == case.review)
            del blocker
        blocker = QtCore.QSignalBlocker(self.note)
        self.note.setText(case.note)
        del blocker
        self.problem.setText(readable("; ".join(case.problems)))
        self.open_button.setEnabled(case.openable and self.main_window is not None)
        self._set_case_enabled(True)

    def _set_case_enabled(self, on: bool) -> None:
        for b in self.status_buttons.values():
            b.setEnabled(on)
        self.note.setEnabled(on)
        self.act_export.setEnabled(self.cohort is not None)
        self.act_next.setEnabled(self.cohort is not None)
        self.act_previous.setEnabled(self.cohort is not None)

    # --------------------------------------------------------------- review
    def set_status(self, status: str, name: str | None = None) -> bool:
        """Set the review status of a case (default the selected one) and save it."""
        name = name or self.current
        if name is None or self.cohort is None:
            return False
        from ...core.io import SaveError

        try:
            self.cohort.set_review(name, status)
        except (SaveError, ValueError, OSError) as exc:
            self._error("Could not save the review", str(exc))
            return False
        self._refresh_row(name)
        return True

    def set_note(self, note: str, name: str | None = None) -> bool:
        """Set the note of a case (default the selected one) and save it."""
        name = name or self.current
        if name is None or self.cohort is None:
            return False
        from ...core.io import SaveError

        if self.cohort[name].note == note:
            return True
        try:
            self.cohort.set_review(name, note=note)
        except (SaveError, ValueError, OSError) as exc:
            self._error("Could not save the review", str(exc))
            return False
        self._refresh_row(name)
        return True

    def commit_note(self) -> None:
        """Save the note being typed (Enter, leaving the field, another case, closing)."""
        if self.current is not None and self.cohort is not None and self.current in self.cohort:
            self.set_note(self.note.text(), self.current)

    def _refresh_row(self, name: str) -> None:
        blocker = QtCore.QSignalBlocker(self.table)
        self._fill_row(self.row_of(name), self.cohort[name])
        del blocker
        self._update_counts()

    # ------------------------------------------------------------ navigation
    def open_case(self, name: str | None) -> bool:
        """Open a case in the main window; False when it cannot be opened."""
        if name is None or self.cohort is None:
            return False
        previous = self.current
        self.select(name)
        case = self.cohort[name]
        if not case.openable:
            why = readable("; ".join(case.problems)) or "no files"
            self._error("Cannot open the case", f"case {readable(name)}: {why}")
            return False
        if self.main_window is None:
            return False
        paths = {"image": case.image, "gt": case.gt, "pred": case.pred}
        if not self.main_window.open_paths({r: p for r, p in paths.items() if p is not None}, remember=False):
            if previous is not None and previous != name:  # e.g. unsaved edits kept the old case open
                self.select(previous)
            return False
        self._zoom_if_small()
        i = self.cohort.index_of(name)
        self.main_window.statusBar().showMessage(
            f"Cohort case {i + 1} / {len(self.cohort)}: {readable(name)} — Ctrl+→ / Ctrl+← next / previous case", 8000)
        self.caseOpened.emit(name)
        return True

    def _zoom_if_small(self) -> None:
        """A small structure (a lens: a few screen pixels in a fitted slice) opens zoomed onto its masks."""
        from ..views.zoom_to_masks import masks_are_small

        views = self.main_window.views
        if masks_are_small(views):
            self._zoomed = self.main_window.zoom_to_masks()
        elif getattr(self, "_zoomed", False):  # a zoom made for the last case would hide most of this one
            self._zoomed = False
            for view in views.views.values():
                view.reset_zoom()

    def step_case(self, offset: int) -> bool:
        """Open the case ``offset`` places away in the table's order."""
        if self.cohort is None or not len(self.cohort):
            return False
        if self.current is None:
            target = self.cohort.order[0 if offset > 0 else -1]
        else:
            case = self.cohort.step(self.current, offset)
            if case is None:
                edge = "last" if offset > 0 else "first"
                msg = f"{readable(self.current)} is the {edge} case of the list"
                self.statusBar().showMessage(msg, 4000)
                if self.main_window is not None:
                    self.main_window.statusBar().showMessage(msg, 4000)
                return False
            target = case.name
        return self.open_case(target)

    def next_case(self) -> bool:
        return self.step_case(1)

    def previous_case(self) -> bool:
        return self.step_case(-1)

    # --------------------------------------------------------------- export
    def export_dialog(self) -> None:
        if self.cohort is None:
            return
        start = self.cohort.source.parent if self.cohort.source.suffix else self.cohort.source
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export the reviewed table",
                                                        str(start / "reviewed.csv"), "CSV (*.csv)")
        if path:
            self.export(path, overwrite=True)  # the file dialog already asked about replacing

    def export(self, path, overwrite: bool = False):
        """Write the reviewed table (see :meth:`dicegui.core.review.Cohort.export`)."""
        from ...core.io import SaveError

        self.commit_note()
        try:
            out = self.cohort.export(path, overwrite=overwrite)
        except (SaveError, OSError) as exc:
            self._error("Could not export the table", str(exc))
            return None
        self.statusBar().showMessage(f"Reviewed table written to {out}", 6000)
        return out

    # ---------------------------------------------------------------- close
    def closeEvent(self, ev: QtGui.QCloseEvent) -> None:
        self.commit_note()
        if self.compare_dialog is not None:  # a comparison outliving its worklist would open cases nowhere
            self.compare_dialog.close()
        self.pool.waitForDone(60000)
        super().closeEvent(ev)

