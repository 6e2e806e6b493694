"""Keep freed memory in the process for CPU inference (glibc only).

An FCN forward allocates and frees activations of 50–100 MB per layer. glibc serves blocks that
big with ``mmap`` and hands them back with ``munmap`` as soon as they are freed, so every forward
page-faults its activations in again: measured here at 500×375, 1.32 s → 1.21 s median once the
heap keeps them (``bench/forward.py``). The cost is that the peak of one forward (~1.5 GB for
full-width FCN-8s at 512 px) stays resident while the program runs, which a desktop app that
segments photo after photo wants anyway. Because it changes the whole process, only entry
points call it (the window's compute process, the CLI commands that run the network), never a
library function on the way.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import sys

logger = logging.getLogger(__name__)

# mallopt parameters (glibc malloc.h).
M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD_BYTES = 1 << 30
"""Blocks up to 1 GiB come from the heap, so freed activations can be reused."""
TRIM_THRESHOLD_BYTES = (1 << 31) - 1
"""Never give free heap memory back to the OS between forwards."""
TOP_PAD_BYTES = 1 << 28
"""Grow the heap in 256 MiB steps rather than per allocation."""


@functools.cache
def keep_freed_memory() -> bool:
    """Tune glibc's malloc once per process; returns whether it applied (False off glibc/Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    library = ctypes.util.find_library("c")
    libc = ctypes.CDLL(library) if library else None
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None:
        logger.debug("no glibc mallopt: allocator left as it is")
        return False
    settings = ((M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES), (M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES), (M_TOP_PAD, TOP_PAD_BYTES))
    applied = all(mallopt(parameter, value) == 1 for parameter, value in settings)
    logger.debug("malloc tuned to keep freed activations: %s", applied)
    return applied
