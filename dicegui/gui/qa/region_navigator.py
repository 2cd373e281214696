"""Error-region navigator: the connected FP / FN regions, most Dice to gain first.

The list is :func:`dicegui.core.regions.error_regions` of the session's masks
for the window's focus (a label, or any foreground), in view order with the
view's voxel spacing. For label maps on the foreground view it also lists
label swaps (both masks foreground, different label: foreground Dice counts
them as right, so they gain it nothing and follow the FP / FN regions of
positive gain, and "Show" lists one kind alone); fixing one gives the prediction the
reference's labels. A region group picked in the overlay is listed as the
foreground, and the summary says so. N / Shift+N step through it: the view goes to the
slice through the region's focus voxel and pans (zoom unchanged) so that
voxel is in the middle, with the region's box drawn around it. "Fix this
region" adds a missed region to the prediction or deletes a false one with
:func:`dicegui.core.regions.fix_region`, as one undoable step.

Small volumes are listed in the GUI thread (a few milliseconds); above
:attr:`RegionNavigator.sync_limit` voxels the listing runs in a worker
thread and a newer request (an edit, another label) supersedes an older one,
whose result is dropped. An edit made while the list is shown marks it out
of date and lists again shortly after.

Such a volume is listed only while the panel is on screen, or once N /
Shift+N asks for a region (the step is taken when the list arrives): the
listing of a CT's errors holds their label images (about 100 MB on a
600×512×512 case) and briefly twice that, which nobody needs who never
looks at the list.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6 import QtCore, QtGui, QtWidgets

from ...core.overlay import DEFAULT_CLASS_COLORS
from ...core.regions import StaleRegionError, error_regions, filter_regions, fix_region, min_voxels_for
from ..background import BackgroundJob, JobSignals
from .edit_step import push_edit, undo_last
from ..region_focus import RegionFocus
from .view_tools import focus_title, frame_region, screen_box, screen_position

COLUMNS = ("#", "Kind", "Voxels", "Size", "Slices", "Dice gain")
# Rows listed at most (a speckled prediction can have tens of thousands of regions); the summary
# says when more pass the filters, and the size filter is the way to reach them.
MAX_ROWS = 10_000
# Re-list this long after the last edit (a brush drag emits many edits).
_RELIST_MS = 300
_KIND_COLOURS = {"FN": QtGui.QColor(0, 114, 178), "FP": QtGui.QColor(213, 94, 0),  # overlay's FN / FP family
                 "swap": QtGui.QColor(*DEFAULT_CLASS_COLORS["mismatch"])}  # the overlay's "labels differ"
_KIND_WORDS = {"FN": "missed (FN)", "FP": "false (FP)", "swap": "label swap"}
_FIX_BUTTON = {"FN": "Add to prediction", "FP": "Delete from prediction", "swap": "Give reference labels"}
_FIX_VERB = {"FN": "Add missed region", "FP": "Delete false region", "swap": "Relabel swapped region"}
# The "Show" filter: swaps gain no foreground Dice, so in the full list even a large one follows every
# one-voxel FP / FN speck; a corrector fixing swaps lists them alone.
_KIND_FILTERS = (("All kinds", None), ("Missed (FN)", "FN"), ("False (FP)", "FP"), ("Label swaps", "swap"))
# Which voxels make one region: faces only (the default: see dicegui.core.regions), or also edges and corners.
_CONNECTIVITY = {3: (("faces (6)", 1), ("faces + edges (18)", 2), ("all (26)", 3)),
                 2: (("edges (4)", 1), ("edges + corners (8)", 2))}


@dataclass(frozen=True)
class _Request:
    generation: int
    label: int | None
    connectivity: int = 1


class RegionNavigator(QtWidgets.QWidget):
    """The list of error regions of the window's case, with stepping and fixing.

    Signals
    -------
    regionsChanged()
        A new list is shown.
    regionSelected(object)
        A region was selected (N / Shift+N or a click on its row): the
        :class:`~dicegui.core.regions.ErrorRegion`.
    """

    regionsChanged = QtCore.Signal()
    regionSelected = QtCore.Signal(object)
    sync_limit = 1 << 21  # voxels listed in the GUI thread; larger volumes use the worker

    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.window = window
        self.regions: list = []
        self.current: int | None = None
        self.stale = False
        self.generation = 0
        self._shown_generation = 0
        self.pool = QtCore.QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._signals = JobSignals(self)
        self._signals.done.connect(self._worker_done)
        self._signals.failed.connect(self._worker_failed)
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(_RELIST_MS)
        self._timer.timeout.connect(self.refresh)
        self._fixing = False
        self._label = None
        self._axis = None  # slice axis of the table's "Slices" column
        self._found: list = []  # every region of the last listing; ``regions`` is the kind shown
        self.deferred = False  # a listing waits for the panel to be shown (or for N)
        self._wanted = False  # N / Shift+N asked for the list while the panel was hidden
        self._pending_step: str | None = None  # "next" / "previous", taken when the list arrives

        self.summary = QtWidgets.QLabel("")
        self.summary.setWordWrap(True)
        self.kind_filter = QtWidgets.QComboBox()
        for title, kind in _KIND_FILTERS:
            self.kind_filter.addItem(title, kind)
        self.kind_filter.setToolTip("List one kind of region only; N / Shift+N step through the list shown")
        # the counts in the entries grow after the first listing: keep them readable
        self.kind_filter.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.kind_filter.currentIndexChanged.connect(self._kind_changed)
        self.min_size = QtWidgets.QDoubleSpinBox()
        self.min_size.setRange(0.0, 1e9)
        self.min_size.setDecimals(0)
        self.min_size.setValue(1.0)
        self.min_size.setToolTip("List regions at least this big; the summary counts the smaller ones left out")
        self.size_unit = QtWidgets.QComboBox()
        self.size_unit.addItems(["voxels", "mL"])
        self.connectivity = QtWidgets.QComboBox()
        self.connectivity.setToolTip("Voxels touching by a face only make one region (the default), or also "
                                     "by an edge or a corner: fewer, larger regions")
        self._fill_connectivity(3)
        self.min_size.valueChanged.connect(self._filters_changed)
        self.size_unit.currentIndexChanged.connect(self._unit_changed)
        self.connectivity.currentIndexChanged.connect(lambda _i: self.refresh())
        kind_row = QtWidgets.QHBoxLayout()
        kind_row.addWidget(QtWidgets.QLabel("Show"))
        kind_row.addWidget(self.kind_filter)
        kind_row.addWidget(QtWidgets.QLabel("≥"))
        kind_row.addWidget(self.min_size)
        kind_row.addWidget(self.size_unit)
        kind_row.addStretch(1)
        connect_row = QtWidgets.QHBoxLayout()
        connect_row.addWidget(QtWidgets.QLabel("Regions connect by"))
        connect_row.addWidget(self.connectivity)
        connect_row.addStretch(1)
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.cellClicked.connect(lambda r, _c: self.go_to(r))
        self.table.setToolTip("Click a row (or press N / Shift+N) to go to the region")

        self.prev_button = QtWidgets.QPushButton("◀ Previous")
        self.prev_button.setToolTip("Previous error region (Shift+N)")
        self.next_button = QtWidgets.QPushButton("Next ▶")
        self.next_button.setToolTip("Next error region (N)")
        self.fix_button = QtWidgets.QPushButton("Fix this region")
        self.fix_button.setToolTip("Add a missed (FN) region to the prediction, delete a false (FP) one, or give "
                                   "a label swap the reference's labels; undo with Ctrl+Z / Undo")
        self.undo_button = QtWidgets.QPushButton("Undo")
        self.undo_button.setToolTip("Undo the last fix")
        self.prev_button.clicked.connect(self.previous)
        self.next_button.clicked.connect(self.next)
        self.fix_button.clicked.connect(self.fix_current)
        self.undo_button.clicked.connect(self._undo)
        buttons = QtWidgets.QHBoxLayout()
        for b in (self.prev_button, self.next_button, self.fix_button, self.undo_button):
            buttons.addWidget(b)
        self.detail = QtWidgets.QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addLayout(kind_row)
        layout.addLayout(connect_row)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.detail)

        self.box_item = QtWidgets.QGraphicsRectItem()
        pen = QtGui.QPen(QtGui.QColor(240, 228, 66), 0)  # cosmetic: 1 px whatever the zoom
        pen.setCosmetic(True)
        pen.setWidthF(2.0)
        pen.setStyle(QtCore.Qt.PenStyle.DashLine)
        self.box_item.setPen(pen)
        self.box_item.setZValue(30)
        self.box_item.setVisible(False)
        window.view.vb.addItem(self.box_item)

        window.sessionChanged.connect(self._session_changed)
        window.masksEdited.connect(self._masks_edited)
        window.sliceChanged.connect(self._slice_changed)
        window.overlay_panel.changed.connect(self._focus_maybe_changed)
        self._update_buttons()

    # ------------------------------------------------------------- listing
    def refresh(self) -> None:
        """List the regions again for the current masks and focus."""
        self._timer.stop()
        w = self.window
        s = w.session
        self.generation += 1
        if s is None or not s.has_scores:
            self._found = []
            self._show([], None, "Error regions: open a reference and a prediction.")
            return
        label = w.focus_label
        self._label = label
        self._fill_connectivity(2 if s.grid.is_2d else 3)
        connectivity = int(self.connectivity.currentData())
        request = _Request(self.generation, label, connectivity)
        swaps = label is None and s.is_label_map
        if s.gt.size > self.sync_limit and not (self._wanted or self.on_screen()):
            self.deferred = True
            self._found = []
            self._show([], None, "Error regions are listed when this panel is shown (or with N).")
            return
        self.deferred = False
        if s.gt.size <= self.sync_limit:
            try:
                regions = error_regions(s.gt, s.pred, s.grid.spacing, connectivity, label=label, swaps=swaps)
            except ValueError as exc:
                self._found = []
                self._show([], None, f"Error regions cannot be listed: {exc}")
                return
            self._accept(request, regions)
        else:
            self.summary.setText(f"Finding error regions ({focus_title(w)})…")
            gt, pred, spacing, label = s.gt, s.pred, s.grid.spacing, request.label
            self.pool.start(BackgroundJob(
                request, lambda: error_regions(gt, pred, spacing, connectivity, label=label, swaps=swaps),
                self._signals))

    def wait(self, msecs: int = 30000) -> bool:
        """Block until the worker is idle and its result shown (tests, screenshots)."""
        if self._timer.isActive():
            self.refresh()
        done = self.pool.waitForDone(msecs)
        QtWidgets.QApplication.processEvents()
        return done

    def _worker_done(self, request, regions) -> None:
        if request.generation == self.generation:
            self._accept(request, regions)

    def _worker_failed(self, request, message: str) -> None:
        if request.generation == self.generation:
            self._found = []
            self._show([], None, f"Error regions could not be listed: {message}")

    def _accept(self, request, regions) -> None:
        self._shown_generation = request.generation
        self.stale = False
        keep = self.current
        self._found = list(regions)
        self._count_kinds()
        self._show(*self._filtered(), self._summary_text(regions))
        if keep is not None and self.regions:
            self.select(min(keep, len(self.regions) - 1), move=False)
        step, self._pending_step = self._pending_step, None
        if step is not None:
            self.next() if step == "next" else self.previous()

    def on_screen(self) -> bool:
        """Whether the list can be seen (a dock behind another tab is "visible" to Qt but not on screen)."""
        return self.isVisible() and not self.visibleRegion().isEmpty()

    def panel_shown(self, shown: bool = True) -> None:
        """The panel came to the front (its dock's ``visibilityChanged``): a deferred list is begun."""
        if shown and self.deferred:
            self._wanted = True  # the panel may not have its on-screen region yet
            self.refresh()

    def showEvent(self, ev) -> None:
        super().showEvent(ev)
        self.panel_shown()

    def _ask_for_list(self, step: str) -> bool:
        """A deferred list is begun for N / Shift+N, which then steps once it arrives (True: begun)."""
        if not self.deferred:
            return False
        self._pending_step = step
        self._wanted = True
        self.refresh()
        return True

    def _summary_text(self, regions) -> str:
        if not regions:
            return f"No error regions ({self._focus_words()}): prediction and reference agree."
        n_fn = sum(r.kind == "FN" for r in regions)
        n_swap = sum(r.kind == "swap" for r in regions)
        n_fp = len(regions) - n_fn - n_swap
        swaps = f", {n_swap:,} label swaps" if n_swap else ""
        return (f"<b>{len(regions):,} error regions</b> ({self._focus_words()}): {n_fn:,} missed (FN), "
                f"{n_fp:,} false (FP){swaps}; Dice now {regions[0].dice_before:.4f}. "
                "Most Dice to gain first. N / Shift+N: next / previous.")

    def _filter_text(self, kept: list, hidden) -> str:
        """What the filters leave out, in numbers (nothing is left out silently)."""
        parts = []
        if hidden.regions:
            parts.append(f"{hidden.regions:,} smaller regions hidden ({hidden.voxels:,} voxels, "
                         f"Dice gain +{hidden.dice_gain:.4f} if all were fixed one by one)")
        if len(kept) > MAX_ROWS:
            parts.append(f"the first {MAX_ROWS:,} of {len(kept):,} listed: raise the minimum size to reach the rest")
        return ("<br><i>" + "; ".join(parts) + ".</i>") if parts else ""

    def min_voxels(self) -> int:
        """The size filter in voxels (from mL through the case's voxel size)."""
        s = self.window.session
        if self.size_unit.currentIndex() == 0 or s is None:
            return max(1, math.ceil(self.min_size.value()))
        return min_voxels_for(self.min_size.value(), s.size_per_voxel)

    def _fill_connectivity(self, ndim: int) -> None:
        choices = _CONNECTIVITY[ndim]
        if [self.connectivity.itemData(i) for i in range(self.connectivity.count())] == [c for _, c in choices]:
            return
        keep = self.connectivity.currentData() or 1
        blocker = QtCore.QSignalBlocker(self.connectivity)
        self.connectivity.clear()
        for title, value in choices:
            self.connectivity.addItem(title, value)
        self.connectivity.setCurrentIndex(max(0, min(int(keep), len(choices)) - 1))
        del blocker

    def _unit_changed(self, index) -> None:
        s = self.window.session
        per_voxel = s.size_per_voxel if s is not None else math.nan
        if s is not None:
            self.size_unit.setItemText(1, s.size_unit)  # mm² for a 2-D image
        blocker = QtCore.QSignalBlocker(self.min_size)
        value = self.min_size.value()
        self.min_size.setDecimals(0 if index == 0 else 3)
        if math.isfinite(per_voxel) and per_voxel > 0:  # the same threshold in the other unit
            self.min_size.setValue(value / per_voxel if index == 0 else value * per_voxel)
        del blocker
        self._filters_changed()

    def _filters_changed(self, *_args) -> None:
        if self._shown_generation != self.generation:
            return  # listing, or nothing could be listed: the filters apply when a listing arrives
        self.current = None
        self._show(*self._filtered(), self._summary_text(self._found))

    def _focus_words(self) -> str:
        """What the list is of; a region group picked in the overlay is not listed on its own, so say so."""
        w = self.window
        if isinstance(w.focus, RegionFocus):
            return f"all foreground, not region {w.focus.name} alone: pick a label to list its errors"
        return focus_title(w)

    def _filtered(self):
        """``(regions, Hidden)``: the listing through the kind and size filters."""
        return filter_regions(self._found, self.kind_filter.currentData(), self.min_voxels())

    def _count_kinds(self) -> None:
        for i, (title, kind) in enumerate(_KIND_FILTERS):
            n = sum(kind is None or r.kind == kind for r in self._found)
            self.kind_filter.setItemText(i, f"{title} ({n:,})")

    def _kind_changed(self, _index) -> None:
        self._filters_changed()

    def _show(self, regions, hidden=None, text: str = "") -> None:
        """List ``regions``; ``hidden`` (:class:`~dicegui.core.regions.Hidden`) is said in the summary."""
        self.regions = list(regions)
        self.current = None
        w = self.window
        axis = w.plane.axis if w.session is not None else 2
        self._axis = axis
        unit = w.session.size_unit if w.session is not None else "mL"
        per_voxel = w.session.size_per_voxel if w.session is not None else math.nan
        self.table.setRowCount(0)
        shown = self.regions[:MAX_ROWS]
        self.table.setRowCount(len(shown))
        fixed = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        for row, r in enumerate(shown):
            first, last = r.slice_range[axis] if w.session is not None else (0, 0)
            cells = (
                str(row + 1),
                r.kind,
                f"{r.voxels:,}",
                f"{r.voxels * per_voxel:.3g} {unit}",
                f"{first}" if first == last else f"{first}–{last}",
                # a swap gains no foreground Dice: name its labels instead
                f"ref {r.pairs[0][0]} → pred {r.pairs[0][1]}" if r.kind == "swap" else f"+{r.dice_gain:.4f}",
            )
            for col, text_ in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text_)
                if col != 1:
                    item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
                    item.setFont(fixed)
                else:
                    item.setForeground(_KIND_COLOURS.get(r.kind, QtGui.QColor("black")))
                    f = item.font()
                    f.setBold(True)
                    item.setFont(f)
                self.table.setItem(row, col, item)
        self.summary.setText(text + (self._filter_text(self.regions, hidden) if hidden is not None else ""))
        self.detail.setText("")
        self._update_box()
        self._update_buttons()
        self.regionsChanged.emit()

    # ----------------------------------------------------------- stepping
    def next(self) -> None:
        """Go to the next region (the first when none is selected)."""
        if self._ask_for_list("next"):
            return
        if self.regions:
            i = 0 if self.current is None else (self.current + 1) % min(len(self.regions), MAX_ROWS)
            self.go_to(i)

    def previous(self) -> None:
        """Go to the previous region (the last when none is selected)."""
        if self._ask_for_list("previous"):
            return
        if self.regions:
            n = min(len(self.regions), MAX_ROWS)
            i = n - 1 if self.current is None else (self.current - 1) % n
            self.go_to(i)

    def select(self, i: int, move: bool = True) -> None:
        """Select region ``i`` in the list (and go there when ``move``)."""
        self.current = int(i)
        blocker = QtCore.QSignalBlocker(self.table)
        self.table.selectRow(self.current)
        del blocker
        self.table.scrollToItem(self.table.item(self.current, 0))
        r = self.regions[self.current]
        w = self.window
        s = w.session
        first, last = r.slice_range[w.plane.axis]
        where = "" if s.grid.is_2d else (f", {w.plane.name} slice {first}" if first == last
                                         else f", {w.plane.name} slices {first}–{last}")
        if r.kind == "swap":
            effect = (f"{r.pair_text()}; foreground Dice counts it as right, fixing it repairs the "
                      "per-label Dice of its labels.")
        else:
            effect = f"Dice {r.dice_before:.4f} → {r.dice_after:.4f} if fixed alone (+{r.dice_gain:.4f})."
        self.detail.setText(f"Region {self.current + 1}: {_KIND_WORDS[r.kind]}, {r.voxels:,} voxels "
                            f"({r.voxels * s.size_per_voxel:.3g} {s.size_unit}){where}; {effect}")
        if move:
            self._move_to(r)
        self._update_box()
        self._update_buttons()
        self.regionSelected.emit(r)

    def go_to(self, i: int) -> None:
        """Select region ``i``, show the slice through it and centre the view on it."""
        if 0 <= i < len(self.regions):
            self.select(i, move=True)

    def _move_to(self, region) -> None:
        w = self.window
        ijk = region.focus_voxel()
        _, row, col = screen_position(w.plane, ijk, w.session.shape)
        w.views.set_cursor(ijk)  # every view, not only the focused one, goes through the region
        _, _, r0, r1, c0, c1 = screen_box(w.plane, region.box, w.session.shape)
        frame_region(w.view, row, col, r1 - r0, c1 - c0)

    def focus_pixel(self, i: int | None = None) -> tuple[int, int, int]:
        """(slice, row, col) of region ``i``'s focus voxel on the current plane."""
        r = self.regions[self.current if i is None else i]
        return screen_position(self.window.plane, r.focus_voxel(), self.window.session.shape)

    def _update_box(self) -> None:
        w = self.window
        if self.current is None or w.session is None or self.current >= len(self.regions):
            self.box_item.setVisible(False)
            return
        r = self.regions[self.current]
        s0, s1, r0, r1, c0, c1 = screen_box(w.plane, r.box, w.session.shape)
        if not s0 <= w.index < s1:
            self.box_item.setVisible(False)
            return
        row_mm, col_mm = w.view.pixel_mm
        pad = 1.0  # one pixel around, so the box does not hide the region's edge
        self.box_item.setRect(QtCore.QRectF((c0 - pad) * col_mm, (r0 - pad) * row_mm,
                                            (c1 - c0 + 2 * pad) * col_mm, (r1 - r0 + 2 * pad) * row_mm))
        self.box_item.setVisible(True)

    # -------------------------------------------------------------- fixing
    def fix_current(self) -> bool:
        """Fix the selected region as one undoable step; False when nothing was done."""
        if self.current is None or self.stale or not self.regions:
            if self.stale:
                self.refresh()
            return False
        w = self.window
        region = self.regions[self.current]
        try:
            delta = fix_region(w.session.live, region)
        except StaleRegionError as exc:
            self.detail.setText(str(exc))
            self.refresh()
            return False
        except ValueError as exc:
            w._report_error("Could not fix the region", str(exc))
            return False
        keep = self.current
        self._fixing = True
        try:
            push_edit(w, delta, f"{_FIX_VERB[region.kind]} ({region.voxels} voxels, Dice +{region.dice_gain:.4f})")
        finally:
            self._fixing = False
        self.current = keep
        self.refresh()
        if self.regions and self.window.session.gt.size <= self.sync_limit:
            self.go_to(min(keep, len(self.regions) - 1))
        return True

    def _undo(self) -> None:
        undo_last(self.window)

    # -------------------------------------------------------------- events
    def _slice_changed(self, *_args) -> None:
        if self.regions and self.window.plane.axis != self._axis:
            # another plane: the "Slices" column must name this plane's slices
            keep = self.current
            self._show(self.regions, None, self.summary.text())
            if keep is not None:
                self.select(keep, move=False)
        self._update_box()

    def _session_changed(self) -> None:
        self.current = None
        self._wanted = False  # a new case: listed again only when looked at
        self._pending_step = None
        self.refresh()

    def _masks_edited(self) -> None:
        if self._fixing:
            return
        self.stale = True
        self.generation += 1  # a running listing describes older masks
        self.summary.setText(self.summary.text().split(" <i>(")[0] + " <i>(out of date: listing again…)</i>")
        self._update_buttons()
        self._timer.start()

    def _focus_maybe_changed(self) -> None:
        if self.window.session is None:
            return
        if self.window.focus_label != self._label:
            self.current = None
            self.refresh()
        elif not self.stale and self._shown_generation == self.generation and self._found:
            # foreground <-> a region group: the same list, but the summary says what it is of
            self.summary.setText(self._summary_text(self._found))

    def _update_buttons(self) -> None:
        has = bool(self.regions)
        self.prev_button.setEnabled(has)
        self.next_button.setEnabled(has)
        self.fix_button.setEnabled(has and self.current is not None and not self.stale)
        if self.current is not None and self.current < len(self.regions):
            self.fix_button.setText(_FIX_BUTTON[self.regions[self.current].kind])
        else:
            self.fix_button.setText("Fix this region")

    def cancel(self) -> None:
        """Drop running listings (window closing)."""
        self.generation += 1
        self._timer.stop()
        self.pool.waitForDone(10000)

