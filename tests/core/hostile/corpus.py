"""Hostile and broken input files, built on demand into a test's folder.

Nothing binary is committed: every file is made here from a small valid file
(written with nibabel, pynrrd, Pillow, tifffile, NumPy or one of pydicom's
own test files) and then cut, corrupted or given a lying header.

Each :class:`Hostile` entry names one file (or folder) that dicegui must
refuse with a single :class:`~dicegui.core.io.LoadError` naming it, and a
regular expression for the reason the message must give. ``stage`` says
where the refusal happens: ``"volume"`` files are refused by ``load_volume``
itself; ``"case"`` files are valid images whose values cannot be a mask
(NaN, logits, negative labels), refused by ``load_case``. :class:`HostilePair`
entries are two individually fine masks that do not fit together.
"""
from __future__ import annotations

import gzip
import io
import os
import shutil
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nibabel as nib
import numpy as np

# ---------------------------------------------------------------- registry


@dataclass(frozen=True)
class Hostile:
    """One hostile file or folder.

    Attributes
    ----------
    name : str
        Basename of what :attr:`build` makes (also the test id).
    build : callable
        ``build(folder) -> Path`` writes the file into ``folder``.
    reason : str
        Regular expression (case-insensitive) the LoadError message must match.
    stage : {"volume", "case"}
        ``load_volume`` refuses it, or only ``load_case`` (mask value rules).
    role : {"gt", "pred"}
        The role it is refused in by ``load_case``.
    absurd : bool
        Declares a size that must be refused before any allocation.
    needs : str or None
        ``"non-root"`` (permission tests) or ``"fifo"``: skipped where impossible.
    """

    name: str
    build: Callable[[Path], Path]
    reason: str
    stage: str = "volume"
    role: str = "gt"
    absurd: bool = False
    needs: str | None = None


@dataclass(frozen=True)
class HostilePair:
    """Two masks that load alone but not together (``build(folder) -> (gt, pred)``)."""

    name: str
    build: Callable[[Path], tuple]
    reason: str


HOSTILE: list[Hostile] = []
PAIRS: list[HostilePair] = []


def hostile(name, reason, **kw):
    """Register ``build(path)`` as making the hostile file ``folder / name``."""

    def register(make):
        def build(folder: Path) -> Path:
            path = Path(folder) / name
            make(path)
            return path

        HOSTILE.append(Hostile(name, build, reason, **kw))
        return make

    return register


def pair(name, reason):
    def register(make):
        PAIRS.append(HostilePair(name, lambda folder: make(Path(folder), name), reason))
        return make

    return register


def by_name(name: str) -> Hostile:
    return next(h for h in HOSTILE if h.name == name)


# ---------------------------------------------------------------- valid bases

AFFINE = np.array([[-0.8, 0, 0, 40.0], [0, -0.8, 0, 50.0], [0, 0, 2.0, -30.0], [0, 0, 0, 1]])


def small_mask(shape=(16, 14, 10), seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random(shape) > 0.7).astype(np.uint8)


def small_image(shape=(16, 14, 10), seed=1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(-1000, 2000, shape).astype(np.int16)


def nifti_header(data: np.ndarray, affine=AFFINE, nifti2: bool = False):
    cls = nib.Nifti2Image if nifti2 else nib.Nifti1Image
    img = cls(data, affine, dtype=data.dtype)
    img.header.set_qform(affine, code=1)
    img.header.set_sform(affine, code=1)
    hdr = img.header
    hdr["vox_offset"] = 352 if not nifti2 else 544
    return hdr


def nifti_bytes(data: np.ndarray, edit=None, affine=AFFINE, nifti2: bool = False, raw_data=None) -> bytes:
    """Single-file NIfTI bytes; ``edit(hdr)`` may set any field to any value first.

    The header is serialised as is (``binaryblock``), so fields nibabel would
    refuse to write through its API (negative dims, NaN spacing, wrong magic)
    reach the file.
    """
    hdr = nifti_header(data, affine, nifti2)
    if edit is not None:
        edit(hdr)
    payload = raw_data if raw_data is not None else np.asarray(data).tobytes(order="F")
    return hdr.binaryblock + b"\x00" * 4 + payload


def write_nifti(path: Path, data, edit=None, **kw) -> Path:
    raw = nifti_bytes(np.asarray(data), edit, **kw)
    if path.name.endswith(".gz"):
        raw = gzip.compress(raw, mtime=0)
    path.write_bytes(raw)
    return path


def valid_nifti_gz(path: Path, data=None) -> Path:
    img = nib.Nifti1Image(small_image() if data is None else data, AFFINE)
    img.to_filename(path)
    return path


TEXT = b"Patient notes\nThis is a plain text file that someone saved with an image extension.\n" * 4


# ---------------------------------------------------------------- NIfTI


@hostile("nii_gz_cut_mid_stream.nii.gz", r"ended before the end-of-stream|truncated")
def _(path):
    valid_nifti_gz(path)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])


