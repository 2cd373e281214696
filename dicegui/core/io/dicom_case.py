"""A case from a DICOM series and masks stored as SEG, RT Structure Set or ordinary files.

The series is the reference grid: each DICOM object is read onto it
(:mod:`dicom_seg`, :mod:`rtstruct`), a mask file (NIfTI, NRRD, ...) must lie
on it as any mask must lie on its image (:func:`load_case`'s checks). Two
DICOM objects number their structures independently (a SEG by segment, a
structure set by ROI order), so when both sides are named, the prediction is
renumbered to carry the reference's label for every structure of the same
name; structures only the prediction has get labels after the reference's.
"""
from __future__ import annotations

from pathlib import Path

from .dicom_labels import DicomLabels, load_series, match_labels_by_name
from .errors import LoadError, file_label

MASK_KINDS = ("seg", "rtstruct", "file")


def read_dicom_mask(kind: str, path, series_dir) -> DicomLabels:
    """Read a SEG (``kind="seg"``) or an RT Structure Set (``"rtstruct"``) onto the series.

    ``series_dir`` is the series' folder or the series already loaded (a Volume).
    """
    if kind == "seg":
        from .dicom_seg import read_seg

        return read_seg(path, series_dir)
    if kind == "rtstruct":
        from .rtstruct import read_rtstruct

        return read_rtstruct(path, series_dir)
    raise ValueError(f"read_dicom_mask: kind must be 'seg' or 'rtstruct', not {kind!r}")


def _mask(spec, series, role: str):
    """``spec`` is ``None``, ``(kind, path)``; returns ``(DicomLabels or None, Volume or path or None)``."""
    if spec is None:
        return None, None
    kind, path = spec
    if kind not in MASK_KINDS:
        raise ValueError(f"load_dicom_case: {role} kind must be one of {MASK_KINDS}, not {kind!r}")
    if not Path(path).exists():
        raise LoadError(f"{file_label(path)}: no such file ({role})")
    if kind == "file":
        return None, path
    labels = read_dicom_mask(kind, path, series)
    return labels, labels


def _renumber_prediction(gt: DicomLabels, pred: DicomLabels) -> list:
    pred.label_map, names, moved = match_labels_by_name(gt.names, pred.label_map, pred.names)
    old_colors = dict(pred.colors)
    back = {new: old for old, new in moved}
    pred.colors = {label: old_colors[back.get(label, label)] for label in names if back.get(label, label) in old_colors}
    pred.names = names
    if not moved:
        return []
    shown = ", ".join(f"{names[new]!r} {old}→{new}" for old, new in moved[:8])
    return [f"{file_label(pred.source)}: labels renumbered to match {file_label(gt.source)} by name: {shown}"
            + (f" and {len(moved) - 8} more" if len(moved) > 8 else "")]


def load_dicom_case(series_dir, gt=None, pred=None, *, label_names=None):
    """Load a DICOM series with a reference and a prediction given as SEG, RT Structure Set or files.

    Parameters
    ----------
    series_dir : str or Path
        The image series' folder (the reference grid).
    gt, pred : tuple (kind, path), optional
        ``kind`` is ``"seg"``, ``"rtstruct"`` or ``"file"`` (any mask
        :func:`load_volume` reads, which must lie on the series' grid).
    label_names : str or Path, optional
        A label file whose names win (as in :func:`load_case`).

    Returns
    -------
    Case
        As :func:`load_case` returns it, the series as the image; labels named
        after the segments/ROIs (and coloured by them); when both masks are
        DICOM objects the prediction is renumbered to the reference's labels
        by name (said in ``warnings``).

    Raises
    ------
    LoadError
        A file is missing or unreadable, refers to another series, holds
        overlapping structures, or a mask file is not on the series' grid.
    """
    from .case_loader import load_case

    if gt is None and pred is None:
        raise LoadError("load_dicom_case: give a ground truth or a prediction")
    series = load_series(series_dir)
    gt_labels, gt_input = _mask(gt, series, "ground truth")
    pred_labels, pred_input = _mask(pred, series, "prediction")
    notes = []
    if gt_labels is not None and pred_labels is not None:
        notes = _renumber_prediction(gt_labels, pred_labels)
    to_load = [x.as_volume() if isinstance(x, DicomLabels) else x for x in (gt_input, pred_input)]
    case = load_case(image=series, gt=to_load[0], pred=to_load[1], label_names=label_names)
    for labels in (gt_labels, pred_labels):
        if labels is not None:
            for label, rgb in labels.colors.items():
                case.label_colors.setdefault(int(label), tuple(rgb))
    case.warnings.extend(notes)
    return case


