"""PNG, BMP, JPEG (Pillow, as scikit-image uses it) and TIFF (tifffile).

Sizes are read from the file header and checked before any pixel is
decoded, so a "decompression bomb" (a tiny file declaring a huge image) is
refused instead of exhausting memory. A 2-D picture becomes ``(rows, cols, 1)``
with an identity affine (pixels have no patient geometry); a multi-page TIFF
stack becomes ``(rows, cols, pages)``.

Colour: when all colour channels are equal the picture is gray and one
channel is kept exactly; otherwise the luminance is shown and
``meta["color"]`` is set, so that ``load_case`` refuses it as a mask.
Palette PNGs keep their indices (the usual way of storing label masks).
"""
from __future__ import annotations

import math
import threading
import warnings as pywarnings
from pathlib import Path

import numpy as np

from ..volume import Volume
from ._util import cast_exact, reading
from .errors import LoadError, SaveError, file_label
from .limits import check_size, check_stored

# TIFF compression codes whose largest expansion is known: none (1) and
# deflate (8, 32946). LZW, JPEG, LZMA, ZSTD... are not bounded here.
_TIFF_STORED = {1: None, 8: "deflate", 32946: "deflate"}
_PIL_ITEMSIZE = {"I;16": 2, "I;16B": 2, "I;16L": 2, "I": 4, "F": 4}
# Pillow's bomb limit is a module global: changed around one open at a time.
_PIL_LIMIT_LOCK = threading.Lock()
_PIL_FORMAT = {".png": "PNG", ".bmp": "BMP", ".jpg": "JPEG", ".jpeg": "JPEG"}


def _equal_channels(arr: np.ndarray) -> bool:
    first = arr[..., 0]
    return all(np.array_equal(first, arr[..., c]) for c in range(1, arr.shape[-1]))


def _drop_alpha(arr: np.ndarray, has_alpha: bool, path, warnings: list) -> np.ndarray:
    if not has_alpha:
        return arr
    alpha = arr[..., -1]
    if alpha.size and (alpha.min() != alpha.max()):
        warnings.append(f"{file_label(path)}: transparency (alpha channel) ignored")
    return arr[..., :-1]


def _gray_or_color(arr: np.ndarray, path, warnings: list, meta: dict, luminance) -> np.ndarray:
    """2-D result from a channels-last array: one channel if all equal, else luminance."""
    if arr.ndim == 2 or arr.shape[-1] == 1:
        return arr if arr.ndim == 2 else arr[..., 0]
    if _equal_channels(arr):
        meta["channels_equal"] = True
        return arr[..., 0]
    meta["color"] = True
    warnings.append(f"{file_label(path)}: colour image shown as gray-level luminance")
    return luminance()


