"""DICOM RT Structure Sets in and out: contours in patient millimetres, rasterised on the series.

An RT Structure Set draws each ROI as closed planar polygons, one or more per
slice, in patient coordinates (LPS, mm). Reading maps every contour point to
voxel indices through the series' own geometry (the inverse of the affine
:func:`read_dicom` builds from ImagePositionPatient, ImageOrientationPatient
and PixelSpacing), matches the contour to the slice it lies on by its position
along the slice normal, and fills it as ``skimage.draw.polygon`` does (a pixel
is inside when its centre is; :mod:`polygon_fill` does it row by row, 40 times
faster on organ outlines). Contours of one ROI on one slice combine by
exclusive or, the usual encoding of holes (a contour inside another cuts it
out). A contour that lies between slices (more than ``_SLICE_TOLERANCE`` of a
slice step away) or outside the series is skipped with a warning.

Writing traces each label slice by slice with ``skimage.measure.find_contours``
at level 0.5 on the zero-padded mask, which runs through the midpoints between
inside and outside pixel centres, and keeps only the corners
(``approximate_polygon`` with tolerance 0). Filled again, such a polygon holds
exactly the pixels it was traced from (each centre is at least 0.35 pixel from
the line), holes included, so write then read gives back the label map.

We rasterise ourselves rather than through rt-utils: it needs OpenCV, assumes
axis-aligned slices, and would not share the series loader's geometry.
"""
from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from .dicom_labels import (DicomLabels, check_label_map, check_series_uid, check_source_uids, combine_masks,
                           default_name, label_list, load_series, lps_affine, series_datasets)
from .errors import LoadError, SaveError, file_label, one_line
from .polygon_fill import fill_polygon

RTSTRUCT_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.481.3"
_SLICE_TOLERANCE = 0.25  # of a slice step: a contour farther from every slice is not on the series
_DEFAULT_COLORS = [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
                   (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212)]


# --------------------------------------------------------------------------- reading


def _read_file(path: Path):
    import pydicom

    try:
        ds = pydicom.dcmread(path)
    except Exception as exc:  # pydicom's errors have no common base
        raise LoadError(f"{file_label(path)}: not a readable DICOM file ({one_line(exc)})") from exc
    if str(ds.get("SOPClassUID", "")) != RTSTRUCT_SOP_CLASS and str(ds.get("Modality", "")) != "RTSTRUCT":
        raise LoadError(f"{file_label(path)}: not an RT Structure Set (SOP class {ds.get('SOPClassUID', 'missing')}, "
                        f"modality {ds.get('Modality', 'missing')})")
    if "StructureSetROISequence" not in ds:
        raise LoadError(f"{file_label(path)}: RT Structure Set without a Structure Set ROI Sequence (3006,0020)")
    return ds


def _referenced_series_uid(ds) -> str | None:
    uids = set()
    for frame in ds.get("ReferencedFrameOfReferenceSequence", []):
        for study in frame.get("RTReferencedStudySequence", []):
            for series in study.get("RTReferencedSeriesSequence", []):
                uids.add(str(series.get("SeriesInstanceUID", "")))
    uids.discard("")
    return next(iter(uids)) if len(uids) == 1 else None


def _check_frame_of_reference(ds, path, series) -> None:
    """Without a referenced series, the frame of reference decides (coordinates are only comparable within one)."""
    own = str(series_datasets(series)[0].get("FrameOfReferenceUID", ""))
    theirs = {str(r.get("ReferencedFrameOfReferenceUID", "")) for r in ds.StructureSetROISequence} - {""}
    if own and theirs and own not in theirs:
        raise LoadError(f"{file_label(path)}: the ROIs lie in frame of reference {sorted(theirs)[0]}, "
                        f"{file_label(series.path)} in {own}; open the series it was drawn on")


def _rois(ds) -> list:
    """``[(label, ROINumber, name)]`` in the order of the Structure Set ROI Sequence."""
    out = []
    for label, item in enumerate(ds.StructureSetROISequence, start=1):
        name = str(item.get("ROIName", "")).strip() or default_name(label)
        out.append((label, int(item.get("ROINumber", label)), name))
    return out


