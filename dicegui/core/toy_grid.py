"""The toy grid: soft Dice, Dice loss, BCE and their combination worked by hand on a few cells.

A lecture on Dice loss starts from four numbers, prediction
``[0.9, 0.1, 0.8, 0.1]`` against target ``[1, 0, 1, 0]``, and the point is
the arithmetic, not the final value: the loss is 0.128, not "close to 0",
because the two background cells at 0.1 still cost 0.2 in the denominator.
So every line here writes its formula with the current sums substituted::

    soft Dice = (2·Σpt + s) / (Σp + Σt + s) = (2·1.7 + 1e-05) / (1.9 + 2 + 1e-05) = 0.8718

A :class:`ToyGrid` holds a small grid (up to 8 × 8) of probabilities and
targets; :func:`toy_report` returns the sums, the values and the lines. The
values come from :mod:`dicegui.core.metrics` (the functions the window and
``dicegui score`` use), so the toy grid and a real case can never disagree.
Qt-free: the panel only shows these lines.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import metrics
from .teaching import format_value

MAX_SIDE = 8
DEFAULT_PROB = ((0.9, 0.1), (0.8, 0.1))
DEFAULT_TARGET = ((1.0, 0.0), (1.0, 0.0))
DEFAULT_SMOOTH = 1e-5
BCE_EPS = 1e-7
# Above this many cells the sums are written as totals only: 64 terms do not
# fit on a projector line, and the point is made on the small grids.
_MAX_TERMS = 8

_DOT = "\u00b7"
_MINUS = "\u2212"
_SIGMA = "\u03a3"
_LAMBDA = "\u03bb"


@dataclass(frozen=True)
class ToyGrid:
    """Probabilities and targets of a small grid, with the smooth term and the Dice weight.

    Attributes
    ----------
    prob, target : np.ndarray
        float64 arrays of the same shape (rows, cols), values in [0, 1].
    smooth : float
        The smooth term ``s`` of soft Dice (>= 0).
    lambda_dice : float
        Weight of the Dice loss in the combination
        ``λ·Dice loss + (1 − λ)·BCE``, in [0, 1].
    """

    prob: np.ndarray
    target: np.ndarray
    smooth: float = DEFAULT_SMOOTH
    lambda_dice: float = 0.5

    def __post_init__(self):
        prob = np.array(self.prob, dtype=np.float64, ndmin=2)
        target = np.array(self.target, dtype=np.float64, ndmin=2)
        if prob.ndim != 2 or prob.shape != target.shape:
            raise ValueError(f"toy grid: probabilities {prob.shape} and targets {target.shape} "
                             "must be two grids of the same shape")
        rows, cols = prob.shape
        if not (1 <= rows <= MAX_SIDE and 1 <= cols <= MAX_SIDE):
            raise ValueError(f"toy grid: {rows}×{cols} cells; each side must be 1 to {MAX_SIDE}")
        for name, arr in (("probability", prob), ("target", target)):
            if not np.all(np.isfinite(arr)) or arr.min() < 0 or arr.max() > 1:
                raise ValueError(f"toy grid: every {name} must lie in [0, 1]")
        _check_unit(self.lambda_dice, "λ (the Dice weight)")
        if not (math.isfinite(self.smooth) and self.smooth >= 0):
            raise ValueError(f"toy grid: the smooth term must be a finite number >= 0, got {self.smooth!r}")
        prob.setflags(write=False)
        target.setflags(write=False)
        object.__setattr__(self, "prob", prob)
        object.__setattr__(self, "target", target)

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)``."""
        return self.prob.shape


def _check_unit(value: float, name: str) -> None:
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"toy grid: {name} must lie in [0, 1], got {value!r}")


def default_grid() -> ToyGrid:
    """The seed example: 2 × 2 probabilities 0.9, 0.1, 0.8, 0.1 against targets 1, 0, 1, 0."""
    return ToyGrid(np.array(DEFAULT_PROB), np.array(DEFAULT_TARGET))


