"""Region groups: named unions of labels, scored as one binary mask each.

Tumour challenges rank by regions rather than by labels: BraTS's *whole
tumour* is every tumour label, its *tumour core* the necrosis plus the
enhancing part, its *enhancing tumour* one label. A region group is a name
and a set of labels; its mask is "the voxel holds any of these labels".

Written as text (``--regions`` of ``dicegui score``)::

    WT=1,2,4;TC=1,4;ET=4

as a preset name (:data:`PRESETS`), or as a JSON file holding either
``{"regions": {"WT": [1, 2, 4], ...}}`` or ``{"WT": [1, 2, 4], ...}``.

Names are letters, digits and ``-`` (they become ``region<NAME>_<key>``
table columns, so ``_`` is kept for the column separator).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from .spec_files import read_json_spec

#: Conventions in common use. BraTS 2021 (and earlier): 1 necrosis / non-
#: enhancing core, 2 oedema, 4 enhancing; BraTS 2023 renumbered enhancing to 3.
PRESETS = {
    "brats2021": {"WT": (1, 2, 4), "TC": (1, 4), "ET": (4,)},
    "brats2023": {"WT": (1, 2, 3), "TC": (1, 3), "ET": (3,)},
}

_NAME_RE = re.compile(r"^[A-Za-z0-9-]{1,32}$", re.ASCII)
_MAX_LABEL = 2**32 - 1
#: More groups than this is not a convention but a generated file: each group
#: is a full-volume mask and a dozen table columns per case.
MAX_REGIONS = 256
# Below this label value a lookup table beats np.isin by far (one gather).
_LUT_LIMIT = 1 << 16


class RegionSpecError(ValueError):
    """A region specification (text, preset or file) cannot be used."""


def _short(value) -> str:
    # a hostile file may hold a 4,000-digit number or a long string: the message stays one short line
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _label(value, name: str, where: str) -> int:
    if isinstance(value, bool):
        raise RegionSpecError(f"{where}: region {name!r} lists {value!r}, not a label number")
    if isinstance(value, str):
        text = value.strip()
        # ASCII digits only: str.isdigit() also says yes to '²' (int() refuses it) and '٣' (int() reads 3)
        if not (text.isascii() and text.isdigit()) or len(text) > 10:
            raise RegionSpecError(f"{where}: region {name!r} lists {_short(value)}, not a whole number >= 1")
        value = int(text)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise RegionSpecError(f"{where}: region {name!r} lists {_short(value)}, not a label number")
    if not 1 <= value <= _MAX_LABEL:
        raise RegionSpecError(
            f"{where}: region {name!r} lists label {_short(value)}; labels are 1 to {_MAX_LABEL} (0 is background)")
    return value


def _checked(groups: dict, where: str) -> dict[str, tuple[int, ...]]:
    if not groups:
        raise RegionSpecError(f"{where}: no region given")
    if len(groups) > MAX_REGIONS:
        raise RegionSpecError(f"{where}: {len(groups)} regions; at most {MAX_REGIONS} can be scored")
    out: dict[str, tuple[int, ...]] = {}
    for name, labels in groups.items():
        name = str(name).strip()
        if not _NAME_RE.match(name):
            raise RegionSpecError(
                f"{where}: region name {_short(name)} must be 1-32 letters, digits or '-' (it becomes a column name)")
        if name.isdigit():
            # a tolerance table reads "2=1.5" as label 2, so region "2" could never get its own tolerance
            raise RegionSpecError(f"{where}: region name {name!r} is a label number; give it a name with a letter")
        if name in out:
            raise RegionSpecError(f"{where}: region {name!r} is given twice")
        if isinstance(labels, (int, str)) and not isinstance(labels, bool):
            labels = [labels]
        if not isinstance(labels, (list, tuple)) or not labels:
            raise RegionSpecError(f"{where}: region {name!r} needs a list of labels, got {labels!r}")
        members = sorted({_label(v, name, where) for v in labels})
        out[name] = tuple(members)
    return out


def _parse_text(text: str) -> dict:
    groups = {}
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise RegionSpecError(
                f"--regions: {part!r} is not NAME=labels (example: \"WT=1,2,4;TC=1,4;ET=4\", "
                f"or a preset: {', '.join(PRESETS)})")
        name, _, labels = part.partition("=")
        name = name.strip()
        if name in groups:
            raise RegionSpecError(f"--regions: region {name!r} is given twice")
        groups[name] = [x for x in labels.split(",") if x.strip()] or []
    return _checked(groups, "--regions")


def _parse_file(path: Path) -> dict:
    where = str(path)
    data = read_json_spec(path, "regions file", RegionSpecError)
    if isinstance(data, dict) and "regions" in data:
        data = data["regions"]  # {"regions": [1, 2]} is a mistake, not a region named "regions"
    if not isinstance(data, dict):
        raise RegionSpecError(f"{where}: expected {{\"regions\": {{\"WT\": [1, 2, 4], ...}}}}")
    return _checked(data, where)


def parse_regions(spec) -> dict[str, tuple[int, ...]]:
    """Region groups from a preset name, ``NAME=l1,l2;...`` text, a JSON file or a dict.

    Parameters
    ----------
    spec : str, path-like or dict
        ``"brats2021"`` / ``"brats2023"`` (:data:`PRESETS`, case-insensitive);
        text such as ``"WT=1,2,4;TC=1,4;ET=4"``; the path of a JSON file
        (``{"regions": {"WT": [1, 2, 4]}}`` or the inner object alone); or a
        ``{name: labels}`` mapping.

    Returns
    -------
    dict of str to tuple of int
        Region name → sorted labels, in the order given.

    Raises
    ------
    RegionSpecError
        Unknown form, bad names (letters, digits, ``-``; not digits alone),
        labels that are not whole numbers 1 .. 2**32-1, an empty region, a
        name given twice, more than :data:`MAX_REGIONS` regions, or a file
        that cannot be read or is not a small JSON file
        (:func:`dicegui.core.spec_files.read_json_spec`; named in the message).

    Examples
    --------
    >>> parse_regions("WT=1,2,4;TC=1,4;ET=4")
    {'WT': (1, 2, 4), 'TC': (1, 4), 'ET': (4,)}
    >>> parse_regions("BraTS2023")["TC"]
    (1, 3)
    """
    if isinstance(spec, dict):
        return _checked(spec, "regions")
    if isinstance(spec, os.PathLike):
        return _parse_file(Path(spec))
    if not isinstance(spec, str):
        raise RegionSpecError(f"regions must be text, a file or a mapping, not {type(spec).__name__}")
    text = spec.strip()
    if text.lower() in PRESETS:
        return {k: tuple(v) for k, v in PRESETS[text.lower()].items()}
    if "=" not in text and (text.lower().endswith(".json") or os.path.lexists(text)):
        # any existing path (a pipe, a device, a link loop) is read as a file and refused as one
        return _parse_file(Path(text))
    return _parse_text(text)


def format_regions(groups: dict) -> str:
    """The ``NAME=l1,l2;...`` text of region groups (the inverse of :func:`parse_regions`)."""
    return ";".join(f"{name}={','.join(str(v) for v in labels)}" for name, labels in groups.items())


def region_mask(labels: np.ndarray, members) -> np.ndarray:
    """Boolean mask of the voxels holding any of ``members``.

    Parameters
    ----------
    labels : ndarray
        A label map (integer, bool or whole-number float values).
    members : iterable of int
        Labels of the region.

    Returns
    -------
    ndarray of bool
        Same shape as ``labels``.

    Notes
    -----
    Integer maps with values below 65,536 use a lookup table (one gather,
    ~1 ns per voxel); other maps fall back to :func:`numpy.isin`.
    """
    arr = np.asarray(labels)
    members = np.asarray(sorted({int(m) for m in members}), dtype=np.int64)
    if arr.dtype == bool:
        return arr.copy() if 1 in members else np.zeros(arr.shape, bool)
    if arr.dtype.kind == "u" and arr.dtype.itemsize <= 2:
        lut = np.zeros(1 << (8 * arr.dtype.itemsize), dtype=bool)
        lut[members[members < lut.size]] = True
        return lut[arr]
    if arr.dtype.kind in "iu" and arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo >= 0 and hi < _LUT_LIMIT:
            lut = np.zeros(hi + 1, dtype=bool)
            lut[members[members <= hi]] = True
            return lut[arr]
    return np.isin(arr, members)


def missing_labels(groups: dict, present) -> dict[str, tuple[int, ...]]:
    """Labels of each region found in neither mask (a hint that the wrong preset is in use).

    Parameters
    ----------
    groups : dict of str to tuple of int
    present : iterable of int
        Labels present in the reference or the prediction.

    Returns
    -------
    dict
        Only the regions none of whose labels is present: ``{name: labels}``.
    """
    present = {int(v) for v in present}
    return {name: labels for name, labels in groups.items() if not present.intersection(labels)}
