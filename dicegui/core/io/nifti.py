"""NIfTI-1/2 (``.nii``, ``.nii.gz``) through nibabel, header kept for saving back.

Reading uses ``np.asanyarray(img.dataobj)``: the header's own dtype, no float
conversion of integer masks (nibabel only scales when scl_slope/inter ask for
it). Writing reuses the original header object byte for byte (qform/sform
codes, extensions, intent, description) and writes the voxels ourselves,
because nibabel's writer resets scl_slope/scl_inter to its own choice.
"""
from __future__ import annotations

import gzip
import math
import struct
from pathlib import Path

import nibabel as nib
import numpy as np
from nibabel.volumeutils import apply_read_scaling

from ..channel_maps import MAX_CHANNELS
from ..volume import Volume
from ._util import as_3d, cast_exact, channels_are_allowed, fitting_dtype, native, reading
from .errors import ActivationNeeded, LoadError, file_label
from .bounded_read import ReadRefused, read_exact_stream, skip_stream
from .limits import check_size, check_stored

#: Largest room for header extensions (between the header and the voxels):
#: larger ones are refused before nibabel reads them whole.
MAX_EXTENSION_BYTES = 16 * 2**20


def _is_gz(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def _precheck(path: Path) -> None:
    """Check the fields nibabel guesses the file type and byte order from.

    nibabel reads a header whose ``sizeof_hdr`` is neither 348 nor 540, or
    whose ``dim[0]`` is outside 1..7, as byte-swapped (or repairs it), and
    then reports some other field as the problem; with a wrong magic code it
    "cannot work out the file type" or loads a two-file header as one file.
    """
    with reading(path, "NIfTI header"):
        with nib.openers.ImageOpener(str(path), "rb") as fh:
            head = fh.read(348)
    if len(head) < 348:
        raise LoadError(f"{file_label(path)}: not a NIfTI file: {len(head)} bytes, shorter than a NIfTI header")
    for order in "<>":
        size = struct.unpack(order + "i", head[:4])[0]
        if size in (348, 540):
            break
    else:
        raise LoadError(
            f"{file_label(path)}: not a NIfTI file or a corrupt header: sizeof_hdr is "
            f"{struct.unpack('<i', head[:4])[0]}, not 348 (NIfTI-1) or 540 (NIfTI-2)"
        )
    found, magic = (head[344:347], b"n+1") if size == 348 else (head[4:7], b"n+2")
    if found != magic:
        raise LoadError(
            f"{file_label(path)}: corrupt NIfTI header: magic {found!r} is not {magic!r} "
            "(the code of a single .nii file)"
        )
    ndim = struct.unpack(order + ("h" if size == 348 else "q"), head[40:42] if size == 348 else head[16:24])[0]
    if not 1 <= ndim <= 7:
        raise LoadError(
            f"{file_label(path)}: corrupt NIfTI header: dim[0] (the number of dimensions) is {ndim}, not 1 to 7"
        )
    vox_offset = struct.unpack(order + "f", head[108:112])[0] if size == 348 \
        else struct.unpack(order + "q", head[168:176])[0]
    _check_extensions(path, order, size, vox_offset)


def _check_extensions(path: Path, order: str, header_size: int, vox_offset) -> None:
    """Refuse header extensions that are huge, run past the voxels or never end, before nibabel reads them.

    nibabel reads each extension's declared size whole (a 522 KB ``.nii.gz``
    claiming a 512 MB extension was inflated in full), and an extension of
    size 0 makes it read the rest of the file.
    """
    if not (math.isfinite(vox_offset) and vox_offset >= 0):
        return  # nibabel's own checks name it; no extension is read
    with reading(path, "NIfTI header extensions"):
        with nib.openers.ImageOpener(str(path), "rb") as fh:
            fh.seek(header_size)
            flag = fh.read(4)
            if len(flag) < 4 or flag[0] == 0:
                return  # no extensions; a vox_offset past the data is found by the size checks
            if vox_offset > header_size + 4 + MAX_EXTENSION_BYTES:
                raise LoadError(
                    f"{file_label(path)}: corrupt NIfTI header: vox_offset {vox_offset:.0f} leaves more than "
                    f"{MAX_EXTENSION_BYTES >> 20} MiB for header extensions (dicegui's limit)"
                )
            end = int(vox_offset)
            at = header_size + 4
            while at + 16 <= end:
                esize, ecode = struct.unpack(order + "ii", fh.read(8) or b"\0" * 8)
                if esize < 16 or at + esize > end:
                    raise LoadError(
                        f"{file_label(path)}: corrupt NIfTI header extension (code {ecode}) at byte {at}: "
                        f"its size {esize} " + ("is below 16" if esize < 16 else
                                                f"runs past the voxel data at byte {end}")
                    )
                fh.seek(at + esize)
                at += esize


def _check_raw_header(raw, shape, path) -> None:
    """Refuse voxel spacing that nibabel would silently repair (abs of negative, 1 for 0)."""
    if int(raw["sform_code"]) > 0:
        return  # the affine comes from srow_x/y/z, not from pixdim
    pixdim = np.asarray(raw["pixdim"], dtype=float)[1:4]
    for axis, (n, step) in enumerate(zip(shape[:3], pixdim)):
        if n > 1 and not (np.isfinite(step) and step > 0):
            raise LoadError(
                f"{file_label(path)}: corrupt NIfTI header: voxel spacing (pixdim) along axis {axis} "
                f"is {step:g}; it must be a positive number"
            )


def _read_voxels(img, hdr, shape, path: Path) -> np.ndarray:
    """The voxels of ``img``; a ``.nii.gz`` is inflated within the header's size and its checksum verified.

    nibabel stops reading where the voxels end, so the gzip CRC-32 in the
    trailer would never be checked and flipped bits would become wrong
    voxel values; reading on to the end without a limit, though, inflates
    whatever follows (thirty 1 GiB gzip members of zeros took 119 s). The
    stream is read to the declared end plus a small margin: a valid file ends
    there (its checksum is then checked), more data is refused.
    """
    if not _is_gz(path):
        return np.asanyarray(img.dataobj)
    dtype = hdr.get_data_dtype()
    offset = int(hdr["vox_offset"])
    nbytes = math.prod(shape) * dtype.itemsize
    with gzip.open(path, "rb") as stream:
        try:
            skip_stream(stream, offset, what="NIfTI header")
            flat = read_exact_stream(stream, nbytes, what="NIfTI voxel data")
        except ReadRefused as exc:
            raise LoadError(f"{file_label(path)}: {exc}") from None
    raw = flat.view(dtype).reshape(shape, order="F")
    slope, inter = hdr.get_slope_inter()
    if slope is None or (slope == 1 and (inter or 0) == 0):
        return raw
    return apply_read_scaling(raw, slope, inter)


def read_nifti(path) -> Volume:
    """Read a ``.nii``/``.nii.gz`` file into a :class:`Volume` (header kept)."""
    path = Path(path)
    _precheck(path)
    # A header with NaN spacing makes nibabel's qform maths warn on stderr.
    with np.errstate(all="ignore"):
        with reading(path, "NIfTI header"):
            img = nib.load(str(path), mmap=False)
        if not isinstance(img, (nib.Nifti1Image, nib.Nifti2Image)):
            raise LoadError(f"{file_label(path)}: not a single-file NIfTI image ({type(img).__name__})")
        # nibabel resets scl_slope/scl_inter of a loaded image's header (its
        # array proxy owns the scaling); keep the header exactly as stored instead.
        with reading(path, "NIfTI header"):
            with nib.openers.ImageOpener(str(path), "rb") as fh:
                raw = type(img.header).from_fileobj(fh, check=False)
                fh.seek(0)
                hdr = type(img.header).from_fileobj(fh)
    shape = tuple(int(s) for s in hdr.get_data_shape())
    _check_raw_header(raw, shape, path)
    file_dtype = hdr.get_data_dtype()
    slope, inter = hdr.get_slope_inter()
    scaled = slope is not None and (slope != 1 or (inter or 0) != 0)
    if len(shape) < 2:
        raise LoadError(f"{file_label(path)}: NIfTI data is {len(shape)}-D {shape}; expected 2-D or 3-D")
    if len(shape) > 3 and any(s != 1 for s in shape[3:]) and not (len(shape) == 4 and channels_are_allowed()):
        dims = "×".join(map(str, shape))
        if len(shape) == 4 and 2 <= shape[3] <= MAX_CHANNELS:
            raise ActivationNeeded(
                f"{file_label(path)}: 4-D NIfTI ({dims}): {shape[3]} channels of a network's output (one per "
                "class)? Read it as a prediction with a softmax (dicegui score --softmax or dicegui --softmax; "
                "the window also asks), or split it (e.g. fslsplit) and pick one volume",
                "channels", file_label(path), shape[3])
        raise LoadError(
            f"{file_label(path)}: 4-D NIfTI ({dims}, {math.prod(shape[3:])} volumes); dicegui shows one "
            "3-D volume: split it (e.g. fslsplit) or pick one volume first"
        )
    # A scaled integer file decodes to floats: budget for float64.
    check_size(path, shape, max(file_dtype.itemsize, 8 if scaled else 0))
    need = int(hdr["vox_offset"]) + math.prod(shape) * file_dtype.itemsize
    have = path.stat().st_size
    if _is_gz(path):
        check_stored(path, need, have, "deflate", "header and voxels")
        if int(hdr["vox_offset"]) > hdr.single_vox_offset + MAX_EXTENSION_BYTES:
            # Inflating up to the voxels costs CPU for nothing a writer puts there.
            raise LoadError(
                f"{file_label(path)}: corrupt NIfTI header: vox_offset {int(hdr['vox_offset'])} puts the voxels "
                f"more than {MAX_EXTENSION_BYTES >> 20} MiB after the header"
            )
    elif have < need:
        raise LoadError(
            f"{file_label(path)}: truncated NIfTI file: header promises {need} bytes, file has {have}"
        )
    with reading(path, "NIfTI voxel data"):
        data = _read_voxels(img, hdr, shape, path)
    data, is_2d = as_3d(native(data), path, "NIfTI data")
    sform, qform = int(hdr["sform_code"]), int(hdr["qform_code"])
    return Volume(
        data=data,
        affine=np.asarray(img.affine, dtype=float),
        path=path,
        source_format="nifti",
        header=hdr,
        is_2d=is_2d,
        meta={
            "file_shape": shape,
            "file_dtype": file_dtype,
            "scaled": bool(scaled),
            # Without qform/sform the affine is nibabel's guess from pixdim.
            "has_geometry": bool(sform > 0 or qform > 0),
        },
    )


def _header_for(volume: Volume, data: np.ndarray):
    """The original header (copied) or a fresh one built from the volume's affine."""
    if isinstance(volume.header, (nib.Nifti1Header, nib.Nifti2Header)):
        hdr = volume.header.copy()
        file_shape = tuple(volume.meta.get("file_shape", data.shape))
        if tuple(hdr.get_data_shape()) != file_shape:
            hdr.set_data_shape(file_shape)  # also resets pixdim: only when needed
        return hdr
    hdr = nib.Nifti1Header()
    hdr.set_data_shape(data.shape[:2] if volume.is_2d else data.shape)
    hdr.set_data_dtype(fitting_dtype(data))
    hdr.set_qform(volume.affine, code=1)
    hdr.set_sform(volume.affine, code=1)
    hdr.set_xyzt_units("mm")
    hdr["scl_slope"], hdr["scl_inter"] = 1.0, 0.0
    return hdr


def _stored_values(data: np.ndarray, hdr) -> np.ndarray:
    """Values to put on disk so that a reader gets ``data`` back; may retype ``hdr``."""
    disk = hdr.get_data_dtype()
    slope, inter = hdr.get_slope_inter()
    if slope is None or (slope == 1 and (inter or 0) == 0):
        raw = cast_exact(data, disk.newbyteorder("="))
        if raw is not None:
            return raw
    else:
        inter = inter or 0.0
        with np.errstate(invalid="ignore", over="ignore"):
            raw = (data.astype(np.float64) - inter) / slope
            if disk.kind in "iu":
                raw = np.rint(raw)
            back = raw * slope + inter
        ok = np.isfinite(raw).all() and np.allclose(back, data, rtol=1e-6, atol=1e-6 * abs(slope))
        if ok:
            cast = cast_exact(raw, disk.newbyteorder("="))
            if cast is not None:
                return cast
    # The values no longer fit the file's type or scaling (e.g. label 300 in a
    # uint8 file): store them unscaled in a type that holds them.
    new = fitting_dtype(data)
    hdr.set_data_dtype(new)  # the header keeps its own byte order
    hdr["scl_slope"], hdr["scl_inter"] = 1.0, 0.0
    return data.astype(new)


def nifti_writer(volume: Volume, data: np.ndarray, target: Path):
    """Return ``write(fileobj)`` that writes ``data`` as NIfTI with ``volume``'s header."""
    hdr = _header_for(volume, data)
    raw = _stored_values(data, hdr)
    disk = hdr.get_data_dtype()
    if raw.dtype != disk:
        raw = raw.astype(disk)
    compress = _is_gz(target)

    def write(fh):
        stream = gzip.GzipFile(filename="", mode="wb", fileobj=fh, compresslevel=1, mtime=0) if compress else fh
        hdr.write_to(stream)
        written = stream.tell()  # both the temp file and the gzip stream start at 0
        offset = int(hdr["vox_offset"])
        if offset > written:
            stream.write(b"\x00" * (offset - written))
        _write_fortran(stream, raw)
        if compress:
            stream.close()

    return write


def _write_fortran(stream, raw: np.ndarray) -> None:
    # Slab by slab along the last axis: never a second full copy of the volume.
    if raw.ndim < 3 or raw.shape[-1] <= 1:
        stream.write(raw.tobytes(order="F"))
        return
    for k in range(raw.shape[-1]):
        stream.write(raw[..., k].tobytes(order="F"))