def _contours_by_roi(ds) -> dict:
    """``{ROINumber: (contour items, (r, g, b) or None)}``."""
    out = {}
    for item in ds.get("ROIContourSequence", []):
        color = item.get("ROIDisplayColor")
        rgb = tuple(int(c) for c in color) if color is not None and len(color) == 3 else None
        out[int(item.get("ReferencedROINumber", -1))] = (list(item.get("ContourSequence", [])), rgb)
    return out


def _to_voxels(points_mm: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    homog = np.c_[points_mm, np.ones(len(points_mm))]
    return (homog @ inverse.T)[:, :3]


def _contour_points(contour, path, name) -> np.ndarray | None:
    kind = str(contour.get("ContourGeometricType", "CLOSED_PLANAR")).upper()
    if kind not in ("CLOSED_PLANAR", "CLOSEDPLANAR_XOR"):
        return None  # points and open polylines enclose nothing
    element = contour.get_item(0x30060050)
    try:
        value = None if element is None else element.value
        if isinstance(value, bytes):  # still encoded: parse in one go, not value by value through pydicom
            pts = np.array(value.decode("ascii").replace(" ", "").split("\\"), dtype=float)
        else:
            pts = np.asarray([float(v) for v in (value or [])], dtype=float)
    except (TypeError, ValueError, UnicodeDecodeError) as exc:
        raise LoadError(f"{file_label(path)}: ROI {name!r}: ContourData (3006,0050) is not numeric") from exc
    if pts.size < 9 or pts.size % 3:
        raise LoadError(f"{file_label(path)}: ROI {name!r}: ContourData (3006,0050) holds {pts.size} values, "
                        "not three per point for at least three points")
    return pts.reshape(-1, 3)


def _rasterise_roi(contours, shape, inverse, path, name, warnings) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    skipped = 0
    for contour in contours:
        pts = _contour_points(contour, path, name)
        if pts is None:
            continue
        ijk = _to_voxels(pts, inverse)
        k_float = float(np.mean(ijk[:, 2]))
        k = int(round(k_float))
        if abs(k_float - k) > _SLICE_TOLERANCE or not 0 <= k < shape[2] \
                or np.ptp(ijk[:, 2]) > 2 * _SLICE_TOLERANCE:
            skipped += 1
            continue
        rr, cc = fill_polygon(ijk[:, 0], ijk[:, 1], shape[:2])
        mask[rr, cc, k] ^= True
    if skipped:
        warnings.append(f"{file_label(path)}: ROI {name!r}: {skipped} contour(s) not on a slice of the series "
                        "(between slices, tilted or outside) skipped")
    return mask


def _open(path, series_dir):
    path = Path(path)
    ds = _read_file(path)
    series = load_series(series_dir)
    check_series_uid(path, _referenced_series_uid(ds), series, "RT Structure Set")
    _check_frame_of_reference(ds, path, series)
    return path, ds, series


def _roi_masks(ds, path, series, warnings):
    """``(label, name, rgb, mask)`` for each ROI, one at a time, in ROI order."""
    inverse = np.linalg.inv(lps_affine(series))
    contours = _contours_by_roi(ds)
    for label, number, name in _rois(ds):
        items, rgb = contours.get(number, ([], None))
        yield label, name, rgb, _rasterise_roi(items, series.data.shape, inverse, path, name, warnings)


def read_rtstruct(path, series_dir) -> DicomLabels:
    """Read an RT Structure Set as a label map on its series' grid.

    Parameters
    ----------
    path : str or Path
        The RT Structure Set file.
    series_dir : str, Path or Volume
        The folder (or the loaded Volume) of the image series its contours were drawn on.

    Returns
    -------
    DicomLabels
        Label ``n`` is the ``n``-th ROI of the Structure Set ROI Sequence
        (ROIs without contours keep their label and stay empty); ``names``
        are the ROI names, ``colors`` their display colours.

    Raises
    ------
    LoadError
        Not an RT Structure Set, another series or frame of reference (both
        UIDs named), malformed contour data, or ROIs that overlap (named; use
        :func:`read_rtstruct_split`).
    """
    path, ds, series = _open(path, series_dir)
    names = {label: name for label, _number, name in _rois(ds)}
    colors, warnings = {}, []

    def masks():
        for label, _name, rgb, mask in _roi_masks(ds, path, series, warnings):
            if rgb is not None:
                colors[label] = rgb
            yield label, mask

    label_map = combine_masks(masks(), names, series.data.shape, path, "ROIs")
    return DicomLabels(label_map, names, colors, series, path, "rtstruct", warnings)


def read_rtstruct_split(path, series_dir) -> list:
    """Read each ROI of an RT Structure Set as its own binary label map (for overlapping ROIs).

    Returns
    -------
    list of DicomLabels
        One per ROI in ROI order; each ``label_map`` holds 0 and the ROI's label.
    """
    path, ds, series = _open(path, series_dir)
    out, warnings = [], []
    for label, name, rgb, mask in _roi_masks(ds, path, series, warnings):
        dtype = np.uint8 if label <= 255 else np.uint16
        out.append(DicomLabels(mask.astype(dtype) * dtype(label), {label: name}, {label: rgb} if rgb else {},
                               series, path, "rtstruct", warnings))
    return out


# --------------------------------------------------------------------------- writing


def slice_contours(mask2d: np.ndarray) -> list:
    """Closed polygons ``(m, 2)`` in (row, column) pixel indices around the pixels of a 2-D mask.

    Traced at level 0.5 on the zero-padded mask (so shapes touching the
    border close), collinear points dropped, the repeated last point removed.
    """
    from skimage.measure import approximate_polygon, find_contours

    padded = np.pad(mask2d.astype(np.float32), 1)
    out = []
    for c in find_contours(padded, 0.5):
        c = approximate_polygon(c, tolerance=0) - 1.0
        if len(c) > 1 and np.array_equal(c[0], c[-1]):
            c = c[:-1]
        if len(c) >= 3:
            out.append(c)
    return out


def _contour_data(points_mm: np.ndarray):
    """ContourData (3006,0050) as an encoded element.

    A decimal string holds at most 16 characters per value: ten significant
    digits fit ("-1.234567891e-05") and keep 1e-7 mm at 1 m. The text is
    stored encoded because pydicom would otherwise parse and validate each of
    the 160,000 values of two organs over 100 slices again (0.7 of 1.8 s).
    """
    from pydicom.dataelem import RawDataElement
    from pydicom.tag import Tag

    text = "\\".join(f"{float(v):.10g}" for v in points_mm.ravel()).encode("ascii")
    if len(text) % 2:
        text += b" "  # DICOM values have even length; DS pads with a space
    return RawDataElement(Tag(0x30060050), "DS", len(text), text, 0, False, True)


def _contour_item(contour_ij, k, affine, source):
    from pydicom.dataset import Dataset

    ijk = np.c_[contour_ij, np.full(len(contour_ij), float(k)), np.ones(len(contour_ij))]
    mm = (ijk @ affine.T)[:, :3]
    image = Dataset()
    image.ReferencedSOPClassUID = source.SOPClassUID
    image.ReferencedSOPInstanceUID = source.SOPInstanceUID
    item = Dataset()
    item.ContourImageSequence = [image]
    item.ContourGeometricType = "CLOSED_PLANAR"
    item.NumberOfContourPoints = len(mm)
    item[0x30060050] = _contour_data(mm)
    return item


def _copy_patient_study(ds, source) -> None:
    # Type 2 attributes stay present (empty) when the series lacks them.
    for keyword in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyInstanceUID", "StudyDate",
                    "StudyTime", "StudyID", "AccessionNumber", "ReferringPhysicianName", "StudyDescription",
                    "FrameOfReferenceUID"):
        setattr(ds, keyword, source[keyword].value if keyword in source else "")