@hostile("nii_gz_flipped_bytes.nii.gz", r"crc check failed|invalid|incorrect")
def _(path):
    valid_nifti_gz(path)
    raw = bytearray(path.read_bytes())
    mid = len(raw) // 2
    for i in range(mid, mid + 64):
        raw[i] ^= 0xFF
    path.write_bytes(bytes(raw))


@hostile("nii_gz_flipped_crc.nii.gz", r"crc check failed")
def _(path):
    valid_nifti_gz(path)
    raw = bytearray(path.read_bytes())
    raw[-8] ^= 0x55  # the gzip trailer's CRC-32 of the data
    path.write_bytes(bytes(raw))


@hostile("nii_cut_mid_data.nii", r"truncated")
def _(path):
    raw = nifti_bytes(small_image())
    path.write_bytes(raw[: len(raw) - 1000])


@hostile("nii_header_only.nii", r"truncated")
def _(path):
    path.write_bytes(nifti_bytes(small_image())[:348])


@hostile("nii_half_header.nii", r"shorter than a nifti header")
def _(path):
    path.write_bytes(nifti_bytes(small_image())[:200])


def _set_dim(*dims):
    def edit(hdr):
        d = hdr["dim"].copy()
        d[0] = len(dims)
        d[1:1 + len(dims)] = dims
        hdr["dim"] = d

    return edit


@hostile("nii_absurd_dims.nii", r"header declares|too large|cannot be allocated", absurd=True)
def _(path):
    # NIfTI-1 dims are int16: 32767³ float64 voxels = 281 TB.
    data = np.zeros((2, 2, 2), np.float64)
    path.write_bytes(nifti_bytes(data, _set_dim(32767, 32767, 32767)))


@hostile("nii_gz_absurd_dims.nii.gz", r"header declares|too large|cannot be allocated", absurd=True)
def _(path):
    write_nifti(path, np.zeros((2, 2, 2), np.uint8), _set_dim(32767, 32767, 32767))


@hostile("nii2_absurd_dims.nii", r"header declares|too large|cannot be allocated", absurd=True)
def _(path):
    # NIfTI-2 dims are int64: 2**40 × 2**40 × 2**20 voxels.
    data = np.zeros((2, 2, 2), np.uint8)
    path.write_bytes(nifti_bytes(data, _set_dim(2**40, 2**40, 2**20), nifti2=True))


@hostile("nii_gz_billion_voxels.nii.gz", r"header declares|truncated|cannot hold|too large", absurd=True)
def _(path):
    # 4 × 10⁹ uint8 voxels (4 GB) that fit in memory, declared by a tiny file:
    # deflate cannot expand a few hundred bytes that far, so it is truncated.
    write_nifti(path, np.zeros((2, 2, 2), np.uint8), _set_dim(2000, 2000, 1000))


@hostile("nii_negative_dim.nii", r"negative dimensions")
def _(path):
    path.write_bytes(nifti_bytes(small_image(), _set_dim(16, -14, 10)))


@hostile("nii_zero_dim.nii", r"empty image|no voxels")
def _(path):
    path.write_bytes(nifti_bytes(small_image(), _set_dim(16, 0, 10), raw_data=b""))


@hostile("nii_dim0_nine.nii", r"dim\[0\].*is 9")
def _(path):
    def edit(hdr):
        d = hdr["dim"].copy()
        d[0] = 9
        hdr["dim"] = d

    path.write_bytes(nifti_bytes(small_image(), edit))


def _pixdim(values, qform=0, sform=0):
    def edit(hdr):
        p = hdr["pixdim"].copy()
        p[1:4] = values
        hdr["pixdim"] = p
        hdr["qform_code"] = qform
        hdr["sform_code"] = sform

    return edit


@hostile("nii_pixdim_nan.nii.gz", r"spacing.*nan")
def _(path):
    write_nifti(path, small_mask(), _pixdim([np.nan, 1.0, 1.0]))


@hostile("nii_pixdim_inf_qform.nii.gz", r"spacing.*inf")
def _(path):
    write_nifti(path, small_mask(), _pixdim([1.0, np.inf, 1.0], qform=1))


