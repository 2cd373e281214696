"""NumPy ``.npy`` / ``.npz`` files, never with pickles.

The array header (shape, dtype) is read and checked before the data: object
arrays are refused outright and absurd sizes never allocated. An ``.npz``
must hold one array, or one named ``data``, ``image`` or ``mask``; optional
``affine`` (4×4) or ``spacing`` arrays beside it give the geometry, otherwise
the voxels are 1 mm cubes with no position.
"""
from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np

from ..volume import Volume
from ._util import as_3d, cast_exact, fitting_dtype, native, reading
from .errors import LoadError, file_label
from .limits import check_size, check_stored

DATA_KEYS = ("data", "image", "mask")
GEOMETRY_KEYS = ("affine", "spacing")


def _read_npy_header(fh, path):
    """(shape, fortran_order, dtype) from an open ``.npy`` stream."""
    fmt = np.lib.format
    with reading(path, ".npy header"):
        version = fmt.read_magic(fh)
        try:
            if version == (1, 0):
                return fmt.read_array_header_1_0(fh)
            if version == (2, 0):
                return fmt.read_array_header_2_0(fh)
            return fmt._read_array_header(fh, version)  # version 3: utf-8 field names
        except (ValueError, SyntaxError) as exc:
            # NumPy's own text for a bad header names AST nodes, not the problem.
            raise LoadError(
                f"{file_label(path)}: corrupt .npy header: not a valid array description (shape, type)"
            ) from exc


def _check_header(header, path, what: str):
    shape, _fortran, dtype = header
    if dtype.hasobject:
        raise LoadError(f"{file_label(path)}: {what} holds Python objects (a pickle); dicegui never loads pickles")
    if dtype.names is not None or dtype.kind not in "biuf":
        raise LoadError(f"{file_label(path)}: {what} has type {dtype}; expected numbers or booleans")
    check_size(path, shape, dtype.itemsize)


def _geometry(arrays: dict, path) -> tuple[np.ndarray, bool]:
    if "affine" in arrays:
        affine = np.asarray(arrays["affine"], dtype=float)
        if affine.shape != (4, 4) or not np.isfinite(affine).all():
            raise LoadError(f"{file_label(path)}: 'affine' must be a finite 4×4 matrix, got shape {affine.shape}")
        return affine, True
    if "spacing" in arrays:
        sp = np.asarray(arrays["spacing"], dtype=float).ravel()
        if sp.size not in (2, 3) or not (np.isfinite(sp).all() and (sp > 0).all()):
            raise LoadError(f"{file_label(path)}: 'spacing' must be 2 or 3 positive numbers, got {sp.tolist()}")
        return np.diag(list(sp) + [1.0] * (4 - sp.size)), False
    return np.eye(4), False


def _data_bytes(header) -> int:
    shape, _fortran, dtype = header
    return math.prod(int(d) for d in shape) * dtype.itemsize


def _read_npy(path: Path) -> Volume:
    with open(path, "rb") as fh:
        header = _read_npy_header(fh, path)
        data_start = fh.tell()
    _check_header(header, path, "the array")
    check_stored(path, _data_bytes(header), path.stat().st_size - data_start, None, "an array", ".npy data")
    with reading(path, ".npy data"):
        data = np.load(path, allow_pickle=False)
    return _volume(data, path, "npy", {"fortran_order": header[1]}, np.eye(4), False)


def _pick_key(keys: list[str], path) -> str:
    candidates = [k for k in keys if k not in GEOMETRY_KEYS]
    if len(candidates) == 1:
        return candidates[0]
    named = [k for k in DATA_KEYS if k in candidates]
    if len(named) == 1:
        return named[0]
    listed = ", ".join(sorted(keys)) or "nothing"
    raise LoadError(
        f"{file_label(path)}: holds arrays {listed}; dicegui needs a single array or exactly one named "
        "data, image or mask"
    )


def _check_member(info: zipfile.ZipInfo, header, data_start: int, path) -> None:
    """Refuse a member whose zip entry cannot hold, or disagrees with, its array header."""
    need = _data_bytes(header)
    if info.file_size != data_start + need:
        raise LoadError(
            f"{file_label(path)}: corrupt archive: entry {info.filename} declares {info.file_size} bytes "
            f"but its array header needs {data_start + need}"
        )
    if info.compress_type == zipfile.ZIP_STORED:
        check_stored(path, data_start + need, info.compress_size, None, f"entry {info.filename}")
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        check_stored(path, data_start + need, info.compress_size, "deflate", f"entry {info.filename}")


