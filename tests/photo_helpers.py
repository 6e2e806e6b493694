"""Test photos built on the fly: hand-made PNG chunks (16-bit RGB, a bomb header) that Pillow
cannot write, and small patterned images whose pixels prove an orientation or a scaling."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_TRUECOLOUR = 2


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose IHDR claims ``width×height`` 8-bit RGB pixels and has no pixel data: opening
    it allocates nothing, so it exercises the decompression-bomb check safely."""
    header = struct.pack(">IIBBBBB", width, height, 8, PNG_TRUECOLOUR, 0, 0, 0)
    path.write_bytes(PNG_SIGNATURE + _png_chunk(b"IHDR", header) + _png_chunk(b"IEND", b""))
    return path


def write_png_rgb16(path: Path, pixels: np.ndarray) -> Path:
    """A 16-bit-per-channel RGB PNG (Pillow can read but not write these)."""
    height, width, _ = pixels.shape
    header = struct.pack(">IIBBBBB", width, height, 16, PNG_TRUECOLOUR, 0, 0, 0)
    big_endian = pixels.astype(">u2")
    rows = b"".join(b"\x00" + big_endian[row].tobytes() for row in range(height))  # filter 0 per row
    chunks = _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", zlib.compress(rows)) + _png_chunk(b"IEND", b"")
    path.write_bytes(PNG_SIGNATURE + chunks)
    return path


def write_bmp_with_bit_depth(path: Path, bits_per_pixel: int) -> Path:
    """A 4×4 BMP whose header claims ``bits_per_pixel`` (Pillow refuses depths like 7 while
    reading the header, not while decoding)."""
    info = struct.pack("<IiiHHIIiiII", 40, 4, 4, 1, bits_per_pixel, 0, 0, 0, 0, 0, 0)
    pixel_data = bytes(64)
    offset = 14 + len(info)
    path.write_bytes(b"BM" + struct.pack("<IHHI", offset + len(pixel_data), 0, 0, offset) + info + pixel_data)
    return path


QUADRANT_COLOURS = np.array(
    [[[220, 20, 20], [20, 20, 220]], [[20, 200, 20], [230, 230, 20]]], dtype=np.uint8
)
"""Top-left red, top-right blue, bottom-left green, bottom-right yellow: no two orientations of
this pattern look alike, so it proves which rotation or flip was applied."""


def quadrants(height: int, width: int) -> np.ndarray:
    """An ``height×width×3`` picture of the four ``QUADRANT_COLOURS`` blocks."""
    rows = np.repeat(np.arange(2), [height // 2, height - height // 2])
    cols = np.repeat(np.arange(2), [width // 2, width - width // 2])
    return QUADRANT_COLOURS[rows[:, None], cols[None, :]]


def save_with_orientation(path: Path, pixels: np.ndarray, orientation: int, **save_options: object) -> Path:
    """Save ``pixels`` as stored data with an EXIF Orientation tag (format from the suffix)."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(pixels).save(path, exif=exif, **save_options)
    return path


def quadrant_means(pixels: np.ndarray) -> np.ndarray:
    """Mean colour of each quadrant, ``2×2×3``, to compare a lossy picture with a pattern."""
    height, width = pixels.shape[:2]
    halves = ((slice(0, height // 2), slice(height // 2, height)), (slice(0, width // 2), slice(width // 2, width)))
    return np.array([[pixels[r, c].reshape(-1, 3).mean(axis=0) for c in halves[1]] for r in halves[0]])
