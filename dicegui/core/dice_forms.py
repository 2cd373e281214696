"""Dice written as sets, and why the mean over labels is not the foreground Dice. Qt-free.

Two questions a lecture on Dice has to answer with the case on screen:

* Why is the intersection counted twice? Written with sets,
  ``Dice = 2|A∩B| / (|A| + |B|)`` with A the reference and B the prediction:
  ``|A| = TP + FN`` and ``|B| = TP + FP`` both hold the overlap TP, so the
  denominator counts it twice and the numerator must too, or two identical
  masks would score 1/2. Substituting gives ``2·TP / (2·TP + FP + FN)``.
* Why does the mean Dice over labels (macro) differ from the Dice of the whole
  foreground (micro)? Foreground Dice pools every label's voxels, so large
  structures dominate and a voxel given the wrong organ still counts as
  overlap; the mean gives each label the same weight, so small, hard
  structures pull it down. Including the background as a label adds a Dice
  near 1 (it is almost every voxel) and pushes the mean up.

:func:`dice_sets_formula` writes the first with the counts;
:func:`label_averaging` computes the second's numbers and says them in words.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

from . import metrics
from .teaching import _BOTH_EMPTY, _counts, _n, _ratio_line, format_value

_DOT = "\u00b7"
_CAP = "\u2229"


def set_sizes(counts: Mapping) -> dict:
    """``|A|``, ``|B|`` and ``|A∩B|`` of reference A and prediction B from TP/FP/FN.

    Parameters
    ----------
    counts : mapping
        With ``tp``, ``fp``, ``fn``, ``tn``.

    Returns
    -------
    dict
        ``{"reference": TP + FN, "prediction": TP + FP, "overlap": TP}``.
    """
    tp, fp, fn, _tn = _counts(counts)
    return {"reference": tp + fn, "prediction": tp + fp, "overlap": tp}


def dice_sets_formula(counts: Mapping) -> str:
    """Dice as sets with the counts, e.g.
    ``"Dice = 2|A∩B| / (|A| + |B|) = 2·312 / (367 + 352) = 624 / 719 = 0.8679"``.

    A is the reference (``|A| = TP + FN``), B the prediction (``|B| = TP + FP``).
    The value is :func:`~dicegui.core.metrics.scores_from_counts`'s, so it is
    the same number as the ``2·TP / (2·TP + FP + FN)`` line.

    Parameters
    ----------
    counts : mapping
        With ``tp``, ``fp``, ``fn``, ``tn``.

    Returns
    -------
    str
    """
    tp, fp, fn, tn = _counts(counts)
    s = set_sizes(counts)
    head = (f"Dice = 2|A{_CAP}B| / (|A| + |B|) = 2{_DOT}{_n(s['overlap'])} / "
            f"({_n(s['reference'])} + {_n(s['prediction'])})")
    value = metrics.scores_from_counts(tp, fp, fn, tn)["dice"]
    return _ratio_line(head, 2 * tp, s["reference"] + s["prediction"], value, _BOTH_EMPTY)


def _background_counts(foreground: Mapping) -> dict:
    """Counts of label 0: the foreground's with the roles swapped (TN ↔ TP, FP ↔ FN)."""
    tp, fp, fn, tn = _counts(foreground)
    return {"tp": tn, "fp": fn, "fn": fp, "tn": tp}


def label_averaging(per_label_result: Mapping, foreground: Mapping, names: Mapping | None = None,
                    n_named: int = 3) -> dict:
    """Micro (foreground) versus macro (mean over labels) Dice of one case, with the reasons in numbers.

    Parameters
    ----------
    per_label_result : mapping
        :func:`dicegui.core.metrics.per_label`'s result (``{"labels": {k: scores}}``).
    foreground : mapping
        Counts of the whole foreground (any label against any label).
    names : mapping, optional
        ``{label: name}`` for the text.
    n_named : int, optional
        How many of the lowest-scoring labels the text names.

    Returns
    -------
    dict
        ``foreground_dice``, ``mean_dice`` (labels present in either map),
        ``mean_dice_with_background``, ``background_dice``, ``n_labels``,
        ``swapped`` (foreground overlap voxels whose labels differ),
        ``largest`` and ``lowest`` (``(label, dice, reference voxels)``) and
        ``text``: three sentences with the case's numbers.
    """
    names = names or {}
    rows = {k: v for k, v in per_label_result["labels"].items() if not v.get("absent")}
    fg = metrics.scores_from_counts(*_counts(foreground))["dice"]
    bg = metrics.scores_from_counts(*_counts(_background_counts(foreground)))["dice"]
    dices = [v["dice"] for v in rows.values()]
    mean = math.fsum(dices) / len(dices) if dices else math.nan
    with_bg = math.fsum([*dices, bg]) / (len(dices) + 1)
    size = {k: v["tp"] + v["fn"] for k, v in rows.items()}
    largest = max(rows, key=lambda k: size[k]) if rows else None
    lowest = sorted(rows, key=lambda k: rows[k]["dice"])[:n_named]
    swapped = _counts(foreground)[0] - sum(v["tp"] for v in rows.values())
    out = {
        "foreground_dice": fg, "mean_dice": mean, "mean_dice_with_background": with_bg,
        "background_dice": bg, "n_labels": len(dices), "swapped": swapped,
        "background_share": _background_share(foreground),
        "largest": None if largest is None else (largest, rows[largest]["dice"], size[largest]),
        "lowest": [(k, rows[k]["dice"], size[k]) for k in lowest],
    }
    out["text"] = _averaging_text(out, names)
    return out


def _background_share(foreground: Mapping) -> float:
    tp, fp, fn, tn = _counts(foreground)
    total = tp + fp + fn + tn
    return (tn + fp + fn) / total if total else math.nan  # voxels that are background in either mask


def _voxels(n: int) -> str:
    return f"{_n(n)} voxel" if n == 1 else f"{_n(n)} voxels"


def _name(label: int, names: Mapping) -> str:
    return f"{label} {names[label]}" if label in names else f"label {label}"


def _averaging_text(a: dict, names: Mapping) -> str:
    if a["n_labels"] == 0:
        return "No label in either mask: nothing to average."
    f = format_value
    text = (f"Foreground (micro) Dice {f(a['foreground_dice'])} pools the voxels of all {a['n_labels']} labels; "
            f"mean (macro) Dice {f(a['mean_dice'])} gives each label the same weight.")
    if a["largest"] is not None:
        k, d, n = a["largest"]
        text += f" In the pool the largest, {_name(k, names)} ({_voxels(n)}, Dice {f(d)}), weighs most"
        low = ", ".join(f"{_name(k, names)} {f(d)} ({_voxels(n)})" for k, d, n in a["lowest"])
        text += f"; in the mean the lowest labels count as much: {low}."
    if a["swapped"] > 0:
        verb = "is" if a["swapped"] == 1 else "are"
        text += (f" {_voxels(a['swapped'])} {verb} foreground in both masks but with different labels: "
                 "overlap for the foreground Dice, errors for the per-label ones.")
    text += (f" With the background counted as a label (Dice {f(a['background_dice'])}, background in one mask or both at {100 * a['background_share']:.1f} % of the voxels) "
             f"the mean becomes {f(a['mean_dice_with_background'])}: include_background=False is the usual "
             "choice, as here.")
    return text
