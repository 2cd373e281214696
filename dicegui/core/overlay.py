"""Overlay rasters for one slice: small integer code images and colour lookup tables.

The GUI never loops over pixels. For each displayed slice it asks this module
for a *code image* (one small integer per pixel saying what the pixel is) and
a *lookup table* (one RGBA colour per code); the screen image is then a single
``numpy.take(lut, codes)``. Changing a colour, the opacity, fill/outline or
which classes are visible rebuilds only the table (a few entries), never the
codes.

Confusion codes (binary masks, or one label of a label map)
-----------------------------------------------------------
bits 0–1
    ``2·gt + pred``: 0 true negative, 1 false positive (pred only),
    2 false negative (gt only), 3 true positive.
bit 2 (``MISMATCH``)
    both masks are foreground but hold different labels (label maps only);
    still a true positive for the foreground scores, drawn in its own colour.
bit 3 (``EDGE``)
    the pixel lies on the boundary of its region (a 4-neighbour has another
    code, or the pixel touches the image edge), for outline drawing.

Label codes (per-label colours)
-------------------------------
``2·label + edge`` in an unsigned integer type wide enough for the labels.

All colours come premultiplied by their alpha (``r·a/255, g·a/255, b·a/255, a``)
because that is the layout Qt paints without a per-frame conversion
(``QImage.Format_RGBA8888_Premultiplied``); ``straight_rgba`` undoes it.
"""
from __future__ import annotations

import colorsys

import numpy as np

from .display import gather_slice

TN, FP, FN, TP = 0, 1, 2, 3
MISMATCH = 4
EDGE = 8
N_CONFUSION_CODES = 16
CLASSES = ("tp", "fp", "fn", "mismatch")

# Okabe & Ito (2008), "Color Universal Design": eight colours that stay
# distinguishable for the common forms of colour-vision deficiency.
OKABE_ITO = {
    "black": (0, 0, 0),
    "orange": (230, 159, 0),
    "sky_blue": (86, 180, 233),
    "bluish_green": (0, 158, 115),
    "yellow": (240, 228, 66),
    "blue": (0, 114, 178),
    "vermillion": (213, 94, 0),
    "reddish_purple": (204, 121, 167),
}

# TP green (agreement), FP vermillion (too much), FN sky blue (missed): the
# three differ in lightness as well as hue, so they survive grey-scale print.
DEFAULT_CLASS_COLORS = {
    "tp": OKABE_ITO["bluish_green"],
    "fp": OKABE_ITO["vermillion"],
    "fn": OKABE_ITO["sky_blue"],
    "mismatch": OKABE_ITO["reddish_purple"],
}
CLASS_NAMES = {
    "tp": "true positive (both)",
    "fp": "false positive (prediction only)",
    "fn": "false negative (reference only)",
    "mismatch": "both, but labels differ",
}
_CLASS_CODE = {"fp": FP, "fn": FN, "tp": TP, "mismatch": TP | MISMATCH}

# A one-voxel line at the fill opacity is hard to see over anatomy, so outlines
# are drawn this many times more opaque than a fill (capped at fully opaque).
OUTLINE_ALPHA_GAIN = 2.0
MODES = ("fill", "outline")


# ---------------------------------------------------------------------- codes
def boundary(codes: np.ndarray) -> np.ndarray:
    """Pixels of nonzero code whose region ends there.

    Parameters
    ----------
    codes : numpy.ndarray
        2-D integer image.

    Returns
    -------
    numpy.ndarray
        Boolean image: True where ``codes`` is nonzero and a 4-neighbour holds
        a different code or the pixel is on the image border (the area
        outside the image counts as background).
    """
    codes = np.asarray(codes)
    if codes.ndim != 2:
        raise ValueError(f"boundary() needs a 2-D image, got shape {codes.shape}")
    edge = np.zeros(codes.shape, dtype=bool)
    if codes.size == 0:
        return edge
    # Differences between vertical and horizontal neighbours mark both sides.
    vertical = codes[1:] != codes[:-1]
    edge[1:] |= vertical
    edge[:-1] |= vertical
    horizontal = codes[:, 1:] != codes[:, :-1]
    edge[:, 1:] |= horizontal
    edge[:, :-1] |= horizontal
    edge[0, :] = edge[-1, :] = True
    edge[:, 0] = edge[:, -1] = True
    edge &= codes != 0
    return edge


