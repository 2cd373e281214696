"""NRRD (``.nrrd``) and 3D Slicer segmentations (``.seg.nrrd``) through pynrrd.

NRRD stores ``space directions`` (one row per axis) and a ``space origin`` in
the coordinate system named by ``space`` (usually LPS); the affine built here
maps voxels to RAS like every other reader. Slicer segment metadata
(``Segment<N>_Name``/``_LabelValue``/``_Layer``) gives ``meta["label_names"]``;
a multi-layer segmentation (segments stored in separate layers because they
may overlap) is merged into one label map when no voxel is claimed twice, and
split back into its layers when saved.

A ``.nhdr`` file (header only, voxels in a separate data file) is read with
its data file checked by :mod:`.nrrd_data`, and saved as a ``.nhdr`` header
plus ``<name>.raw.gz`` (or ``.raw``/``.raw.bz2`` after the header's encoding)
beside it.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..volume import Volume
from ._util import cast_exact, fitting_dtype, native, reading
from .errors import LoadError, SaveError, file_label
from .limits import check_size
from .nrrd_data import read_payload

# Sign flips from a NRRD space to RAS (x, y, z).
_SPACE_TO_RAS = {
    "right-anterior-superior": (1, 1, 1), "ras": (1, 1, 1),
    "left-anterior-superior": (-1, 1, 1), "las": (-1, 1, 1),
    "left-posterior-superior": (-1, -1, 1), "lps": (-1, -1, 1),
    "scanner-xyz": (1, 1, 1), "3d-right-handed": (1, 1, 1),
}

_SEGMENT_KEY = re.compile(r"^Segment(\d+)_(\w+)$")


def _nrrd_itemsize(header, path) -> int:
    """Bytes per value from the header's ``type`` (no data read)."""
    import nrrd as pynrrd

    code = pynrrd.reader._TYPEMAP_NRRD2NUMPY.get(str(header.get("type", "")).strip())
    if code is None:
        raise LoadError(f"{file_label(path)}: unknown NRRD type {header.get('type')!r}")
    return np.dtype(code).itemsize


def _affine(header, spatial_axes: list[int]) -> tuple[np.ndarray, bool]:
    """4×4 voxel → RAS from NRRD space fields; second item: geometry present."""
    affine = np.eye(4)
    space = str(header.get("space", "")).lower()
    dirs = header.get("space directions")
    if dirs is not None and space in _SPACE_TO_RAS:
        dirs = np.asarray(dirs, dtype=float)
        flip = np.array(_SPACE_TO_RAS[space], dtype=float)
        for out_ax, ax in enumerate(spatial_axes[:3]):
            affine[:3, out_ax] = flip * dirs[ax, :3]
        origin = np.asarray(header.get("space origin", np.zeros(3)), dtype=float)[:3]
        affine[:3, 3] = flip * origin
        return affine + 0.0, True  # + 0.0 turns the -0.0 of flipped zeros into 0.0
    spacings = header.get("spacings")
    if spacings is not None:
        sp = np.asarray(spacings, dtype=float)[spatial_axes[:3]]
        sp = np.where(np.isfinite(sp) & (sp != 0), np.abs(sp), 1.0)
        affine[:len(sp), :len(sp)][np.diag_indices(len(sp))] = sp
    return affine, False


def _segments(header) -> list[dict]:
    segs: dict[int, dict] = {}
    for key, value in header.items():
        m = _SEGMENT_KEY.match(str(key))
        if m:
            segs.setdefault(int(m.group(1)), {})[m.group(2)] = value
    out = []
    for index in sorted(segs):
        s = segs[index]
        out.append({
            "index": index,
            "name": str(s.get("Name", f"Segment_{index + 1}")),
            # Files from Slicer before 4.11 have one binary layer per segment.
            "label": int(s.get("LabelValue", 1)),
            "layer": int(s.get("Layer", index)),
        })
    return out


