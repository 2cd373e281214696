"""NSD tolerances: one distance for everything, or one per label or region.

Organs are contoured with different precision (a spinal cord to a
millimetre, a parotid to a few), so the surface Dice of each structure is
judged at its own tolerance, as Nikolov et al. (2021) do for head-and-neck
organs. A :class:`Tolerances` table answers "which tolerance for this
structure?"; every NSD value is reported with the tolerance it used
(:func:`nsd_key`).

Written as text (``--tolerance`` of ``dicegui score``)::

    2.0                 one tolerance for every structure
    1=3.0;2=1.5         label 1 at 3 mm, label 2 at 1.5 mm, others at the default
    *=2;WT=1;ET=0.5     default 2 mm, regions WT and ET at their own

or as a JSON file ``{"default": 2.0, "1": 3.0, "WT": 1.0}``.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .spec_files import read_json_spec

#: The tolerance used when none is given (mm).
DEFAULT_TOLERANCE = 1.0
# ASCII only: \d would also take '٣' (int() reads 3) and '²' (int() refuses it)
_KEY_RE = re.compile(r"^(\*|default|\d{1,10}|[A-Za-z0-9-]{1,32})$", re.ASCII)
_MAX_LABEL = 2**32 - 1


class ToleranceSpecError(ValueError):
    """A tolerance specification cannot be used."""


@dataclass(frozen=True)
class Tolerances:
    """NSD tolerance per label (int keys) and region (str keys), with a default.

    Attributes
    ----------
    default : float
        Tolerance (mm) of any structure not listed, and of the foreground.
    by_key : dict
        ``{label: mm}`` and ``{region name: mm}``.
    """

    default: float = DEFAULT_TOLERANCE
    by_key: dict = field(default_factory=dict)

    def for_key(self, key=None) -> float:
        """The tolerance of a label (int), a region (str) or the foreground (None)."""
        if key is None:
            return self.default
        return float(self.by_key.get(key, self.by_key.get(str(key), self.default)))

    def values(self) -> list[float]:
        """Every tolerance in the table, the default first."""
        return [self.default, *self.by_key.values()]

    def text(self) -> str:
        """The table as ``--tolerance`` text (``2`` or ``*=2;1=3``)."""
        if not self.by_key:
            return format(self.default, "g")
        parts = [f"*={self.default:g}"] + [f"{k}={v:g}" for k, v in self.by_key.items()]
        return ";".join(parts)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# nan/inf pass here so that the finite check below names them
_NUMBER_RE = re.compile(r"^\s*([0-9.eE+-]+|[+-]?(nan|inf|infinity))\s*$", re.ASCII | re.IGNORECASE)


def _distance(value, where: str) -> float:
    if isinstance(value, str) and not _NUMBER_RE.match(value):
        # float() also reads "1_5" as 15 and "٣" as 3
        raise ToleranceSpecError(f"{where}: {_short(value)} is not a distance in mm")
    try:
        mm = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int of 400 digits
        raise ToleranceSpecError(f"{where}: {_short(value)} is not a distance in mm") from None
    if isinstance(value, bool) or not math.isfinite(mm) or mm < 0:
        raise ToleranceSpecError(f"{where}: {_short(value)} is not a non-negative distance in mm")
    return mm


def _normal_key(key: str, where: str):
    """``"*"``/``"default"`` → None, ``"02"`` → 2, a region name as it is."""
    if key in ("*", "default"):
        return None
    if not key.isdigit():
        return key
    label = int(key)
    if not 1 <= label <= _MAX_LABEL:
        raise ToleranceSpecError(f"{where}: label {key} is not a label 1 to {_MAX_LABEL}")
    return label


def _table(pairs, where: str) -> Tolerances:
    default = DEFAULT_TOLERANCE
    by_key: dict = {}
    seen = set()
    for key, value in pairs:
        key = str(key).strip()
        if not _KEY_RE.match(key):
            raise ToleranceSpecError(
                f"{where}: {_short(key)} is not a label number, a region name or '*'/'default'")
        normal = _normal_key(key, where)
        # "1" and "01", or "*" and "default", name one entry: the second would silently win
        if normal in seen:
            raise ToleranceSpecError(f"{where}: {key!r} is given twice")
        seen.add(normal)
        mm = _distance(value, f"{where} ({key})")
        if normal is None:
            default = mm
        else:
            by_key[normal] = mm
    return Tolerances(default, by_key)


def _from_file(path: Path) -> Tolerances:
    where = str(path)
    data = read_json_spec(path, "tolerance file", ToleranceSpecError)
    if isinstance(data, dict) and "tolerances" in data:
        data = data["tolerances"]  # not a structure named "tolerances" when it holds a number
    if not isinstance(data, dict):
        raise ToleranceSpecError(f"{where}: expected {{\"default\": 2.0, \"1\": 3.0, \"WT\": 1.0}}")
    return _table(data.items(), where)


def parse_tolerances(spec) -> Tolerances:
    """A tolerance table from a number, ``key=mm;...`` text, a JSON file or a mapping.

    Parameters
    ----------
    spec : float, str, path-like or dict
        See the module notes; ``*`` or ``default`` sets the default.

    Returns
    -------
    Tolerances

    Raises
    ------
    ToleranceSpecError
        A value that is not a finite distance >= 0, a key that is neither a
        label number (1 .. 2**32-1) nor a region name, a key given twice
        (``1`` and ``01``, ``*`` and ``default`` count as the same), or a
        file that cannot be read or is not a small JSON file
        (:func:`dicegui.core.spec_files.read_json_spec`; named in the message).

    Examples
    --------
    >>> t = parse_tolerances("*=2;1=3.0;WT=1")
    >>> t.for_key(1), t.for_key(5), t.for_key("WT"), t.for_key(None)
    (3.0, 2.0, 1.0, 2.0)
    """
    if isinstance(spec, Tolerances):
        return spec
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return Tolerances(_distance(spec, "--tolerance"))
    if isinstance(spec, dict):
        return _table(spec.items(), "tolerances")
    if isinstance(spec, os.PathLike):
        return _from_file(Path(spec))
    if not isinstance(spec, str):
        raise ToleranceSpecError(f"--tolerance: {spec!r} is not a distance or a table")
    text = spec.strip()
    if "=" not in text:
        if text.lower().endswith(".json") or (text and not _is_number(text) and os.path.lexists(text)):
            # any existing path (a pipe, a device, a link loop) is read as a file and refused as one
            return _from_file(Path(text))
        return Tolerances(_distance(text, "--tolerance"))
    pairs = []
    for part in text.split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep:
            raise ToleranceSpecError(f"--tolerance: {part.strip()!r} is not key=mm (example: \"1=3.0;2=1.5\")")
        pairs.append((key, value.strip()))
    return _table(pairs, "--tolerance")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def nsd_key(tolerance: float) -> str:
    """The name NSD is reported under at ``tolerance`` mm: ``nsd_2mm``, ``nsd_1.5mm``."""
    return f"nsd_{float(tolerance):g}mm"


def below_voxel_warning(tolerances: Tolerances, spacing) -> str | None:
    """A warning when a tolerance is smaller than the largest voxel spacing, else None.

    Below the voxel size a surface voxel one step off already misses the
    tolerance, so NSD then counts exact border agreement only.
    """
    largest = max(float(s) for s in spacing)
    low = sorted({t for t in tolerances.values() if t < largest})
    if not low:
        return None
    # a generated table may hold thousands of distinct values: the warning stays one short line
    listed = ", ".join(f"{t:g}" for t in low[:5]) + (f" and {len(low) - 5} more" if len(low) > 5 else "")
    return (f"NSD tolerance {listed} mm is below the largest voxel spacing ({largest:g} mm): "
            "a border one voxel off counts as missed")
