"""One opened case as the window sees it: view-order arrays, live scores, display defaults.

Qt-free on purpose (plain Python over ``dicegui.core``), so that the window,
the tests and the benchmark share one definition of "what is on screen".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core import metrics
from ..core.case import Case
from ..core.names import readable
from ..core.display import (
    PLANES,
    Plane,
    ViewGrid,
    Units,
    best_slice,
    case_units,
    default_window,
    foreground_per_slice,
    intensity_histogram,
    plane_image,
    sample_voxels,
    size_per_voxel,
    voxel_volume_ml,
)
from ..core.live import LiveScore
from ..core.mask_store import MaskStore

ROLE_TITLES = {"image": "Image", "gt": "Reference (ground truth)", "pred": "Prediction"}


@dataclass
class Session:
    """A loaded case prepared for display.

    Attributes
    ----------
    case : Case
    paths : dict
        ``{"image"|"gt"|"pred": Path}`` of the files it came from (roles not loaded are absent).
    demo : str or None
        Demo name when it is a shipped demo.
    grid : ViewGrid
        File order ↔ view order (radiological) mapping.
    image, gt, pred : numpy.ndarray or None
        The case's arrays in view order (views sharing memory with the case).
    live : LiveScore or None
        Live counts when both masks are present.
    edits : LiveScore or MaskStore or None
        What the editor writes through: ``live`` when both masks are
        present, a :class:`~dicegui.core.mask_store.MaskStore` of the one
        mask when only one is, None without masks.
    """

    case: Case
    paths: dict = field(default_factory=dict)
    demo: str | None = None

    def __post_init__(self):
        case = self.case
        ref = next(a for a in (case.image_array, case.gt_mask, case.pred_mask) if a is not None)
        vols = [v for v in (case.image, case.gt, case.pred) if v is not None]
        is_2d = bool(vols) and any(getattr(v, "is_2d", False) for v in vols) and ref.shape[2] == 1
        self.grid = ViewGrid.for_array(ref, case.affine, is_2d=is_2d)
        self.image = self.grid.view(case.image_array)
        self.gt = self.grid.view(case.gt_mask)
        self.pred = self.grid.view(case.pred_mask)
        self.live = LiveScore(self.gt, self.pred) if self.gt is not None and self.pred is not None else None
        self.edits = self.live
        if self.live is None and (self.gt is not None or self.pred is not None):
            self.edits = MaskStore(gt=self.gt, pred=self.pred)
        self.voxel_ml = voxel_volume_ml(self.grid.affine)
        self.units: Units = case_units(vols, self.grid.is_2d)
        if case.image_array is not None:
            self.sample = sample_voxels(case.image_array)
        else:
            self.sample = np.zeros(0)
        self.histogram = intensity_histogram(self.sample)
        self.window_preset, self.window = default_window(self.sample)
        self.labels = self._present_labels()
        self.is_label_map = self._label_map()

    # ----------------------------------------------------------------- facts
    @property
    def shape(self) -> tuple[int, int, int]:
        return self.grid.shape

    @property
    def has_scores(self) -> bool:
        return self.live is not None

    @property
    def can_edit(self) -> bool:
        """Whether a mask is open to edit (either one is enough)."""
        return self.edits is not None

    def foreground_box(self) -> tuple[slice, ...] | None:
        """View-order box holding every nonzero voxel of both masks (from the live counts); None without scores."""
        return None if self.live is None else self.live.foreground_box()

    def label_volumes(self) -> dict | None:
        """``{label: (voxels, size in size_unit)}`` of the one open mask; None when both or none are open.

        Read from the :class:`~dicegui.core.mask_store.MaskStore` counts, so
        it costs no pass over the volume while a person paints.
        """
        if not isinstance(self.edits, MaskStore):
            return None
        k = self.size_per_voxel
        return {label: (n, n * k) for label, n in self.edits.label_counts().items()}

    @property
    def planes(self) -> tuple[Plane, ...]:
        return self.grid.planes

    def _present_labels(self) -> list[int]:
        if self.live is not None:
            return sorted(int(k) for k in self.live.per_label()["labels"])
        present = set()
        for mask in (self.case.gt_mask, self.case.pred_mask):
            if mask is not None:
                present |= {int(v) for v in np.unique(mask) if v != 0}
        return sorted(present)

    def _label_map(self) -> bool:
        kinds = [i.kind for i in (self.case.gt_info, self.case.pred_info) if i is not None]
        if "labels" in kinds:
            return True
        return any(k > 1 for k in self.labels)

    @property
    def max_label(self) -> int:
        return max(self.labels, default=1)

    def label_name(self, label: int) -> str:
        name = self.case.label_names.get(int(label))
        return str(name) if name else ""

    def default_plane(self) -> Plane:
        """Axial, unless the volume is 2-D or flat in the axial plane."""
        if self.grid.is_2d:
            return self.planes[0]
        shape = self.shape
        for plane in PLANES.values():
            if shape[plane.row_axis] > 1 and shape[plane.col_axis] > 1:
                return plane
        return PLANES["axial"]

    def n_slices(self, plane: Plane) -> int:
        return int(self.shape[plane.axis])

    def opening_slice(self, plane: Plane) -> int:
        """Slice where the masks disagree most, else with most foreground, else the middle."""
        n = self.n_slices(plane)
        if self.live is not None:
            # Per-slice counts are maintained by LiveScore: no pass over the volume.
            per_slice = [self.live.slice_overlap(plane.axis, i) for i in range(n)]
            disagree = [s["fp"] + s["fn"] for s in per_slice]
            fg = [s["tp"] + s["fp"] + s["fn"] for s in per_slice]
            return best_slice(disagree, fg)
        for mask in (self.gt, self.pred):
            if mask is not None:
                return best_slice(np.zeros(n), foreground_per_slice(mask, plane.axis))
        return (n - 1) // 2

    def label_slice(self, plane: Plane, label: int) -> int:
        """Slice where one label's masks disagree most (else where it is largest)."""
        n = self.n_slices(plane)
        disagree = np.zeros(n, dtype=np.int64)
        present = np.zeros(n, dtype=np.int64)
        for i in range(n):
            _, g, p = self.planes_of(plane, i)
            gk = g == label if g is not None else np.zeros(p.shape, bool)
            pk = p == label if p is not None else np.zeros(gk.shape, bool)
            disagree[i] = np.count_nonzero(gk != pk)
            present[i] = np.count_nonzero(gk | pk)
        return best_slice(disagree, present)

    # ------------------------------------------------------------- per slice
    def planes_of(self, plane: Plane, index: int):
        """(image, gt, pred) screen images of one slice (views; None where absent)."""
        return tuple(
            None if a is None else plane_image(a, plane, index) for a in (self.image, self.gt, self.pred)
        )

    # ---------------------------------------------------------------- scores
    def volume_scores(self, label: int | None = None) -> dict | None:
        """Overlap of the whole volume (foreground, or one label)."""
        if self.live is None:
            return None
        if label is None:
            return self.live.overlap()
        return self.live.per_label([label])["labels"][int(label)]

    def slice_scores(self, plane: Plane, index: int, label: int | None = None) -> dict | None:
        """Overlap of one slice (foreground from the live counts, one label from the slice)."""
        if self.live is None:
            return None
        if label is None:
            return self.live.slice_overlap(plane.axis, index)
        _, g, p = self.planes_of(plane, index)
        return metrics.overlap(g == label, p == label)

    def per_label(self) -> dict | None:
        if self.live is None or not self.is_label_map:
            return None
        return self.live.per_label()

    @property
    def size_unit(self) -> str:
        """Unit of mask sizes: ``"mL"``, ``"mm²"`` (2-D), or ``"voxels"`` / ``"px²"`` without spacing."""
        return self.units.size

    @property
    def length_unit(self) -> str:
        """Unit of distances: ``"mm"``, or ``"px"`` when no file gave a voxel size."""
        return self.units.length

    @property
    def size_per_voxel(self) -> float:
        """Size of one voxel in :attr:`size_unit` (pixel area for 2-D images)."""
        return size_per_voxel(self.units, self.grid.spacing, self.grid.affine)

    def sizes(self, scores: dict) -> tuple[float, float]:
        """(reference, prediction) sizes in :attr:`size_unit` from an overlap dictionary."""
        k = self.size_per_voxel
        return (scores["tp"] + scores["fn"]) * k, (scores["tp"] + scores["fp"]) * k

    def title(self) -> str:
        if self.demo:
            return f"demo: {self.demo}"
        names = [Path(p).name for p in self.paths.values()]
        if len(set(names)) < len(names):  # a cohort's gt/case.nii.gz and pred/case.nii.gz: name the folders
            names = [f"{Path(p).parent.name}/{Path(p).name}" for p in self.paths.values()]
        return readable(" · ".join(names)) if names else "untitled"
