"""What one edit did, in words a corrector can check: every label it changed, the foreground, ΔDice.

A stroke of label 20 that also overwrote 55 voxels of label 7 used to be
reported as "ΔDice +0.0000" for whichever label the overlay showed. The
report here names each label whose voxel count changed (largest change
first), the net change of the foreground, and the change of Dice with four
significant digits, so a 55-voxel change of a large organ (ΔDice about
1e-4) never reads as zero. Numbers come from
:func:`~dicegui.core.edits.delta.label_changes`; this module only words them.
"""
from __future__ import annotations

import math
import numbers

MINUS = "\u2212"  # a real minus sign: "−55" reads better than the hyphen "-55"
# Labels named in one report; a whole-volume clean-up can touch dozens.
MAX_LABELS = 6
# Differences of Dice below this are rounding noise of the counts' arithmetic.
_ZERO = 1e-12


def signed_figure(value: float, digits: int = 4, min_decimals: int = 0, max_decimals: int = 10) -> str:
    """A signed number with at least ``digits`` significant digits, in fixed notation (never 1e-05).

    Whole digits are never dropped: ``1,234`` stays ``1,234`` with ``digits=3``.

    Parameters
    ----------
    value : float
        The number (NaN gives ``"undefined"``); an integer is written whole.
    digits : int
        Significant digits shown.
    min_decimals, max_decimals : int
        Bounds of the number of decimals (``+0.5000`` with ``min_decimals=4``).

    Returns
    -------
    str
        E.g. ``"+0.004120"``, ``"−55"``, ``"+1,147"``; ``"±0"`` for zero.

    Examples
    --------
    >>> signed_figure(0.0041204)
    '+0.004120'
    >>> signed_figure(-1234.4, digits=3)
    '−1,234'
    """
    whole = isinstance(value, numbers.Integral)  # voxel counts: no decimals
    value = float(value)
    if math.isnan(value):
        return "undefined"
    if abs(value) < _ZERO:
        return "±0"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = 0 if whole else min(max(digits - 1 - magnitude, min_decimals, 0), max_decimals)
    text = f"{abs(value):,.{decimals}f}"
    return ("+" if value > 0 else MINUS) + text


def label_change_text(label: int, change: int, name: str = "", size_per_voxel: float | None = None,
                      size_unit: str = "mL") -> str:
    """``"label 20 colon +1,147 vox (+3.21 mL)"`` for one label's voxel change."""
    head = f"label {int(label)} {name}".rstrip()
    text = f"{head} {signed_figure(change)} vox"
    if size_per_voxel is not None and size_unit not in ("voxels", "vox"):
        text += f" ({signed_figure(change * size_per_voxel, digits=3)} {size_unit})"
    return text


def edit_report(changes: dict, foreground: int, *, names: dict | None = None, size_per_voxel: float | None = None,
                size_unit: str = "mL", dice_changes: dict | None = None) -> str:
    """One line saying what an edit did.

    Parameters
    ----------
    changes : dict of int to int
        Voxel change per label (:func:`~dicegui.core.edits.delta.label_changes`).
    foreground : int
        Net change of the foreground voxels
        (:func:`~dicegui.core.edits.delta.foreground_change`).
    names : dict of int to str, optional
        Label names.
    size_per_voxel : float, optional
        Size of one voxel in ``size_unit``; adds the size of each change.
    size_unit : str
        ``"mL"``, ``"mm²"``...; ``"voxels"`` adds no size.
    dice_changes : dict of str to float, optional
        Changes of Dice by what they are the Dice of, in the order given
        (``{"label 20": 0.0041, "foreground": 0.0}``).

    Returns
    -------
    str
        E.g. ``"label 20 colon +1,147 vox (+3.21 mL), label 7 pancreas −55 vox
        (−0.155 mL); foreground +1,092; ΔDice(label 20) +0.004120"``. Labels
        are listed largest change first, at most :data:`MAX_LABELS` of them.
    """
    names = names or {}
    order = sorted(changes.items(), key=lambda kv: (-abs(kv[1]), kv[0]))
    parts = [label_change_text(k, v, names.get(int(k), ""), size_per_voxel, size_unit)
             for k, v in order[:MAX_LABELS]]
    if len(order) > MAX_LABELS:
        more = len(order) - MAX_LABELS
        parts.append(f"{more} more label{'s' if more != 1 else ''}")
    pieces = [", ".join(parts) if parts else "no label changed"]
    pieces.append(f"foreground {signed_figure(foreground)}")
    for what, change in (dice_changes or {}).items():
        pieces.append(f"ΔDice({what}) {signed_figure(change, min_decimals=4)}")
    return "; ".join(pieces)
