"""Label names and colours: ITK-SNAP label files, 3D Slicer colour tables, dicegui's JSON sidecar.

A label map stores numbers; the names ("liver", "tumour") and colours live in
a small text file beside it, in whichever format the annotating tool wrote.
This module reads the three formats a user is likely to have into one
:class:`LabelTable` and writes a table back in any of them. It parses by hand
(no ``eval``, no pickles) and refuses a bad file with a :class:`LoadError`
naming the file and the line.

Formats (detected from the content, not the extension)
------------------------------------------------------
ITK-SNAP label description file (``.txt``, *Segmentation ▸ Export Label Descriptions*)::

    # IDX   -R-  -G-  -B-  -A--  VIS MSH  LABEL
        0     0    0    0        0  0  0    "Clear Label"
        1   255    0    0        1  1  1    "Left kidney"

  ``#`` comments; per line index, red, green, blue (0-255), alpha (0-1),
  visibility and mesh visibility (0/1), then the name in double quotes
  (spaces allowed). A data line holding a ``"`` marks a file as ITK-SNAP's.

3D Slicer colour table (``.ctbl`` or ``.txt``)::

    # Color table file /path/Segmentation-label_ColorTable.ctbl
    # 4 values
    0 Background 0 0 0 0
    3 connective_tissue 111 184 210 255

  Per line index, name, red, green, blue and (optional) opacity, all 0-255.
  Slicer writes spaces in names as underscores and turns them back into
  spaces when reading; so does dicegui. A line of more than six fields is
  read as a name with spaces (the last four fields are the colour). A
  ``# Color procedural file`` (a continuous scale) is refused.

dicegui's sidecar (``<stem>.labels.json``)::

    {"format": "dicegui-labels", "version": 1,
     "labels": {"1": {"name": "liver", "color": [221, 130, 101], "opacity": 1.0, "visible": true}}}

  ``labels`` maps each label (a whole number written as a string, JSON's
  only key type) to an entry: ``name`` (required), ``color`` (three whole
  numbers 0-255), ``opacity`` (0-1) and ``visible`` (default true) are
  optional; unknown keys are ignored so later versions can add some. A plain
  ``{"labels": {"1": "liver"}}`` (the shipped demo's ``label_names.json``,
  nnU-Net v1's ``dataset.json``) and nnU-Net v2's ``{"labels": {"liver": 1}}``
  are read too; ``format``, when present, must be ``"dicegui-labels"``.

Label 0 is background ("Clear Label") in every format and is never part of a
table; labels run from 1 to 65535 (what a uint16 label map holds).

Finding a table beside a mask
-----------------------------
For a mask ``<folder>/<stem><ext>`` (``ext`` one of the image extensions,
``.nii.gz`` and ``.seg.nrrd`` kept whole; a DICOM folder's stem is its name),
:func:`find_label_table` looks, in this order, for ``<stem>.labels.json``
(what :func:`save_label_sidecar` writes), ``<stem>.ctbl`` and ``<stem>.txt``,
and returns the first that exists.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from .atomic import atomic_write
from .errors import LoadError, file_label, one_line

#: Largest label a uint16 label map can hold.
MAX_LABEL = 65535
#: A label file larger than this is not a label file (65535 ITK-SNAP lines take about 4 MB).
MAX_FILE_BYTES = 8 * 2**20
#: Extension of dicegui's sidecar, after the mask's stem.
SIDECAR_SUFFIX = ".labels.json"
#: Value of the sidecar's ``format`` key, and its version.
JSON_FORMAT = "dicegui-labels"
JSON_VERSION = 1

# Longest first, so ".nii.gz" wins over ".gz"-less ".nii" and ".seg.nrrd" over ".nrrd".
_MASK_EXTENSIONS = sorted(
    (".seg.nrrd", ".nii.gz", ".nii", ".nrrd", ".nhdr", ".png", ".tif", ".tiff", ".jpg", ".jpeg",
     ".bmp", ".npy", ".npz", ".dcm", ".mha", ".mhd"),
    key=len, reverse=True,
)
_TABLE_SUFFIXES = (SIDECAR_SUFFIX, ".ctbl", ".txt")


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class LabelEntry:
    """Name and display of one label.

    Attributes
    ----------
    name : str
        What the label stands for ("" when a file gives a colour only).
    rgb : tuple of int or None
        Red, green, blue in 0-255; None when the file gives no colour.
    opacity : float or None
        0 (transparent) to 1; None when the file gives none.
    visible : bool
        ITK-SNAP's visibility flag (the other formats have none: True).
    """

    name: str
    rgb: tuple | None = None
    opacity: float | None = None
    visible: bool = True


@dataclass(frozen=True)
class LabelTable:
    """``{label: LabelEntry}`` for labels 1-65535, read from or written to a label file.

    Attributes
    ----------
    entries : Mapping[int, LabelEntry]
        Read-only, sorted by label.
    source : str
        ``"itksnap"``, ``"slicer"``, ``"json"`` or ``""`` (made in memory);
        not part of equality, so a table read back from any format equals
        the one written.
    """

    entries: Mapping = field(default_factory=dict)
    source: str = field(default="", compare=False)

    def __post_init__(self):
        for label in self.entries:
            if not (isinstance(label, int) and 1 <= label <= MAX_LABEL):
                raise ValueError(f"label table: label {label!r} is not a whole number in 1..{MAX_LABEL}")
        frozen = MappingProxyType(dict(sorted(self.entries.items())))
        object.__setattr__(self, "entries", frozen)

    def __eq__(self, other):
        if not isinstance(other, LabelTable):
            return NotImplemented
        return dict(self.entries) == dict(other.entries)

    __hash__ = None

    def __len__(self) -> int:
        return len(self.entries)

    def names(self) -> dict:
        """``{label: name}`` of the labels that have a (non-empty) name."""
        return {label: e.name for label, e in self.entries.items() if e.name}

    def colors(self) -> dict:
        """``{label: (r, g, b)}`` of the labels that have a colour (0-255)."""
        return {label: e.rgb for label, e in self.entries.items() if e.rgb is not None}

    @classmethod
    def from_names(cls, names: Mapping, colors: Mapping | None = None) -> "LabelTable":
        """A table from ``{label: name}`` and optional ``{label: (r, g, b)}``.

        Labels with a colour but no name get an empty name; label 0 is left out.
        """
        colors = dict(colors or {})
        labels = {int(k) for k in names} | {int(k) for k in colors}
        entries = {}
        for label in sorted(labels - {0}):
            rgb = colors.get(label)
            entries[label] = LabelEntry(
                name=str(names.get(label, "")),
                rgb=None if rgb is None else tuple(int(c) for c in rgb[:3]),
            )
        return cls(entries)


# --------------------------------------------------------------------------- reading


def read_label_table(path) -> LabelTable:
    """Read an ITK-SNAP label file, a Slicer colour table or a dicegui JSON sidecar.

    Parameters
    ----------
    path : str or Path
        The file; its format is detected from its content.

    Returns
    -------
    LabelTable
        Label 0 left out; ``source`` says which format was read.

    Raises
    ------
    LoadError
        Unreadable, binary, not UTF-8, larger than :data:`MAX_FILE_BYTES`,
        or a line that cannot be a label entry (the message names the file
        and the line).
    """
    path = Path(path)
    text = _read_text(path)
    if text.lstrip()[:1] in ("{", "["):
        return _parse_json(text, path)
    lines = text.splitlines()
    _refuse_procedural(lines, path)
    first = next((ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")), None)
    if first is None:
        raise LoadError(f"{file_label(path)}: holds no label lines (only comments or blank lines)")
    if '"' in first:
        return _parse_lines(lines, path, _itksnap_line, "itksnap")
    return _parse_lines(lines, path, _slicer_line, "slicer")


def _read_text(path: Path) -> str:
    name = file_label(path)
    try:
        size = path.stat().st_size
        if not path.is_file():  # a folder, or a FIFO that would block the read forever
            raise LoadError(f"{name}: not a regular file, so not a label file")
        if size > MAX_FILE_BYTES:
            raise LoadError(f"{name}: {size} bytes is far too large for a label file (limit {MAX_FILE_BYTES})")
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)  # a FIFO or /proc file has no honest size
    except OSError as exc:
        raise LoadError(f"{name}: cannot read: {one_line(exc.strerror or exc)}") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise LoadError(f"{name}: far too large for a label file (over {MAX_FILE_BYTES} bytes)")
    if b"\0" in raw:
        line = raw[: raw.index(b"\0")].count(b"\n") + 1
        raise LoadError(f"{name}: line {line}: binary data (a NUL byte): not a label file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LoadError(f"{name}: line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                        "save the label file as UTF-8") from None


def _refuse_procedural(lines, path: Path) -> None:
    for ln in lines[:5]:
        if ln.strip().lower().startswith("# color procedural file"):
            raise LoadError(f"{file_label(path)}: a Slicer continuous colour scale "
                            "(\"Color procedural file\"), not a table of label names")


def _parse_lines(lines, path: Path, parse_line, source: str) -> LabelTable:
    entries = {}
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        where = f"{file_label(path)}: line {number}"
        label, entry = parse_line(stripped, where)
        if label in entries:
            raise LoadError(f"{where}: label {label} is listed twice")
        entries[label] = entry
    entries.pop(0, None)  # background: never a named label
    return LabelTable(entries, source=source)


def _label_index(token: str, where: str) -> int:
    try:
        label = int(token)
    except ValueError:
        raise LoadError(f"{where}: label index {token[:40]!r} is not a whole number") from None
    if not 0 <= label <= MAX_LABEL:
        raise LoadError(f"{where}: label {label} is outside 0..{MAX_LABEL}")
    return label


def _number(token: str, what: str, where: str, low: float, high: float) -> float:
    try:
        value = float(token)
    except ValueError:
        raise LoadError(f"{where}: {what} {token[:40]!r} is not a number") from None
    if not (math.isfinite(value) and low <= value <= high):
        raise LoadError(f"{where}: {what} {token[:40]} is outside {low:g}..{high:g}")
    return value


def _rgb(tokens, where: str) -> tuple:
    return tuple(int(round(_number(t, c, where, 0, 255))) for t, c in zip(tokens, ("red", "green", "blue")))


def _itksnap_line(line: str, where: str) -> tuple:
    head, quote, rest = line.partition('"')
    if not quote or '"' not in rest:
        raise LoadError(f"{where}: expected IDX R G B A VIS MSH \"name\" (the name in double quotes)")
    name = rest[: rest.rindex('"')]
    fields = head.split()
    if len(fields) != 7:
        raise LoadError(f"{where}: expected 7 numbers (IDX R G B A VIS MSH) before the name, found {len(fields)}")
    label = _label_index(fields[0], where)
    rgb = _rgb(fields[1:4], where)
    opacity = _number(fields[4], "alpha", where, 0.0, 1.0)
    visible = _number(fields[5], "visibility", where, 0, 1) != 0
    _number(fields[6], "mesh visibility", where, 0, 1)
    return label, LabelEntry(name=name, rgb=rgb, opacity=opacity, visible=visible)


def _slicer_line(line: str, where: str) -> tuple:
    fields = line.split()
    if len(fields) < 5:
        raise LoadError(f"{where}: expected index name R G B [A], found {len(fields)} field(s)")
    label = _label_index(fields[0], where)
    if len(fields) == 5:
        name_fields, colour = fields[1:2], fields[2:5]
    else:
        name_fields, colour = fields[1:-4], fields[-4:]
    rgb = _rgb(colour[:3], where)
    opacity = _number(colour[3], "opacity", where, 0, 255) / 255.0 if len(colour) == 4 else None
    # Slicer's reader trims quote ticks copied from a MRML file and reads "_" as a space.
    name = " ".join(name_fields).strip("'").replace("_", " ")
    return label, LabelEntry(name=name, rgb=rgb, opacity=opacity)


def _parse_json(text: str, path: Path) -> LabelTable:
    name = file_label(path)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LoadError(f"{name}: line {exc.lineno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise LoadError(f"{name}: JSON nested too deeply to be a label file") from None
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise LoadError(f"{name}: not a usable JSON label file: {one_line(exc)[:120]}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("labels"), dict):
        raise LoadError(f"{name}: a JSON label file needs a \"labels\" object mapping labels to names")
    fmt = doc.get("format", JSON_FORMAT)
    if fmt != JSON_FORMAT:
        raise LoadError(f"{name}: format {str(fmt)[:40]!r} is not {JSON_FORMAT!r}")
    version = doc.get("version", JSON_VERSION)
    if version != JSON_VERSION:
        raise LoadError(f"{name}: version {str(version)[:20]} of {JSON_FORMAT}: this dicegui reads version "
                        f"{JSON_VERSION}; a newer dicegui wrote it")
    items = list(doc["labels"].items())
    if items and all(_is_label_number(v) for _k, v in items) and not all(_is_int_text(k) for k, _v in items):
        items = [(str(v), k) for k, v in items]  # nnU-Net v2: {"liver": 1}
    entries = {}
    for key, value in items:
        where = f"{name}: label {str(key)[:40]!r}"
        label = _label_index(str(key), where)
        if label in entries:
            raise LoadError(f"{where}: label {label} is listed twice")
        entries[label] = _json_entry(value, where)
    entries.pop(0, None)
    return LabelTable(entries, source="json")


def _is_label_number(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_int_text(k: str) -> bool:
    try:
        int(k)
    except ValueError:
        return False
    return True


def _json_entry(value, where: str) -> LabelEntry:
    if isinstance(value, str):
        return LabelEntry(name=value)
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        raise LoadError(f"{where}: expected a name or an object with a \"name\" text")
    rgb = value.get("color")
    if rgb is not None:
        if not (isinstance(rgb, list) and len(rgb) == 3 and all(_is_label_number(c) and 0 <= c <= 255 for c in rgb)):
            raise LoadError(f"{where}: \"color\" must be three whole numbers 0-255, e.g. [255, 0, 0]")
        rgb = tuple(rgb)
    opacity = value.get("opacity")
    if opacity is not None:
        if isinstance(opacity, bool) or not isinstance(opacity, (int, float)) or not 0 <= opacity <= 1:
            raise LoadError(f"{where}: \"opacity\" must be a number 0-1")
        opacity = float(opacity)
    visible = value.get("visible", True)
    if not isinstance(visible, bool):
        raise LoadError(f"{where}: \"visible\" must be true or false")
    return LabelEntry(name=value["name"], rgb=rgb, opacity=opacity, visible=visible)


# --------------------------------------------------------------------------- writing

_ITKSNAP_HEADER = """\
################################################
# ITK-SnAP Label Description File (written by dicegui)
# File format:
# IDX   -R-  -G-  -B-  -A--  VIS MSH  LABEL
# Fields:
#    IDX:   Zero-based index
#    -R-:   Red color component (0..255)
#    -G-:   Green color component (0..255)
#    -B-:   Blue color component (0..255)
#    -A-:   Label transparency (0.00 .. 1.00)
#    VIS:   Label visibility (0 or 1)
#    MSH:   Label mesh visibility (0 or 1)
#  LABEL:   Label description
################################################
"""

#: Shown for a label without a colour: ITK-SNAP and Slicer lines need one.
_GREY = (128, 128, 128)


def _one_line_name(name: str) -> str:
    return " ".join(str(name).split())


def _alpha_text(opacity: float) -> str:
    return format(opacity, ".6g")


def itksnap_text(table: LabelTable) -> str:
    """The ITK-SNAP label description file of ``table`` (with its "Clear Label" line).

    A label without a colour is written grey, without an opacity opaque.
    """
    lines = [_ITKSNAP_HEADER.rstrip("\n"), f'{0:5d} {0:5d} {0:4d} {0:4d} {0:>8}  0  0    "Clear Label"']
    for label, e in table.entries.items():
        r, g, b = e.rgb or _GREY
        alpha = _alpha_text(1.0 if e.opacity is None else e.opacity)
        vis = int(e.visible)
        # ITK-SNAP reads up to the closing quote: a quote inside a name would end it early.
        name = _one_line_name(e.name).replace('"', "'")
        lines.append(f'{label:5d} {r:5d} {g:4d} {b:4d} {alpha:>8}  {vis}  {vis}    "{name}"')
    return "\n".join(lines) + "\n"


def slicer_text(table: LabelTable, title: str = "dicegui") -> str:
    """The Slicer colour table of ``table`` (spaces in names written as ``_``).

    A label without a colour is written grey, without an opacity opaque:
    Slicer's lines need both. ``# N values`` is Slicer's table size (largest label + 1).
    """
    lines = [f"# Color table file {title}", f"# {max(table.entries, default=0) + 1} values", "0 Background 0 0 0 0"]
    for label, e in table.entries.items():
        r, g, b = e.rgb or _GREY
        alpha = 255 if e.opacity is None else int(round(e.opacity * 255))
        name = "_".join(_one_line_name(e.name).split()) or f"Label_{label}"
        lines.append(f"{label} {name} {r} {g} {b} {alpha}")
    return "\n".join(lines) + "\n"


def labels_json_text(table: LabelTable) -> str:
    """dicegui's JSON sidecar of ``table`` (see the module docstring)."""
    labels = {}
    for label, e in table.entries.items():
        entry = {"name": e.name}
        if e.rgb is not None:
            entry["color"] = [int(c) for c in e.rgb]
        if e.opacity is not None:
            entry["opacity"] = float(e.opacity)
        if not e.visible:
            entry["visible"] = False
        labels[str(label)] = entry
    # One label per line: a person can read and edit a hundred of them.
    rows = ",\n".join(f"    {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in labels.items())
    body = "{\n" + rows + "\n  }" if rows else "{}"
    return (f'{{\n  "format": {json.dumps(JSON_FORMAT)},\n  "version": {JSON_VERSION},\n'
            f'  "labels": {body}\n}}\n')


def _write_text(path, text: str, overwrite: bool) -> Path:
    data = text.encode("utf-8")
    return atomic_write(path, lambda fh: fh.write(data), overwrite=overwrite)


def write_itksnap_labels(path, table: LabelTable, *, overwrite: bool = True) -> Path:
    """Write ``table`` as an ITK-SNAP label description file, atomically.

    Parameters
    ----------
    path : str or Path
        Target file (``.txt`` by ITK-SNAP's habit).
    table : LabelTable
    overwrite : bool
        Replace an existing file (default); False refuses it with a SaveError.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    return _write_text(path, itksnap_text(table), overwrite)


def write_slicer_ctbl(path, table: LabelTable, *, overwrite: bool = True) -> Path:
    """Write ``table`` as a 3D Slicer colour table (``.ctbl``), atomically.

    Parameters and return as :func:`write_itksnap_labels`. Slicer has no
    visibility flag: ``visible=False`` is not kept.
    """
    return _write_text(path, slicer_text(table, Path(path).name), overwrite)


def write_labels_json(path, table: LabelTable, *, overwrite: bool = True) -> Path:
    """Write ``table`` as dicegui's JSON sidecar, atomically.

    Parameters and return as :func:`write_itksnap_labels`.
    """
    return _write_text(path, labels_json_text(table), overwrite)


# --------------------------------------------------------------------------- beside a mask


def mask_stem(mask_path) -> str:
    """A mask's name without its image extension (``pred.nii.gz`` → ``pred``)."""
    name = Path(mask_path).name
    lower = name.lower()
    ext = next((e for e in _MASK_EXTENSIONS if lower.endswith(e) and len(name) > len(e)), "")
    return name[: len(name) - len(ext)]


def sidecar_path(mask_path) -> Path:
    """``<folder>/<stem>.labels.json`` for a mask ``<folder>/<stem><ext>``."""
    mask_path = Path(os.fspath(mask_path).rstrip("/\\") or "/")
    return mask_path.with_name(mask_stem(mask_path) + SIDECAR_SUFFIX)


def label_table_candidates(mask_path) -> list:
    """The files :func:`find_label_table` looks for, in order."""
    mask_path = Path(os.fspath(mask_path).rstrip("/\\") or "/")
    stem = mask_stem(mask_path)
    return [mask_path.with_name(stem + suffix) for suffix in _TABLE_SUFFIXES]


def find_label_table(mask_path) -> Path | None:
    """The label file beside a mask, or None.

    Looks for ``<stem>.labels.json``, ``<stem>.ctbl`` and ``<stem>.txt`` next to
    the mask, in that order (see the module docstring).
    """
    mask_path = Path(mask_path)
    for candidate in label_table_candidates(mask_path):
        if candidate.is_file() and candidate != mask_path:
            return candidate
    return None


def save_label_sidecar(mask_path, names: Mapping, colors: Mapping | None = None) -> Path | None:
    """Write ``<stem>.labels.json`` beside a saved mask, replacing an older one.

    Parameters
    ----------
    mask_path : str or Path
        The mask file just written.
    names : mapping
        ``{label: name}`` (``Case.label_names``).
    colors : mapping, optional
        ``{label: (r, g, b)}`` 0-255 (``Case.label_colors``).

    Returns
    -------
    pathlib.Path or None
        The sidecar written; None when there is nothing to write (no name
        and no colour), in which case no file is created or changed.

    Raises
    ------
    SaveError
        The folder cannot be written.
    """
    table = LabelTable.from_names(names, colors)
    if not len(table):
        return None
    return write_labels_json(sidecar_path(mask_path), table, overwrite=True)
