"""Files that reach outside, blow up or never end (issue 13.6-13.8): one line, exit 2, fast, small.

Every file is generated here. The bombs are built from one compressed block
repeated (deflate segments ended by a full flush are self-contained, bzip2
streams may follow one another), so gigabytes of declared data cost a few
megabytes and milliseconds to make. Each refusal runs ``dicegui score`` in
its own child process, inside a wrapper process that reports the child's
wall time and peak memory (``ru_maxrss`` of RUSAGE_CHILDREN: one wrapper per
measurement, so no other child's peak is mixed in); a tiny valid case is
measured the same way for context.
"""
import bz2
import gzip
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

MAX_SECONDS = 2.0
MAX_PEAK_MB = 200
MIB = 1 << 20

_MEASURE = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=60)
wall = time.perf_counter() - t
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr,
                  "seconds": wall, "peak_mb": peak_kb / 1024}))
"""


def measure_score(gt: Path, pred: Path, cwd: Path) -> dict:
    """``dicegui score GT PRED`` in a fresh process: exit code, output, seconds, peak MB."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, sys.executable, "-m", "dicegui", "score",
                          str(gt), str(pred)], capture_output=True, text=True, timeout=120, cwd=cwd)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def assert_refused_small_and_fast(result: dict, name: str, reason: str, baseline: dict) -> None:
    context = f"(baseline {baseline['seconds']:.2f} s, {baseline['peak_mb']:.0f} MB)"
    assert result["rc"] == 2, result
    assert result["stdout"] == ""
    lines = result["stderr"].splitlines()
    assert len(lines) == 1 and name in lines[0], result["stderr"]
    assert reason in lines[0].lower(), lines[0]
    assert result["seconds"] < MAX_SECONDS, f"{result['seconds']:.2f} s {context}"
    assert result["peak_mb"] < MAX_PEAK_MB, f"{result['peak_mb']:.0f} MB {context}"


# ------------------------------------------------------------ bomb builders


