"""What DICOM SEG and RT Structure Sets share: a label map on the series they annotate.

Both objects carry no voxel grid a viewer can trust on its own: a SEG names
the source images its frames segment, an RT Structure Set draws contours in
patient millimetres. dicegui therefore always reads the referenced series
with its own loader (:func:`dicegui.core.io.dicom.read_dicom`) and puts the
labels on exactly that grid: ``label_map[i, j, k]`` is row ``i``, column
``j`` of the ``k``-th slice in the order of the series volume, so the mask
and the scan share one affine. A label map cannot hold two labels in one
voxel: overlapping segments or ROIs are refused, naming them, unless the
caller asks for one binary mask per segment (``split``).

Labels and names go both ways: reading makes each segment/ROI a label with
its name and colour; :func:`match_labels_by_name` renumbers a prediction so
that structures with the same name carry the reference's label, which is what
scoring a SEG against an RT Structure Set needs (their numbering is their own).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..volume import Volume
from .errors import LoadError, SaveError, file_label

LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])
_MAX_PAIRS_SHOWN = 4


@dataclass
class DicomLabels:
    """A label map read from a SEG or an RT Structure Set, on its series' grid.

    Attributes
    ----------
    label_map : numpy.ndarray
        ``(rows, columns, slices)`` integers, aligned with ``series.data``.
    names : dict
        ``{label: name}`` (segment label or ROI name).
    colors : dict
        ``{label: (r, g, b)}`` 0-255, for the segments/ROIs that give one.
    series : Volume
        The referenced series as :func:`read_dicom` loads it (its affine is
        the label map's).
    source : pathlib.Path
        The SEG or RT Structure Set file.
    kind : str
        ``"seg"`` or ``"rtstruct"``.
    warnings : list of str
        What was skipped or approximated (empty frames, off-slice contours).
    """

    label_map: np.ndarray
    names: dict
    colors: dict
    series: Volume
    source: Path
    kind: str
    warnings: list = field(default_factory=list)

    def labels(self) -> dict:
        """``{label: (name, (r, g, b) or None)}`` for every label."""
        return {label: (name, self.colors.get(label)) for label, name in self.names.items()}

    def as_volume(self) -> Volume:
        """The label map as a :class:`Volume` on the series' grid (names in ``meta``)."""
        return Volume(
            data=self.label_map, affine=np.array(self.series.affine, dtype=float), path=self.source,
            source_format=f"dicom-{self.kind}", header=None, is_2d=False,
            meta={"label_names": dict(self.names), "label_colors": dict(self.colors),
                  "series_uid": self.series.meta.get("series_uid", ""), "warnings": list(self.warnings),
                  "has_geometry": True},
        )


def load_series(series_dir, error=LoadError) -> Volume:
    """The DICOM series a SEG or structure set refers to, as dicegui loads it.

    Parameters
    ----------
    series_dir : str, Path or Volume
        A folder holding one image series, or the series already loaded.
    error : type
        ``LoadError`` when reading, ``SaveError`` when writing (the message
        is the loader's, naming the folder).
    """
    from .dicom import read_dicom

    if isinstance(series_dir, Volume) and series_dir.source_format == "dicom":
        return series_dir  # already loaded (several objects on one series read it once)
    path = Path(series_dir)
    if not path.is_dir():
        raise error(f"{file_label(path)}: not a folder; give the DICOM series folder the objects refer to")
    try:
        series = read_dicom(path)
    except LoadError as exc:
        raise error(str(exc)) from None
    if not series.meta.get("has_geometry") or series.meta.get("multiframe_order") is not None:
        raise error(f"{file_label(path)}: the series must be single-frame slices with positions and orientation")
    return series


def lps_affine(series: Volume) -> np.ndarray:
    """Voxel (i, j, k) to DICOM patient coordinates (LPS, mm)."""
    return LPS_TO_RAS @ np.asarray(series.affine, dtype=float)


def series_datasets(series: Volume) -> list:
    """The series' headers in slice order (``label_map[:, :, k]`` is ``datasets[k]``)."""
    return list(series.header["datasets"])


def check_series_uid(obj_path, referenced_uid: str | None, series: Volume, what: str) -> None:
    """Refuse an object that annotates another series, naming both UIDs."""
    own = str(series.meta.get("series_uid", ""))
    if referenced_uid and own and str(referenced_uid) != own:
        raise LoadError(
            f"{file_label(obj_path)}: this {what} refers to series {referenced_uid}, but "
            f"{file_label(series.path)} holds series {own}; open the series it was drawn on"
        )


def check_source_uids(sources, series_dir, target, what: str) -> None:
    """Refuse to write ``what`` (a SEG, an RT Structure Set) for a series lacking the UIDs it must reference.

    Both objects reference each source image by SOP Class/Instance UID and
    the study and series by their Instance UIDs; anonymised or hand-made
    series (TotalSegmentator's example has none) often lack them.
    """
    from .errors import SaveError

    for keyword in ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"):
        missing = sum(1 for ds in sources if not str(ds.get(keyword, "")).strip())
        if missing:
            raise SaveError(f"{file_label(target)}: cannot write {what} for {file_label(series_dir)}: {keyword} is "
                            f"missing in {missing} slice(s); {what} must reference its source images by SOP "
                            "Class/Instance UID and their study and series by Study/Series Instance UID")


def _overlap_text(pairs: dict, names: dict) -> str:
    shown = sorted(pairs.items(), key=lambda kv: -kv[1])[:_MAX_PAIRS_SHOWN]
    parts = [f"{names.get(a, a)!r} and {names.get(b, b)!r} ({n} voxel{'s' if n != 1 else ''})" for (a, b), n in shown]
    more = f" and {len(pairs) - len(shown)} more pair(s)" if len(pairs) > len(shown) else ""
    return "; ".join(parts) + more


def combine_masks(masks, names: dict, shape, path, what: str) -> np.ndarray:
    """One label map from ``(label, bool mask)`` pairs; overlaps refused naming the pairs.

    Parameters
    ----------
    masks : iterable of (int, numpy.ndarray)
        Each label and its boolean mask (shape ``shape``); consumed one at a
        time so only one mask need be held besides the label map.
    names : dict
        ``{label: name}`` for the message.
    shape : tuple
        The label map's shape.
    path : Path
        The file named in the message.
    what : str
        ``"segments"`` or ``"ROIs"``.
    """
    top = max(names, default=1)
    label_map = np.zeros(shape, dtype=np.uint8 if top <= 255 else np.uint16)
    pairs: dict = {}
    for label, mask in masks:
        taken = label_map[mask]
        for other in np.unique(taken[taken != 0]):
            pairs[(int(other), int(label))] = int(np.count_nonzero(taken == other))
        label_map[mask & (label_map == 0)] = label
    if pairs:
        raise LoadError(
            f"{file_label(path)}: {what} overlap: {_overlap_text(pairs, names)}; a label map holds one label "
            f"per voxel: read the {what} as separate masks (split) or choose non-overlapping ones"
        )
    return label_map


def check_label_map(label_map, series: Volume, target) -> np.ndarray:
    """A whole-number label map of the series' shape, or a SaveError naming the target."""
    arr = np.asarray(label_map)
    if arr.shape != series.data.shape:
        raise SaveError(
            f"{file_label(target)}: the mask is {'×'.join(map(str, arr.shape))}, the series "
            f"{'×'.join(map(str, series.data.shape))}; a mask must lie on the series' grid"
        )
    if arr.dtype == bool:
        return arr.astype(np.uint8)
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise SaveError(f"{file_label(target)}: the mask holds non-integer values; a label map is needed")
        arr = arr.astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() > 65535):
        raise SaveError(f"{file_label(target)}: labels must lie in 0..65535")
    return arr


