"""Region rows and surface-distance columns of the per-label scores table.

The scores panel fills one row per label (Dice, IoU, volumes) and rewrites
them in place while a person paints. This module adds to the same table:

* one row per region group (a union of labels), after the labels, its first
  cell holding the region's name (``UserRole``) instead of a label number;
* four columns HD, HD95, ASSD and NSD for every label and region row, filled
  from the background worker of :mod:`dicegui.gui.structure_surface_scores`.
  The NSD header names the default tolerance; a cell whose structure has its
  own tolerance says it (``0.9731 @ 3 mm``), and every NSD cell's tooltip does.

It only writes what it is given; the panel's own rebuild (new labels) drops
the region rows, and :meth:`StructureTable.show` puts them back.
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from .scores_panel import _SortItem, format_value

SURFACE_COLUMNS = (("hd", "HD"), ("hd95", "HD95"), ("assd", "ASSD"), ("nsd", "NSD"))
#: Marks a region row's first cell (its ``UserRole`` holds the region name).
REGION_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1
# Region rows sort after every label (labels are < 2**32).
_REGION_SORT_BASE = 1 << 40
_RIGHT = QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter
_GREY = QtGui.QColor("#999999")
_BLACK = QtGui.QColor("#000000")
# what a surface cell shows while its value is being computed
COMPUTING_TEXT = "…"


class StructureTable:
    """Region rows and surface columns of ``panel.per_label``.

    Parameters
    ----------
    panel : ScoresPanel
    """

    def __init__(self, panel):
        self.panel = panel
        self.table = panel.per_label
        self.first_surface_column = self.table.columnCount()
        self.table.setColumnCount(self.first_surface_column + len(SURFACE_COLUMNS))
        self.length_unit = "mm"
        self.set_headers(None)

    # ------------------------------------------------------------- headers
    def column(self, key: str) -> int:
        """Table column of a surface key (``hd``, ``hd95``, ``assd``, ``nsd``)."""
        return self.first_surface_column + [k for k, _ in SURFACE_COLUMNS].index(key)

    def set_headers(self, default_tolerance: float | None, unit: str | None = None) -> None:
        """Column titles in ``unit`` (mm or px), the NSD one naming the default tolerance."""
        if unit is not None:
            self.length_unit = unit
        u = self.length_unit
        for key, title in SURFACE_COLUMNS:
            if key == "nsd":
                text = "NSD" if default_tolerance is None else f"NSD @ {default_tolerance:g} {u}"
                tip = "Normalised surface Dice; a structure with its own tolerance says it in its cell"
            else:
                text, tip = f"{title} ({u})", {"hd": "Hausdorff distance (max)", "hd95": "95th-percentile Hausdorff",
                                              "assd": "Average symmetric surface distance"}[key]
            item = QtWidgets.QTableWidgetItem(text)
            item.setToolTip(tip)
            self.table.setHorizontalHeaderItem(self.column(key), item)

    # ---------------------------------------------------------------- rows
    def row_keys(self) -> dict:
        """Row of each structure shown: ``{label (int) or region name (str): row}``."""
        out = {}
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 0)
            if item is None:
                continue
            data = item.data(QtCore.Qt.ItemDataRole.UserRole)
            out[str(data) if item.data(REGION_ROLE) else int(data)] = r
        return out

    def intact(self, regions: dict) -> bool:
        """Whether every region has its row and the rows their surface cells (no rebuild since)."""
        keys = self.row_keys()
        if any(name not in keys for name in regions):
            return False
        return not keys or self.table.item(0, self.column("nsd")) is not None

    def show(self, regions: dict, overlaps: dict, voxel_size: float, stale: bool = False) -> None:
        """Region rows: ``regions`` name → labels, ``overlaps`` name → overlap dict (missing: not scored).

        Rows of regions no longer listed are removed; ``stale`` greys the
        region numbers (a stroke is in progress; they are recomputed at its end).
        """
        t = self.table
        sorting = t.isSortingEnabled()
        t.setSortingEnabled(False)  # rows would move while their cells are written
        keys = self.row_keys()
        for r in sorted((r for k, r in keys.items() if isinstance(k, str) and k not in regions), reverse=True):
            t.removeRow(r)
        keys = self.row_keys()
        for i, (name, labels) in enumerate(regions.items()):
            row = keys.get(name)
            if row is None:
                row = t.rowCount()
                t.insertRow(row)
                self._new_region_row(row, i, name, labels)
            self._write_overlap(row, overlaps.get(name), voxel_size, stale)
        if sorting:
            t.setSortingEnabled(True)  # re-sorts by the column the header shows

    def _new_region_row(self, row: int, index: int, name: str, labels) -> None:
        t = self.table
        first = _SortItem(name, _REGION_SORT_BASE + index)
        first.setData(QtCore.Qt.ItemDataRole.UserRole, name)
        first.setData(REGION_ROLE, True)
        font = first.font()
        font.setBold(True)
        first.setFont(font)
        members = ", ".join(str(v) for v in labels)
        what = QtWidgets.QTableWidgetItem(f"= {members}")
        what.setToolTip(f"Region group {name}: any of labels {members}, scored as one mask")
        t.setItem(row, 0, first)
        t.setItem(row, 1, what)
        for c in range(2, t.columnCount()):
            item = _SortItem("—", float("nan"))
            item.setTextAlignment(_RIGHT)
            t.setItem(row, c, item)

    def _write_overlap(self, row: int, scores: dict | None, voxel_size: float, stale: bool) -> None:
        values = (("dice", None), ("iou", None), ("gt_size", ("tp", "fn")), ("pred_size", ("tp", "fp")))
        for c, (key, counts) in enumerate(values, start=2):
            item = self.table.item(row, c)
            if scores is None:
                item.setText("—")
                item._key = float("nan")
                continue
            if counts is None:
                value = sort_key = float(scores[key])
            else:
                n = scores[counts[0]] + scores[counts[1]]
                value, sort_key = n * voxel_size, float(n)
            item.setText(format_value(key, value))
            item._key = sort_key
            item.setForeground(QtGui.QBrush(_GREY if stale else _BLACK))

    # ------------------------------------------------------------- surface
    def set_surfaces(self, results: dict | None, tolerances=None, state: str = "current") -> None:
        """Fill the surface columns: ``results`` key → ``structure_surfaces`` entry.

        ``state``: ``"current"``, ``"stale"`` (grey: an edit was made since;
        recomputed once the hand rests), ``"computing"`` (``…``) or ``"failed"`` (``—``).
        """
        t = self.table
        sorting = t.isSortingEnabled()
        t.setSortingEnabled(False)
        default = None if tolerances is None else tolerances.default
        for key, row in self.row_keys().items():
            entry = None if results is None else results.get(key)
            for skey, _ in SURFACE_COLUMNS:
                self._surface_cell(row, skey, entry, state, default)
        if sorting:
            t.setSortingEnabled(True)

    def _surface_cell(self, row: int, key: str, entry: dict | None, state: str, default) -> None:
        c = self.column(key)
        item = self.table.item(row, c)
        if not isinstance(item, _SortItem):
            item = _SortItem("—", float("nan"))
            item.setTextAlignment(_RIGHT)
            self.table.setItem(row, c, item)
        if entry is None or state == "computing":
            item.setText(COMPUTING_TEXT if state == "computing" else "—")
            item._key = float("nan")
            item.setToolTip("")
            return
        value = float(entry[key])
        text = format_value(key, value)
        if key == "nsd":
            tol = float(entry.get("nsd_tolerance_mm", default if default is not None else 0.0))
            if default is not None and tol != default:
                text = f"{text} @ {tol:g} {self.length_unit}"
            item.setToolTip(f"NSD at a tolerance of {tol:g} {self.length_unit}")
        item.setText(text)
        item._key = value
        item.setForeground(QtGui.QBrush(_GREY if state != "current" else _BLACK))

    def cell_text(self, key, column: str) -> str:
        """Text of a structure's cell (``column``: a surface key, or ``dice``/``iou``); for tests."""
        row = self.row_keys()[key]
        c = {"dice": 2, "iou": 3}.get(column)
        item = self.table.item(row, self.column(column) if c is None else c)
        return "" if item is None else item.text()