#: SOP classes of the DICOM objects read as masks onto a series.
_MASK_SOP_CLASSES = {"1.2.840.10008.5.1.4.1.1.66.4": "seg", "1.2.840.10008.5.1.4.1.1.481.3": "rtstruct"}
_MASK_MODALITIES = {"SEG": "seg", "RTSTRUCT": "rtstruct"}
_DEFLATED = "1.2.840.10008.1.2.1.99"  # Deflated Explicit VR Little Endian
#: What each kind is called in messages.
KIND_WORDS = {"seg": "DICOM SEG", "rtstruct": "RT Structure Set"}


def dicom_mask_kind(path) -> str | None:
    """``"seg"`` or ``"rtstruct"`` when ``path`` is a DICOM SEG or RT Structure Set file, else None.

    Only the header is read (the 'DICM' marker, then two tags), so this is
    cheap enough to ask of every file a user opens.
    """
    p = Path(path)
    try:
        if not p.is_file():
            return None
        with open(p, "rb") as fh:
            head = fh.read(132)
    except OSError:
        return None
    if head[128:132] != b"DICM":
        return None
    import warnings

    import pydicom

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a damaged header is the image loader's to explain
            meta = pydicom.filereader.read_file_meta_info(p)
            if str(meta.get("TransferSyntaxUID", "")) == _DEFLATED:
                return None  # inflating is the loaders' job, within their budget (a deflate bomb)
            sop = str(meta.get("MediaStorageSOPClassUID", ""))
            if sop in _MASK_SOP_CLASSES:
                return _MASK_SOP_CLASSES[sop]
            ds = pydicom.dcmread(p, stop_before_pixels=True, specific_tags=["SOPClassUID", "Modality"])
            sop, modality = str(ds.get("SOPClassUID", "")), str(ds.get("Modality", ""))
    except Exception:
        return None
    return _MASK_SOP_CLASSES.get(sop) or _MASK_MODALITIES.get(modality)


def save_case_mask(case, role: str, path, *, kind: str | None = None, overwrite: bool = False) -> Path:
    """Save a mask of the case, as a DICOM SEG or RT Structure Set for a ``.dcm`` target.

    Parameters
    ----------
    case : Case
        The open case (possibly edited).
    role : {"gt", "pred"}
        Which mask.
    path : str or Path
        The target. A ``.dcm`` target is written as a DICOM object of
        ``kind`` referencing the case's image series; any other goes to
        :func:`save_mask` (the original file's grid, format and values).
    kind : {"seg", "rtstruct"}, optional
        For a ``.dcm`` target: default the kind the mask was read from, else SEG.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    SaveError
        The case's image is not a DICOM series with the UIDs a SEG or
        structure set must reference, the mask is empty, or the write failed.
    """
    from . import save_mask  # the package's, looked up at call time
    from .errors import SaveError

    target = Path(path)
    vol = getattr(case, role, None)
    source_kind = str(getattr(vol, "source_format", "") or "").removeprefix("dicom-")
    if target.suffix.lower() != ".dcm":
        return save_mask(case, role, target, overwrite=overwrite)
    kind = kind or (source_kind if source_kind in KIND_WORDS else "seg")
    if kind not in KIND_WORDS:
        raise SaveError(f"save_case_mask: kind must be 'seg' or 'rtstruct', not {kind!r}")
    image = case.image
    if image is None or image.source_format != "dicom":
        raise SaveError(f"{file_label(target)}: a {KIND_WORDS[kind]} refers to the DICOM series it was drawn on, "
                        "and this case's image is not a DICOM series; save as NIfTI or NRRD instead")
    mask = getattr(case, f"{role}_mask", None)
    if mask is None:
        raise SaveError(f"{file_label(target)}: this case has no {'reference' if role == 'gt' else 'prediction'}")
    if kind == "seg":
        from .dicom_seg import write_seg as write
    else:
        from .rtstruct import write_rtstruct as write
    return write(mask, image, target, names=case.label_names, colors=case.label_colors, overwrite=overwrite)