def label_list(label_map: np.ndarray) -> list:
    """The nonzero labels present, ascending."""
    return [int(v) for v in np.unique(label_map) if v != 0]


def default_name(label: int) -> str:
    """The name given to a label without one."""
    return f"label {label}"


def match_labels_by_name(reference_names: dict, label_map: np.ndarray, names: dict):
    """Renumber ``label_map`` so a structure named as one of the reference's gets its label.

    Names match ignoring case and surrounding spaces. Labels whose name the
    reference does not hold get numbers after the reference's largest.

    Parameters
    ----------
    reference_names : dict
        ``{label: name}`` of the reference (ground truth).
    label_map : numpy.ndarray
        The prediction's labels.
    names : dict
        ``{label: name}`` of the prediction.

    Returns
    -------
    (numpy.ndarray, dict, list)
        The renumbered label map, its ``{label: name}`` and ``(old, new)``
        pairs of the labels that changed number.
    """
    by_name = {str(n).strip().lower(): int(label) for label, n in reference_names.items()}
    next_free = max([*reference_names, *names, 0]) + 1
    mapping, new_names = {}, {}
    for label in sorted(names):
        key = str(names[label]).strip().lower()
        target = by_name.get(key)
        if target is None or target in new_names:
            target, next_free = (label, next_free) if label not in reference_names and label not in new_names \
                else (next_free, next_free + 1)
        mapping[int(label)] = target
        new_names[target] = names[label]
    top = max([*mapping.values(), 0])
    lut = np.arange(max(int(label_map.max(initial=0)), max(mapping, default=0)) + 1, dtype=np.int64)
    for old, new in mapping.items():
        lut[old] = new
    out = lut[label_map].astype(np.uint8 if top <= 255 else np.uint16)
    moved = [(old, new) for old, new in mapping.items() if old != new]
    return out, new_names, moved
