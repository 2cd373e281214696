"""Opening a case from the paths a user gives: the one entry point of the window, recovery and the worklist.

:func:`open_case` is :func:`dicegui.core.io.load_case` plus what a path
alone cannot say: a reference or prediction that is a DICOM SEG or RT
Structure Set is read onto its image series (:mod:`.dicom_case`), a
prediction holding a network's multi-channel output is read with a softmax
or a sigmoid per channel (:mod:`.channel_files`), and the logits of a
prediction a sigmoid was applied to are kept for the teaching panel.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .dicom_case import KIND_WORDS, dicom_mask_kind, load_dicom_case
from .errors import LoadError, file_label


def _series_folder(image) -> Path:
    folder = Path(image)
    return folder.parent if folder.is_file() else folder


def _with_channels(image, gt, pred, channels: str, channel_axis, sigmoid, label_names):
    """load_case with a prediction read from a multi-channel map through ``channels`` (the activation).

    Without ``channel_axis``, the last axis is tried first (NIfTI keeps
    channels last), then the first, until the prediction fits the grid.
    """
    from ..channel_maps import activation_lesson, channel_axes
    from ..geometry import apply_ornt
    from .case_loader import load_case
    from .channel_files import load_channel_map, prediction_from_volume

    raw = load_channel_map(pred)
    axes = [channel_axis] if channel_axis is not None else channel_axes(raw.data.shape)
    if not axes:
        dims = "×".join(str(n) for n in raw.data.shape)
        raise LoadError(f"{file_label(pred)}: {dims} has no channel axis of 2 to 64 channels first or last")
    for i, axis in enumerate(axes):
        volume, channel_pred = prediction_from_volume(raw, channels, axis)
        try:
            case = load_case(image=image, gt=gt, pred=volume, sigmoid=sigmoid, label_names=label_names)
        except LoadError:
            if i + 1 < len(axes):
                continue  # the other end may be the channels
            raise
        break
    ornt = case.reorientations.get("pred")
    if ornt is not None:  # the channels go where the prediction went
        channel_pred.probs = np.stack([apply_ornt(c, ornt) for c in channel_pred.probs])
        channel_pred.labels = apply_ornt(channel_pred.labels, ornt)
    if case.gt_mask is not None:  # softmax against a sigmoid per channel, while the raw channels are here
        chans = np.moveaxis(raw.data, volume.meta["channel_axis"], 0)
        if ornt is not None:
            chans = np.stack([apply_ornt(c, ornt) for c in chans])
        channel_pred.lesson = activation_lesson(chans, 0, case.gt_mask)
    case.pred_channels = channel_pred
    end = "first" if volume.meta["channel_axis"] == 0 else "last"
    case.warnings.append(f"{file_label(pred)}: {channel_pred.channels} channels ({end} axis) read with a "
                         f"{channels} (raw values {channel_pred.raw_range[0]:.4g} to {channel_pred.raw_range[1]:.4g})")
    return case


def _keep_raw_logits(case, pred) -> None:
    """After a sigmoid was applied, keep the logits on the case's grid for the teaching panel."""
    from ..geometry import apply_ornt
    from .volume_io import load_volume

    info = case.pred_info
    if info is None or info.kind != "probability" or "sigmoid" not in (info.message or ""):
        return
    raw = np.asarray(load_volume(pred).data, dtype=np.float32)
    ornt = case.reorientations.get("pred")
    case.pred_raw = raw if ornt is None else np.ascontiguousarray(apply_ornt(raw, ornt))


def open_case(image=None, gt=None, pred=None, *, sigmoid: bool = False, label_names=None,
              channels: str | None = None, channel_axis: int | None = None):
    """Load a case from paths as :func:`load_case` does, reading SEG and RT Structure Set masks onto the series.

    A reference or prediction that is a DICOM SEG or RT Structure Set is
    drawn on an image series: ``image`` must be that series' folder (or one
    of its files), and the case is read by :func:`load_dicom_case`. Any other
    combination goes to :func:`load_case` unchanged.

    Parameters
    ----------
    image, gt, pred : str or Path, optional
        The files (or a DICOM series folder for ``image``).
    sigmoid : bool
        As for :func:`load_case` (ignored for DICOM masks, which are labels);
        the logits are kept as ``case.pred_raw``.
    label_names : str or Path, optional
        A label file whose names win.
    channels : {"softmax", "sigmoid"}, optional
        Read ``pred`` as a network's multi-channel output (a channel per
        class, background first) with this activation; the channels are
        kept as ``case.pred_channels``.
    channel_axis : int, optional
        The channel axis of ``pred`` (0 or -1); default: found from the shape.

    Returns
    -------
    Case

    Raises
    ------
    LoadError
        As :func:`load_case` and :func:`load_dicom_case`; a SEG or structure
        set without an image series is refused, saying what to open.
    """
    from .case_loader import load_case

    if channels is not None and pred is not None:
        return _with_channels(image, gt, pred, channels, channel_axis, sigmoid, label_names)
    kinds = {role: (dicom_mask_kind(p) if p is not None else None) for role, p in (("gt", gt), ("pred", pred))}
    if not any(kinds.values()):
        case = load_case(image=image, gt=gt, pred=pred, sigmoid=sigmoid, label_names=label_names)
        if sigmoid and pred is not None:
            _keep_raw_logits(case, pred)
        return case
    if image is None:
        role = "gt" if kinds["gt"] else "pred"
        obj = gt if role == "gt" else pred
        raise LoadError(f"{file_label(obj)}: a {KIND_WORDS[kinds[role]]} is drawn on an image series; "
                        "open that series' folder as the image")
    spec = {role: None if p is None else (kinds[role] or "file", p) for role, p in (("gt", gt), ("pred", pred))}
    return load_dicom_case(_series_folder(image), gt=spec["gt"], pred=spec["pred"], label_names=label_names)