def _member_header(archive, name: str, path):
    """(header, data offset, ZipInfo) of one archive member, reading only its header."""
    with reading(path, ".npz archive"):
        with archive.zip.open(name + ".npy") as member:
            header = _read_npy_header(member, path)
            data_start = member.tell()
        return header, data_start, archive.zip.getinfo(name + ".npy")


def _read_npz(path: Path) -> Volume:
    if not zipfile.is_zipfile(path):
        # np.load would fall back to pickle detection and suggest allow_pickle.
        raise LoadError(f"{file_label(path)}: not a .npz file (no zip archive found)")
    # Opened here, not by np.load: np.load leaks its file handle when the
    # zip directory turns out to be damaged.
    with open(path, "rb") as fh:
        with reading(path, ".npz archive"):
            archive = np.load(fh, allow_pickle=False)
        with archive:
            key = _pick_key(list(archive.files), path)
            header, data_start, info = _member_header(archive, key, path)
            compressed = info.compress_type == zipfile.ZIP_DEFLATED
            _check_header(header, path, f"array {key!r}")
            _check_member(info, header, data_start, path)
            names = [k for k in GEOMETRY_KEYS if k in archive.files]
            for name in names:
                # A 4×4 affine or 2-3 spacings: anything larger is not geometry.
                geo_header, geo_start, geo_info = _member_header(archive, name, path)
                _check_header(geo_header, path, f"array {name!r}")
                if math.prod(geo_header[0]) > 16:
                    raise LoadError(f"{file_label(path)}: {name!r} holds {geo_header[0]} values; expected a 4×4 "
                                    "affine or 2-3 spacings")
                _check_member(geo_info, geo_header, geo_start, path)
            with reading(path, f"array {key!r}"):
                data = archive[key]
                geometry = {k: archive[k] for k in names}
            affine, has_geometry = _geometry(geometry, path)
            meta = {"key": key, "keys": list(archive.files), "compressed": compressed, "fortran_order": header[1],
                    "has_spacing": bool(names)}
    return _volume(data, path, "npz", meta, affine, has_geometry)


def _volume(data, path, fmt, meta, affine, has_geometry) -> Volume:
    file_shape = tuple(data.shape)
    if data.dtype == bool:
        pass  # masks: classify_mask reads booleans as binary
    data, is_2d = as_3d(native(data), path, "array")
    meta.update({"file_shape": file_shape, "file_dtype": data.dtype, "has_geometry": has_geometry})
    return Volume(data=data, affine=affine, path=path, source_format=fmt, header=None, is_2d=is_2d, meta=meta)


def read_numpy(path) -> Volume:
    """Read a ``.npy`` or ``.npz`` file into a Volume (``allow_pickle=False`` always)."""
    path = Path(path)
    if path.name.lower().endswith(".npz"):
        return _read_npz(path)
    with open(path, "rb") as fh:
        magic = fh.read(6)
    if magic.startswith(b"PK"):
        return _read_npz(path)
    return _read_npy(path)


def _file_array(volume: Volume, data: np.ndarray) -> np.ndarray:
    dtype = np.dtype(volume.meta.get("file_dtype", data.dtype))
    out = cast_exact(data, dtype) if volume.source_format in ("npy", "npz") else None
    if out is None:
        out = data if volume.source_format not in ("npy", "npz") else data.astype(fitting_dtype(data))
    shape = volume.meta.get("file_shape", out.shape) if volume.source_format in ("npy", "npz") else (
        out.shape[:2] if volume.is_2d else out.shape)
    out = out.reshape(shape, order="A")
    if volume.meta.get("fortran_order"):
        return np.asfortranarray(out)
    return np.ascontiguousarray(out)


def numpy_writer(volume: Volume, data: np.ndarray, target: Path):
    """Return ``write(fileobj)`` writing ``data`` as ``.npy`` or ``.npz`` (no pickles)."""
    arr = _file_array(volume, data)
    if not target.name.lower().endswith(".npz"):
        def write(fh):
            np.lib.format.write_array(fh, arr, allow_pickle=False)

        return write

    key = volume.meta.get("key", "data") if volume.source_format == "npz" else "data"
    arrays = {}
    if volume.source_format == "npz" and volume.path is not None and volume.path.exists():
        # Other arrays of the original archive travel along unchanged.
        with np.load(volume.path, allow_pickle=False) as original:
            arrays = {k: original[k] for k in original.files if k != key}
    elif volume.meta.get("has_geometry", volume.source_format not in ("npy", "raster")):
        arrays["affine"] = np.asarray(volume.affine, dtype=float)
    arrays[key] = arr
    compressed = volume.meta.get("compressed", True)

    def write(fh):
        (np.savez_compressed if compressed else np.savez)(fh, **arrays)

    return write