@hostile("nii_pixdim_zero.nii.gz", r"spacing.* is 0")
def _(path):
    write_nifti(path, small_mask(), _pixdim([1.0, 0.0, 2.0]))


@hostile("nii_pixdim_negative.nii.gz", r"spacing.*-1\.5")
def _(path):
    write_nifti(path, small_mask(), _pixdim([1.0, -1.5, 2.0]))


@hostile("nii_sform_nan.nii.gz", r"nan or infinite")
def _(path):
    def edit(hdr):
        hdr["qform_code"] = 0
        hdr["sform_code"] = 2
        hdr["srow_y"] = [np.nan, np.nan, 1.0, 0.0]

    write_nifti(path, small_mask(), edit)


@hostile("nii_sform_singular.nii.gz", r"spacing along axis 0 is 0|not independent")
def _(path):
    def edit(hdr):
        hdr["qform_code"] = 0
        hdr["sform_code"] = 2
        hdr["srow_x"] = [0.0, 0.0, 0.0, 1.0]

    write_nifti(path, small_mask(), edit)


@hostile("nii_wrong_magic.nii", r"magic")
def _(path):
    def edit(hdr):
        hdr["magic"] = b"zz9"

    path.write_bytes(nifti_bytes(small_image(), edit))


@hostile("nii_gz_wrong_magic.nii.gz", r"magic")
def _(path):
    def edit(hdr):
        hdr["magic"] = b"ni1"  # the two-file (.hdr/.img) magic in a single file

    write_nifti(path, small_image(), edit)


@hostile("nii_wrong_sizeof_hdr.nii", r"sizeof_hdr is 1000")
def _(path):
    raw = bytearray(nifti_bytes(small_image()))
    raw[0:4] = struct.pack("<i", 1000)
    path.write_bytes(bytes(raw))


@hostile("nii_bad_datatype.nii", r"data code 1234|datatype")
def _(path):
    raw = bytearray(nifti_bytes(small_image()))
    raw[70:72] = struct.pack("<h", 1234)  # datatype
    path.write_bytes(bytes(raw))


@hostile("nii_4d.nii.gz", r"4-D")
def _(path):
    nib.Nifti1Image(np.zeros((8, 8, 6, 3), np.uint8), AFFINE).to_filename(path)


@hostile("nii_5d.nii.gz", r"-D|volumes")
def _(path):
    nib.Nifti1Image(np.zeros((4, 4, 3, 1, 2), np.uint8), AFFINE).to_filename(path)


@hostile("nii_vox_offset_huge.nii", r"truncated")
def _(path):
    def edit(hdr):
        hdr["vox_offset"] = 1e12

    path.write_bytes(nifti_bytes(small_image(), edit))


@hostile("nii_gz_vox_offset_huge.nii.gz", r"truncated")
def _(path):
    def edit(hdr):
        hdr["vox_offset"] = 3e9

    write_nifti(path, small_image(), edit)


@hostile("nii_vox_offset_negative.nii", r"vox offset -4096")
def _(path):
    def edit(hdr):
        hdr["vox_offset"] = -4096

    path.write_bytes(nifti_bytes(small_image(), edit))


@hostile("nii_nan_mask.nii.gz", r"nan", stage="case")
def _(path):
    data = small_mask().astype(np.float32)
    data[3, 4, 5] = np.nan
    write_nifti(path, data)


@hostile("nii_inf_mask.nii.gz", r"infinite", stage="case", role="pred")
def _(path):
    data = small_mask().astype(np.float64)
    data[0, 0, 0] = -np.inf
    write_nifti(path, data)


@hostile("nii_logits.nii.gz", r"logits|sigmoid", stage="case", role="pred")
def _(path):
    rng = np.random.default_rng(3)
    write_nifti(path, rng.normal(0, 4, (16, 14, 10)).astype(np.float32))


@hostile("nii_negative_labels.nii.gz", r"negative", stage="case")
def _(path):
    data = small_mask().astype(np.int16)
    data[2, 2, 2] = -1
    write_nifti(path, data)


@hostile("nii_huge_label.nii.gz", r"too large|label", stage="case")
def _(path):
    data = small_mask().astype(np.int64)
    data[1, 1, 1] = 2**40
    write_nifti(path, data)


@hostile("nii_complex_mask.nii", r"complex|cannot be a mask", stage="case")
def _(path):
    write_nifti(path, small_mask().astype(np.complex64))