def _referenced_frame(sources):
    from pydicom.dataset import Dataset

    images = []
    for src in sources:
        image = Dataset()
        image.ReferencedSOPClassUID, image.ReferencedSOPInstanceUID = src.SOPClassUID, src.SOPInstanceUID
        images.append(image)
    series = Dataset()
    series.SeriesInstanceUID = sources[0].SeriesInstanceUID
    series.ContourImageSequence = images
    study = Dataset()
    study.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"  # Detached Study Management (as TPS write it)
    study.ReferencedSOPInstanceUID = sources[0].StudyInstanceUID
    study.RTReferencedSeriesSequence = [series]
    frame = Dataset()
    frame.FrameOfReferenceUID = sources[0].get("FrameOfReferenceUID", "")
    frame.RTReferencedStudySequence = [study]
    return frame


def _roi_entries(number, name, rgb, mask, affine, sources, frame_uid):
    from pydicom.dataset import Dataset

    roi = Dataset()
    roi.ROINumber, roi.ReferencedFrameOfReferenceUID = number, frame_uid
    roi.ROIName, roi.ROIGenerationAlgorithm = name[:64], "MANUAL"
    contour = Dataset()
    contour.ReferencedROINumber = number
    contour.ROIDisplayColor = [int(c) for c in rgb]
    contour.ContourSequence = [_contour_item(c, k, affine, sources[k])
                               for k in range(mask.shape[2]) if mask[:, :, k].any()
                               for c in slice_contours(mask[:, :, k])]
    observation = Dataset()
    observation.ObservationNumber, observation.ReferencedROINumber = number, number
    observation.RTROIInterpretedType, observation.ROIInterpreter = "ORGAN", ""
    return roi, contour, observation


