"""Overlay codes of a whole slice, computed only where the masks can hold any.

A first visit of a slice on a C-order CT reads strided mask slices, one
cache line per voxel. Only the rectangle that the masks' foreground box
covers on the slice is read (:func:`whole_slice_codes`); every code outside
it is background.

The functions here touch no widget: the overlay panel's choices are read
first (:func:`codes_maker`).
"""
from __future__ import annotations

import numpy as np

from ...core import overlay as ov
from ..overlay_panel import KIND_CONFUSION, KIND_GT_LABELS, KIND_PRED_LABELS
from ..region_focus import RegionFocus, focus_masks

def codes_maker(kind: str, focus, label, label_maps: bool):
    """A function ``(g, p, region=None) -> codes or None`` for the overlay the panel shows.

    Parameters
    ----------
    kind : str
        The overlay panel's kind (TP/FP/FN, or one mask's labels).
    focus : object
        The panel's focus: None, a label, or a :class:`RegionFocus`.
    label : int or None
        The label whose TP/FP/FN are shown (None: any foreground).
    label_maps : bool
        Whether the masks are label maps (mismatching labels are marked).
    """
    if kind == KIND_CONFUSION:
        def confusion(g, p, region=None):
            if g is None or p is None:
                return None
            if isinstance(focus, RegionFocus):  # a region group: TP/FP/FN of the union of its labels
                g, p = focus_masks(g, p, focus)
                return ov.confusion_codes(g, p, region=region)
            return ov.confusion_codes(g, p, label=label, label_maps=label_maps, region=region)
        return confusion

    def labels(g, p, region=None):
        mask = g if kind == KIND_GT_LABELS else p if kind == KIND_PRED_LABELS else None
        return None if mask is None else ov.label_codes(mask, region=region)
    return labels


def whole_slice_codes(make, g, p, region):
    """``(codes, content)`` of a whole slice, computed only inside ``region``.

    Parameters
    ----------
    make : callable
        From :func:`codes_maker`.
    g, p : numpy.ndarray or None
        The slice's masks (screen images).
    region : tuple of int or None
        ``(r0, r1, c0, c1)`` outside which both masks are zero; None: the
        whole slice is computed.

    Returns
    -------
    tuple
        The codes (None when the overlay shows nothing) and ``region`` as the
        rectangle that can hold codes other than background.
    """
    if region is None:
        return make(g, p), None
    inner = make(g, p, region=region)
    if inner is None:
        return None, None
    codes = np.zeros((g if g is not None else p).shape, dtype=inner.dtype)
    r0, r1, c0, c1 = region
    codes[r0:r1, c0:c1] = inner
    return codes, region