@hostile("nii_rgb_mask.nii", r"cannot be a mask|rgb|colour|color|type", stage="case")
def _(path):
    rgb = np.zeros((16, 14, 10), dtype=[("R", "u1"), ("G", "u1"), ("B", "u1")])
    rgb["R"] = small_mask() * 255
    write_nifti(path, rgb)


# ---------------------------------------------------------------- empty and non-image files

# Why a text file is not one of these, in the words the reader gives.
TEXT_REASONS = {
    ".nii.gz": r"not a gzip", ".nii": r"not a nifti file", ".nrrd": r"magic", ".seg.nrrd": r"magic",
    ".png": r"cannot identify image", ".jpg": r"cannot identify image", ".bmp": r"cannot identify image",
    ".tif": r"not a tiff file", ".dcm": r"'dicm' marker is missing", ".npy": r"magic string",
    ".npz": r"not a \.npz file",
}
EMPTY_AND_TEXT_SUFFIXES = tuple(TEXT_REASONS)

for _suffix in EMPTY_AND_TEXT_SUFFIXES:
    _tag = _suffix.strip(".").replace(".", "_")
    hostile(f"empty_{_tag}{_suffix}", r"empty file \(0 bytes\)")(
        lambda path: path.write_bytes(b"")
    )
    hostile(f"text_{_tag}{_suffix}", TEXT_REASONS[_suffix])(
        lambda path: path.write_bytes(TEXT)
    )

hostile("empty_no_suffix", r"empty file \(0 bytes\)")(lambda path: path.write_bytes(b""))
hostile("text_no_suffix", r"unknown")(lambda path: path.write_bytes(TEXT))


# ---------------------------------------------------------------- raster