def _expanded(region, shape):
    """Region grown by one pixel inside ``shape``, and the crop back to ``region``."""
    if region is None:
        return (slice(0, shape[0]), slice(0, shape[1])), (slice(None), slice(None))
    r0, r1, c0, c1 = (int(v) for v in region)
    if not (0 <= r0 <= r1 <= shape[0] and 0 <= c0 <= c1 <= shape[1]):
        raise ValueError(f"region {region} is outside an image of shape {shape}")
    er0, er1 = max(r0 - 1, 0), min(r1 + 1, shape[0])
    ec0, ec1 = max(c0 - 1, 0), min(c1 + 1, shape[1])
    big = (slice(er0, er1), slice(ec0, ec1))
    crop = (slice(r0 - er0, r1 - er0), slice(c0 - ec0, c1 - ec0))
    return big, crop


def confusion_codes(gt, pred, label=None, *, label_maps=False, region=None) -> np.ndarray:
    """Confusion code image of one slice (see the module docstring).

    Parameters
    ----------
    gt, pred : numpy.ndarray
        2-D slices of equal shape (any dtype; nonzero = foreground).
    label : int, optional
        Score only this label (``gt == label`` against ``pred == label``);
        default any foreground.
    label_maps : bool
        Mark true positives whose labels differ with the ``MISMATCH`` bit
        (only meaningful when ``label`` is None).
    region : tuple of int, optional
        ``(r0, r1, c0, c1)``: compute only this rectangle (the result has its
        shape). Boundaries are taken with one pixel of context around it, so
        the result equals the same rectangle of the full-slice codes: this is
        what lets an editor redraw only what a brush touched.

    Returns
    -------
    numpy.ndarray
        uint8 image of codes.
    """
    gt = np.asarray(gt)
    pred = np.asarray(pred)
    if gt.shape != pred.shape or gt.ndim != 2:
        raise ValueError(f"need two 2-D slices of equal shape, got {gt.shape} and {pred.shape}")
    big, crop = _expanded(region, gt.shape)
    # One gather per input: a slice across the last axis of a C-order volume
    # is strided, and the comparisons below would each pay for the gather.
    g_vals, p_vals = gather_slice(gt[big]), gather_slice(pred[big])
    if label is None:
        g, p = g_vals != 0, p_vals != 0
    else:
        g, p = g_vals == label, p_vals == label
    codes = np.add(g, g, dtype=np.uint8)
    codes += p
    if label_maps and label is None:
        differ = g_vals != p_vals
        differ &= g
        differ &= p
        codes += np.multiply(differ, MISMATCH, dtype=np.uint8)
    # The grown rectangle's own rim is marked as border by boundary(), but
    # that rim is either the slice's true border or cropped away below.
    codes += np.multiply(boundary(codes), EDGE, dtype=np.uint8)
    return codes[crop]


def label_codes(labels, *, region=None) -> np.ndarray:
    """Per-label code image ``2·label + edge`` of one slice.

    Parameters
    ----------
    labels : numpy.ndarray
        2-D integer label slice (0 = background).
    region : tuple of int, optional
        ``(r0, r1, c0, c1)`` as in :func:`confusion_codes`.

    Returns
    -------
    numpy.ndarray
        uint16 codes (uint32 for labels above 32767).
    """
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f"need a 2-D slice, got shape {labels.shape}")
    big, crop = _expanded(region, labels.shape)
    vals = gather_slice(labels[big])
    top = int(vals.max()) if vals.size else 0
    if vals.size and int(vals.min()) < 0:
        raise ValueError("label maps must not hold negative values")
    dtype = np.uint16 if top < 32768 else np.uint32
    codes = np.multiply(vals, 2, dtype=dtype)
    codes += boundary(vals)
    return codes[crop]


def code_counts(codes: np.ndarray) -> dict:
    """Pixels of each confusion class in a confusion code image.

    Returns
    -------
    dict
        ``{"tp", "fp", "fn", "mismatch"}`` → pixel counts; ``tp`` includes the
        mismatching true positives (as the foreground scores do).
    """
    counts = np.bincount(np.asarray(codes, dtype=np.uint8).ravel() & (EDGE - 1), minlength=8)
    return {
        "tp": int(counts[TP] + counts[TP | MISMATCH]),
        "fp": int(counts[FP]),
        "fn": int(counts[FN]),
        "mismatch": int(counts[TP | MISMATCH]),
    }


