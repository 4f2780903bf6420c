"""Reading and writing 8-bit images with errors that name the file."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image, UnidentifiedImageError

from fusionbench.errors import InputError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def read_image(path, *, allow_16bit: bool = False) -> np.ndarray:
    """Decode an image file to ``uint8`` (H, W) or (H, W, 3).

    RGBA and LA drop their alpha channel, palette images are expanded to RGB.
    16-bit files raise :class:`InputError` unless ``allow_16bit`` (then ``uint16`` is returned):
    every reference toolbox reads 8-bit files, so silently rescaling would change the numbers.
    """
    path = os.fspath(path)
    try:
        with Image.open(path) as im:
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
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except UnidentifiedImageError:
        raise InputError(path, "not a readable image (unknown format or corrupt file)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(path, f"corrupt or truncated image ({exc})") from None
    if arr.size == 0:
        raise InputError(path, "empty image")
    return arr


def write_image(path, image: np.ndarray) -> None:
    """Write a uint8 gray or RGB array (float input in [0, 1] is scaled and rounded)."""
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        arr = np.clip(np.round(arr.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    Image.fromarray(arr).save(path)