def _png_chunk(kind: bytes, data: bytes, crc=None) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF if crc is None else crc
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_bytes(width, height, bit_depth=8, color_type=0, idat=None, bad_crc=False) -> bytes:
    """A PNG whose IHDR declares ``width``×``height``; ``idat`` raw scanlines (default: 4 zero rows)."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    if idat is None:
        idat = b"\x00" * min(4 * (width + 1), 1 << 16)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr, 0xDEADBEEF if bad_crc else None)
            + _png_chunk(b"IDAT", zlib.compress(idat, 9)) + _png_chunk(b"IEND", b""))


@hostile("png_bomb_100000x100000.png", r"header declares|bomb|exceeds|too large|limit|cannot hold|truncated",
         absurd=True)
def _(path):
    path.write_bytes(png_bytes(100000, 100000))


@hostile("png_bomb_rgba16.png", r"header declares|bomb|exceeds|too large|limit", absurd=True)
def _(path):
    path.write_bytes(png_bytes(100000, 100000, bit_depth=16, color_type=6))


@hostile("png_bomb_12000x12000.png", r"header declares|bomb|exceeds|truncated|cannot hold|cannot read",
         absurd=True)
def _(path):
    # 144 M pixels: below Pillow's own bomb limit, declared by a file of a few hundred bytes.
    path.write_bytes(png_bytes(12000, 12000))


@hostile("png_bad_ihdr_crc.png", r"cannot identify image file|crc")
def _(path):
    path.write_bytes(png_bytes(8, 8, idat=b"\x00" * 9 * 8, bad_crc=True))


@hostile("png_cut_mid_idat.png", r"truncated")
def _(path):
    from PIL import Image

    rng = np.random.default_rng(5)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (64, 64), dtype=np.uint8)).save(buf, format="PNG")
    raw = buf.getvalue()
    path.write_bytes(raw[: len(raw) // 2])


@hostile("png_zero_width.png", r"cannot identify image file|empty image|no voxels")
def _(path):
    path.write_bytes(png_bytes(0, 10, idat=b"\x00" * 10))


@hostile("jpg_cut.jpg", r"truncated")
def _(path):
    from PIL import Image

    rng = np.random.default_rng(6)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(buf, format="JPEG")
    raw = buf.getvalue()
    path.write_bytes(raw[: len(raw) // 3])


@hostile("bmp_bomb.bmp", r"header declares|bomb|exceeds|too large|cannot read|truncated|cannot hold", absurd=True)
def _(path):
    # BITMAPINFOHEADER declaring 100000 × 100000 at 32 bits per pixel (40 GB).
    info = struct.pack("<IiiHHIIiiII", 40, 100000, 100000, 1, 32, 0, 0, 2835, 2835, 0, 0)
    head = b"BM" + struct.pack("<IHHI", 14 + 40 + 16, 0, 0, 14 + 40)
    path.write_bytes(head + info + b"\x00" * 16)


def tiff_bytes(width, height, strip_bytes=16, bits=8) -> bytes:
    """A little-endian baseline TIFF declaring ``width``×``height`` with one short strip."""
    entries = [
        (256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, bits), (259, 3, 1, 1),
        (262, 3, 1, 1), (273, 4, 1, 0), (277, 3, 1, 1), (278, 4, 1, height), (279, 4, 1, strip_bytes),
    ]
    ifd_size = 2 + 12 * len(entries) + 4
    data_offset = 8 + ifd_size
    out = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        if tag == 273:
            value = data_offset
        packed = struct.pack("<HI", value, 0)[:4] if typ == 3 else struct.pack("<I", value)
        out += struct.pack("<HHI", tag, typ, count) + packed
    return out + struct.pack("<I", 0) + b"\x00" * strip_bytes


@hostile("tif_bomb.tif", r"header declares|too large|cannot read|truncated|cannot hold", absurd=True)
def _(path):
    path.write_bytes(tiff_bytes(100000, 100000, bits=16))


@hostile("tif_billion_pixels.tif", r"header declares|truncated|cannot hold|cannot read", absurd=True)
def _(path):
    # 2 GB of pixels that would fit in memory, in a file of 150 bytes.
    path.write_bytes(tiff_bytes(50000, 40000))


# ---------------------------------------------------------------- NRRD


def nrrd_text(fields: dict, payload: bytes = b"") -> bytes:
    head = "NRRD0004\n" + "".join(f"{k}: {v}\n" for k, v in fields.items()) + "\n"
    return head.encode() + payload


NRRD_BASE = {
    "type": "uint8", "dimension": 3, "space": "left-posterior-superior", "sizes": "4 4 4",
    "space directions": "(1,0,0) (0,1,0) (0,0,1)", "kinds": "domain domain domain",
    "endian": "little", "encoding": "raw", "space origin": "(0,0,0)",
}


def _nrrd(**changes):
    fields = dict(NRRD_BASE)
    payload = changes.pop("payload", bytes(64))
    for k, v in changes.items():
        key = k.replace("_", " ")
        if v is None:
            fields.pop(key, None)
        else:
            fields[key] = v
    return nrrd_text(fields, payload)


@hostile("nrrd_absurd_sizes.nrrd", r"header declares|too large", absurd=True)
def _(path):
    path.write_bytes(_nrrd(sizes="100000 100000 100000"))


@hostile("nrrd_billion_voxels.nrrd", r"header declares|truncated|cannot hold|cannot read", absurd=True)
def _(path):
    # 4 GB declared (fits in memory), 64 bytes present.
    path.write_bytes(_nrrd(sizes="2000 2000 1000"))


@hostile("nrrd_gzip_billion_voxels.nrrd", r"header declares|truncated|cannot hold|cannot read", absurd=True)
def _(path):
    path.write_bytes(_nrrd(sizes="2000 2000 1000", encoding="gzip", payload=gzip.compress(bytes(64))))


@hostile("nrrd_bad_encoding.nrrd", r"unsupported encoding: rot13")
def _(path):
    path.write_bytes(_nrrd(encoding="rot13"))


@hostile("nrrd_bad_type.nrrd", r"unknown nrrd type 'quaternion'")
def _(path):
    path.write_bytes(_nrrd(type="quaternion"))


@hostile("nrrd_negative_size.nrrd", r"negative dimensions")
def _(path):
    path.write_bytes(_nrrd(sizes="4 -4 4"))


@hostile("nrrd_zero_size.nrrd", r"empty image|no voxels")
def _(path):
    path.write_bytes(_nrrd(sizes="4 0 4", payload=b""))


@hostile("nrrd_sizes_dimension_mismatch.nrrd", r"does not match dimension")
def _(path):
    path.write_bytes(_nrrd(sizes="4 4"))


@hostile("nrrd_raw_cut.nrrd", r"size of the data does not equal|truncated")
def _(path):
    path.write_bytes(_nrrd(payload=bytes(20)))


@hostile("nrrd_gzip_corrupt.nrrd", r"incorrect data check|crc|invalid")
def _(path):
    body = bytearray(gzip.compress(bytes(range(64))))
    for i in range(12, 20):
        body[i] ^= 0xFF
    path.write_bytes(_nrrd(encoding="gzip", payload=bytes(body)))


@hostile("nrrd_missing_data_file.nrrd", r"no such file")
def _(path):
    path.write_bytes(_nrrd(data_file="does_not_exist.raw", payload=b""))


@hostile("nrrd_nan_directions.nrrd", r"nan or infinite")
def _(path):
    path.write_bytes(_nrrd(space_directions="(nan,0,0) (0,1,0) (0,0,1)"))


@hostile("nrrd_zero_directions.nrrd", r"spacing along axis 1 is 0")
def _(path):
    path.write_bytes(_nrrd(space_directions="(1,0,0) (0,0,0) (0,0,1)"))


@hostile("nrrd_ascii_garbage.nrrd", r"could not be read to its end|could not convert")
def _(path):
    path.write_bytes(_nrrd(encoding="ascii", payload=b"1 2 3 four five six\n" * 4))


@hostile("nrrd_bad_magic.nrrd", r"magic")
def _(path):
    path.write_bytes(b"NRRX0004\n" + _nrrd().split(b"\n", 1)[1])


# ---------------------------------------------------------------- NumPy


def npy_bytes(header: str, payload: bytes = b"") -> bytes:
    """A version-1.0 .npy with a hand-written header dictionary."""
    head = header.encode("latin1")
    pad = 64 - (10 + len(head) + 1) % 64
    head = head + b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(head)) + head + payload


@hostile("npy_object_pickle.npy", r"pickle")
def _(path):
    np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)


@hostile("npy_structured.npy", r"expected numbers")
def _(path):
    np.save(path, np.zeros(4, dtype=[("x", "f4"), ("y", "i2")]))


@hostile("npy_absurd_shape.npy", r"header declares|too large", absurd=True)
def _(path):
    path.write_bytes(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000, 100000), }"))


@hostile("npy_billion_elements.npy", r"header declares|truncated|cannot hold|cannot read", absurd=True)
def _(path):
    path.write_bytes(npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (2000, 2000, 1000), }",
                               bytes(64)))


@hostile("npy_negative_shape.npy", r"negative dimensions")
def _(path):
    path.write_bytes(npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (-1, 10), }", bytes(10)))


@hostile("npy_cut.npy", r"truncated")
def _(path):
    buf = io.BytesIO()
    np.save(buf, small_mask())
    raw = buf.getvalue()
    path.write_bytes(raw[: len(raw) - 100])


@hostile("npy_code_in_header.npy", r"corrupt \.npy header")
def _(path):
    # np.lib.format parses the header with ast.literal_eval: this must not run.
    path.write_bytes(npy_bytes(
        "{'descr': __import__('os').system('touch PWNED'), 'fortran_order': False, 'shape': (2,), }"))


@hostile("npy_4d.npy", r"4-D")
def _(path):
    np.save(path, np.zeros((3, 4, 5, 2), np.uint8))


@hostile("npy_0d.npy", r"0-D|expected a 1-D")
def _(path):
    # a 1-D array is a 1 × N image (issue 12); a scalar is no image at all
    np.save(path, np.zeros((), np.uint8))


def _npz_with(path: Path, members: dict, compress=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression=compress) as zf:
        for name, raw in members.items():
            zf.writestr(name, raw)


@hostile("npz_pickle.npz", r"pickle")
def _(path):
    buf = io.BytesIO()
    np.save(buf, np.array([1, "x", None], dtype=object), allow_pickle=True)
    _npz_with(path, {"data.npy": buf.getvalue()})


@hostile("npz_bomb_declared_shape.npz", r"header declares|too large", absurd=True)
def _(path):
    _npz_with(path, {"data.npy": npy_bytes(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000, 1000), }")})


@hostile("npz_billion_elements.npz", r"header declares|truncated|corrupt|cannot hold", absurd=True)
def _(path):
    _npz_with(path, {"data.npy": npy_bytes(
        "{'descr': '|u1', 'fortran_order': False, 'shape': (2000, 2000, 1000), }", bytes(4096))})


@hostile("npz_zip_entry_lies_about_size.npz", r"corrupt|truncated|cannot hold", absurd=True)
def _(path):
    # A valid small member whose zip directory entry declares 2**40 bytes uncompressed.
    buf = io.BytesIO()
    np.save(buf, small_mask())
    _npz_with(path, {"data.npy": buf.getvalue()})
    raw = bytearray(path.read_bytes())
    cd = raw.rfind(b"PK\x01\x02")
    raw[cd + 24:cd + 28] = struct.pack("<I", 0xFFFFFFF0)  # central directory: uncompressed size
    lh = raw.find(b"PK\x03\x04")
    raw[lh + 22:lh + 26] = struct.pack("<I", 0xFFFFFFF0)  # local header: uncompressed size
    path.write_bytes(bytes(raw))


@hostile("npz_flipped_member.npz", r"bad crc|corrupt")
def _(path):
    buf = io.BytesIO()
    np.save(buf, small_image())
    _npz_with(path, {"data.npy": buf.getvalue()}, compress=zipfile.ZIP_STORED)
    raw = bytearray(path.read_bytes())
    for i in range(400, 420):
        raw[i] ^= 0xFF
    path.write_bytes(bytes(raw))


@hostile("npz_ambiguous_arrays.npz", r"holds arrays|single array")
def _(path):
    np.savez(path, first=np.zeros((4, 4)), second=np.ones((4, 4)))


@hostile("npz_text_member.npz", r"magic string")
def _(path):
    _npz_with(path, {"data.npy": TEXT})


@hostile("npz_empty_archive.npz", r"holds arrays nothing")
def _(path):
    _npz_with(path, {})


@hostile("npz_cut.npz", r"not a \.npz file|zip")
def _(path):
    np.savez_compressed(path, data=small_image())
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])


# ---------------------------------------------------------------- DICOM


def _ct_slices(folder: Path, n=5, step=2.5, series_uid=None, start=0):
    """Write ``n`` copies of pydicom's CT_small.dcm as an evenly spaced series."""
    import pydicom
    from pydicom.data import get_testdata_file
    from pydicom.uid import generate_uid

    src = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    series_uid = series_uid or generate_uid()
    folder.mkdir(parents=True, exist_ok=True)
    z0 = float(src.ImagePositionPatient[2])
    paths = []
    for k in range(start, start + n):
        ds = src.copy()
        ds.SeriesInstanceUID = series_uid
        uid = generate_uid()
        ds.SOPInstanceUID = uid
        ds.file_meta.MediaStorageSOPInstanceUID = uid
        ds.InstanceNumber = k + 1
        pos = list(src.ImagePositionPatient)
        pos[2] = z0 + k * step
        ds.ImagePositionPatient = pos
        ds.SliceLocation = pos[2]
        p = folder / f"slice{k:03d}.dcm"
        ds.save_as(p, enforce_file_format=True)
        paths.append(p)
    return paths


