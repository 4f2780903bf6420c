"""Keep freed heap memory in the process (glibc only) so repeated scoring reuses warm pages.

Scoring allocates the same few-MB temporaries for every pair. With glibc's defaults those
come from fresh ``mmap`` regions (or the heap top is trimmed after each free), so every pair
pays page faults on first touch: about 10 ms of a 30 ms 480x640 score and 45 ms of a 140 ms
1024x1280 score on the benchmark machine. Raising the mmap and trim thresholds keeps that
memory mapped instead; the process holds at most its peak heap, as it would mid-score anyway.

Applied once, by the fast backends, unless ``FUSIONBENCH_KEEP_HEAP=0``.
"""

from __future__ import annotations

import ctypes
import os
import platform

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 * 2 ** 20   # glibc's maximum on 64-bit; larger blocks still use mmap
TRIM_THRESHOLD = 512 * 2 ** 20

_done = None


def keep_freed_memory() -> bool:
    """Raise glibc's mmap/trim thresholds once per process; True when they are in effect."""
    global _done
    if _done is not None:
        return _done
    _done = False
    if os.environ.get("FUSIONBENCH_KEEP_HEAP", "1") == "0" or platform.system() != "Linux" \
            or platform.libc_ver()[0] != "glibc":
        return _done
    try:
        libc = ctypes.CDLL("libc.so.6")
        _done = bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
            bool(libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    except (OSError, AttributeError):
        pass
    return _done


M_MMAP_MAX = -4
_large = None


def keep_large_blocks() -> bool:
    """Also serve blocks above the mmap threshold from the heap, and keep up to 2 GiB freed.

    For CPU inference of the networks on whole images: their full-resolution feature maps
    (tens of MB each) are otherwise fresh ``mmap`` regions whose pages are faulted in and zeroed
    again on every pass (SMFNet, 480x640: 1.3-2.4 million page faults, 2-3.5 s of system time per
    pass, as much as its arithmetic). The process keeps its peak heap instead. Same switch as
    :func:`keep_freed_memory` (``FUSIONBENCH_KEEP_HEAP=0`` turns it off).
    """
    global _large
    if _large is not None:
        return _large
    _large = False
    if not keep_freed_memory():
        return _large
    try:
        libc = ctypes.CDLL("libc.so.6")
        _large = bool(libc.mallopt(M_MMAP_MAX, 0)) and bool(libc.mallopt(M_TRIM_THRESHOLD, 2 ** 31 - 1))
    except (OSError, AttributeError):
        pass
    return _large
