"""Pixels inside a polygon, as ``skimage.draw.polygon`` finds them, a row at a time.

``skimage.draw.polygon`` tests every pixel of the bounding box against every
edge: a traced organ contour of 500 corners over a 200×250 box costs 30 ms,
and a 100-slice structure set of two organs took 4 s to read. The same
crossing rule applied per pixel row (where each edge crosses the row once,
sorted, then the spans between crossings 0-1, 2-3, ...) gives the same
pixels in time proportional to the crossings and the pixels filled.

The rule is skimage's: a pixel centre (r, c) is inside when a ray towards
larger c crosses an odd number of edges, an edge crossing the row when its
ends lie on different sides of ``> r``; a centre on an edge or a vertex
counts as inside. Outlines with vertices off the pixel grid (contours read
from millimetres) give exactly skimage's pixels (tested on random, also
self-intersecting, polygons); a centre exactly on an outline drawn through
whole pixel positions is a tie the two may settle differently.
"""
from __future__ import annotations

import math

import numpy as np


def _crossings(rows, cols, n_rows: int):
    """``(row, column)`` of every point where an edge crosses a pixel row, sorted by row then column.

    An edge from r0 to r1 crosses row r when ``(r0 > r) != (r1 > r)``, that
    is for the whole rows in ``[min, max)``.
    """
    r0, c0 = rows, cols
    r1, c1 = np.roll(rows, 1), np.roll(cols, 1)
    first = np.maximum(np.ceil(np.minimum(r0, r1)), 0).astype(np.intp)
    last = np.minimum(np.ceil(np.maximum(r0, r1)) - 1, n_rows - 1).astype(np.intp)
    counts = np.maximum(last - first + 1, 0)
    edge = np.repeat(np.arange(len(rows)), counts)
    offset = np.arange(len(edge)) - np.repeat(np.cumsum(counts) - counts, counts)
    rr = first[edge] + offset
    # written as skimage writes it, so ties round the same way
    x = (c1[edge] - c0[edge]) * (rr - r0[edge]) / (r1[edge] - r0[edge]) + c0[edge]
    order = np.lexsort((x, rr))
    return rr[order], x[order]


def _spans(rr, x, n_cols: int):
    """Pixels between crossings 0-1, 2-3, ... of each row (a row has an even number of crossings)."""
    row, start, end = rr[0::2], np.ceil(x[0::2]), np.floor(x[1::2])
    start = np.maximum(start, 0).astype(np.intp)
    end = np.minimum(end, n_cols - 1).astype(np.intp)
    length = np.maximum(end - start + 1, 0)
    out_r = np.repeat(row, length)
    out_c = np.repeat(start, length) + (np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length))
    return out_r, out_c


def _on_grid_boundary(rows, cols, shape):
    """Pixel centres on a vertex or on a horizontal edge (skimage counts them inside)."""
    r1, c1 = np.roll(rows, 1), np.roll(cols, 1)
    whole = rows == np.round(rows)
    vertex = whole & (cols == np.round(cols))
    pr, pc = [rows[vertex]], [cols[vertex]]
    flat = whole & (rows == r1)
    for r, a, b in zip(rows[flat], cols[flat], c1[flat]):
        span = np.arange(math.ceil(min(a, b)), math.floor(max(a, b)) + 1, dtype=float)
        pr.append(np.full(len(span), r))
        pc.append(span)
    pr, pc = np.concatenate(pr).astype(np.intp), np.concatenate(pc).astype(np.intp)
    keep = (pr >= 0) & (pr < shape[0]) & (pc >= 0) & (pc < shape[1])
    return pr[keep], pc[keep]


def fill_polygon(rows, cols, shape) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(rr, cc)`` of the pixels inside a closed polygon.

    Parameters
    ----------
    rows, cols : array_like
        Vertex coordinates in pixel units (pixel centres at whole numbers);
        the polygon closes by itself.
    shape : tuple
        ``(rows, columns)`` of the image; pixels outside are left out.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Row and column indices, each pixel once, as
        ``skimage.draw.polygon(rows, cols, shape)`` gives them (up to order).
    """
    rows = np.asarray(rows, dtype=float).ravel()
    cols = np.asarray(cols, dtype=float).ravel()
    if len(rows) < 3 or len(rows) != len(cols):
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    rr, x = _crossings(rows, cols, shape[0])
    out_r, out_c = _spans(rr, x, shape[1])
    br, bc = _on_grid_boundary(rows, cols, shape)
    touching = len(x) > 2 and np.any((x[1:-1:2] == x[2::2]) & (rr[1:-1:2] == rr[2::2]))
    if len(br) or touching:  # a centre on the outline may come twice
        flat = np.unique(np.concatenate([out_r * shape[1] + out_c, br * shape[1] + bc]))
        return flat // shape[1], flat % shape[1]
    return out_r, out_c