@hostile("dcm_missing_slices", r"irregular slice spacing|missing")
def _(path):
    files = _ct_slices(path, n=8)
    files[3].unlink()
    files[4].unlink()


@hostile("dcm_mixed_series", r"series")
def _(path):
    _ct_slices(path, n=4)
    _ct_slices(path, n=3, start=10)


@hostile("dcm_repeated_positions", r"more than once|several volumes|position")
def _(path):
    # A second time point in the same series: same positions, same UID.
    from pydicom.uid import generate_uid

    uid = generate_uid()
    _ct_slices(path, n=4, series_uid=uid)
    for p in _ct_slices(path / "tmp", n=2, series_uid=uid):
        shutil.move(p, path / ("echo2_" + p.name))
    (path / "tmp").rmdir()


@hostile("dcm_mixed_orientations", r"orientation")
def _(path):
    import pydicom

    files = _ct_slices(path, n=4)
    ds = pydicom.dcmread(files[2])
    ds.ImageOrientationPatient = [0, 1, 0, 0, 0, -1]
    ds.save_as(files[2])


@hostile("dcm_mixed_sizes", r"differ in rows|rows|pixel data")
def _(path):
    import pydicom

    files = _ct_slices(path, n=3)
    ds = pydicom.dcmread(files[1])
    ds.Rows = 32
    ds.Columns = 32
    ds.PixelData = bytes(32 * 32 * 2)
    ds.save_as(files[1])


