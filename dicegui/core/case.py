"""A case: one image with its ground-truth and predicted masks on one voxel grid."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .volume import Volume


@dataclass
class MaskInfo:
    """How a mask file's values were read, in words a user can check.

    Attributes
    ----------
    kind : str
        ``"binary"``, ``"labels"`` or ``"probability"``.
    message : str
        The rule that was applied, e.g. ``"gt.nii.gz: values {0, 255}: binary mask (255 = foreground)"``.
    labels : tuple of int
        Nonzero labels present (``(1,)`` for a binary mask).
    foreground_value : int
        The value that stands for foreground in the file of a binary mask
        (1, or 255 for 0/255 masks), used when saving back.
    dtype : str
        The file's value type, e.g. ``"uint8"`` or ``"float64"``.
    warning : str
        Non-empty when the user should know how the values were read
        (0/255, labels stored as floats, near-whole values rounded,
        probability threshold, sigmoid applied).
    """

    kind: str
    message: str
    labels: tuple = ()
    foreground_value: int = 1
    dtype: str = ""
    warning: str = ""


@dataclass
class Case:
    """Image, ground truth and prediction, checked to share one voxel grid.

    The mask arrays are the ones every metric and every edit works on; they
    are integer label maps (0 = background; binary masks hold 0/1) in the
    reference grid's voxel order. ``affine`` is that grid's voxel → RAS mm map.

    Attributes
    ----------
    image, gt, pred : Volume or None
        The files as loaded (``gt``/``pred`` keep their original header and
        dtype for saving back).
    image_array : numpy.ndarray or None
        Intensities on the reference grid.
    gt_mask, pred_mask : numpy.ndarray or None
        Hard masks (uint8 or uint16 label maps) on the reference grid. A
        probability-map prediction is thresholded at 0.5 here.
    pred_prob : numpy.ndarray or None
        The probability map (float32 in [0, 1]) when the prediction is one.
    gt_info, pred_info : MaskInfo or None
        How each mask's values were interpreted.
    affine : numpy.ndarray
        4×4 voxel → RAS mm of the reference grid (the image's, else the gt's).
    label_names : dict
        ``{label: name}`` where known (``.seg.nrrd``, shipped class maps,
        label files: see ``dicegui.core.io.label_names``).
    label_colors : dict
        ``{label: (r, g, b)}`` (0-255) from label files, where they give one.
    warnings : list of str
        Everything done to make the files fit (reorientation, value rules).
    reorientations : dict
        ``{"gt"|"pred"|"image": ornt}`` for files that were flipped/transposed
        onto the reference grid (see ``dicegui.core.geometry.apply_ornt``);
        ``save_mask`` undoes it. Absent roles were used as stored.
    pred_channels : dicegui.core.channel_maps.ChannelPrediction or None
        A prediction read from a multi-channel map: its per-class
        probabilities on the reference grid, and the activation used.
    pred_raw : numpy.ndarray or None
        The raw values (logits) of a prediction a sigmoid was applied to, on
        the reference grid, for the lesson on what logits do to soft Dice.
    """

    image: Volume | None = None
    gt: Volume | None = None
    pred: Volume | None = None
    image_array: np.ndarray | None = None
    gt_mask: np.ndarray | None = None
    pred_mask: np.ndarray | None = None
    pred_prob: np.ndarray | None = None
    gt_info: MaskInfo | None = None
    pred_info: MaskInfo | None = None
    affine: np.ndarray = field(default_factory=lambda: np.eye(4))
    label_names: dict = field(default_factory=dict)
    label_colors: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    reorientations: dict = field(default_factory=dict)
    pred_channels: object = None
    pred_raw: np.ndarray | None = None

    @property
    def shape(self) -> tuple:
        for a in (self.image_array, self.gt_mask, self.pred_mask):
            if a is not None:
                return tuple(a.shape)
        return ()

    @property
    def spacing(self) -> tuple:
        return tuple(float(v) for v in np.sqrt((self.affine[:3, :3] ** 2).sum(axis=0)))