def resized(grid: ToyGrid, rows: int, cols: int) -> ToyGrid:
    """The grid with a new size: the overlapping cells are kept, new cells hold p = 0, t = 0.

    Parameters
    ----------
    grid : ToyGrid
    rows, cols : int
        New size, 1 to :data:`MAX_SIDE` each.

    Returns
    -------
    ToyGrid
    """
    if not (1 <= rows <= MAX_SIDE and 1 <= cols <= MAX_SIDE):
        raise ValueError(f"toy grid: {rows}×{cols} cells; each side must be 1 to {MAX_SIDE}")
    prob = np.zeros((rows, cols))
    target = np.zeros((rows, cols))
    r, c = min(rows, grid.shape[0]), min(cols, grid.shape[1])
    prob[:r, :c] = grid.prob[:r, :c]
    target[:r, :c] = grid.target[:r, :c]
    return ToyGrid(prob, target, grid.smooth, grid.lambda_dice)


def with_cell(grid: ToyGrid, row: int, col: int, prob: float | None = None,
              target: float | None = None) -> ToyGrid:
    """The grid with one cell's probability and/or target changed (each in [0, 1])."""
    p = np.array(grid.prob)
    t = np.array(grid.target)
    if prob is not None:
        _check_unit(float(prob), f"the probability of cell ({row}, {col})")
        p[row, col] = prob
    if target is not None:
        _check_unit(float(target), f"the target of cell ({row}, {col})")
        t[row, col] = target
    return ToyGrid(p, t, grid.smooth, grid.lambda_dice)


@dataclass(frozen=True)
class ToyReport:
    """Sums, values and the formula lines of one toy grid.

    Attributes
    ----------
    sums : dict
        ``spt`` (Σp·t), ``sp`` (Σp), ``st`` (Σt), ``n`` (cells).
    values : dict
        ``soft_dice``, ``dice_loss``, ``bce``, ``combo``.
    lines : dict
        One line of text per key of :data:`LINE_KEYS`, formula, substitution and value.
    """

    sums: dict
    values: dict
    lines: dict


LINE_KEYS = ("spt", "sp", "st", "smooth", "soft_dice", "dice_loss", "bce", "combo")


def _num(x: float) -> str:
    """A sum or cell value as a person writes it: 1.7, not 1.7000000000000002."""
    text = f"{x:.6g}"
    return _MINUS + text[1:] if text.startswith("-") else text


def _sum_line(head: str, terms: list[str], total: float) -> str:
    if 1 < len(terms) <= _MAX_TERMS:
        return f"{head} = {' + '.join(terms)} = {_num(total)}"
    return f"{head} = {_num(total)}"


#: How a probability the log clips is written: the clip in place of the value the cell holds.
_EPS_TEXT = f"1e{_MINUS}7"
_CLIP_NOTE = (f"p clipped to [{_EPS_TEXT}, 1 {_MINUS} {_EPS_TEXT}] before the log "
              f"(ln 0 = {_MINUS}\u221e)")


def _clipped(p: float) -> float:
    """``p`` as :func:`dicegui.core.metrics.bce` takes its log: clipped to [ε, 1 − ε]."""
    return min(max(p, BCE_EPS), 1.0 - BCE_EPS)


def _p_text(p: float) -> str:
    """A probability inside a log: the clipped value when the clip changed it."""
    q = _clipped(p)
    if q == p:
        return _num(p)
    return _EPS_TEXT if q == BCE_EPS else f"(1 {_MINUS} {_EPS_TEXT})"


def _bce_term(p: float, t: float) -> str:
    q = _p_text(p)
    ln_p = f"ln{q}" if q.startswith("(") else f"ln {q}"
    if t == 1.0:
        return ln_p
    if t == 0.0:
        return f"ln(1 {_MINUS} {q})"
    return f"{_num(t)}{_DOT}{ln_p} + {_num(1 - t)}{_DOT}ln(1 {_MINUS} {q})"


