"""Scores of every structure in the window: region groups, per-structure NSD tolerances, surface columns.

Ties together, for the main window:

* :class:`~dicegui.gui.region_groups_ui.RegionGroups` (View ▸ Region groups…):
  the groups, listed in the overlay's label picker (:meth:`OverlayPanel.set_regions`)
  and as rows of the per-label table;
* the region rows' overlap, from one joint-table pass over both maps
  (:func:`dicegui.core.region_overlap.region_overlaps`, 18 ms on a BraTS
  case). A brush dab does not recompute them (they grey out); the stroke's
  end (the editor's history ``pushed``), an undo or a fill does;
* :class:`~dicegui.gui.nsd_tolerance_ui.ToleranceTable`: the per-structure
  tolerances and the below-voxel warning;
* :class:`~dicegui.gui.structure_surface_scores.StructureSurfaceScores`:
  HD, HD95, ASSD and NSD of every label and region in the background, shown
  in the table's surface columns (:mod:`dicegui.gui.structure_table`).
"""
from __future__ import annotations

from PySide6 import QtCore

from ..core.region_overlap import region_overlaps
from .nsd_tolerance_ui import ToleranceTable
from .region_focus import RegionFocus, slice_overlap
from .region_groups_ui import RegionGroups
from .structure_surface_scores import StructureSurfaceScores
from .structure_table import StructureTable


class StructureScores(QtCore.QObject):
    """Region groups, tolerances and per-structure surface distances of the main window.

    Attributes
    ----------
    regions : RegionGroups
    tolerance : ToleranceTable
    table : StructureTable
    surfaces : StructureSurfaceScores
    overlaps : dict
        Region name → ``overlap()`` of the masks as of the last full count.
    """

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.regions = RegionGroups(window)
        self.tolerance = ToleranceTable(window.scores)
        self.table = StructureTable(window.scores)
        self.surfaces = StructureSurfaceScores(window, self.structures, self.tolerance.tolerances)
        self.overlaps: dict = {}
        self._overlaps_stale = False
        self._shown_stale = None
        self._editor_connected = False
        for action in window.menuBar().actions():
            if action.menu() is not None and action.text().replace("&", "") == "View":
                self.regions.add_to_menu(action.menu())
        self.regions.changed.connect(self._regions_changed)
        self.tolerance.changed.connect(self._tolerances_changed)
        window.scores.toleranceChanged.connect(lambda _mm: self._tolerances_changed(table=False))
        self.surfaces.updated.connect(self.show_surfaces)
        window.sessionChanged.connect(self._session_changed)
        window.masksEdited.connect(self.surfaces.masks_edited)

    # ------------------------------------------------------------ structures
    def region_focuses(self) -> list[RegionFocus]:
        """The region groups as picker entries (none unless the case is a scored label map)."""
        s = self.window.session
        if s is None or not s.is_label_map:
            return []
        return [RegionFocus(name, tuple(labels)) for name, labels in self.regions.groups.items()]

    def structures(self) -> dict:
        """``{label: (label,)}`` for the labels in either mask and ``{name: labels}`` for each region."""
        s = self.window.session
        if s is None or not s.has_scores or not s.is_label_map:
            return {}
        labels = {int(k): (int(k),) for k, v in s.per_label()["labels"].items() if not v.get("absent")}
        return {**labels, **{r.name: r.labels for r in self.region_focuses()}}

    # ---------------------------------------------------------------- scores
    def count(self, changed=None) -> None:
        """Recount the regions' overlap unless ``changed`` names the labels of a dab (then they go grey)."""
        s = self.window.session
        if changed is not None and self.overlaps:
            self._overlaps_stale = True
            return
        self._overlaps_stale = False
        groups = {r.name: r.labels for r in self.region_focuses()}
        self.overlaps = region_overlaps(s.gt, s.pred, groups) if groups and s.has_scores else {}

    def volume_scores(self, focus) -> dict | None:
        """Overlap of the whole volume for the window's focus (a region from the last count)."""
        s = self.window.session
        if isinstance(focus, RegionFocus):
            if focus.name not in self.overlaps:
                self.count()
            return self.overlaps.get(focus.name)
        return s.volume_scores(focus)

    def slice_scores(self, plane, index: int, focus) -> dict | None:
        """Overlap of one slice for the window's focus."""
        s = self.window.session
        if isinstance(focus, RegionFocus) and s.has_scores:
            _, g, p = s.planes_of(plane, index)
            return slice_overlap(g, p, focus)
        return s.slice_scores(plane, index, focus)

    # ----------------------------------------------------------------- table
    def show_table(self, changed=None) -> None:
        """Region rows and surface columns after the panel (re)filled or updated its label rows.

        ``changed`` (a dab's labels): only when the panel rebuilt its rows, or
        the region rows just went out of date, is anything written, so a dab
        costs no pass over the table's surface cells.
        """
        s = self.window.session
        if s is None or s.per_label() is None:
            return
        groups = {r.name: r.labels for r in self.region_focuses()}
        if changed is not None and self.table.intact(groups) and self._shown_stale == self._overlaps_stale:
            return
        self._shown_stale = self._overlaps_stale
        self.table.show(groups, self.overlaps, s.size_per_voxel, stale=self._overlaps_stale)
        self.show_surfaces()

    def show_surfaces(self) -> None:
        s = self.window.session
        if s is None or s.per_label() is None:
            return
        self.table.set_headers(self.tolerance.tolerances().default, s.length_unit)
        self.table.set_surfaces(self.surfaces.results, self.tolerance.tolerances(), self.surfaces.state)

    # ---------------------------------------------------------------- events
    def _stroke_ended(self, _delta) -> None:
        """A stroke became an undo step: the region rows its dabs left grey are counted again."""
        if self._overlaps_stale and self.window.session is not None:
            self.window._update_volume_scores()

    def _session_changed(self) -> None:
        s = self.window.session
        editor = getattr(self.window, "editor", None)  # made after this object
        if editor is not None and not self._editor_connected:
            editor.history.pushed.connect(self._stroke_ended)
            self._editor_connected = True
        self.surfaces.reset()
        self.tolerance.set_spacing(s.grid.spacing if s is not None and s.has_scores else None)
        self._tell_tolerance_structures()
        self.window.overlay_panel.set_regions(self.region_focuses())
        self.regions.update_note()
        self.count()
        self.show_table()
        self.surfaces.recompute()

    def _regions_changed(self) -> None:
        w = self.window
        if w.session is None:
            return
        self.count()
        self._tell_tolerance_structures()
        w.overlay_panel.set_regions(self.region_focuses())
        w._update_volume_scores()
        self.surfaces.recompute()
        w.request_surface()

    def _tell_tolerance_structures(self) -> None:
        """The tolerance table names a key that is no label or region of this case in its warning."""
        s = self.window.session
        if s is None or not s.has_scores or not s.is_label_map:
            self.tolerance.set_structures(None)
            return
        self.tolerance.set_structures({k: s.label_name(k) for k in s.labels},
                                      [r.name for r in self.region_focuses()])

    def _tolerances_changed(self, table: bool = True) -> None:
        if self.window.session is None:
            return
        self.surfaces.recompute()
        if table:  # the focus's own tolerance may have changed (the spin box already asks the window)
            self.window.request_surface()