def _merge_layers(data: np.ndarray, segments: list[dict], path) -> tuple[np.ndarray, dict, list]:
    """One label map from a (layers, x, y, z) segmentation, refusing overlaps."""
    labels = [s["label"] for s in segments]
    renumber = len(set(labels)) != len(labels)
    merged = np.zeros(data.shape[1:], dtype=np.uint16 if len(segments) > 255 or max(labels, default=0) > 255 else np.uint8)
    names, mapping = {}, []
    for i, seg in enumerate(segments):
        value = i + 1 if renumber else seg["label"]
        sel = data[seg["layer"]] == seg["label"]
        if np.any(merged[sel]):
            raise LoadError(
                f"{file_label(path)}: segment {seg['name']!r} overlaps another segment; dicegui needs one label "
                "per voxel: export the segmentation as a labelmap without overlaps"
            )
        merged[sel] = value
        names[value] = seg["name"]
        mapping.append((value, seg["layer"], seg["label"]))
    return merged, names, mapping


def read_nrrd(path) -> Volume:
    """Read a ``.nrrd`` or ``.seg.nrrd`` file into a :class:`Volume`."""
    path = Path(path)
    # Header fields are free text: a malformed one (a segment's LabelValue,
    # space directions) fails where it is used, not where it is read.
    with reading(path, "NRRD header"):
        return _read_nrrd(path)


def _read_nrrd(path: Path) -> Volume:
    import nrrd as pynrrd

    with open(path, "rb") as fh:
        with reading(path, "NRRD header"):
            header = pynrrd.read_header(fh)
        sizes = [int(s) for s in header.get("sizes", [])]
        if len(sizes) != int(header.get("dimension", len(sizes))):
            raise LoadError(f"{file_label(path)}: corrupt NRRD header: 'sizes' ({len(sizes)} numbers) "
                            f"does not match dimension {header.get('dimension')}")
        check_size(path, sizes, _nrrd_itemsize(header, path))
        with reading(path, "NRRD voxel data"):
            # pynrrd follows 'data file' anywhere and inflates without limit:
            # the payload is read within the header's limits instead.
            dtype = pynrrd.reader._determine_datatype(header)
            data = read_payload(header, fh, path, dtype, sizes)
    data = native(np.asarray(data))
    kinds = [str(k).lower() for k in header.get("kinds", ["domain"] * data.ndim)]
    spatial = [i for i, k in enumerate(kinds) if k in ("domain", "space")] or list(range(min(3, data.ndim)))
    affine, has_geometry = _affine(header, spatial)
    segments = _segments(header)
    is_seg = bool(segments) or path.name.lower().endswith(".seg.nrrd")
    meta = {"file_shape": tuple(data.shape), "file_dtype": data.dtype, "has_geometry": has_geometry}
    nonspatial = [i for i in range(data.ndim) if i not in spatial]
    if nonspatial:
        if len(nonspatial) != 1 or nonspatial[0] != 0 or data.ndim != 4:
            raise LoadError(f"{file_label(path)}: NRRD axes of kinds {kinds} are not a 2-D or 3-D volume")
        if data.shape[0] == 1:
            data = data[0]
        elif is_seg:
            data, names, mapping = _merge_layers(data, segments, path)
            meta["seg_layers"] = mapping
            meta["warnings"] = [f"{path.name}: {len(segments)} segments in {header['sizes'][0]} layers merged into one label map"]
            segments = [dict(s, label=v) for s, (v, _l, _f) in zip(segments, mapping)]
        else:
            raise LoadError(
                f"{file_label(path)}: NRRD with {data.shape[0]} components per voxel ({kinds[0]}); "
                "dicegui shows one value per voxel: save one component per file"
            )
    if data.ndim == 2:
        data, is_2d = data[:, :, np.newaxis], True
    elif data.ndim == 3:
        is_2d = False
    else:
        raise LoadError(f"{file_label(path)}: NRRD data is {data.ndim}-D; expected 2-D or 3-D")
    if segments:
        meta["label_names"] = {s["label"]: s["name"] for s in segments}
    return Volume(
        data=data, affine=affine, path=path, source_format="seg.nrrd" if is_seg else "nrrd",
        header=header, is_2d=is_2d, meta=meta,
    )


