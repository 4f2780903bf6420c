"""Reading and writing 8-bit images with errors that name the file."""

from __future__ import annotations

import contextlib
import os
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

from fusionbench.errors import InputError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
# Pillow's format of each extension (as ``Image.registered_extensions()``, which imports every
# Pillow plugin on first call: about 40 modules a one-image ``fusionbench fuse`` does not need)
_WRITE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF"}
MAX_PIXELS = 64_000_000  # default limit: ~50x the largest IVIF images (LLVIP 1280x1024, M3FD 1024x768)
ENV_MAX_PIXELS = "FUSIONBENCH_MAX_PIXELS"


def max_pixels() -> int:
    """The largest image (width x height) read: ``$FUSIONBENCH_MAX_PIXELS``, else :data:`MAX_PIXELS`."""
    text = os.environ.get(ENV_MAX_PIXELS, "").strip()
    if not text:
        return MAX_PIXELS
    try:
        value = int(float(text))
    except ValueError:
        value = 0
    if value <= 0:
        raise InputError(ENV_MAX_PIXELS, f"must be a positive number of pixels, got {text!r}")
    return value


@contextlib.contextmanager
def open_image(path):
    """``PIL.Image.open`` that reads only the header, refuses images over :func:`max_pixels` and turns
    every failure into :class:`InputError` naming ``path`` (never Pillow's decompression-bomb error)."""
    path = os.fspath(path)
    limit = max_pixels()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our limit decides
            im = Image.open(path)
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except UnidentifiedImageError:
        raise InputError(path, "not a readable image (unknown format or corrupt file)") from None
    except Image.DecompressionBombError as exc:
        raise InputError(path, f"image too large ({exc}); limit {limit:,} pixels, "
                               f"set {ENV_MAX_PIXELS} to change it") from None
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a bad file, not a crash
        raise InputError(path, f"not a readable image ({type(exc).__name__}: {exc})") from None
    with im:
        w, h = im.size
        if w * h > limit:
            raise InputError(path, f"image too large: {w}x{h} = {w * h:,} pixels, limit {limit:,} "
                                   f"(set {ENV_MAX_PIXELS} to change it)")
        yield im


def read_image(path, *, allow_16bit: bool = False) -> np.ndarray:
    """Decode an image file to ``uint8`` (H, W) or (H, W, 3).

    RGBA and LA drop their alpha channel, palette images are expanded to RGB.
    16-bit files raise :class:`InputError` unless ``allow_16bit`` (then ``uint16`` is returned):
    every reference toolbox reads 8-bit files, so silently rescaling would change the numbers.
    Images over :func:`max_pixels` and every decoding failure raise :class:`InputError` naming the file.
    """
    path = os.fspath(path)
    try:
        with open_image(path) as im:
            im.load()
            mode = im.mode
            if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
                if not allow_16bit:
                    raise InputError(path, f"16-bit image (mode {mode}); convert it to 8-bit first")
                return np.asarray(im, dtype=np.uint16)
            if mode in ("1", "L", "P", "RGB", "RGBA", "LA", "CMYK", "YCbCr"):
                if mode == "1" or mode == "LA":
                    im = im.convert("L")
                elif mode != "L":
                    im = im.convert("RGB")
                arr = np.asarray(im, dtype=np.uint8)
            else:
                raise InputError(path, f"unsupported image mode {mode!r}")
    except InputError:
        raise
    except MemoryError:
        raise InputError(path, f"out of memory decoding it; lower {ENV_MAX_PIXELS} or free memory") from None
    except Exception as exc:  # noqa: BLE001 - OSError, SyntaxError, ValueError, zlib.error, ...
        raise InputError(path, f"corrupt or truncated image ({exc})") from None
    if arr.size == 0:
        raise InputError(path, "empty image")
    return arr


def write_image(path, image: np.ndarray) -> None:
    """Write a uint8 gray or RGB array (float input in [0, 1] is scaled and rounded), atomically.

    The format follows the extension (:data:`IMAGE_EXTENSIONS`); an unknown extension or a place
    that cannot be written raises :class:`InputError` naming ``path``.
    """
    from fusionbench.store.export import check_output, write_atomic
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        arr = np.clip(np.round(arr.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    path = check_output(path, IMAGE_EXTENSIONS)
    fmt = _WRITE_FORMATS[path.suffix.lower()]
    # PNG at zlib level 1: ~5x faster than Pillow's default 6 (480x640 gray: ~10 vs ~50 ms CPU, felt in
    # `fusionbench fuse`), files ~15-20 % larger; the pixels are the same
    options = {"compress_level": 1} if fmt == "PNG" else {}
    write_atomic(path, lambda tmp: Image.fromarray(arr).save(tmp, format=fmt, **options))
