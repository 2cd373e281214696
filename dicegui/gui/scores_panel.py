"""The scores panel: overlap for the volume and the slice, surface distances, per-label table, label confusion.

It only formats numbers it is given (from ``LiveScore`` and the surface
worker); it computes nothing.
"""
from __future__ import annotations

import math
from html import escape

from PySide6 import QtCore, QtGui, QtWidgets

from ..core.display import PIXEL_SIZE_UNITS
from ..core.edits.change_report import signed_figure
from ..core.tolerances import DEFAULT_TOLERANCE
from .overlay_panel import swatch

OVERLAP_ROWS = (
    ("dice", "Dice"),
    ("iou", "IoU (Jaccard)"),
    ("accuracy", "Accuracy"),
    ("precision", "Precision (PPV)"),
    ("sensitivity", "Sensitivity (recall)"),
    ("specificity", "Specificity"),
    ("volume_similarity", "Volume similarity"),
    ("tp", "TP (voxels)"),
    ("fp", "FP (voxels)"),
    ("fn", "FN (voxels)"),
    ("tn", "TN (voxels)"),
    ("gt_size", "Reference volume (mL)"),
    ("pred_size", "Prediction volume (mL)"),
)
COUNT_KEYS = ("tp", "fp", "fn", "tn")
VOLUME_KEYS = ("gt_size", "pred_size")
SURFACE_ROWS = (
    ("hd95", "HD95 (mm)"),
    ("assd", "ASSD (mm)"),
    ("nsd", "NSD (surface Dice)"),
    ("hd", "Hausdorff, max (mm)"),
)
COLUMNS = ("volume", "slice")

STATE_TEXT = {
    "none": "",
    "computing": "computing…",
    "current": "up to date",
    "stale": "out of date — masks or settings changed",
    "failed": "failed",
}


def format_value(key: str, value) -> str:
    """How a number is written in the panel (and nowhere else)."""
    if value is None:
        return "—"
    if key in COUNT_KEYS:
        return f"{int(value):,}"
    value = float(value)
    if math.isnan(value):
        return "undefined"
    if math.isinf(value):
        return "∞"
    if key in VOLUME_KEYS:
        return f"{value:,.2f}"
    if key in ("hd95", "assd", "hd"):
        return f"{value:.2f}"
    return f"{value:.4f}"


class _SortItem(QtWidgets.QTableWidgetItem):
    """Table cell that sorts by a number while showing formatted text."""

    def __init__(self, text: str, key):
        super().__init__(text)
        self._key = key

    def __lt__(self, other):
        if isinstance(other, _SortItem):
            a, b = self._key, other._key
            if isinstance(a, float) and isinstance(b, float):
                # undefined values sort last in both directions of reading
                if math.isnan(a):
                    return False
                if math.isnan(b):
                    return True
            return a < b
        return super().__lt__(other)


def _table(rows: int, cols: int, headers) -> QtWidgets.QTableWidget:
    t = QtWidgets.QTableWidget(rows, cols)
    t.setHorizontalHeaderLabels(list(headers))
    t.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
    t.verticalHeader().setDefaultSectionSize(20)
    t.setAlternatingRowColors(True)
    t.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
    return t


def _label_text(label: int, names: dict) -> str:
    """``2 edema``, ``0 background``, or the number alone."""
    name = "background" if label == 0 else names.get(int(label), "")
    return f"{label} {name}".rstrip()


#: Widest the Name column is fitted to (px): a long organ name is elided, not
#: allowed to push the score columns behind a horizontal scroll bar.
_NAME_COLUMN_MAX = 120


def _fit_columns(t: QtWidgets.QTableWidget) -> None:
    t.resizeColumnsToContents()
    if t.columnWidth(1) > _NAME_COLUMN_MAX:
        t.setColumnWidth(1, _NAME_COLUMN_MAX)


