"""DICOM: a series folder or a single file, through pydicom.

Slices are grouped by SeriesInstanceUID (a folder holding several series is
refused with the list), ordered by ImagePositionPatient projected on the
slice normal, and checked for equal spacing: a gap (missing slices) or a
repeated position (several volumes in one series) is refused, since an
affine cannot describe it and dicegui does not interpolate. Stored values
are rescaled by RescaleSlope/RescaleIntercept; the affine is built from
ImageOrientationPatient, PixelSpacing and the positions, converted from
DICOM's LPS to RAS.
"""
from __future__ import annotations

import copy
from pathlib import Path

import numpy as np

from ..volume import Volume
from ._util import reading, smallest_int_dtype
from .errors import LoadError, SaveError, file_label, one_line
from .dicom_deflate import DEFLATED_SYNTAX, is_deflated, read_deflated
from .limits import check_size, check_stored

LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])
_SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"


def _float_list(ds, keyword, n=None):
    """A numeric DICOM attribute as a list of floats (None if absent or malformed)."""
    value = ds.get(keyword)
    if value is None or value == "":
        return None
    items = [value] if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__") else list(value)
    try:
        out = [float(v) for v in items]
    except (TypeError, ValueError):
        return None
    return out if n is None or len(out) == n else None


def _read_headers(path: Path):
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        files = [path] if path.is_file() else sorted(
            p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    except OSError as exc:
        raise LoadError(f"{file_label(path)}: cannot list the folder: {exc.strerror or exc}") from exc
    headers, skipped = [], 0
    for f in files:
        try:
            ds = _read_header(f)
        except LoadError:
            raise  # over a budget: refused, not skipped as "not DICOM"
        except Exception as exc:  # pydicom's errors have no common base (NotImplementedError, ...)
            if path.is_file():
                why = ("no DICOM header: the 'DICM' marker is missing" if isinstance(exc, InvalidDicomError)
                       else one_line(exc))
                raise LoadError(f"{file_label(path)}: not a readable DICOM file ({why})") from exc
            skipped += 1
            continue
        if "Rows" not in ds or "Columns" not in ds:
            if path.is_file():
                modality = one_line(str(ds.get("Modality", "no modality")))[:32]  # a damaged value may hold anything
                raise LoadError(f"{file_label(path)}: DICOM object without an image ({modality!r})")
            skipped += 1  # DICOMDIR, structured reports, RT structures
            continue
        headers.append((f, ds))
    if not headers:
        raise LoadError(_no_dicom_message(path, files))
    return headers, skipped


#: What to do with a folder of masks or volumes: dicegui opens files, or pairs two folders as a worklist.
_OPEN_FILES_ADVICE = ("open one file per role (the image, the reference with --gt, the prediction with --pred), "
                      "or pair two folders of masks as a cohort worklist (--gt-dir DIR --pred-dir DIR, "
                      "or Review > Open cohort folders...)")


def _readable_counts(files) -> dict[str, int]:
    """How many of ``files`` are of each non-DICOM format dicegui reads (by name), e.g. {"NRRD": 21}."""
    from .formats import format_words, format_from_name

    counts: dict[str, int] = {}
    for f in files:
        fmt = format_from_name(f)
        if fmt not in (None, "dicom", "text"):
            word = format_words(fmt)
            counts[word] = counts.get(word, 0) + 1
    return counts


def _counts_text(counts: dict[str, int]) -> str:
    parts = [f"{n} {word} file{'s' if n != 1 else ''}" for word, n in sorted(counts.items(), key=lambda kv: -kv[1])]
    return " and ".join(parts)


def _no_dicom_message(path: Path, files) -> str:
    """Why a folder holds no DICOM image; when it holds masks or volumes of other formats, what to open instead.

    A folder of NRRD or NIfTI masks (one per structure, as in the DeepMind
    head-and-neck set) was reported as "no DICOM images found", which sent
    users looking for a DICOM problem.
    """
    label = file_label(path)
    counts = _readable_counts(files)
    if counts:
        examples = ", ".join(f.name for f in files[:2]) + (", ..." if len(files) > 2 else "")
        return (f"{label}: no DICOM series in this folder; it holds {_counts_text(counts)} ({examples}): "
                + _OPEN_FILES_ADVICE)
    try:
        subfolders = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        subfolders = []
    inside = {}
    for sub in subfolders[:20]:  # a glance, not a crawl of a whole archive
        try:
            sub_counts = _readable_counts(sorted(p for p in sub.iterdir() if p.is_file()))
        except OSError:
            continue
        if sub_counts:
            inside[sub.name] = sub_counts
    if inside:
        where = "; ".join(f"{name}/ {_counts_text(c)}" for name, c in inside.items())
        return (f"{label}: no DICOM series in this folder; its subfolders hold other files ({where}): "
                + _OPEN_FILES_ADVICE)
    return f"{label}: no DICOM images found ({len(files)} files looked at)"


def _one_series(headers, path):
    series: dict[str, list] = {}
    for f, ds in headers:
        series.setdefault(str(ds.get("SeriesInstanceUID", "?")), []).append((f, ds))
    if len(series) > 1:
        parts = []
        for uid, items in sorted(series.items(), key=lambda kv: -len(kv[1])):
            desc = str(items[0][1].get("SeriesDescription", "")).strip()
            parts.append(f"{uid} ({len(items)} files{', ' + desc if desc else ''})")
        raise LoadError(
            f"{file_label(path)}: holds {len(series)} DICOM series: {'; '.join(parts)}; "
            "put one series per folder or open one file"
        )
    return next(iter(series.values()))


def _check_same(items, keyword, path, what):
    values = {str(ds.get(keyword)) for _f, ds in items}
    if len(values) > 1:
        raise LoadError(f"{file_label(path)}: slices differ in {what} ({', '.join(sorted(values))}); not one volume")


def _check_series_tags(items, path) -> None:
    """Refuse tags that would silently change the pixels or the grid, naming the file and the tag.

    Only the first slice's PixelSpacing builds the affine, so slices that
    differ would be drawn at the wrong size; a negative spacing would mirror
    the image; RescaleSlope 0 maps every pixel to the intercept (and was read
    as 1); MONOCHROME1 slices among MONOCHROME2 ones are stored inverted.
    """
    spacings = {}
    for f, ds in items:
        if "PixelSpacing" in ds:
            ps = _float_list(ds, "PixelSpacing", 2)
            if ps is None or not all(np.isfinite(v) and v > 0 for v in ps):
                raise LoadError(f"{file_label(f)}: PixelSpacing (0028,0030) is {ds.get('PixelSpacing')}; "
                                "it must be two positive numbers")
            spacings.setdefault(tuple(round(v, 6) for v in ps), f)
        slope = ds.get("RescaleSlope")
        if slope not in (None, "") and _float_list(ds, "RescaleSlope") == [0.0]:
            raise LoadError(f"{file_label(f)}: RescaleSlope (0028,1053) is 0: every pixel would become "
                            "the intercept; the header is damaged")
    if len(spacings) > 1:
        shown = "; ".join(f"{list(ps)} in {file_label(f)}" for ps, f in list(spacings.items())[:3])
        raise LoadError(f"{file_label(path)}: slices differ in PixelSpacing (0028,0030): {shown}; not one grid")
    kinds = {}
    for f, ds in items:
        kinds.setdefault(str(ds.get("PhotometricInterpretation", "")).strip(), f)
    if {"MONOCHROME1", "MONOCHROME2"} <= set(kinds):
        raise LoadError(f"{file_label(path)}: slices differ in PhotometricInterpretation (0028,0004): MONOCHROME1 in "
                        f"{file_label(kinds['MONOCHROME1'])}, MONOCHROME2 in {file_label(kinds['MONOCHROME2'])} "
                        "(one of them is stored inverted); not one volume")


def _slice_vector(positions: np.ndarray, normal: np.ndarray, path) -> np.ndarray:
    """The step between slices, after checking the slices are evenly spaced."""
    n = len(positions)
    dist = positions @ normal
    steps = np.diff(dist)
    if np.any(np.abs(steps) < 1e-4):
        dup = int(np.sum(np.abs(steps) < 1e-4))
        raise LoadError(
            f"{file_label(path)}: {dup} slice position(s) occur more than once: the series holds several "
            "volumes (time points, echoes or repeated acquisitions); separate them into folders"
        )
    vec = (positions[-1] - positions[0]) / (n - 1)
    expected = positions[0] + np.outer(np.arange(n), vec)
    err = np.linalg.norm(positions - expected, axis=1)
    step = float(np.median(steps))
    if err.max() > max(1e-2, 0.05 * abs(step)):
        gaps = np.flatnonzero(np.abs(steps - step) > max(1e-2, 0.05 * abs(step)))
        k = int(gaps[0])
        missing = int(round(sum(steps[g] / step - 1 for g in gaps if steps[g] > step)))
        raise LoadError(
            f"{file_label(path)}: irregular slice spacing: {steps[k]:.4g} mm between slices {k} and {k + 1} "
            f"(at {dist[k]:.4g} and {dist[k + 1]:.4g} mm) where the spacing is {step:.4g} mm"
            + (f"; about {missing} slice(s) missing" if missing > 0 else "")
            + "; dicegui does not interpolate: complete the series"
        )
    return vec


def _frame_geometry(ds, path):
    """(positions (n, 3), orientation (6,), pixel spacing (2,)) for a multi-frame file."""
    n = int(ds.get("NumberOfFrames", 1))
    shared = ds.get("SharedFunctionalGroupsSequence", [None])[0]
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")

    def from_groups(groups, seq, keyword, count):
        if groups is None or seq not in groups:
            return None
        return _float_list(groups[seq][0], keyword, count)

    if per_frame is not None:
        positions, iop, ps = [], None, None
        for fg in per_frame:
            pos = from_groups(fg, "PlanePositionSequence", "ImagePositionPatient", 3)
            if pos is None:
                raise LoadError(f"{file_label(path)}: multi-frame DICOM without per-frame positions")
            positions.append(pos)
            iop = iop or from_groups(fg, "PlaneOrientationSequence", "ImageOrientationPatient", 6)
            ps = ps or from_groups(fg, "PixelMeasuresSequence", "PixelSpacing", 2)
        iop = iop or from_groups(shared, "PlaneOrientationSequence", "ImageOrientationPatient", 6)
        ps = ps or from_groups(shared, "PixelMeasuresSequence", "PixelSpacing", 2)
        return np.array(positions), iop, ps
    offsets = _float_list(ds, "GridFrameOffsetVector")
    ipp, iop = _float_list(ds, "ImagePositionPatient", 3), _float_list(ds, "ImageOrientationPatient", 6)
    if offsets is None or ipp is None or iop is None or len(offsets) != n:
        raise LoadError(f"{file_label(path)}: multi-frame DICOM ({n} frames) without frame positions")
    normal = np.cross(iop[:3], iop[3:])
    return np.array(ipp) + np.outer(offsets, normal), iop, _float_list(ds, "PixelSpacing", 2)


def _value_dtype(items) -> tuple[np.dtype, bool]:
    """Output dtype after rescaling, and whether any rescale applies."""
    lo = hi = 0.0
    whole, rescaled = True, False
    for _f, ds in items:
        slope = float(ds.get("RescaleSlope", 1) or 1)
        inter = float(ds.get("RescaleIntercept", 0) or 0)
        rescaled |= slope != 1 or inter != 0
        whole &= slope == 1 and inter == int(inter)
        bits = int(ds.get("BitsStored", ds.get("BitsAllocated", 16)))
        signed = int(ds.get("PixelRepresentation", 0)) == 1
        smin, smax = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2 ** bits - 1)
        lo, hi = min(lo, smin * slope + inter), max(hi, smax * slope + inter)
    if whole:
        dt = smallest_int_dtype(lo, hi)
        if dt is not None:
            return dt, rescaled
    return np.dtype(np.float32), rescaled


