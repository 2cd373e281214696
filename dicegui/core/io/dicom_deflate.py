"""Deflated DICOM (transfer syntax 1.2.840.10008.1.2.1.99) inflated within a byte budget.

pydicom inflates the whole dataset of a deflated file in one ``zlib.decompress``
call, even when asked to stop before the pixels: a 1.2 MB file holding a
1 GiB private element took 4.1 GB. Here the dataset is inflated in chunks up
to a budget and parsed from memory:

* the header pass (:func:`read_deflated`, ``pixels=False``) inflates at most
  :data:`HEADER_BUDGET`; a dataset whose pixels start later is refused, naming
  the element that is too large;
* the pixel pass (``pixels=True``) inflates at most the pixel bytes the header
  declares plus the header and a small margin; more is refused.
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

from .bounded_read import TRAILING_MARGIN
from .errors import LoadError, file_label
from .limits import _human

#: Inflated bytes allowed before the pixel data (all non-pixel elements).
HEADER_BUDGET = 16 * 2**20
DEFLATED_SYNTAX = "1.2.840.10008.1.2.1.99"
_PIXEL_TAG = 0x7FE00010
_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
_CHUNK = 1 << 20


def _inflate(fh, limit: int) -> tuple[bytes, bool]:
    """Inflate raw deflate data from ``fh``; ``(data, more)`` where ``more``: output went past ``limit``."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    out = bytearray()
    while not inflater.eof:
        pending = inflater.unconsumed_tail or fh.read(_CHUNK)
        if not pending:
            break
        out += inflater.decompress(pending, limit + 1 - len(out))
        if len(out) > limit:
            return bytes(out[:limit]), True
    return bytes(out), False


def _element_at_end(buf: bytes) -> tuple[str, int] | None:
    """The explicit-VR little-endian element running past the end of ``buf``: ``(tag, length)``."""
    at = 0
    while at + 8 <= len(buf):
        group, elem = struct.unpack_from("<HH", buf, at)
        vr = buf[at + 4:at + 6]
        if vr in _LONG_VRS:
            if at + 12 > len(buf):
                return None
            length, head = struct.unpack_from("<I", buf, at + 8)[0], 12
        else:
            length, head = struct.unpack_from("<H", buf, at + 6)[0], 8
        if length == 0xFFFFFFFF:
            return None  # a sequence of undefined length: not worth walking into
        if at + head + length > len(buf):
            return f"({group:04X},{elem:04X}) {vr.decode('latin-1')}", length
        at += head + length
    return None


def read_deflated(path: Path, *, pixels: bool, pixel_bytes: int = 0):
    """The dataset of a deflated DICOM file, inflated within a budget.

    Parameters
    ----------
    path : Path
        The file.
    pixels : bool
        False: header only (stops before the pixel data).
    pixel_bytes : int
        With ``pixels``: the pixel bytes the header declares.

    Returns
    -------
    pydicom.Dataset
        With ``file_meta`` set.

    Raises
    ------
    LoadError
        The inflated dataset exceeds its budget.
    """
    from pydicom.filebase import DicomBytesIO
    from pydicom.filereader import _read_file_meta_info, read_dataset, read_preamble

    with open(path, "rb") as fh:
        preamble = read_preamble(fh, False)
        meta = _read_file_meta_info(fh)
        budget = HEADER_BUDGET + (pixel_bytes + TRAILING_MARGIN if pixels else 0)
        buf, more = _inflate(fh, budget)

    def stop(tag, _vr, _length):
        return not pixels and tag == _PIXEL_TAG

    if more and pixels:
        raise LoadError(f"{file_label(path)}: deflated DICOM holds more than the {_human(pixel_bytes)} of "
                        f"pixels its header declares (refused after {_human(budget)} inflated)")
    big = _element_at_end(buf) if more else None
    if big is not None and not big[0].startswith("(7FE0,0010)"):
        raise LoadError(f"{file_label(path)}: deflated DICOM header larger than {_human(HEADER_BUDGET)} "
                        f"once inflated: element {big[0]} of {_human(big[1])}; refused (not a scan's header)")
    try:
        ds = read_dataset(DicomBytesIO(buf), False, True, stop_when=stop)
    except Exception as exc:
        if not more:
            raise
        raise LoadError(f"{file_label(path)}: deflated DICOM header larger than {_human(HEADER_BUDGET)} "
                        "once inflated; refused (not a scan's header)") from exc
    ds.file_meta = meta
    ds.preamble = preamble
    ds.filename = str(path)
    ds.set_original_encoding(False, True, None)
    return ds


def is_deflated(path: Path) -> bool:
    """Whether ``path``'s file meta names the deflated transfer syntax (cheap: reads the meta group)."""
    from pydicom.filereader import read_file_meta_info

    try:
        return str(read_file_meta_info(path).get("TransferSyntaxUID", "")) == DEFLATED_SYNTAX
    except Exception:  # not DICOM, no meta group: dcmread will say so
        return False