def _fresh_header(volume: Volume) -> dict:
    """An LPS NRRD header for a volume that did not come from NRRD."""
    flip = np.array([-1.0, -1.0, 1.0])
    a = np.asarray(volume.affine, dtype=float)
    ndim = 2 if volume.is_2d else 3
    return {
        "space": "left-posterior-superior",
        "space directions": np.array([flip * a[:3, i] for i in range(ndim)]),
        "space origin": flip * a[:3, 3],
        "kinds": ["domain"] * ndim,
        "encoding": "gzip",
    }


def _split_layers(data: np.ndarray, volume: Volume, dtype) -> np.ndarray:
    mapping = volume.meta["seg_layers"]
    n_layers = int(volume.meta["file_shape"][0])
    out = np.zeros((n_layers,) + data.shape, dtype=dtype)
    known = {value for value, _l, _f in mapping}
    extra = set(np.unique(data).tolist()) - known - {0}
    if extra:
        raise SaveError(
            f"{volume.name}: labels {sorted(extra)} have no segment in this layered segmentation; "
            "save to a .nrrd/.nii.gz file instead"
        )
    for value, layer, file_label_value in mapping:
        out[layer][data == value] = file_label_value
    return out


def nrrd_writer(volume: Volume, data: np.ndarray, target: Path):
    """Return ``write(fileobj)`` writing ``data`` as NRRD with ``volume``'s header."""
    import nrrd as pynrrd

    if volume.source_format in ("nrrd", "seg.nrrd") and isinstance(volume.header, dict):
        header = dict(volume.header)
        file_dtype = np.dtype(volume.meta.get("file_dtype", data.dtype))
    else:
        header = _fresh_header(volume)
        file_dtype = fitting_dtype(data)
    out = cast_exact(data, file_dtype.newbyteorder("="))
    if out is None:
        out = data.astype(fitting_dtype(data))
    if "seg_layers" in volume.meta:
        out = _split_layers(out, volume, out.dtype)
    elif volume.is_2d:
        out = out[:, :, 0]
    elif len(volume.meta.get("file_shape", out.shape)) == 4:
        out = out[np.newaxis]
    for key in ("type", "endian", "dimension", "sizes", "data file", "datafile"):
        header.pop(key, None)  # regenerated by pynrrd from the array

    if target.name.lower().endswith(".nhdr"):
        return _detached_writer(out, header, target)

    def write(fh):
        pynrrd.write(fh, out, header, index_order="F", compression_level=1)

    return write


def detached_data_name(target: Path, encoding: str) -> str:
    """The data file written beside a ``.nhdr`` header (NRRD's own naming: ``.raw``, ``.raw.gz``, ``.raw.bz2``)."""
    suffix = {"gzip": ".raw.gz", "gz": ".raw.gz", "bzip2": ".raw.bz2", "bz2": ".raw.bz2"}.get(encoding, ".raw")
    return target.name[: -len(".nhdr")] + suffix


def _detached_writer(out: np.ndarray, header: dict, target: Path):
    """``write(fileobj)`` for a ``.nhdr`` header whose voxels go to a data file beside it.

    The data file is written (atomically) first, so the new header never
    names data that is not there yet.
    """
    import nrrd.writer as nrrd_writer_mod

    from .atomic import atomic_write

    encoding = str(header.get("encoding", "gzip")).strip().lower()
    if encoding not in ("raw", "gzip", "gz", "bzip2", "bz2"):
        encoding = "gzip"  # ASCII would be larger and slower; the values are the same
    header = dict(header, encoding=encoding)
    for key in ("line skip", "lineskip", "byte skip", "byteskip"):
        header.pop(key, None)  # our data file starts with the data
    header = nrrd_writer_mod._handle_header(out, header, "F")
    header["data file"] = detached_data_name(target, encoding)

    def write(fh):
        atomic_write(target.with_name(header["data file"]),
                     lambda dfh: nrrd_writer_mod._write_data(out, dfh, header, compression_level=1,
                                                             index_order="F"),
                     overwrite=True)
        nrrd_writer_mod._write_header(fh, header)

    return write