def _check_pixel_bytes(items, rows: int, cols: int, n: int, path) -> None:
    """Refuse files too small for the pixels their headers declare (before allocating them).

    Only for transfer syntaxes whose size bound is known: native (uncompressed)
    pixels are stored as is, deflated ones expand at most 1032:1; JPEG and
    friends are left to the decoder.
    """
    first = items[0][1]
    syntax = getattr(getattr(first, "file_meta", None), "TransferSyntaxUID", None)
    if syntax is None:
        return
    try:
        compressed, deflated = syntax.is_compressed, syntax.is_deflated
    except (AttributeError, ValueError):
        return  # a private or malformed transfer syntax: let the decoder judge
    if compressed and not deflated:
        return
    bits = int(first.get("BitsAllocated", 16) or 16)
    samples = int(first.get("SamplesPerPixel", 1) or 1)
    need = -(-rows * cols * samples * n * bits // 8)
    try:
        have = sum(f.stat().st_size for f, _ds in items)
    except OSError:
        return
    check_stored(path, need, have, "deflate" if deflated else None, "pixel data")


def _read_header(f):
    """The header of one file, within a byte budget (elements above 1 MiB stay on disk until used)."""
    import pydicom

    if is_deflated(f):
        return read_deflated(f, pixels=False)
    return pydicom.dcmread(f, stop_before_pixels=True, defer_size="1 MB")


def _pixel_bytes(ds) -> int:
    rows, cols = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
    bits = int(ds.get("BitsAllocated", 16) or 16)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    return -(-rows * cols * samples * frames * bits // 8)


def _pixels(f, header=None):
    import pydicom

    with reading(f, "DICOM pixel data"):
        syntax = str(getattr(getattr(header, "file_meta", None), "TransferSyntaxUID", ""))
        if header is not None and syntax == DEFLATED_SYNTAX:
            ds = read_deflated(f, pixels=True, pixel_bytes=_pixel_bytes(header))
        else:
            # Large elements stay on disk until used: only the pixels are.
            ds = pydicom.dcmread(f, defer_size="1 MB")
        try:
            arr = ds.pixel_array
        except Exception as exc:
            ts = ds.file_meta.get("TransferSyntaxUID")
            name = getattr(ts, "name", str(ts))
            # Only an encapsulated (JPEG, JPEG 2000, RLE...) syntax needs a decoder
            # plug-in; anything else failed on the data itself.
            needs_plugin = getattr(ts, "is_encapsulated", False) and "handler" in str(exc).lower() \
                or "plugin" in str(exc).lower() or "decoder" in str(exc).lower()
            hint = ("; install pylibjpeg or convert the series to uncompressed DICOM or NIfTI" if needs_plugin
                    else "; the file is damaged")
            raise LoadError(f"{file_label(f)}: cannot decode DICOM pixels ({name}): {one_line(exc)}{hint}") from exc
    return arr


def _to_gray(arr: np.ndarray, ds, meta, warnings, path) -> np.ndarray:
    if int(ds.get("SamplesPerPixel", 1)) == 1:
        return arr
    if all(np.array_equal(arr[..., 0], arr[..., c]) for c in range(1, arr.shape[-1])):
        return arr[..., 0]
    meta["color"] = True
    warnings.append(f"{file_label(path)}: colour DICOM shown as gray-level luminance")
    return (arr[..., :3] @ np.array([0.299, 0.587, 0.114])).astype(np.float32)


def read_dicom(path) -> Volume:
    """Read a DICOM series folder (or one DICOM file) into a Volume."""
    path = Path(path)
    # pydicom decodes elements when they are first used, so a damaged
    # element can fail in any attribute access, long after dcmread.
    with reading(path, "DICOM data"):
        return _read_dicom(path)


def _read_dicom(path: Path) -> Volume:
    headers, skipped = _read_headers(path)
    items = _one_series(headers, path)
    first = items[0][1]
    if str(first.get("SOPClassUID", "")) == _SEG_SOP_CLASS:
        raise LoadError(
            f"{file_label(path)}: DICOM SEG objects are not read yet on their own: a SEG is read onto the image "
            "series it segments (dicegui score SERIES_DIR --gt-seg/--pred-seg FILE), or convert it to NIfTI"
        )
    for keyword, what in (("Rows", "rows"), ("Columns", "columns"), ("SamplesPerPixel", "samples per pixel")):
        _check_same(items, keyword, path, what)
    _check_series_tags(items, path)
    rows, cols = int(first.Rows), int(first.Columns)
    n_frames = int(first.get("NumberOfFrames", 1) or 1)
    if n_frames > 1 and len(items) > 1:
        raise LoadError(f"{file_label(path)}: several multi-frame DICOM files in one series; open one file")
    n = n_frames if n_frames > 1 else len(items)
    out_dtype, rescaled = _value_dtype(items)
    check_size(path, (rows, cols, n), max(out_dtype.itemsize, 4))
    _check_pixel_bytes(items, rows, cols, n, path)
    meta, warnings = {"skipped_files": skipped, "photometric": str(first.get("PhotometricInterpretation", ""))}, []

    if n_frames > 1:
        positions, iop, ps = _frame_geometry(first, path)
    else:
        positions = [_float_list(ds, "ImagePositionPatient", 3) for _f, ds in items]
        iop = _float_list(first, "ImageOrientationPatient", 6)
        ps = _float_list(first, "PixelSpacing", 2) or _float_list(first, "ImagerPixelSpacing", 2)
        if any(p is None for p in positions):
            positions = None
        if len(items) > 1:
            orients = {tuple(np.round(_float_list(ds, "ImageOrientationPatient", 6) or [0] * 6, 4)) for _f, ds in items}
            if len(orients) > 1:
                raise LoadError(f"{file_label(path)}: slices have {len(orients)} different orientations; not one volume")
    has_geometry = positions is not None and iop is not None
    if not has_geometry and n > 1:
        raise LoadError(f"{file_label(path)}: DICOM slices without ImagePositionPatient/ImageOrientationPatient cannot be stacked")
    row_cos, col_cos = (np.array(iop[:3]), np.array(iop[3:])) if iop else (np.array([1.0, 0, 0]), np.array([0, 1.0, 0]))
    normal = np.cross(row_cos, col_cos)
    order = list(range(n))
    if has_geometry:
        positions = np.asarray(positions, dtype=float)
        order = list(np.argsort(positions @ normal, kind="stable"))
        positions = positions[order]
        if n > 1:
            vec = _slice_vector(positions, normal, path)
        else:
            thick = _float_list(first, "SpacingBetweenSlices") or _float_list(first, "SliceThickness") or [1.0]
            vec = normal * (abs(thick[0]) or 1.0)
        if n > 1 and abs(np.dot(vec / np.linalg.norm(vec), normal)) < 0.9999:
            tilt = float(np.degrees(np.arccos(min(1.0, abs(np.dot(vec / np.linalg.norm(vec), normal))))))
            warnings.append(f"{file_label(path)}: slices are sheared by {tilt:.2g}° (gantry tilt); kept as a sheared grid")
        origin = positions[0]
    else:
        vec, origin = normal * 1.0, np.zeros(3)
    ps = ps or [1.0, 1.0]
    lps = np.eye(4)
    lps[:3, 0] = col_cos * ps[0]  # down the rows: i
    lps[:3, 1] = row_cos * ps[1]  # along a row: j
    lps[:3, 2] = vec
    lps[:3, 3] = origin

    data = np.empty((rows, cols, n), dtype=out_dtype)
    if n_frames > 1:
        frames = _pixels(items[0][0], first)
        frames = _to_gray(frames, first, meta, warnings, path)
        slope, inter = float(first.get("RescaleSlope", 1) or 1), float(first.get("RescaleIntercept", 0) or 0)
        for k, src in enumerate(order):
            data[:, :, k] = frames[src] * slope + inter if rescaled else frames[src]
        sorted_items = items
    else:
        sorted_items = [items[i] for i in order]
        for k, (f, ds) in enumerate(sorted_items):
            arr = _to_gray(_pixels(f, ds), ds, meta, warnings, path)
            if arr.shape[:2] != (rows, cols):
                raise LoadError(f"{file_label(f)}: pixel data is {arr.shape}, header says {rows}×{cols}")
            if rescaled:
                slope, inter = float(ds.get("RescaleSlope", 1) or 1), float(ds.get("RescaleIntercept", 0) or 0)
                data[:, :, k] = arr * slope + inter
            else:
                data[:, :, k] = arr
    if skipped:
        warnings.append(f"{file_label(path)}: {skipped} non-image or non-DICOM file(s) ignored")
    if warnings:
        meta["warnings"] = warnings
    meta.update({
        "series_uid": str(first.get("SeriesInstanceUID", "")),
        "rescaled": rescaled,
        "has_geometry": has_geometry,
        "multiframe_order": order if n_frames > 1 else None,
    })
    return Volume(
        data=data, affine=LPS_TO_RAS @ lps + 0.0, path=path, source_format="dicom",
        header={"files": [f for f, _ds in sorted_items], "datasets": [ds for _f, ds in sorted_items]},
        is_2d=(n == 1 and n_frames == 1 and path.is_file()), meta=meta,
    )


def _stored(values: np.ndarray, ds, target) -> np.ndarray:
    """Rescaled values back to the stored integers of ``ds``'s pixel format."""
    slope = float(ds.get("RescaleSlope", 1) or 1)
    inter = float(ds.get("RescaleIntercept", 0) or 0)
    raw = np.rint((values.astype(np.float64) - inter) / slope)
    bits = int(ds.get("BitsAllocated", 16))
    signed = int(ds.get("PixelRepresentation", 0)) == 1
    dtype = np.dtype(f"{'i' if signed else 'u'}{bits // 8}")
    info = np.iinfo(dtype)
    if raw.size and (raw.min() < info.min or raw.max() > info.max):
        raise SaveError(f"{file_label(target)}: values do not fit the DICOM pixel format ({dtype})")
    return raw.astype(dtype.newbyteorder("<"))


def dicom_slice_datasets(volume: Volume, data: np.ndarray, target):
    """Yield ``(file name, dataset)`` pairs holding ``data``, slice by slice."""
    import pydicom
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    if volume.source_format != "dicom" or not isinstance(volume.header, dict):
        raise SaveError(f"{file_label(target)}: only volumes read from DICOM can be written as DICOM")
    if volume.meta.get("multiframe_order") is not None:
        raise SaveError(f"{file_label(target)}: writing multi-frame DICOM is not supported; save as .nii.gz")
    datasets, files = volume.header["datasets"], volume.header["files"]
    changed = not np.array_equal(data, volume.data)
    series_uid = generate_uid() if changed else None
    for k, (ds0, f) in enumerate(zip(datasets, files)):
        ds = copy.deepcopy(ds0)
        stored = _stored(data[:, :, k], ds, target)
        if int(ds.get("SamplesPerPixel", 1)) != 1:
            raise SaveError(f"{file_label(target)}: colour DICOM cannot be written back; save as .nii.gz")
        ds.PixelData = stored.tobytes()
        ds["PixelData"].VR = "OW" if stored.dtype.itemsize > 1 else "OB"
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        if changed:
            # Changed pixels make a new DICOM instance in a new series.
            uid = generate_uid()
            ds.SOPInstanceUID = uid
            ds.file_meta.MediaStorageSOPInstanceUID = uid
            ds.SeriesInstanceUID = series_uid
        yield Path(f).name, ds


def _write_ds(fh, ds):
    import pydicom

    pydicom.dcmwrite(fh, ds, implicit_vr=False, little_endian=True, enforce_file_format=True)


def dicom_series_writer(volume: Volume, data: np.ndarray, target):
    """Return ``write(folder)`` writing one DICOM file per slice into ``folder``."""
    slices = list(dicom_slice_datasets(volume, data, target))

    def write(folder: Path):
        for name, ds in slices:
            with open(folder / name, "wb") as fh:
                _write_ds(fh, ds)

    return write


def dicom_file_writer(volume: Volume, data: np.ndarray, target):
    """Return ``write(fileobj)`` writing a one-slice volume as one DICOM file."""
    if data.shape[2] != 1:
        raise SaveError(f"{file_label(target)}: a {data.shape[2]}-slice series is written to a folder, not one file")
    (_name, ds), = list(dicom_slice_datasets(volume, data, target))

    def write(fh):
        _write_ds(fh, ds)

    return write
