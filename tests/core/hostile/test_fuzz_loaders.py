"""Property-based fuzzing of the loaders: random bytes, mutated files, random NIfTI headers.

Whatever the bytes, ``load_volume`` and ``load_case`` either return a sane
result or raise :class:`LoadError`: never another exception, never a hang on
a huge allocation. Mutations start from small valid files of every format,
so that many examples get past the magic bytes into the header and data
parsers.
"""
import functools
import gzip
import io
import os
import struct
import zipfile

import nibabel as nib
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dicegui.core.case import Case
from dicegui.core.io import LoadError, load_case, load_volume
from dicegui.core.volume import Volume

# A warning escaping the loaders would be printed next to dicegui score's one
# line: the readers must turn the libraries' warnings into volume warnings.
# (Deprecation warnings are about code, not files, and stay warnings.)
pytestmark = [pytest.mark.filterwarnings("error::UserWarning"), pytest.mark.filterwarnings("error::RuntimeWarning"),
              pytest.mark.filterwarnings("error::ResourceWarning"),
              pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")]

# DICEGUI_FUZZ_SCALE=20 runs twenty times as many examples (a deeper local hunt).
SCALE = max(1, int(os.environ.get("DICEGUI_FUZZ_SCALE", "1")))
FUZZ = settings(
    max_examples=150 * SCALE,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                           HealthCheck.data_too_large],
)

SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".seg.nrrd", ".png", ".jpg", ".bmp", ".tif", ".dcm", ".npy", ".npz", "")

