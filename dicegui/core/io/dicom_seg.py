"""DICOM SEG in and out, through highdicom, on the series the segments were drawn on.

A SEG stores one binary (or fractional) frame per segment and source slice and
names, for each frame, the source image it segments. Reading asks highdicom
for the frames of the series' own SOP instances in dicegui's slice order
(``get_pixels_by_source_instance``), so the label map lands on the series'
grid without resampling or guessing from positions; slices without a frame are
empty. A SEG whose frames name no source image is placed by each frame's
ImagePositionPatient instead, which must fall on a slice of the series (same
orientation and in-plane origin). highdicom validates the SEG as it parses it.

Writing builds a new SEG instance (new series, "dicegui corrected") that
references every slice of the series. A SEG numbers its segments 1..N, so
labels are written in ascending order as segments 1..N; a label map whose
labels already run 1..N reads back identical. Segment names are the label
names given; colours, when given, become the recommended display colours.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .atomic import atomic_write
from .dicom_labels import (DicomLabels, check_label_map, check_series_uid, check_source_uids, combine_masks,
                           default_name, label_list, load_series, lps_affine, series_datasets)
from .errors import LoadError, SaveError, file_label, one_line

SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
_UID_HINT = ("a SEG must reference its source images by SOP Class/Instance UID and their study and series "
             "by Study/Series Instance UID; the series lacks one of them")


def _highdicom():
    try:
        import highdicom
    except ImportError as exc:  # an optional extra: say how to get it
        raise LoadError("DICOM SEG needs highdicom: pip install 'dicegui[dicom]'") from exc
    return highdicom


def _read_seg_file(seg_path: Path):
    hd = _highdicom()
    import pydicom

    try:
        ds = pydicom.dcmread(seg_path)
    except Exception as exc:  # pydicom's errors have no common base
        raise LoadError(f"{file_label(seg_path)}: not a readable DICOM file ({one_line(exc)})") from exc
    if str(ds.get("SOPClassUID", "")) != SEG_SOP_CLASS:
        raise LoadError(f"{file_label(seg_path)}: not a DICOM SEG (SOP class {ds.get('SOPClassUID', 'missing')}, "
                        f"modality {ds.get('Modality', 'missing')})")
    try:
        return hd.seg.Segmentation.from_dataset(ds, copy=False)
    except Exception as exc:  # highdicom's validation raises ValueError/AttributeError/KeyError
        raise LoadError(f"{file_label(seg_path)}: invalid DICOM SEG: {one_line(exc)}") from exc


def _referenced_series_uid(seg) -> str | None:
    refs = seg.get("ReferencedSeriesSequence") or []
    uids = {str(item.get("SeriesInstanceUID", "")) for item in refs} - {""}
    return next(iter(uids)) if len(uids) == 1 else None


def _segments(seg) -> tuple[dict, dict]:
    names, colors = {}, {}
    hd = _highdicom()
    for number in seg.segment_numbers:
        desc = seg.get_segment_description(number)
        names[int(number)] = str(desc.get("SegmentLabel", "")).strip() or default_name(int(number))
        lab = desc.get("RecommendedDisplayCIELabValue")
        if lab is not None:
            try:
                colors[int(number)] = tuple(int(c) for c in hd.color.CIELabColor.from_dicom_value(lab).to_rgb(clip=True))
            except (ValueError, TypeError):
                pass  # a damaged colour is not worth refusing the segment
    return names, colors


def _check_sources(seg, seg_path, series) -> list:
    """The series' SOP instance UIDs in slice order, after checking the SEG's frames point into them."""
    uids = [str(ds.SOPInstanceUID) for ds in series_datasets(series)]
    referenced = {str(sop) for _study, _series, sop in seg.get_source_image_uids()}
    foreign = referenced - set(uids)
    if foreign:
        raise LoadError(
            f"{file_label(seg_path)}: {len(foreign)} of the {len(referenced)} source images it segments are not "
            f"in {file_label(series.path)} (e.g. {sorted(foreign)[0]}); open the complete series it was drawn on"
        )
    rows, cols = series.data.shape[:2]
    if (int(seg.Rows), int(seg.Columns)) != (rows, cols):
        raise LoadError(f"{file_label(seg_path)}: frames are {seg.Rows}×{seg.Columns}, the series' slices "
                        f"{rows}×{cols}; not the same grid")
    return uids


def _frames(seg, uids, seg_path, **kw) -> np.ndarray:
    """highdicom's ``(slices, rows, columns[, segments])`` as dicegui's ``(rows, columns, slices[, ...])``."""
    try:
        arr = seg.get_pixels_by_source_instance(uids, assert_missing_frames_are_empty=True, **kw)
    except Exception as exc:
        raise LoadError(f"{file_label(seg_path)}: cannot read the segments: {one_line(exc)}") from exc
    return np.moveaxis(arr, 0, 2)


def _frame_iop(seg, fg):
    for groups in (fg, (seg.get("SharedFunctionalGroupsSequence") or [None])[0]):
        if groups is not None and "PlaneOrientationSequence" in groups:
            return [float(v) for v in groups.PlaneOrientationSequence[0].ImageOrientationPatient]
    return None


def _slice_of_frame(seg, fg, inverse, series_iop, n, seg_path, f) -> int:
    """The series slice a frame lies on, from its position and orientation (no source reference)."""
    iop = _frame_iop(seg, fg)
    if iop is None or "PlanePositionSequence" not in fg or not np.allclose(iop, series_iop, atol=1e-4):
        raise LoadError(f"{file_label(seg_path)}: frame {f + 1} names no source image and is not in the plane of "
                        f"the series' slices (orientation {iop}, series {list(series_iop)})")
    pos = [float(v) for v in fg.PlanePositionSequence[0].ImagePositionPatient]
    i, j, k = (inverse @ np.r_[pos, 1.0])[:3]
    if abs(i) > 1e-3 or abs(j) > 1e-3 or abs(k - round(k)) > 1e-2 or not 0 <= round(k) < n:
        raise LoadError(f"{file_label(seg_path)}: frame {f + 1} names no source image and its position {pos} "
                        "is not on a slice of the series; dicegui does not resample")
    return int(round(k))


def _masks_by_position(seg, series, seg_path, numbers):
    """One boolean mask per segment, frames placed by ImagePositionPatient (SEGs without source references)."""
    inverse = np.linalg.inv(lps_affine(series))
    series_iop = [float(v) for v in series_datasets(series)[0].ImageOrientationPatient]
    shape = series.data.shape
    try:
        frames = seg.pixel_array.reshape(-1, *shape[:2])
    except Exception as exc:  # pydicom's decoders raise many types
        raise LoadError(f"{file_label(seg_path)}: cannot decode the SEG frames: {one_line(exc)}") from exc
    cut = 0.5 * float(seg.get("MaximumFractionalValue", 1) or 1) if not _is_binary(seg) else 0.5
    placed = []
    for f, fg in enumerate(seg.PerFrameFunctionalGroupsSequence):
        number = int(fg.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        placed.append((number, _slice_of_frame(seg, fg, inverse, series_iop, shape[2], seg_path, f), f))
    for number in numbers:
        mask = np.zeros(shape, bool)
        for seg_number, k, f in placed:
            if seg_number == number:
                mask[:, :, k] |= frames[f] >= cut
        yield number, mask


def _has_source_frames(seg) -> bool:
    # each frame names its source image in its Derivation Image Sequence
    frames = seg.get("PerFrameFunctionalGroupsSequence") or []
    return bool(frames) and all("DerivationImageSequence" in fg for fg in frames)


def _is_binary(seg) -> bool:
    return str(seg.get("SegmentationType", "BINARY")).upper() in ("BINARY", "LABELMAP")


def _segment_masks(seg, uids, seg_path, numbers):
    """One boolean mask per segment; fractional segments are thresholded at one half."""
    for number in numbers:
        arr = _frames(seg, uids, seg_path, segment_numbers=[number], combine_segments=False)[..., 0]
        yield number, (arr >= 0.5 if arr.dtype.kind == "f" else arr != 0)


def _open(seg_path, series_dir):
    seg_path = Path(seg_path)
    seg = _read_seg_file(seg_path)
    series = load_series(series_dir)
    check_series_uid(seg_path, _referenced_series_uid(seg), series, "SEG")
    uids = _check_sources(seg, seg_path, series)
    names, colors = _segments(seg)
    warnings = [] if _is_binary(seg) else [
        f"{file_label(seg_path)}: fractional segments ({seg.get('SegmentationFractionalType', '')}) thresholded at 0.5"]
    return seg_path, seg, series, uids, names, colors, warnings


def read_seg(seg_path, series_dir) -> DicomLabels:
    """Read a DICOM SEG as a label map on its series' grid.

    Parameters
    ----------
    seg_path : str or Path
        The SEG file.
    series_dir : str, Path or Volume
        The folder (or the loaded Volume) of the image series the SEG segments.

    Returns
    -------
    DicomLabels
        ``label_map[i, j, k]`` aligned with ``read_dicom(series_dir).data``;
        label = segment number; ``names`` / ``colors`` from the segment
        descriptions.

    Raises
    ------
    LoadError
        The file is not a valid SEG, refers to another series (both UIDs
        named) or to images not in the folder, or segments overlap (the
        overlapping segments are named; use :func:`read_seg_split`).
    """
    seg_path, seg, series, uids, names, colors, warnings = _open(seg_path, series_dir)
    shape = series.data.shape
    if not _has_source_frames(seg):
        masks = _masks_by_position(seg, series, seg_path, sorted(names))
        label_map = combine_masks(masks, names, shape, seg_path, "segments")
        return DicomLabels(label_map, names, colors, series, seg_path, "seg", warnings)
    if _is_binary(seg):
        try:
            arr = seg.get_pixels_by_source_instance(uids, combine_segments=True, relabel=False,
                                                    assert_missing_frames_are_empty=True)
            label_map = np.moveaxis(arr, 0, 2)
        except Exception:  # overlapping segments (or any failure): the slow path names what is wrong
            label_map = None
        if label_map is not None:
            dtype = np.uint8 if max(names, default=1) <= 255 else np.uint16
            # a view (slices outermost in memory): a transposing copy of 100×512×512 costs 0.14 s, and
            # the case loader lays the mask out like the image anyway
            return DicomLabels(label_map.astype(dtype, copy=False), names, colors, series,
                               seg_path, "seg", warnings)
    masks = _segment_masks(seg, uids, seg_path, sorted(names))
    label_map = combine_masks(masks, names, shape, seg_path, "segments")
    return DicomLabels(label_map, names, colors, series, seg_path, "seg", warnings)


def read_seg_split(seg_path, series_dir) -> list:
    """Read each segment of a SEG as its own binary label map (for overlapping segments).

    Returns
    -------
    list of DicomLabels
        One per segment, in segment order; each ``label_map`` holds 0 and the
        segment number, ``names`` that one segment.
    """
    seg_path, seg, series, uids, names, colors, warnings = _open(seg_path, series_dir)
    out = []
    masks = (_segment_masks(seg, uids, seg_path, sorted(names)) if _has_source_frames(seg)
             else _masks_by_position(seg, series, seg_path, sorted(names)))
    for number, mask in masks:
        dtype = np.uint8 if number <= 255 else np.uint16
        out.append(DicomLabels(mask.astype(dtype) * dtype(number), {number: names[number]},
                               {number: colors[number]} if number in colors else {}, series, seg_path, "seg",
                               list(warnings)))
    return out


def _segment_description(hd, number: int, name: str, rgb):
    from pydicom.sr.codedict import codes

    return hd.seg.SegmentDescription(
        segment_number=number,
        segment_label=name[:64],
        segmented_property_category=codes.SCT.Tissue,
        segmented_property_type=codes.SCT.Tissue,
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        display_color=None if rgb is None else hd.color.CIELabColor.from_rgb(*[int(c) for c in rgb[:3]]),
    )


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("dicegui")
    except Exception:  # not installed (a source checkout): still a valid SEG
        return "dev"


def _build_seg(hd, sources, pixels, descriptions, series_description, target):
    from pydicom.uid import generate_uid

    try:
        seg = hd.seg.Segmentation(
            source_images=sources, pixel_array=pixels, segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
            segment_descriptions=descriptions, series_instance_uid=generate_uid(), series_number=900,
            sop_instance_uid=generate_uid(), instance_number=1, manufacturer="dicegui",
            manufacturer_model_name="dicegui", software_versions=_version(), device_serial_number="none",
            content_label="DICEGUI", content_description=series_description[:64],
        )
    except (AttributeError, KeyError) as exc:
        raise SaveError(f"{file_label(target)}: cannot write a SEG: {_UID_HINT} ({one_line(exc)})") from exc
    except Exception as exc:  # highdicom's checks raise ValueError/TypeError
        raise SaveError(f"{file_label(target)}: cannot write a SEG: {one_line(exc)}") from exc
    seg.SeriesDescription = series_description[:64]
    return seg


def write_seg(label_map, series_dir, out_path, names=None, colors=None, *,
              series_description: str = "dicegui corrected", overwrite: bool = False) -> Path:
    """Write a label map as a new DICOM SEG instance referencing the series.

    Parameters
    ----------
    label_map : numpy.ndarray
        ``(rows, columns, slices)`` on the series' grid as ``read_dicom``
        loads it (what :func:`read_seg` returns).
    series_dir : str, Path or Volume
        The image series' folder (or the series as ``read_dicom`` loaded it).
    out_path : str or Path
        The ``.dcm`` file to write (atomically).
    names : dict, optional
        ``{label: name}``; a label without one is named ``label <L>``.
    colors : dict, optional
        ``{label: (r, g, b)}`` 0-255, the segments' display colours.
    series_description : str
        The new series' description.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The file written. Labels are written in ascending order as segments
        1..N (a SEG's numbering), so labels 1..N read back unchanged.

    Raises
    ------
    SaveError
        The mask is not on the series' grid, is empty, or the series lacks
        the UIDs a SEG must reference.
    """
    hd = _highdicom()
    target = Path(out_path)
    series = load_series(series_dir, error=SaveError)
    labels_map = check_label_map(label_map, series, target)
    labels = label_list(labels_map)
    if not labels:
        raise SaveError(f"{file_label(target)}: the mask is empty; a SEG needs at least one segment")
    sources = series_datasets(series)
    check_source_uids(sources, series.path, target, "a SEG")
    names, colors = dict(names or {}), dict(colors or {})
    lut = np.zeros(max(labels) + 1, dtype=np.uint16 if len(labels) > 255 else np.uint8)
    lut[labels] = np.arange(1, len(labels) + 1)
    pixels = np.ascontiguousarray(np.moveaxis(lut[labels_map], 2, 0))
    descriptions = [_segment_description(hd, n, str(names.get(label) or default_name(label)), colors.get(label))
                    for n, label in enumerate(labels, start=1)]
    seg = _build_seg(hd, sources, pixels, descriptions, series_description, target)
    return atomic_write(target, lambda fh: seg.save_as(fh, enforce_file_format=True), overwrite=overwrite)