def _structure_set(sources, series_description):
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    sop = generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = RTSTRUCT_SOP_CLASS, sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = RTSTRUCT_SOP_CLASS, sop
    _copy_patient_study(ds, sources[0])
    now = datetime.datetime.now()
    ds.Modality, ds.SeriesInstanceUID, ds.SeriesNumber = "RTSTRUCT", generate_uid(), 901
    ds.SeriesDescription, ds.InstanceNumber = series_description[:64], 1
    ds.Manufacturer = "dicegui"
    ds.StructureSetLabel = "dicegui"
    ds.StructureSetDate, ds.StructureSetTime = now.strftime("%Y%m%d"), now.strftime("%H%M%S")
    ds.InstanceCreationDate, ds.InstanceCreationTime = ds.StructureSetDate, ds.StructureSetTime
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.ReferencedFrameOfReferenceSequence = [_referenced_frame(sources)]
    return ds


def write_rtstruct(label_map, series_dir, out_path, names=None, colors=None, *,
                   series_description: str = "dicegui corrected", overwrite: bool = False) -> Path:
    """Write a label map as a new RT Structure Set for the series: one ROI per label.

    Parameters
    ----------
    label_map : numpy.ndarray
        ``(rows, columns, slices)`` on the series' grid as ``read_dicom``
        loads it.
    series_dir : str, Path or Volume
        The image series' folder (or the series as ``read_dicom`` loaded it).
    out_path : str or Path
        The ``.dcm`` file to write (atomically).
    names : dict, optional
        ``{label: ROI name}``; a label without one is named ``label <L>``.
    colors : dict, optional
        ``{label: (r, g, b)}``; others get a fixed palette colour.
    series_description : str
        The new series' description.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The file written. ROIs are the labels in ascending order (ROINumber =
        label); :func:`read_rtstruct` numbers ROIs by their order, so labels
        1..N read back unchanged and others in ascending order as 1..N.
    """
    import pydicom

    target = Path(out_path)
    series = load_series(series_dir, error=SaveError)
    arr = check_label_map(label_map, series, target)
    labels = label_list(arr)
    if not labels:
        raise SaveError(f"{file_label(target)}: the mask is empty; an RT Structure Set needs at least one ROI")
    sources = series_datasets(series)
    check_source_uids(sources, series.path, target, "an RT Structure Set")
    ds = _structure_set(sources, series_description)
    names, colors, affine = dict(names or {}), dict(colors or {}), lps_affine(series)
    frame_uid = str(sources[0].get("FrameOfReferenceUID", ""))
    rois, contours, observations = [], [], []
    for n, label in enumerate(labels):
        rgb = colors.get(label) or _DEFAULT_COLORS[n % len(_DEFAULT_COLORS)]
        name = str(names.get(label) or default_name(label))
        entries = _roi_entries(label, name, rgb, arr == label, affine, sources, frame_uid)
        for out, entry in zip((rois, contours, observations), entries):
            out.append(entry)
    ds.StructureSetROISequence, ds.ROIContourSequence, ds.RTROIObservationsSequence = rois, contours, observations
    return atomic_write(target, lambda fh: pydicom.dcmwrite(fh, ds, enforce_file_format=True), overwrite=overwrite)