# Real magic bytes, so random tails reach the format's parser.
PREFIXES = (
    b"", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*", b"\xff\xd8\xff", b"BM", b"NRRD0004\n",
    b"\x93NUMPY\x01\x00", b"PK\x03\x04", b"\x1f\x8b\x08\x00", b"\x00" * 128 + b"DICM",
    struct.pack("<i", 348), struct.pack(">i", 348), struct.pack("<i", 540),
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def check_outcome(path) -> None:
    """Load ``path`` as a volume and as a mask: a sane result or LoadError, nothing else."""
    try:
        vol = load_volume(path)
    except LoadError as exc:
        assert path.name in str(exc) and "\n" not in str(exc), str(exc)
        return
    assert isinstance(vol, Volume)
    assert vol.data.ndim == 3 and vol.data.size > 0
    assert vol.affine.shape == (4, 4) and np.isfinite(vol.affine).all()
    try:
        case = load_case(gt=path)
    except LoadError as exc:
        assert path.name in str(exc), str(exc)
        return
    assert isinstance(case, Case) and case.gt_mask.shape == vol.data.shape


# ---------------------------------------------------------------- valid bases


def _nifti(data, gz=False) -> bytes:
    img = nib.Nifti1Image(data, np.diag([0.9, 0.8, 2.5, 1.0]))
    raw = img.to_bytes()
    return gzip.compress(raw, mtime=0) if gz else raw


def _saved(write) -> bytes:
    buf = io.BytesIO()
    write(buf)
    return buf.getvalue()


@functools.lru_cache(maxsize=None)
def valid_bases() -> dict:
    """Small valid files of every format, as bytes."""
    import nrrd
    import tifffile
    from PIL import Image
    from pydicom.data import get_testdata_file

    rng = np.random.default_rng(0)
    mask = (rng.random((6, 5, 4)) > 0.5).astype(np.uint8)
    labels = rng.integers(0, 4, (6, 5, 4)).astype(np.int16)
    picture = rng.integers(0, 255, (9, 7), dtype=np.uint8)
    seg_header = {"space": "left-posterior-superior", "space directions": np.eye(3),
                  "space origin": np.zeros(3), "Segment0_Name": "liver", "Segment0_LabelValue": "1",
                  "Segment0_Layer": "0"}
    return {
        ".nii": _nifti(labels),
        ".nii.gz": _nifti(mask, gz=True),
        ".nrrd": _saved(lambda fh: nrrd.write(fh, labels, {"encoding": "raw", "space": "right-anterior-superior",
                                                            "space directions": np.eye(3) * 0.7})),
        ".seg.nrrd": _saved(lambda fh: nrrd.write(fh, mask, dict(seg_header, encoding="gzip"))),
        ".png": _saved(lambda fh: Image.fromarray(picture).save(fh, format="PNG")),
        ".jpg": _saved(lambda fh: Image.fromarray(picture).save(fh, format="JPEG")),
        ".bmp": _saved(lambda fh: Image.fromarray(picture).save(fh, format="BMP")),
        ".tif": _saved(lambda fh: tifffile.imwrite(fh, np.stack([picture, picture[::-1]]))),
        ".dcm": open(get_testdata_file("CT_small.dcm"), "rb").read(),
        ".npy": _saved(lambda fh: np.save(fh, labels)),
        ".npz": _saved(lambda fh: np.savez_compressed(fh, data=mask, spacing=np.array([1.0, 1.0, 2.0]))),
    }


# ---------------------------------------------------------------- random bytes


@pytest.mark.parametrize("suffix", SUFFIXES, ids=lambda s: s or "no-suffix")
@FUZZ
@given(prefix=st.sampled_from(PREFIXES), tail=st.binary(max_size=1024))
def test_random_bytes_under_every_extension(suffix, prefix, tail, folder, count_example):
    count_example()
    path = folder / f"random{suffix}"
    path.write_bytes(prefix + tail)
    check_outcome(path)


@FUZZ
@given(tail=st.binary(max_size=600), suffix=st.sampled_from((".nii.gz", ".nrrd")))
def test_random_gzip_streams(tail, suffix, folder, count_example):
    """Valid gzip around random bytes: the NIfTI and NRRD parsers see the garbage."""
    count_example()
    path = folder / f"gzipped{suffix}"
    body = gzip.compress(tail) if suffix == ".nii.gz" else b"NRRD0004\nencoding: gzip\n" + gzip.compress(tail)
    path.write_bytes(body)
    check_outcome(path)


# ---------------------------------------------------------------- mutations of valid files


@st.composite
def mutations(draw, base: bytes) -> bytes:
    """``base`` with 1-4 random edits, biased towards the header (first 512 bytes)."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        n = len(data)
        pos = draw(st.one_of(st.integers(0, min(n, 512) - 1), st.integers(0, n - 1)))
        op = draw(st.sampled_from(("flip", "set", "truncate", "insert", "delete", "extreme")))
        if op == "flip":
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            chunk = draw(st.binary(min_size=1, max_size=8))
            data[pos:pos + len(chunk)] = chunk
        elif op == "truncate":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 16))]
        else:
            # An extreme integer where a size or count may live.
            value = draw(st.sampled_from((0, 1, -1, 255, 32767, -32768, 65535, 2**31 - 1, -2**31)))
            fmt = draw(st.sampled_from(("<i", ">i", "<h", ">h")))
            raw = struct.pack(fmt, value) if "h" not in fmt or -32768 <= value <= 32767 else struct.pack(
                fmt[0] + "H", value & 0xFFFF)
            data[pos:pos + len(raw)] = raw
    return bytes(data)


@pytest.mark.parametrize("suffix", sorted(valid_bases()), ids=lambda s: s)
@settings(FUZZ, max_examples=180 * SCALE)
@given(data=st.data())
def test_mutated_valid_files(suffix, data, folder, count_example):
    count_example()
    raw = data.draw(mutations(valid_bases()[suffix]), label="mutated")
    path = folder / f"mutated{suffix}"
    path.write_bytes(raw)
    check_outcome(path)


@FUZZ
@given(data=st.data(), inner=st.sampled_from((".nii.gz", ".npz")))
def test_mutations_inside_the_compression(data, inner, folder, count_example):
    """Mutate the decompressed NIfTI / .npy, then compress: the checksums are right."""
    count_example()
    bases = valid_bases()
    if inner == ".nii.gz":
        plain = gzip.decompress(bases[".nii.gz"])
        path = folder / "inner.nii.gz"
        path.write_bytes(gzip.compress(data.draw(mutations(plain)), mtime=0))
    else:
        path = folder / "inner.npz"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("data.npy", data.draw(mutations(bases[".npy"])))
    check_outcome(path)


# ---------------------------------------------------------------- random NIfTI headers

_DTYPE_CODES = (0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2304, 77, -1)
_FLOATS = st.one_of(
    st.sampled_from((0.0, -0.0, 1.0, -1.0, 1e-30, 1e30, float("nan"), float("inf"), float("-inf"))),
    st.floats(width=32, allow_nan=True, allow_infinity=True),
)
_SMALL_DIMS = st.integers(-3, 40)


@st.composite
def nifti_headers(draw) -> bytes:
    """A NIfTI-1 file whose header fields are set to random values, written raw."""
    hdr = nib.Nifti1Header()
    ndim = draw(st.integers(-2, 9))
    dims = [ndim] + [draw(st.one_of(_SMALL_DIMS, st.sampled_from((32767, -32768, 0, 1)))) for _ in range(7)]
    hdr["dim"] = dims
    hdr["datatype"] = draw(st.sampled_from(_DTYPE_CODES))
    hdr["bitpix"] = draw(st.sampled_from((0, 1, 8, 16, 32, 64, 128, -8)))
    hdr["pixdim"] = [draw(_FLOATS) for _ in range(8)]
    hdr["vox_offset"] = draw(st.sampled_from((352.0, 0.0, 348.0, 351.5, -1.0, 1e9, float("nan"))))
    hdr["scl_slope"] = draw(_FLOATS)
    hdr["scl_inter"] = draw(_FLOATS)
    hdr["qform_code"] = draw(st.integers(-2, 5))
    hdr["sform_code"] = draw(st.integers(-2, 5))
    for key in ("quatern_b", "quatern_c", "quatern_d", "qoffset_x", "qoffset_y", "qoffset_z"):
        hdr[key] = draw(_FLOATS)
    for key in ("srow_x", "srow_y", "srow_z"):
        hdr[key] = [draw(_FLOATS) for _ in range(4)]
    hdr["magic"] = draw(st.sampled_from((b"n+1", b"ni1", b"n+2", b"", b"abc")))
    raw = bytearray(hdr.binaryblock)
    if draw(st.booleans()):
        raw[0:4] = struct.pack("<i", draw(st.sampled_from((348, 540, 0, -348, 349, 1 << 30))))
    payload = draw(st.binary(max_size=4096))
    return bytes(raw) + b"\x00" * 4 + payload


@settings(FUZZ, max_examples=900 * SCALE)
@given(raw=nifti_headers(), gz=st.booleans())
def test_random_nifti_headers(raw, gz, folder, count_example):
    count_example()
    path = folder / ("header.nii.gz" if gz else "header.nii")
    path.write_bytes(gzip.compress(raw, mtime=0) if gz else raw)
    check_outcome(path)