@hostile("dcm_cut_mid_pixels.dcm", r"truncated|less than expected")
def _(path):
    from pydicom.data import get_testdata_file

    raw = Path(get_testdata_file("CT_small.dcm")).read_bytes()
    path.write_bytes(raw[: len(raw) - 20000])


@hostile("dcm_absurd_rows.dcm", r"header declares|truncated|cannot hold|too large", absurd=True)
def _(path):
    import pydicom
    from pydicom.data import get_testdata_file

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.Rows = 65535
    ds.Columns = 65535
    ds.save_as(path)


@hostile("dcm_absurd_frames.dcm", r"header declares|too large|truncated|cannot hold", absurd=True)
def _(path):
    import pydicom
    from pydicom.data import get_testdata_file

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.Rows = 65535
    ds.Columns = 65535
    ds.NumberOfFrames = 1000
    ds.save_as(path)


@hostile("dcm_no_image.dcm", r"without an image")
def _(path):
    import pydicom
    from pydicom.data import get_testdata_file

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    del ds.Rows
    del ds.PixelData
    ds.save_as(path)


@hostile("dcm_folder_of_text", r"no dicom images")
def _(path):
    path.mkdir()
    (path / "readme.txt").write_bytes(TEXT)
    (path / "IM0001").write_bytes(TEXT)


