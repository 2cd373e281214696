"""A small synthetic CT series written with pydicom, for the SEG and RT Structure Set tests.

Proper UIDs, an oblique-free or oblique orientation, positions along the
slice normal, and files written in shuffled order (so readers must sort).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid


def write_ct_series(folder, n=12, rows=32, cols=32, spacing=(0.8, 0.7), step=2.5,
                    orientation=(1, 0, 0, 0, 1, 0), origin=(-12.0, -10.0, 30.0), seed=0,
                    uids=True) -> dict:
    """Write ``n`` CT slices into ``folder``; return the UIDs and geometry used.

    ``spacing`` is PixelSpacing (row spacing, column spacing) in mm, ``step``
    the distance between slices along the normal. With ``uids=False`` the
    Study/Series Instance UIDs are left out (what a SEG writer must refuse).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    row_cos, col_cos = np.array(orientation[:3], float), np.array(orientation[3:], float)
    normal = np.cross(row_cos, col_cos)
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    sops = []
    for k in rng.permutation(n):
        sop = generate_uid()
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = sop
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, sop
        if uids:
            ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.FrameOfReferenceUID = frame
        ds.PatientName, ds.PatientID, ds.PatientBirthDate, ds.PatientSex = "Synthetic^CT", "SYN001", "19700101", "O"
        ds.StudyDate, ds.StudyTime, ds.StudyID, ds.AccessionNumber = "20260101", "120000", "1", "A1"
        ds.ReferringPhysicianName = ""
        ds.Modality, ds.SeriesNumber, ds.InstanceNumber = "CT", 1, int(k) + 1
        ds.Manufacturer = "synthetic"
        ds.PositionReferenceIndicator = ""
        ds.ImageOrientationPatient = [float(v) for v in orientation]
        ds.ImagePositionPatient = [float(v) for v in np.asarray(origin) + k * step * normal]
        ds.PixelSpacing = [float(spacing[0]), float(spacing[1])]
        ds.SliceThickness = float(step)
        ds.Rows, ds.Columns = rows, cols
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = -1024, 1, "HU"
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.PixelData = rng.integers(0, 2000, (rows, cols), dtype=np.int16).tobytes()
        pydicom.dcmwrite(folder / f"slice_{k:03d}.dcm", ds, enforce_file_format=True)
        sops.append((int(k), sop))
    return {"study": study, "series": series, "frame": frame, "sops": [s for _k, s in sorted(sops)],
            "origin": np.asarray(origin, float), "row_cos": row_cos, "col_cos": col_cos, "normal": normal,
            "spacing": spacing, "step": step}