def deflate_zeros(nbytes: int, *, final: bool) -> bytes:
    """Raw deflate data inflating to ``nbytes`` zeros (a multiple of 1 MiB), built from one repeated segment."""
    segment = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = segment.compress(b"\0" * MIB) + segment.flush(zlib.Z_FULL_FLUSH)
    ending = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush(zlib.Z_FINISH) if final else b""
    return block * (nbytes // MIB) + ending


def gzip_member_of_zeros(nbytes: int) -> bytes:
    """One gzip member inflating to ``nbytes`` zeros (its CRC is that of the data: checked if read to the end)."""
    crc = 0
    zeros = b"\0" * MIB
    for _ in range(nbytes // MIB):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    return header + deflate_zeros(nbytes, final=True) + struct.pack("<II", crc, nbytes & 0xFFFFFFFF)


def gzip_member_unchecked(nbytes: int) -> bytes:
    """Like :func:`gzip_member_of_zeros` without computing the CRC (a reader that stops early never sees it)."""
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + deflate_zeros(nbytes, final=True) + b"\0" * 8


def bzip2_of_zeros(nbytes: int) -> bytes:
    """One bzip2 stream inflating to ``nbytes`` zeros (a multiple of 1 MiB; about 2 s per 256 MiB to make).

    One stream, not several concatenated: pynrrd's decompressor stops after
    the first stream, so only a single stream is a bomb for the old reader.
    """
    comp = bz2.BZ2Compressor(1)
    zeros = b"\0" * MIB
    return b"".join(comp.compress(zeros) for _ in range(nbytes // MIB)) + comp.flush()


def nrrd_header(extra: str, encoding: str = "raw", sizes: str = "16 16 8") -> bytes:
    return (f"NRRD0004\ntype: uint8\ndimension: 3\nsizes: {sizes}\nencoding: {encoding}\n"
            "space: left-posterior-superior\nspace directions: (1,0,0) (0,1,0) (0,0,1)\n"
            + (f"{extra}\n" if extra else "")).encode()


# ------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def partner(tmp_path_factory):
    """A tiny valid mask to pair each hostile file with, and the baseline measured with it."""
    folder = tmp_path_factory.mktemp("partner")
    path = folder / "partner.nii.gz"
    nib.save(nib.Nifti1Image((np.arange(16 * 16 * 8) % 2).astype(np.uint8).reshape(16, 16, 8), np.eye(4)), path)
    baseline = measure_score(path, path, folder)
    assert baseline["rc"] == 0, baseline
    return path, baseline


# ------------------------------------------------------------ class 1: detached data outside the folder


def _detached(folder: Path, kind: str) -> tuple[Path, str]:
    """An .nhdr whose 'data file' breaks one rule; (header, word the refusal must hold)."""
    inner = folder / "case"
    inner.mkdir()
    (folder / "secret.raw").write_bytes(b"\1" * 2048)
    header = inner / f"{kind}.nhdr"
    if kind == "parent":
        target, word = "../secret.raw", "parent"
    elif kind == "absolute":
        target, word = str(folder / "secret.raw"), "absolute"
    elif kind == "link_out":
        os.symlink(folder / "secret.raw", inner / "data.raw")
        target, word = "data.raw", "link-outside"
    elif kind == "fifo":
        os.mkfifo(inner / "data.raw")
        target, word = "data.raw", "not-regular"
    elif kind == "dev_zero_gzip":
        os.symlink("/dev/zero", inner / "data.raw.gz")
        target, word = "data.raw.gz", "link-outside"
    elif kind == "dev_zero_inside":
        os.mknod(inner / "zero", 0o600 | 0o020000, os.makedev(1, 5)) if os.geteuid() == 0 else pytest.skip("mknod")
        target, word = "zero", "not-regular"
    elif kind == "loop":
        os.symlink("b.raw", inner / "a.raw")
        os.symlink("a.raw", inner / "b.raw")
        target, word = "a.raw", "symlink loop"
    else:
        raise AssertionError(kind)
    encoding = "gzip" if kind == "dev_zero_gzip" else "raw"
    header.write_bytes(nrrd_header(f"data file: {target}", encoding))
    return header, word


@pytest.mark.parametrize("kind", ["parent", "absolute", "link_out", "fifo", "dev_zero_gzip", "dev_zero_inside",
                                  "loop"])
def test_nrrd_data_file_outside_or_special_is_refused(kind, tmp_path, partner):
    header, word = _detached(tmp_path, kind)
    result = measure_score(header, partner[0], tmp_path)
    assert_refused_small_and_fast(result, header.name, word, partner[1])
    assert "data file" in result["stderr"]


# ------------------------------------------------------------ class 2: decompression bombs


def _nrrd_gzip_bomb(folder: Path) -> Path:
    path = folder / "gzip_bomb.nrrd"  # declares 16x16x8 = 2 KiB, inflates to 2 GiB
    path.write_bytes(nrrd_header("", "gzip") + b"\n" + gzip_member_unchecked(2048 * MIB))
    return path


def _nrrd_bzip2_bomb(folder: Path) -> Path:
    path = folder / "bzip2_bomb.nrrd"  # declares 2 KiB, inflates to 256 MiB from 200 bytes
    path.write_bytes(nrrd_header("", "bzip2") + b"\n" + bzip2_of_zeros(256 * MIB))
    return path


def _nii_gz(data: np.ndarray, extension: bytes = b"", vox_offset=None) -> bytes:
    img = nib.Nifti1Image(data, np.eye(4))
    hdr = img.header
    hdr["vox_offset"] = 352 + len(extension) if vox_offset is None else vox_offset
    flag = b"\1\0\0\0" if extension else b"\0\0\0\0"
    return hdr.binaryblock + flag + extension + data.tobytes(order="F")


def _nii_gz_trailing_members(folder: Path) -> Path:
    path = folder / "trailing_members.nii.gz"  # a valid file, then 8 GiB of zeros in 8 members
    data = (np.arange(16 * 16 * 8) % 2).astype(np.uint8).reshape(16, 16, 8)
    path.write_bytes(gzip.compress(_nii_gz(data), 1) + gzip_member_unchecked(1024 * MIB) * 8)
    return path


def _nii_gz_extension_bomb(folder: Path) -> Path:
    path = folder / "extension_bomb.nii.gz"  # an extension claiming 512 MiB inside a small file
    data = (np.arange(16 * 16 * 8) % 2).astype(np.uint8).reshape(16, 16, 8)
    ext = struct.pack("<ii", 512 * MIB, 6) + b"\0" * 8
    body = gzip.compress(_nii_gz(data, ext), 1)
    path.write_bytes(body + gzip_member_unchecked(520 * MIB))  # enough bytes to satisfy the claim
    return path


def _nii_gz_voxels_far_away(folder: Path) -> Path:
    path = folder / "vox_offset_far.nii.gz"  # no extension, voxels 200 MiB after the header
    data = (np.arange(16 * 16 * 8) % 2).astype(np.uint8).reshape(16, 16, 8)
    head = _nii_gz(data, vox_offset=200 * MIB)[:352]
    # 1 MiB of noise keeps the file above what deflate needs for its size, as a real file would be
    noise = np.random.default_rng(0).integers(0, 256, MIB - 352, dtype=np.uint8).tobytes()
    path.write_bytes(gzip.compress(head + noise, 1) + gzip_member_of_zeros(199 * MIB)
                     + gzip.compress(data.tobytes(order="F")))
    return path


def _deflated_dicom_bomb(folder: Path) -> Path:
    """A deflated DICOM file holding a 1 GiB private element before 8x8 pixels."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_dataset, write_file_meta_info
    from pydicom.uid import generate_uid

    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.2", generate_uid()
    ds.SeriesInstanceUID, ds.Modality = generate_uid(), "CT"
    ds.Rows = ds.Columns = 8
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit, ds.PixelRepresentation = 15, 0
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = ds.SOPClassUID, ds.SOPInstanceUID
    meta.TransferSyntaxUID, meta.ImplementationClassUID = "1.2.840.10008.1.2.1.99", generate_uid()
    body, head = DicomBytesIO(), DicomBytesIO()
    for buf in (body, head):
        buf.is_little_endian, buf.is_implicit_VR = True, False
    write_dataset(body, ds)
    write_file_meta_info(head, meta)
    plain = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    start = plain.compress(body.getvalue() + struct.pack("<HH2sHI", 0x0009, 0x1010, b"OB", 0, 1024 * MIB))
    start += plain.flush(zlib.Z_FULL_FLUSH)
    tail = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    end = tail.compress(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OW", 0, 128) + b"\1\0" * 64) + tail.flush()
    path = folder / "deflated_bomb.dcm"
    path.write_bytes(b"\0" * 128 + b"DICM" + head.getvalue() + start + deflate_zeros(1024 * MIB, final=False) + end)
    return path


BOMBS = {
    "nrrd_gzip_2GiB": (_nrrd_gzip_bomb, "past the declared"),
    "nrrd_bzip2_256MiB": (_nrrd_bzip2_bomb, "past the declared"),
    "nii_gz_trailing_members": (_nii_gz_trailing_members, "past the declared"),
    "nii_gz_extension_512MiB": (_nii_gz_extension_bomb, "extension"),
    "nii_gz_vox_offset_200MiB": (_nii_gz_voxels_far_away, "vox_offset"),
    "dicom_deflated_private_1GiB": (_deflated_dicom_bomb, "(0009,1010)"),
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_decompression_bombs_are_refused_small_and_fast(name, tmp_path, partner):
    build, reason = BOMBS[name]
    path = build(tmp_path)
    assert path.stat().st_size < 16 * MIB  # the bomb is small on disk
    result = measure_score(path, partner[0], tmp_path)
    assert_refused_small_and_fast(result, path.name, reason.lower(), partner[1])
    assert "jpeg" not in result["stderr"].lower() and "decoder" not in result["stderr"].lower()


def test_deflated_dicom_bomb_inflates_to_what_it_claims(tmp_path):
    # The bomb is real: the raw deflate stream after the meta group inflates past 1 GiB.
    path = _deflated_dicom_bomb(tmp_path)
    from pydicom.filereader import _read_file_meta_info, read_preamble

    with open(path, "rb") as fh:
        read_preamble(fh, False)
        assert str(_read_file_meta_info(fh).TransferSyntaxUID) == "1.2.840.10008.1.2.1.99"
        raw = fh.read()
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    total, data = 0, raw
    while data and total <= 1024 * MIB:
        total += len(inflater.decompress(data, 64 * MIB))
        data = inflater.unconsumed_tail
    assert total > 1024 * MIB


# ------------------------------------------------------------ class 3: endless skips


@pytest.mark.parametrize("field", ["line skip: 2000000000", "byte skip: 2000000000"])
def test_nrrd_skips_beyond_the_file_are_refused(field, tmp_path, partner):
    path = tmp_path / "skip.nrrd"
    path.write_bytes(nrrd_header(field) + b"\n" + b"\0" * 2048)
    result = measure_score(path, partner[0], tmp_path)
    assert_refused_small_and_fast(result, path.name, field.split(":")[0], partner[1])


def test_valid_gzip_and_bzip2_nrrd_still_load(tmp_path, partner):
    # The limits refuse bombs, not ordinary compressed files (the bytes checked against numpy's own).
    from dicegui.core.io.volume_io import load_volume

    data = np.random.default_rng(0).integers(0, 3, (16, 16, 8), dtype=np.uint8)
    for encoding, compress in (("gzip", gzip.compress), ("bzip2", bz2.compress)):
        path = tmp_path / f"ok_{encoding}.nrrd"
        path.write_bytes(nrrd_header("", encoding) + b"\n" + compress(data.tobytes(order="F")))
        np.testing.assert_array_equal(load_volume(path).data, data)
