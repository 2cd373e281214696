"""DICOM SEG and RT Structure Set over a 100-slice 512×512 CT series: dicegui vs highdicom alone.

Measured in the same run on the same series and mask (two organ-sized
ellipsoids, labels 1 and 2):

- SEG write: ``write_seg`` (reads the series' headers and pixels, then builds
  and writes the SEG) against highdicom alone (``Segmentation(...)`` and
  ``save_as`` on source datasets already in memory);
- SEG read: ``read_seg`` against highdicom alone (``segread`` and
  ``get_pixels_by_source_instance(combine_segments=True)``), each both from
  the series folder and with the series already loaded (what the window has);
- RT Structure Set write and read of the same mask (no library baseline: we
  rasterise ourselves), and whether each read gives back the mask exactly.

Usage: python benchmarks/bench_dicom_masks.py [--repeats N] [--slices N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pydicom

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from synthetic_dicom import write_ct_series  # noqa: E402  (the tests' series writer)

from dicegui.core.io.dicom_labels import load_series  # noqa: E402
from dicegui.core.io.dicom_seg import read_seg, write_seg  # noqa: E402
from dicegui.core.io.rtstruct import read_rtstruct, write_rtstruct  # noqa: E402


def make_mask(shape) -> np.ndarray:
    i, j, k = np.ogrid[: shape[0], : shape[1], : shape[2]]
    mask = np.zeros(shape, np.uint8)
    mask[((i - 200) / 90.0) ** 2 + ((j - 220) / 120.0) ** 2 + ((k - shape[2] / 2) / (shape[2] / 3)) ** 2 < 1] = 1
    mask[((i - 330) / 50.0) ** 2 + ((j - 330) / 40.0) ** 2 + ((k - shape[2] / 3) / (shape[2] / 5)) ** 2 < 1] = 2
    return mask


def highdicom_write(sources, mask, out):
    import highdicom as hd
    from pydicom.sr.codedict import codes
    from pydicom.uid import generate_uid

    descs = [hd.seg.SegmentDescription(n, f"s{n}", codes.SCT.Tissue, codes.SCT.Tissue, "MANUAL") for n in (1, 2)]
    seg = hd.seg.Segmentation(sources, np.moveaxis(mask, 2, 0), "BINARY", descs, generate_uid(), 1, generate_uid(),
                              1, "x", "x", "1", "1")
    seg.save_as(out)


def highdicom_read(path, uids):
    import highdicom as hd

    return hd.seg.segread(path).get_pixels_by_source_instance(uids, combine_segments=True,
                                                              assert_missing_frames_are_empty=True)


def timed(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--slices", type=int, default=100)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_ct_series(tmp / "ct", n=args.slices, rows=512, cols=512, spacing=(0.8, 0.8), step=2.0)
        series = load_series(tmp / "ct")
        mask = make_mask(series.data.shape)
        sources = [pydicom.dcmread(f, stop_before_pixels=True) for f in series.header["files"]]
        uids = [str(ds.SOPInstanceUID) for ds in sources]
        seg_path, hd_path, rs_path = tmp / "seg.dcm", tmp / "hd.dcm", tmp / "rs.dcm"
        rows = [
            ("SEG write, dicegui write_seg(folder)",
             lambda: write_seg(mask, tmp / "ct", seg_path, names={1: "Liver", 2: "Spleen"}, overwrite=True)),
            ("SEG write, dicegui write_seg(loaded series)",
             lambda: write_seg(mask, series, seg_path, names={1: "Liver", 2: "Spleen"}, overwrite=True)),
            ("SEG write, highdicom alone", lambda: highdicom_write(sources, mask, hd_path)),
            ("SEG read, dicegui read_seg(folder)", lambda: read_seg(seg_path, tmp / "ct").label_map),
            ("SEG read, dicegui read_seg(loaded series)", lambda: read_seg(seg_path, series).label_map),
            ("SEG read, highdicom alone", lambda: np.moveaxis(highdicom_read(hd_path, uids), 0, 2)),
            ("RTSTRUCT write, dicegui write_rtstruct(loaded series)",
             lambda: write_rtstruct(mask, series, rs_path, overwrite=True)),
            ("RTSTRUCT read, dicegui read_rtstruct(loaded series)", lambda: read_rtstruct(rs_path, series).label_map),
            ("series load alone (read_dicom, pixels included)", lambda: load_series(tmp / "ct").data),
        ]
        print(f"series {series.data.shape}, mask labels 1: {np.count_nonzero(mask == 1)} voxels, "
              f"2: {np.count_nonzero(mask == 2)}; median of {args.repeats}")
        for name, fn in rows:
            seconds, result = timed(fn, args.repeats)
            exact = ""
            if isinstance(result, np.ndarray) and result.shape == mask.shape:
                exact = f"  equals the mask: {np.array_equal(result, mask)}"
            print(f"{name:58s} {seconds:7.3f} s{exact}")
        print(f"SEG file {seg_path.stat().st_size / 1e6:.2f} MB, RTSTRUCT file {rs_path.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