def _smooth_line(s: float) -> str:
    if s == 0:
        return (f"smooth s = 0 (none: a grid with {_SIGMA}p + {_SIGMA}t = 0 has 0 / 0, so without s an empty "
                "grid's soft Dice is undefined)")
    return f"smooth s = {_num(s)} (added above and below: keeps empty grids defined)"


def toy_report(grid: ToyGrid) -> ToyReport:
    """Every formula of the toy grid with its sums substituted.

    Parameters
    ----------
    grid : ToyGrid

    Returns
    -------
    ToyReport
        Values from :func:`dicegui.core.metrics.soft_dice`, ``dice_loss``,
        ``bce`` (natural log, mean over cells, probabilities clipped to
        [1e-7, 1 − 1e-7]; the BCE line writes a clipped probability as its
        clip and says so) and ``combo_loss`` with weights λ and 1 − λ.

    Examples
    --------
    >>> r = toy_report(default_grid())
    >>> r.lines["soft_dice"]
    'soft Dice = (2·Σpt + s) / (Σp + Σt + s) = (2·1.7 + 1e-05) / (1.9 + 2 + 1e-05) = 0.8718'
    """
    p, t, s, lam = grid.prob.ravel(), grid.target.ravel(), grid.smooth, grid.lambda_dice
    spt, sp, st = float(np.dot(p, t)), float(p.sum()), float(t.sum())
    values = {
        "soft_dice": metrics.soft_dice(p, t, smooth=s),
        "dice_loss": metrics.dice_loss(p, t, smooth=s),
        "bce": metrics.bce(p, t, eps=BCE_EPS),
        "combo": metrics.combo_loss(p, t, lambda_dice=lam, lambda_ce=1.0 - lam, smooth=s),
    }
    v = {k: format_value(x) for k, x in values.items()}
    n = p.size
    s_text = _num(s)
    lines = {
        "spt": _sum_line(f"{_SIGMA}p{_DOT}t", [f"{_num(a)}{_DOT}{_num(b)}" for a, b in zip(p, t)], spt),
        "sp": _sum_line(f"{_SIGMA}p", [_num(a) for a in p], sp),
        "st": _sum_line(f"{_SIGMA}t", [_num(b) for b in t], st),
        "smooth": _smooth_line(s),
        "soft_dice": (f"soft Dice = (2{_DOT}{_SIGMA}pt + s) / ({_SIGMA}p + {_SIGMA}t + s) = "
                      f"(2{_DOT}{_num(spt)} + {s_text}) / ({_num(sp)} + {_num(st)} + {s_text}) = {v['soft_dice']}"),
        "dice_loss": f"Dice loss = 1 {_MINUS} soft Dice = 1 {_MINUS} {v['soft_dice']} = {v['dice_loss']}",
        "bce": _bce_line(p, t, n, v["bce"]),
        "combo": (f"combo = {_LAMBDA}{_DOT}Dice loss + (1 {_MINUS} {_LAMBDA}){_DOT}BCE = "
                  f"{_num(lam)}{_DOT}{v['dice_loss']} + {_num(1 - lam)}{_DOT}{v['bce']} = {v['combo']}"),
    }
    sums = {"spt": spt, "sp": sp, "st": st, "n": n}
    return ToyReport(sums, values, lines)


def _bce_line(p: np.ndarray, t: np.ndarray, n: int, value: str) -> str:
    head = f"BCE = {_MINUS}(1/{n}){_DOT}{_SIGMA}[t{_DOT}ln p + (1 {_MINUS} t){_DOT}ln(1 {_MINUS} p)]"
    if n <= _MAX_TERMS:
        terms = " + ".join(_bce_term(a, b) for a, b in zip(p, t))
        line = f"{head} = {_MINUS}({terms}) / {n} = {value}"
    else:
        line = f"{head} = {value}"
    # a clip that changes a probability changes the value: say so rather than show ln 0 as a number
    if any(_clipped(float(a)) != a for a in p):
        line += f"; {_CLIP_NOTE}"
    return line