def mismatch_count(codes: np.ndarray) -> int:
    """Pixels whose labels differ although both masks are foreground (cheaper than :func:`code_counts`)."""
    return int(np.count_nonzero(np.asarray(codes) & (EDGE - 1) == (TP | MISMATCH)))


# ----------------------------------------------------------------------- LUTs
def _alphas(opacity: float, mode: str) -> tuple[int, int]:
    """(interior alpha, edge alpha) in 0..255 for a drawing mode."""
    if mode not in MODES:
        raise ValueError(f"overlay mode must be one of {MODES}, got {mode!r}")
    opacity = float(np.clip(opacity, 0.0, 1.0))
    if mode == "fill":
        a = round(255 * opacity)
        return a, a
    return 0, round(255 * min(1.0, OUTLINE_ALPHA_GAIN * opacity))


def _premultiplied(rgb, alpha: int) -> tuple[int, int, int, int]:
    r, g, b = (int(v) for v in rgb)
    return (r * alpha + 127) // 255, (g * alpha + 127) // 255, (b * alpha + 127) // 255, alpha


def confusion_lut(opacity: float = 0.5, mode: str = "fill", visible=CLASSES, colors=None) -> np.ndarray:
    """Colour table for :func:`confusion_codes`.

    Parameters
    ----------
    opacity : float
        0 (invisible) to 1 (opaque) for fills; outlines are drawn
        ``OUTLINE_ALPHA_GAIN`` times more opaque.
    mode : {"fill", "outline"}
        Fill whole regions, or draw only their boundary pixels.
    visible : iterable of str
        Classes to draw among ``"tp", "fp", "fn", "mismatch"``; a hidden
        ``mismatch`` is drawn as a plain true positive.
    colors : dict, optional
        RGB per class, default :data:`DEFAULT_CLASS_COLORS` (Okabe–Ito).

    Returns
    -------
    numpy.ndarray
        ``(16, 4)`` uint8 premultiplied RGBA, indexed by code.
    """
    visible = set(visible)
    unknown = visible - set(CLASSES)
    if unknown:
        raise ValueError(f"unknown overlay classes {sorted(unknown)}; expected some of {CLASSES}")
    colors = {**DEFAULT_CLASS_COLORS, **(colors or {})}
    inner, edge = _alphas(opacity, mode)
    lut = np.zeros((N_CONFUSION_CODES, 4), dtype=np.uint8)
    for name in ("tp", "fp", "fn", "mismatch"):
        code = _CLASS_CODE[name]
        shown = name
        if name == "mismatch" and "mismatch" not in visible:
            shown = "tp"  # fall back to the plain true-positive look
        if shown not in visible:
            continue
        lut[code] = _premultiplied(colors[shown], inner)
        lut[code | EDGE] = _premultiplied(colors[shown], edge)
    return lut


