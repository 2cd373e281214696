"""Reading a network's multi-channel output (a channel per class) as a prediction.

NIfTI files keep the channels as the fourth axis; ``.npy``/``.npz`` files
(nnU-Net's probabilities, a tensor saved from PyTorch) often put them
first. The file is read by the ordinary loaders, with their checks, allowed
to keep that one extra axis (:func:`dicegui.core.io._util.channels_allowed`).
"""
from __future__ import annotations

import numpy as np

from ..channel_maps import MAX_CHANNELS, ChannelPrediction, activate
from ..volume import Volume
from ._util import channels_allowed
from .errors import LoadError, file_label


def load_channel_map(path) -> Volume:
    """The 4-D array of a multi-channel file (the volume's other fields as :func:`load_volume` gives them).

    Raises
    ------
    LoadError
        The loaders' own refusals, or a file that is not 4-D.
    """
    from .volume_io import load_volume

    with channels_allowed():
        vol = load_volume(path)
    if vol.data.ndim != 4:
        shape = "×".join(str(n) for n in vol.data.shape)
        raise LoadError(f"{file_label(path)}: not a multi-channel map ({shape}); open it as a prediction without "
                        "a softmax")
    return vol


def prediction_from_volume(vol: Volume, activation: str, axis: int):
    """Turn a channel map read by :func:`load_channel_map` into ``(Volume of the prediction, ChannelPrediction)``.

    Parameters
    ----------
    vol : Volume
        4-D data.
    activation : {"softmax", "sigmoid"}
    axis : int
        The channel axis (0 or the last; negative counts from the end).

    Returns
    -------
    (Volume, ChannelPrediction)
        Two channels give the foreground probability (float32, read as a
        probability map); more give the label map.

    Raises
    ------
    LoadError
        Naming the file: the axis holds fewer than 2 or more than
        :data:`~dicegui.core.channel_maps.MAX_CHANNELS` channels, or values
        that cannot be activated.
    """
    shape = vol.data.shape
    axis = axis + len(shape) if axis < 0 else axis
    if axis not in (0, len(shape) - 1) or not 2 <= shape[axis] <= MAX_CHANNELS:
        dims = "×".join(str(n) for n in shape)
        raise LoadError(f"{vol.name}: {dims} has no channel axis of 2 to {MAX_CHANNELS} channels first or last")
    try:
        pred = activate(vol.data, axis, activation)
    except ValueError as exc:
        raise LoadError(f"{vol.name}: {exc}") from None
    data = pred.foreground().astype(np.float32) if pred.channels == 2 else pred.labels
    out = Volume(data=data, affine=np.asarray(vol.affine, dtype=float), path=vol.path,
                 source_format=f"{vol.source_format}-channels", header=None, is_2d=False,
                 meta={"has_geometry": vol.meta.get("has_geometry", False), "channels": pred.channels,
                       "channel_axis": axis, "activation": activation})
    return out, pred


__all__ = ["load_channel_map", "prediction_from_volume", "ChannelPrediction"]