class ScoresPanel(QtWidgets.QWidget):
    """Scores of the current case.

    Signals
    -------
    labelActivated(object)
        A per-label row was clicked: the label (int).
    toleranceChanged(float)
        NSD tolerance in mm.
    recomputeRequested()
        The user asked for the surface distances again.
    """

    labelActivated = QtCore.Signal(object)
    toleranceChanged = QtCore.Signal(float)
    recomputeRequested = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QtWidgets.QLabel("<b>Scores</b>")
        self.message = QtWidgets.QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #a05000;")
        # Change of the volume Dice caused by the last edit (the editor sets it).
        self.last_change = QtWidgets.QLabel("")
        self.last_change.setToolTip("Change of the volume Dice caused by the last stroke, fill or undo")
        self.last_change.setVisible(False)

        self.overlap = _table(len(OVERLAP_ROWS), 2, ("Volume", "Slice"))
        self.overlap.setVerticalHeaderLabels([t for _, t in OVERLAP_ROWS])
        header = self.overlap.horizontalHeader()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.overlap.setFixedHeight(20 * len(OVERLAP_ROWS) + self.overlap.horizontalHeader().sizeHint().height() + 4)
        self._cells = {}
        for r, (key, _) in enumerate(OVERLAP_ROWS):
            for c, col in enumerate(COLUMNS):
                item = QtWidgets.QTableWidgetItem("—")
                item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
                if key == "dice":
                    f = item.font()
                    f.setBold(True)
                    item.setFont(f)
                self.overlap.setItem(r, c, item)
                self._cells[(key, col)] = item

        # surface distances
        self.length_unit = "mm"
        self._nsd_tolerance = None  # tolerance of the NSD shown (None: header as built)
        self.surface_box = QtWidgets.QGroupBox("Surface distances (volume, in a worker thread)")
        self.surface = _table(len(SURFACE_ROWS), 1, ("Volume",))
        self.surface.setVerticalHeaderLabels([t for _, t in SURFACE_ROWS])
        self.surface.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.surface.horizontalHeader().setVisible(False)
        self.surface.setFixedHeight(20 * len(SURFACE_ROWS) + 4)
        self._surface_cells = {}
        for r, (key, _) in enumerate(SURFACE_ROWS):
            item = QtWidgets.QTableWidgetItem("—")
            item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
            self.surface.setItem(r, 0, item)
            self._surface_cells[key] = item
        self.tolerance = QtWidgets.QDoubleSpinBox()
        self.tolerance.setRange(0.0, 100.0)
        self.tolerance.setDecimals(2)
        self.tolerance.setSingleStep(0.5)
        self.tolerance.setValue(DEFAULT_TOLERANCE)  # the same default as dicegui score
        self.tolerance.setSuffix(" mm")
        self.tolerance.setToolTip("NSD tolerance: a boundary voxel counts as matched within this distance")
        self.state = QtWidgets.QLabel("")
        self.recompute = QtWidgets.QPushButton("Recompute")
        srow = QtWidgets.QHBoxLayout()
        srow.addWidget(QtWidgets.QLabel("NSD tolerance"))
        srow.addWidget(self.tolerance)
        srow.addStretch(1)
        srow.addWidget(self.recompute)
        sl = QtWidgets.QVBoxLayout(self.surface_box)
        sl.setContentsMargins(4, 4, 4, 4)
        sl.addWidget(self.surface)
        sl.addLayout(srow)
        sl.addWidget(self.state)
        self.surface_box.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Maximum)

        # per-label
        self.labels_box = QtWidgets.QGroupBox("Per label (volume)")
        self.mean = QtWidgets.QLabel("")
        self.mean.setWordWrap(True)  # one line at 20 pt (presentation mode) was 880 px wide
        self.per_label = _table(0, 6, ("Label", "Name", "Dice", "IoU", "Ref mL", "Pred mL"))
        self.per_label.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.per_label.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.per_label.verticalHeader().setVisible(False)
        self.per_label.setSortingEnabled(True)
        ph = self.per_label.horizontalHeader()
        # Fitted once per rebuild: a ResizeToContents header measures every row
        # on every cell change, about 0.7 ms per cell, most of a dab's time.
        ph.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Interactive)
        self._per_label_rows = None  # (items by label, names, voxel size) of the rows shown
        self.per_label.setToolTip(
            "Click a row to show that label's TP / FP / FN on the slice where it is worst; click a header to sort"
        )
        ll = QtWidgets.QVBoxLayout(self.labels_box)
        ll.setContentsMargins(4, 4, 4, 4)
        ll.addWidget(self.mean)
        ll.addWidget(self.per_label, 1)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.message)
        layout.addWidget(self.last_change)
        layout.addWidget(self.overlap)
        layout.addWidget(self.surface_box)
        # The per-label table and the confusion list share the height in a
        # splitter, the table first: with both in a plain layout the confusion
        # list of a label map took most of it and the table showed two rows.
        self.tables = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        self.tables.setChildrenCollapsible(False)
        self.tables.addWidget(self.labels_box)
        self.tables.addWidget(self._build_confusion_box())
        self.tables.setStretchFactor(0, 3)
        self.tables.setStretchFactor(1, 1)
        self._tables_sized_by_user = False
        self.tables.splitterMoved.connect(lambda *_: setattr(self, "_tables_sized_by_user", True))
        layout.addWidget(self.tables, 1)
        layout.insertWidget(layout.indexOf(self.last_change) + 1, self._build_volumes_box())
        layout.addStretch(0)  # keeps the boxes at the top when there is no per-label table

        self.per_label.cellClicked.connect(self._row_clicked)
        self.tolerance.valueChanged.connect(self.toleranceChanged)
        self.recompute.clicked.connect(self.recomputeRequested)
        self.set_surface_state("none")

    # --------------------------------------------------------------- overlap
    def set_scope(self, title: str, slice_title: str) -> None:
        self.title.setText(f"<b>Scores — {title}</b>")
        self.overlap.setHorizontalHeaderLabels(["Volume", slice_title])

    def set_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def set_size_unit(self, unit: str) -> None:
        """Unit of the size rows and columns: ``"mL"``, ``"mm²"``, or ``"voxels"`` / ``"px²"`` without spacing.

        Sizes without spacing also mean distances in pixels: the surface rows
        and the NSD tolerance follow (:meth:`set_length_unit`).
        """
        what = "area" if unit.endswith("²") else "volume"
        for r, (key, _) in enumerate(OVERLAP_ROWS):
            if key in VOLUME_KEYS:
                who = "Reference" if key == "gt_size" else "Prediction"
                self.overlap.setVerticalHeaderItem(r, QtWidgets.QTableWidgetItem(f"{who} {what} ({unit})"))
        self.per_label.setHorizontalHeaderItem(4, QtWidgets.QTableWidgetItem(f"Ref {unit}"))
        self.per_label.setHorizontalHeaderItem(5, QtWidgets.QTableWidgetItem(f"Pred {unit}"))
        self.set_length_unit("px" if unit in PIXEL_SIZE_UNITS else "mm")

    def set_length_unit(self, unit: str) -> None:
        """``"mm"`` or ``"px"`` for the surface distances and the NSD tolerance."""
        self.length_unit = unit
        for r, (key, title) in enumerate(SURFACE_ROWS):
            self.surface.setVerticalHeaderItem(r, QtWidgets.QTableWidgetItem(title.replace("(mm)", f"({unit})")))
        self.tolerance.setSuffix(f" {unit}")
        self._nsd_header()

    def _nsd_header(self) -> None:
        if self._nsd_tolerance is not None:
            self.surface.setVerticalHeaderItem(
                2, QtWidgets.QTableWidgetItem(f"NSD @ {self._nsd_tolerance:g} {self.length_unit}"))

    def set_overlap(self, column: str, scores: dict | None, sizes=None) -> None:
        """Show an overlap dictionary (and reference/prediction sizes) in ``"volume"`` or ``"slice"``."""
        for key, _ in OVERLAP_ROWS:
            if scores is None:
                value = None
            elif key in VOLUME_KEYS:
                value = None if sizes is None else sizes[VOLUME_KEYS.index(key)]
            else:
                value = scores.get(key)
            self._cells[(key, column)].setText(format_value(key, value))

    def set_last_change(self, delta: float | None, what: str = "last stroke", detail: str = "") -> None:
        """Show ``ΔDice +0.001234 (what)`` and, below, ``detail`` (what the edit did to each label); None hides.

        ΔDice keeps four significant digits: a 55-voxel change of a large
        organ must not read "+0.0000".
        """
        if delta is None:
            self.last_change.setVisible(False)
            self.last_change.setText("")
            return
        if math.isnan(delta):
            text, colour = "ΔDice undefined", "#555555"
        else:
            text = f"ΔDice {signed_figure(delta, min_decimals=4)}"
            colour = "#2e7d32" if "+" in text else "#b00020" if "\u2212" in text else "#555555"
        html = f"<span style='color:{colour}; font-weight:bold'>{text}</span> ({what})"
        if detail:
            html += f"<br><small>{escape(detail)}</small>"
        self.last_change.setText(html)
        self.last_change.setWordWrap(True)
        self.last_change.setVisible(True)

    def last_change_text(self) -> str:
        """The ΔDice line as plain text (for tests)."""
        return QtGui.QTextDocumentFragment.fromHtml(self.last_change.text()).toPlainText()

    def text(self, key: str, column: str = "volume") -> str:
        """The text shown in a cell (for tests and exports of what the user sees)."""
        return self._cells[(key, column)].text()

    # --------------------------------------------------------------- surface
    def set_surface(self, result: dict | None, tolerance: float | None = None) -> None:
        for key, _ in SURFACE_ROWS:
            value = None if result is None else result.get(key)
            self._surface_cells[key].setText(format_value(key, value))
        if tolerance is not None:
            self._nsd_tolerance = float(tolerance)
            self._nsd_header()

    def surface_text(self, key: str) -> str:
        return self._surface_cells[key].text()

    def set_surface_state(self, state: str, detail: str = "") -> None:
        self.surface_state = state
        text = STATE_TEXT[state] + (f": {detail}" if detail else "")
        colour = {"stale": "#b35900", "failed": "#b00020", "computing": "#555555"}.get(state, "#2e7d32")
        self.state.setText(f"<span style='color:{colour}'>{text}</span>")
        stale = state in ("stale", "failed", "computing")
        for item in self._surface_cells.values():
            item.setForeground(QtGui.QBrush(QtGui.QColor("#999999" if stale else "#000000")))

    # ------------------------------------------------------------- per label
    def set_per_label(self, result: dict | None, names: dict, voxel_ml: float, palette=None,
                      changed=None) -> None:
        """Fill the per-label table from a ``per_label()`` dictionary (None hides it).

        ``changed``: the only labels whose numbers can differ (a brush dab);
        only their rows are rewritten and the table is not re-sorted until
        :meth:`sort_per_label` (at the end of the stroke), so rows do not jump
        under the hand and a dab costs a few cells, not the whole table.
        """
        self.labels_box.setVisible(result is not None)
        t = self.per_label
        if result is not None:
            present = {k: v for k, v in result["labels"].items() if not v.get("absent")}
            if self._update_per_label_in_place(present, names, voxel_ml, changed):
                self._set_mean(result, len(present))
                return
        self._per_label_rows = None
        self._sort_pending = False
        t.setSortingEnabled(False)
        t.setRowCount(0)
        if result is None:
            return
        rows = {}
        t.setRowCount(len(present))
        for r, (label, s) in enumerate(sorted(present.items())):
            first = _SortItem(str(label), int(label))
            if palette is not None and label < len(palette):
                first.setIcon(swatch(tuple(int(c) for c in palette[label])))
            name = QtWidgets.QTableWidgetItem(names.get(int(label), ""))
            name.setToolTip(name.text())
            cells = [
                first,
                name,
                _SortItem(format_value("dice", s["dice"]), float(s["dice"])),
                _SortItem(format_value("iou", s["iou"]), float(s["iou"])),
                _SortItem(format_value("gt_size", (s["tp"] + s["fn"]) * voxel_ml), float(s["tp"] + s["fn"])),
                _SortItem(format_value("pred_size", (s["tp"] + s["fp"]) * voxel_ml), float(s["tp"] + s["fp"])),
            ]
            cells[0].setData(QtCore.Qt.ItemDataRole.UserRole, int(label))
            for c, item in enumerate(cells):
                if c >= 2:
                    item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
                t.setItem(r, c, item)
            rows[int(label)] = cells
        t.setSortingEnabled(True)
        t.sortItems(2, QtCore.Qt.SortOrder.AscendingOrder)  # worst first
        _fit_columns(t)
        # Label colours depend on the label number only: same labels, same swatches.
        self._per_label_rows = (rows, dict(names), voxel_ml)
        self._set_mean(result, len(present))

    # ------------------------------------------------- one mask: label volumes
    def _build_volumes_box(self) -> QtWidgets.QGroupBox:
        """Each label's size when only one mask is open (nothing to score it against)."""
        self.volumes_box = QtWidgets.QGroupBox("Label volumes")
        self.volumes = _table(0, 4, ("Label", "Name", "Voxels", "Volume"))
        self.volumes.verticalHeader().setVisible(False)
        self.volumes.horizontalHeader().setSectionResizeMode(1, QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.volumes.setToolTip("Voxel count and size of each label of the open mask, updated while you paint")
        vl = QtWidgets.QVBoxLayout(self.volumes_box)
        vl.setContentsMargins(4, 4, 4, 4)
        vl.addWidget(self.volumes)
        self.volumes_box.setVisible(False)
        return self.volumes_box

    def set_label_volumes(self, volumes: dict | None, names: dict, unit: str, title: str = "",
                          palette=None) -> None:
        """Show ``{label: (voxels, size)}`` of the one open mask (None hides the table).

        ``title`` names the mask ("Prediction"); ``unit`` the size unit (mL, mm², voxels).
        """
        self.volumes_box.setVisible(volumes is not None)
        if volumes is None:
            return
        self.volumes_box.setTitle(f"{title} label volumes".strip().capitalize() if title else "Label volumes")
        t = self.volumes
        t.setHorizontalHeaderItem(3, QtWidgets.QTableWidgetItem(f"Volume ({unit})"))
        rows = sorted(volumes.items())
        t.setRowCount(0)
        if not rows:
            t.setRowCount(1)
            t.setSpan(0, 0, 1, 4)
            t.setItem(0, 0, QtWidgets.QTableWidgetItem("empty mask: no label painted yet"))
            return
        t.clearSpans()
        t.setRowCount(len(rows))
        right = QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter
        for r, (label, (voxels, size)) in enumerate(rows):
            first = QtWidgets.QTableWidgetItem(str(label))
            if palette is not None and 0 <= int(label) < len(palette):
                first.setIcon(swatch(tuple(int(c) for c in palette[int(label)])))
            cells = [first, QtWidgets.QTableWidgetItem(names.get(int(label), "")),
                     QtWidgets.QTableWidgetItem(f"{int(voxels):,}"),
                     QtWidgets.QTableWidgetItem(format_value("gt_size", size))]
            for c, item in enumerate(cells):
                if c >= 2:
                    item.setTextAlignment(right)
                t.setItem(r, c, item)
        t.setFixedHeight(min(8, max(1, len(rows))) * 20 + t.horizontalHeader().sizeHint().height() + 4)

    def _share_tables(self) -> None:
        # A box shown into a splitter gets its size hint, which left the
        # per-label table two rows: a little more than half to the table
        # until the user drags the handle.
        if self._tables_sized_by_user or self.confusion_box.isHidden():
            return
        total = sum(self.tables.sizes())
        if total > 0:
            self.tables.setSizes([total * 11 // 20, total - total * 11 // 20])

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._share_tables()

    # ------------------------------------------------------- label confusion
    def _build_confusion_box(self) -> QtWidgets.QGroupBox:
        """Reference label × predicted label voxel counts (label maps only)."""
        self.confusion_box = QtWidgets.QGroupBox("Label confusion (reference × prediction)")
        self.confusion_summary = QtWidgets.QLabel("")
        self.confusion_summary.setWordWrap(True)
        self.confusion = _table(0, 4, ("Reference", "Prediction", "Voxels", "mL"))
        self.confusion.verticalHeader().setVisible(False)
        self.confusion.setSortingEnabled(True)
        header = self.confusion.horizontalHeader()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.confusion.setToolTip(
            "Every pair of reference and predicted label that share voxels (background with background "
            "left out). Bold rows: label swaps, both masks foreground with different labels")
        cl = QtWidgets.QVBoxLayout(self.confusion_box)
        cl.setContentsMargins(4, 4, 4, 4)
        cl.addWidget(self.confusion_summary)
        cl.addWidget(self.confusion)
        # its own minimum hint (~180 px) would hold the splitter handle down
        self.confusion.setMinimumHeight(60)
        self.confusion_box.setVisible(False)
        return self.confusion_box

    def set_confusion(self, result: dict | None, names: dict, voxel_ml: float, unit: str = "mL") -> None:
        """Show a ``label_confusion()`` dictionary; None, or masks holding only 0/1, hide the box.

        One row per nonzero cell of the matrix but background × background,
        in the matrix's order (reference label, then predicted label); swaps
        (both foreground, different labels) are bold and summed above.
        """
        binary = result is None or set(result["labels"]) <= {0, 1}
        appearing = not binary and self.confusion_box.isHidden()
        self.confusion_box.setVisible(not binary)
        if appearing:
            self._share_tables()
        if binary:
            return
        t = self.confusion
        t.setSortingEnabled(False)
        t.setHorizontalHeaderItem(3, QtWidgets.QTableWidgetItem(unit))
        labels, matrix = result["labels"], result["matrix"]
        cells = [(i, j) for i, j in zip(*matrix.nonzero()) if labels[i] or labels[j]]
        t.setRowCount(len(cells))
        right = QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter
        for r, (i, j) in enumerate(cells):
            g, p, n = labels[i], labels[j], int(matrix[i, j])
            # label columns sort by (this label, the other): rows of one label keep the other's order
            items = [_SortItem(_label_text(g, names), (g, p)), _SortItem(_label_text(p, names), (p, g)),
                     _SortItem(f"{n:,}", n), _SortItem(format_value("gt_size", n * voxel_ml), n)]
            swap = g and p and g != p
            for c, item in enumerate(items):
                if c >= 2:
                    item.setTextAlignment(right)
                if swap:
                    f = item.font()
                    f.setBold(True)
                    item.setFont(f)
                t.setItem(r, c, item)
        t.setSortingEnabled(True)
        t.sortItems(0, QtCore.Qt.SortOrder.AscendingOrder)
        # never taller than its rows; shorter when the splitter gives the per-label table the room
        t.setMaximumHeight(min(10, max(1, len(cells))) * 20 + t.horizontalHeader().sizeHint().height() + 4)
        n = result["swapped_voxels"]
        if n:
            top = result["pairs"][0]
            self.confusion_summary.setText(
                f"<b>{n:,} voxels</b> ({format_value('gt_size', n * voxel_ml)} {unit}) are foreground in both "
                f"masks with different labels, in {len(result['pairs'])} label pair"
                f"{'s' if len(result['pairs']) > 1 else ''}; most: reference "
                f"{escape(_label_text(top['gt_label'], names))} as "
                f"{escape(_label_text(top['pred_label'], names))} ({top['voxels']:,} voxels). "
                "Foreground Dice counts these as right.")
        else:
            self.confusion_summary.setText("No label swaps: where both masks are foreground they agree.")

    def confusion_rows(self) -> list[tuple[int, int, str, str]]:
        """The confusion table as shown: ``(reference label, predicted label, voxels text, size text)``."""
        t = self.confusion
        return [(t.item(r, 0)._key[0], t.item(r, 1)._key[0], t.item(r, 2).text(), t.item(r, 3).text())
                for r in range(t.rowCount())]

    def label_volume_rows(self) -> list[tuple[str, str, str, str]]:
        """The label volumes table as shown: ``(label, name, voxels, volume)`` texts per row."""
        t = self.volumes
        return [tuple(t.item(r, c).text() if t.item(r, c) else "" for c in range(4)) for r in range(t.rowCount())]

    def _set_mean(self, result: dict, n: int) -> None:
        self.mean.setText(
            f"Mean Dice <b>{format_value('dice', result['mean_dice'])}</b> · mean IoU "
            f"{format_value('iou', result['mean_iou'])} over {n} labels (worst first)"
        )

    def _update_per_label_in_place(self, present: dict, names: dict, voxel_ml: float, changed=None) -> bool:
        """New numbers for the same labels (every brush dab): change only the cells that differ.

        Rebuilding the table on every dab would repaint all of it; here only
        changed cells repaint, and the rows keep the order the user chose.
        With ``changed`` only those labels' rows are visited and sorting waits
        for :meth:`sort_per_label`.
        """
        state = self._per_label_rows
        if state is None:
            return False
        rows, old_names, old_ml = state
        if set(rows) != {int(k) for k in present} or old_names != names or old_ml != voxel_ml:
            return False
        t = self.per_label
        if t.isSortingEnabled():
            t.setSortingEnabled(False)  # a cell edit with sorting on moves its row at once
        for label, s in present.items():
            if changed is not None and int(label) not in changed:
                continue
            cells = rows[int(label)]
            values = (
                ("dice", s["dice"], float(s["dice"])),
                ("iou", s["iou"], float(s["iou"])),
                ("gt_size", (s["tp"] + s["fn"]) * voxel_ml, float(s["tp"] + s["fn"])),
                ("pred_size", (s["tp"] + s["fp"]) * voxel_ml, float(s["tp"] + s["fp"])),
            )
            for item, (key, value, sort_key) in zip(cells[2:], values):
                text = format_value(key, value)
                if item.text() != text:
                    item.setText(text)
                item._key = sort_key
        self._sort_pending = True
        if changed is None:
            self.sort_per_label()
        return True

    def sort_per_label(self) -> None:
        """Re-sort the per-label rows after in-place updates (the end of a stroke); no-op when in order."""
        if not getattr(self, "_sort_pending", False):
            return
        self._sort_pending = False
        t = self.per_label
        header = t.horizontalHeader()
        t.setSortingEnabled(True)  # re-sorts by the column and order shown in the header
        t.sortItems(header.sortIndicatorSection(), header.sortIndicatorOrder())
        _fit_columns(t)  # a number may have grown a digit during the stroke

    def per_label_rows(self) -> list[tuple[int, str, str]]:
        """(label, name, Dice text) of each row in display order."""
        out = []
        for r in range(self.per_label.rowCount()):
            if not isinstance(self.per_label.item(r, 0).data(QtCore.Qt.ItemDataRole.UserRole), int):
                continue  # a region group's row (dicegui.gui.structure_table)
            out.append((
                int(self.per_label.item(r, 0).data(QtCore.Qt.ItemDataRole.UserRole)),
                self.per_label.item(r, 1).text(),
                self.per_label.item(r, 2).text(),
            ))
        return out

    def _row_clicked(self, row: int, _col: int) -> None:
        item = self.per_label.item(row, 0)
        if item is not None and isinstance(item.data(QtCore.Qt.ItemDataRole.UserRole), int):
            self.labelActivated.emit(int(item.data(QtCore.Qt.ItemDataRole.UserRole)))