def label_palette(n: int, colors=None) -> np.ndarray:
    """Distinct colours for labels ``0..n-1`` (row 0, the background, is black).

    Hues step by the golden angle so that neighbouring label numbers (often
    neighbouring organs) get far-apart hues; lightness alternates in three
    steps so that hues that happen to come close still differ.

    Parameters
    ----------
    n : int
        Number of rows (labels 0..n-1).
    colors : dict, optional
        ``{label: (r, g, b)}`` (0–255) from a label file (ITK-SNAP, Slicer,
        sidecar): those labels keep the colours their annotators chose.

    Returns
    -------
    numpy.ndarray
        ``(n, 3)`` uint8 RGB.
    """
    out = np.zeros((max(int(n), 1), 3), dtype=np.uint8)
    golden = 0.618033988749895
    for k in range(1, len(out)):
        hue = (0.07 + k * golden) % 1.0
        sat = (0.75, 0.55, 0.9)[k % 3]
        val = (0.95, 0.8, 0.65)[(k // 3) % 3]
        out[k] = [round(255 * c) for c in colorsys.hsv_to_rgb(hue, sat, val)]
    for label, rgb in (colors or {}).items():
        if 0 < int(label) < len(out):
            out[int(label)] = np.clip(np.asarray(rgb, float), 0, 255).round().astype(np.uint8)
    return out


def label_lut(max_label: int, opacity: float = 0.5, mode: str = "fill", visible=None,
              palette=None, label_alpha=None) -> np.ndarray:
    """Colour table for :func:`label_codes`.

    Parameters
    ----------
    max_label : int
        Largest label that can occur.
    opacity, mode
        As in :func:`confusion_lut`.
    visible : iterable of int, optional
        Only these labels are drawn (default all nonzero labels).
    palette : numpy.ndarray, optional
        ``(>= max_label + 1, 3)`` RGB, default :func:`label_palette`.
    label_alpha : dict of int to float, optional
        Opacity factor per label, 0 (hidden) to 1 (the common opacity, the
        default for labels not listed): the label list's show / opacity.

    Returns
    -------
    numpy.ndarray
        ``(2·(max_label + 1), 4)`` uint8 premultiplied RGBA indexed by ``2·label + edge``.
    """
    n = int(max_label) + 1
    palette = label_palette(n) if palette is None else np.asarray(palette, dtype=np.uint8)
    if len(palette) < n:
        raise ValueError(f"palette has {len(palette)} colours, labels go up to {max_label}")
    inner, edge = _alphas(opacity, mode)
    factor = np.ones(n)
    for k, f in (label_alpha or {}).items():
        if 0 < int(k) < n:
            factor[int(k)] = float(np.clip(f, 0.0, 1.0))
    rgb = palette[:n].astype(np.uint32)
    lut = np.zeros((2 * n, 4), dtype=np.uint8)
    for col, alpha in ((0, inner), (1, edge)):
        a = np.round(alpha * factor).astype(np.uint32)[:, None]
        lut[col::2, :3] = (rgb * a + 127) // 255
        lut[col::2, 3] = a[:, 0]
    lut[0:2] = 0  # background never drawn
    if visible is not None:
        keep = np.zeros(n, dtype=bool)
        idx = np.asarray([v for v in visible if 0 < int(v) < n], dtype=np.int64)
        keep[idx] = True
        lut[np.repeat(~keep, 2)] = 0
    return lut


def apply_lut(codes: np.ndarray, lut: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """RGBA image of a code image: ``lut[codes]`` in one vectorised take.

    Parameters
    ----------
    codes : numpy.ndarray
        2-D integer codes; values past the table's end are clipped to its
        last entry rather than raising (a stale table must not crash a redraw).
    lut : numpy.ndarray
        ``(N, 4)`` uint8 table.
    out : numpy.ndarray, optional
        Where to write: either a ``codes.shape + (4,)`` uint8 array, or a
        ``codes.shape`` uint32 array holding one RGBA pixel per word (e.g. a
        crop of ``rgba.view(numpy.uint32)[..., 0]``, which is how a caller
        repaints one rectangle of a larger image in place).

    Returns
    -------
    numpy.ndarray
        ``out`` (a new ``codes.shape + (4,)`` uint8 array when not given).
    """
    lut = np.ascontiguousarray(lut, dtype=np.uint8)
    if lut.ndim != 2 or lut.shape[1] != 4:
        raise ValueError(f"lookup table must have shape (N, 4), got {lut.shape}")
    # One 32-bit word per colour: a quarter of the element copies of an (N, 4) take.
    packed = lut.view(np.uint32).ravel()
    if out is None:
        out = np.empty(codes.shape + (4,), dtype=np.uint8)
    if out.dtype == np.uint32 and out.shape == codes.shape:
        np.take(packed, codes, out=out, mode="clip")
    elif out.dtype == np.uint8 and out.shape == codes.shape + (4,):
        if out.flags.c_contiguous:
            np.take(packed, codes, out=out.view(np.uint32)[..., 0], mode="clip")
        else:
            out[...] = np.take(lut, codes, axis=0, mode="clip")
    else:
        raise ValueError(
            f"out must be uint8 {codes.shape + (4,)} or uint32 {codes.shape}, got {out.dtype} {out.shape}"
        )
    return out


def straight_rgba(premultiplied) -> tuple[int, int, int, int]:
    """Undo premultiplication of one colour (for legends and tests)."""
    r, g, b, a = (int(v) for v in premultiplied)
    if a == 0:
        return 0, 0, 0, 0
    return tuple(min(255, round(c * 255 / a)) for c in (r, g, b)) + (a,)