def _read_pil(path: Path) -> Volume:
    from PIL import Image

    with reading(path, "image header"), pywarnings.catch_warnings(), _PIL_LIMIT_LOCK:
        # Pillow warns above 89 M pixels and refuses above 179 M (a real
        # 16000² PNG); our own limits (check_size, check_stored) judge instead.
        pywarnings.simplefilter("ignore", Image.DecompressionBombWarning)
        saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            im = Image.open(path)
        finally:
            Image.MAX_IMAGE_PIXELS = saved
    with im:
        width, height = im.size
        bands = len(im.getbands())
        check_size(path, (height, width, bands), _PIL_ITEMSIZE.get(im.mode, 1), "pixels")
        # Whatever the format, a pixel takes at least one bit before
        # compression, and PNG's deflate (the best ratio these formats reach)
        # expands at most 1032:1: a tiny file declaring millions of pixels
        # (a decompression bomb) is refused before they are allocated.
        check_stored(path, -(-width * height // 8), path.stat().st_size, "deflate", "pixels (at 1 bit each)")
        if getattr(im, "n_frames", 1) > 1:
            raise LoadError(f"{file_label(path)}: animated image with {im.n_frames} frames; save one frame per file")
        meta = {"mode": im.mode, "format": im.format, "has_geometry": False, "lossy": im.format == "JPEG"}
        if "dpi" in im.info:
            meta["dpi"] = im.info["dpi"]
        if im.mode == "P":
            meta["palette"] = im.getpalette()
        if im.mode == "CMYK":
            im = im.convert("RGB")
        with reading(path, "image pixels"):
            arr = np.asarray(im)
        warnings: list = []
        if arr.ndim == 3:
            arr = _drop_alpha(arr, im.mode in ("LA", "RGBA", "PA", "La", "RGBa"), path, warnings)
            arr = _gray_or_color(arr, path, warnings, meta, lambda: np.asarray(im.convert("RGB").convert("L")))
    if arr.dtype == bool:
        arr = arr.view(np.uint8)  # mode "1": 0/1 pixels
    if warnings:
        meta["warnings"] = warnings
    return Volume(
        data=arr[:, :, np.newaxis], affine=np.eye(4), path=path, source_format="raster",
        header=None, is_2d=True, meta=meta,
    )


def _series_text(series) -> str:
    return f"{'×'.join(map(str, series.shape))} {series.dtype}"


def _check_one_series(tf, path) -> list:
    """Refuse a TIFF holding more than one image (a second series, an odd extra page).

    tifffile groups pages of one shape into a series; reading only the first
    one silently dropped the rest. Reduced-resolution previews (thumbnails)
    are the one kind of extra series ignored, with a warning.
    """
    extra = list(tf.series[1:])
    previews = [s for s in extra if getattr(s.keyframe, "is_reduced", False)]
    others = [s for s in extra if s not in previews]
    if others:
        shown = ", ".join(_series_text(s) for s in others[:3])
        raise LoadError(
            f"{file_label(path)}: TIFF holds {len(extra) + 1} images (pages of different shape or type): "
            f"{_series_text(tf.series[0])} and {shown}{', ...' if len(others) > 3 else ''}; "
            "dicegui reads one image or one stack: save each in its own file"
        )
    # tifffile files previews (NewSubfileType 1) as levels of a series or as series of their own
    n_previews = len(previews) + max(0, len(getattr(tf.series[0], "levels", [])) - 1)
    if n_previews:
        return [f"{file_label(path)}: {n_previews} reduced-resolution preview image(s) ignored"]
    return []


def _read_tiff(path: Path) -> Volume:
    import tifffile

    with reading(path, "TIFF header"):
        tf = tifffile.TiffFile(path)
    with tf:
        series = tf.series[0]
        warnings: list = _check_one_series(tf, path)
        shape, dtype, axes = tuple(series.shape), np.dtype(series.dtype), series.axes
        check_size(path, shape, dtype.itemsize, "pixels")
        page = tf.pages[0]
        stored = _TIFF_STORED.get(int(page.compression), "unknown")
        if stored != "unknown":
            # Bits as stored (bilevel images: 1 bit per pixel), not as decoded.
            bits = int(getattr(page, "bitspersample", 0) or dtype.itemsize * 8)
            check_stored(path, -(-math.prod(shape) * bits // 8), path.stat().st_size, stored, "pixels")
        meta = {"axes": axes, "has_geometry": False,
                "compression": int(tf.pages[0].compression), "photometric": int(tf.pages[0].photometric)}
        with reading(path, "TIFF pixels"):
            arr = series.asarray()
    if "S" in axes and not axes.endswith("S"):
        # Planar colour (one plane per channel): channels last, as a view.
        arr = np.moveaxis(arr, axes.index("S"), -1)
        axes = axes.replace("S", "") + "S"
    if axes.endswith("S"):
        samples = arr.shape[-1]
        arr = _drop_alpha(arr, samples in (2, 4), path, warnings)
        weights = np.array([0.299, 0.587, 0.114]) if arr.shape[-1] == 3 else np.ones(arr.shape[-1]) / arr.shape[-1]

        def luminance():
            lum = arr @ weights
            return lum.astype(arr.dtype) if arr.dtype.kind in "iu" else lum.astype(np.float32)

        arr = _gray_or_color(arr, path, warnings, meta, luminance)
        axes = axes[:-1]
    while len(axes) > 2 and arr.shape[0] == 1:
        arr, axes = arr[0], axes[1:]
    if warnings:
        meta["warnings"] = warnings
    if arr.ndim == 2:
        return Volume(arr[:, :, np.newaxis], np.eye(4), path, "raster", None, True, meta)
    if arr.ndim == 3:
        # Pages first in the file; the third axis here, as a volume.
        meta["stack"] = True
        return Volume(np.moveaxis(arr, 0, -1), np.eye(4), path, "raster", None, False, meta)
    raise LoadError(f"{file_label(path)}: TIFF with axes {series.axes} {shape} is not a 2-D image or a 3-D stack")


def read_raster(path) -> Volume:
    """Read a PNG, BMP, JPEG or TIFF picture (TIFF stacks as 3-D) into a Volume."""
    path = Path(path)
    tiff = path.suffix.lower() in (".tif", ".tiff")
    # Pillow and tifffile parse lazily: a damaged file can fail in any
    # attribute access (frames, palette, pages), not only in open and decode.
    with reading(path, "TIFF file" if tiff else "image"):
        return _read_tiff(path) if tiff else _read_pil(path)


def _pixel_values(data: np.ndarray, target: Path, allow16: bool) -> np.ndarray:
    for dt in (np.uint8, np.uint16) if allow16 else (np.uint8,):
        out = cast_exact(data, dt)
        if out is not None:
            return out
    lo, hi = (data.min(), data.max()) if data.size else (0, 0)
    kinds = "0…65535" if allow16 else "0…255"
    raise SaveError(
        f"{file_label(target)}: values {lo}…{hi} ({data.dtype}) do not fit this format ({kinds} whole numbers); "
        "save as .nii.gz, .nrrd, .tif or .npy"
    )


def raster_writer(volume: Volume, data: np.ndarray, target: Path):
    """Return ``write(fileobj)`` writing ``data`` as PNG/BMP/TIFF (JPEG is refused: lossy)."""
    suffix = target.suffix.lower()
    if suffix in (".jpg", ".jpeg"):
        raise SaveError(f"{file_label(target)}: JPEG is lossy and would change mask values; save as .png")
    if suffix in (".tif", ".tiff"):
        return _tiff_writer(volume, data)
    if data.shape[2] != 1:
        raise SaveError(f"{file_label(target)}: a {data.shape[2]}-slice volume cannot be one picture; save as .tif or .nii.gz")
    fmt = _PIL_FORMAT[suffix]
    pixels = _pixel_values(data[:, :, 0], target, allow16=fmt == "PNG")

    def write(fh):
        from PIL import Image

        mode = volume.meta.get("mode") if volume.source_format == "raster" else None
        if pixels.dtype == np.uint16:
            im = Image.fromarray(pixels)  # 16-bit gray, 'I;16'
        elif mode == "P" and volume.meta.get("palette"):
            # Indices written as they are: a palette PNG is how many tools store labels.
            im = Image.frombytes("P", (pixels.shape[1], pixels.shape[0]), np.ascontiguousarray(pixels).tobytes())
            im.putpalette(volume.meta["palette"])
        elif mode == "1" and pixels.max(initial=0) <= 1:
            im = Image.fromarray(pixels.astype(bool))
        else:
            im = Image.fromarray(pixels)
        kwargs = {"dpi": volume.meta["dpi"]} if "dpi" in volume.meta and fmt == "PNG" else {}
        im.save(fh, format=fmt, **kwargs)

    return write


def _tiff_writer(volume: Volume, data: np.ndarray):
    import tifffile

    out = data
    if out.dtype == bool:
        out = out.view(np.uint8)
    stack = np.moveaxis(out, -1, 0) if out.shape[2] > 1 else out[:, :, 0]
    # 8 = Adobe deflate, 32946 = deflate: zlib needs no extra codec package.
    compression = "zlib" if volume.meta.get("compression") in (8, 32946) else None

    def write(fh):
        tifffile.imwrite(fh, np.ascontiguousarray(stack), photometric="minisblack", compression=compression)

    return write