@hostile("dcm_empty_folder", r"no dicom images|empty")
def _(path):
    path.mkdir()


# ---------------------------------------------------------------- the file system


@hostile("folder_named_like_a_file.nii.gz", r"is a folder, not a nifti file")
def _(path):
    path.mkdir()
    (path / "inner.txt").write_bytes(TEXT)


@hostile("symlink_loop_a.nii.gz", r"symbolic link loop")
def _(path):
    other = path.with_name("symlink_loop_b.nii.gz")
    os.symlink(other.name, path)
    os.symlink(path.name, other)


@hostile("symlink_self.nrrd", r"symbolic link loop")
def _(path):
    os.symlink(path.name, path)


@hostile("symlink_dangling.nii.gz", r"broken symbolic link")
def _(path):
    os.symlink("nowhere/never.nii.gz", path)


@hostile("named_pipe.nii.gz", r"not a regular file \(a named pipe\)", needs="fifo")
def _(path):
    os.mkfifo(path)


@hostile("device_link.npy", r"not a regular file \(a device\)")
def _(path):
    os.symlink("/dev/zero", path)


@hostile("unreadable.nii.gz", r"permission denied", needs="non-root")
def _(path):
    valid_nifti_gz(path)
    os.chmod(path, 0)


@hostile("unreadable_folder", r"permission denied", needs="non-root")
def _(path):
    _ct_slices(path, n=2)
    os.chmod(path, 0)


# ---------------------------------------------------------------- pairs that do not fit


def _nii(path: Path, data, affine=AFFINE) -> Path:
    nib.Nifti1Image(data, affine).to_filename(path)
    return path


@pair("shape_mismatch", r"different voxel grids|shapes differ")
def _(folder, name):
    return (_nii(folder / f"{name}_gt.nii.gz", small_mask((16, 14, 10))),
            _nii(folder / f"{name}_pred.nii.gz", small_mask((16, 14, 12))))


@pair("origin_mismatch", r"different voxel grids")
def _(folder, name):
    shifted = AFFINE.copy()
    shifted[:3, 3] += [5.0, 0, 0]
    return (_nii(folder / f"{name}_gt.nii.gz", small_mask()),
            _nii(folder / f"{name}_pred.nii.gz", small_mask(), shifted))


@pair("spacing_mismatch", r"different voxel grids")
def _(folder, name):
    other = AFFINE.copy()
    other[2, 2] = 3.0
    return (_nii(folder / f"{name}_gt.nii.gz", small_mask()),
            _nii(folder / f"{name}_pred.nii.gz", small_mask(), other))


@pair("rotated_grid", r"different voxel grids")
def _(folder, name):
    c, s = np.cos(0.3), np.sin(0.3)
    rot = np.eye(4)
    rot[:2, :2] = [[c, -s], [s, c]]
    return (_nii(folder / f"{name}_gt.nii.gz", small_mask()),
            _nii(folder / f"{name}_pred.nii.gz", small_mask(), rot @ AFFINE))


@pair("png_vs_volume", r"shapes differ|different voxel grids")
def _(folder, name):
    from PIL import Image

    gt = _nii(folder / f"{name}_gt.nii.gz", small_mask())
    pred = folder / f"{name}_pred.png"
    Image.fromarray(small_mask((16, 14), seed=2) * 255).save(pred)
    return gt, pred


@pair("png_sizes_differ", r"shapes differ")
def _(folder, name):
    from PIL import Image

    gt, pred = folder / f"{name}_gt.png", folder / f"{name}_pred.png"
    Image.fromarray(small_mask((16, 14), seed=2)).save(gt)
    Image.fromarray(small_mask((14, 16), seed=3)).save(pred)
    return gt, pred


# ---------------------------------------------------------------- convenience


def build_all(folder: Path, entries=None) -> dict:
    """Build every entry (or ``entries``) into ``folder``; ``{name: path}``."""
    folder = Path(folder)
    out = {}
    for h in entries or HOSTILE:
        if h.needs == "fifo" and not hasattr(os, "mkfifo"):
            continue
        out[h.name] = h.build(folder)
    return out


def good_mask(folder: Path, name="partner_ok.nii.gz") -> Path:
    """A valid mask to pair a hostile file with."""
    return _nii(Path(folder) / name, small_mask())
