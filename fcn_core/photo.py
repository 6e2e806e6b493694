"""Open any photo a user drops on the app as an RGB uint8 array (DESIGN §2, §11).

Everything after this stage sees one kind of picture: ``H×W×3`` uint8 RGB, upright (EXIF
orientation applied), at most ``max_decode_side`` pixels on its long side. Every way a file can
be bad (missing, unreadable, empty, not an image, truncated, a decompression bomb, HEIC without
the plugin) becomes a ``PhotoError`` whose message names the file and says what is wrong in
plain words, so the GUI can show it and batch export can write it into its report.

Decisions a user would notice:

- **Transparency is composited on white, and kept.** Transparent pixels of a PNG/GIF/WebP usually
  hold arbitrary colour (often black); showing that to the network and to the sticker cutter gives
  black fringes. White is what image viewers and chat apps show behind a transparent picture.
  The alpha itself travels in ``Photo.alpha`` (None for an opaque photo), so a transparent pixel
  is never part of a sticker (``fcn_core.sticker``).
- **16-bit and 32-bit integer pixels** (16-bit PNG/TIFF) are scaled to 8 bits by ``round(v / 257)``,
  the exact inverse of the 8→16-bit expansion ``v * 257``; Pillow's own conversion clips them
  (anything above 255 turns white). Float pixels are read as 0–1 when they all lie there,
  otherwise as 0–255 (Pillow's convention), clipped.
- **CMYK** uses Pillow's conversion (inverted Adobe CMYK handled by the decoder); embedded ICC
  profiles are not applied.
- **Animated GIF/WebP/APNG and multi-page TIFF**: the first frame.
- **Huge photos**: only JPEG is decoded at reduced size (``Image.draft``, the decoder's DCT
  scaling, 1/2–1/8), so its memory stays small. Every other format (PNG, WebP, TIFF, HEIC…) is
  decoded in full and then reduced (``Image.reduce``), so its peak memory is that of the full
  picture, bounded only by the pixel cap below (~179 MP, about 537 MB as RGB).
  ``Photo.original_size`` keeps the full size.
- **Decompression bombs**: a photo over ``max_pixels`` (default ``MAX_PHOTO_PIXELS``, ~179 MP) is
  refused from its header, before any pixel is decoded. The check is ours and does not read or
  change the process-wide ``Image.MAX_IMAGE_PIXELS``; Pillow's own check still runs inside
  ``Image.open`` and, when it refuses first, its refusal becomes the same ``PhotoError``.
"""

from __future__ import annotations

import errno
import logging
import math
import re
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from fcn_core.atomic_file import file_in_the_way

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".heic", ".heif"}
)
"""Lower-case file suffixes batch export treats as photos."""

_PILLOW_DEFAULT_MAX_IMAGE_PIXELS = 1024 * 1024 * 1024 // 4 // 3
MAX_PHOTO_PIXELS = 2 * _PILLOW_DEFAULT_MAX_IMAGE_PIXELS
"""Default decompression-bomb limit (~179 MP): Pillow's own hard limit at its default setting.

Above every camera photo short of 200-MP phone modes, and a larger limit would only take effect
after changing Pillow's process-wide setting, which a library must not do."""

KNOWN_FORMATS = "JPEG, PNG, WEBP, GIF, BMP, TIFF and more"
"""What to tell someone whose file is not one of the formats the decoder knows."""
HEIF_INSTALL_HINT = "install pillow-heif (pip install 'fcn-sticker-studio[heic]')"

_HEVC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})
_GENERIC_HEIF_BRANDS = frozenset({b"mif1", b"msf1"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HEADER_BYTES = 64

_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
_SIXTEEN_BIT_MAX = 65535
_BYTES_TO_16_BIT = 257  # 0xAB -> 0xABAB: the 8→16-bit expansion the scaling inverts
_WHITE = (255, 255, 255, 255)

# Pillow reports decompression bombs with this wording; we restate it in megapixels.
_PILLOW_BOMB_MESSAGE = re.compile(r"\((\d+) pixels\) exceeds limit of (\d+) pixels")

# ``warnings.catch_warnings`` swaps the process-wide filter list; holding a lock while it does
# keeps concurrent load_photo calls (GUI worker, batch threads) from restoring each other's list.
_WARNINGS_LOCK = threading.Lock()
_heif_opener_registered = False


class PhotoError(ValueError):
    """A file that cannot be used as a photo. ``str()`` names the file and the reason."""

    def __init__(self, path: Path | str | None, reason: str) -> None:
        self.path = Path(path) if path is not None else None
        self.reason = reason
        where = f"'{self.path}'" if self.path is not None else "the image"
        super().__init__(f"Cannot open {where}: {reason}")


@dataclass(frozen=True, eq=False)
class Photo:
    """An upright RGB uint8 ``H×W×3`` picture and where it came from.

    ``original_size`` is ``(height, width)`` of the full-resolution picture in the file, upright
    like ``pixels``: it differs from ``size`` only when decoding reduced a huge photo.
    """

    pixels: np.ndarray
    path: Path | None
    original_size: tuple[int, int]
    alpha: np.ndarray | None = None
    """``H×W`` uint8 opacity of a photo with transparency (0 = transparent), else None."""

    def __post_init__(self) -> None:
        if self.pixels.dtype != np.uint8 or self.pixels.ndim != 3 or self.pixels.shape[2] != 3:
            raise ValueError(f"photo pixels must be H×W×3 uint8, got {self.pixels.shape} {self.pixels.dtype}")
        if min(self.size) < 1 or min(self.original_size) < 1:
            raise ValueError(f"photo must have pixels, got size {self.size}, original size {self.original_size}")
        if self.alpha is not None and (self.alpha.dtype != np.uint8 or self.alpha.shape != self.size):
            raise ValueError(f"photo alpha must be {self.size} uint8, got {self.alpha.shape} {self.alpha.dtype}")
        self.pixels.setflags(write=False)
        if self.alpha is not None:
            self.alpha.setflags(write=False)

    @property
    def size(self) -> tuple[int, int]:
        """``(height, width)`` of ``pixels``."""
        return self.pixels.shape[0], self.pixels.shape[1]


def photo_from_array(pixels: np.ndarray, path: Path | None = None) -> Photo:
    """A ``Photo`` from uint8 pixels: ``H×W`` grey, ``H×W×3`` RGB or ``H×W×4`` RGBA (composited
    on white like files are, the alpha kept). The array is copied, so the caller may keep changing theirs."""
    if pixels.dtype != np.uint8:
        raise ValueError(f"photo pixels must be uint8, got {pixels.dtype}")
    alpha = None
    if pixels.ndim == 2:
        rgb = np.repeat(pixels[:, :, None], 3, axis=2)
    elif pixels.ndim == 3 and pixels.shape[2] == 3:
        rgb = np.array(pixels, copy=True, order="C")
    elif pixels.ndim == 3 and pixels.shape[2] == 4:
        rgba = Image.fromarray(np.ascontiguousarray(pixels), "RGBA")
        rgb = np.asarray(_composite_on_white(rgba))
        transparency = _alpha_if_any(rgba)
        alpha = None if transparency is None else np.asarray(transparency)
    else:
        raise ValueError(f"photo pixels must be H×W, H×W×3 or H×W×4, got shape {pixels.shape}")
    return Photo(pixels=rgb, path=path, original_size=(rgb.shape[0], rgb.shape[1]), alpha=alpha)


def load_photo(path: str | Path, *, max_decode_side: int = 4096, max_pixels: int = MAX_PHOTO_PIXELS) -> Photo:
    """Decode the photo at ``path`` (see the module docstring for what is converted and how).

    Raises ``PhotoError`` for every file that cannot be used, never a Pillow or OS exception.
    """
    if max_decode_side < 1:
        raise ValueError(f"max_decode_side must be at least 1, got {max_decode_side}")
    path = Path(path)
    folder = "this is a folder, not an image file"
    try:
        file = path.open("rb")
    except FileNotFoundError:
        raise PhotoError(path, "the file does not exist") from None
    except IsADirectoryError:
        raise PhotoError(path, folder) from None
    except PermissionError:  # also how Windows refuses to open a folder
        denied = "permission denied: this account may not read the file"
        raise PhotoError(path, folder if path.is_dir() else denied) from None
    except OSError as error:
        if error.errno == errno.ENOTDIR:
            raise PhotoError(path, f"{file_in_the_way(path) or path.parent} is a file, not a folder") from None
        if error.errno == errno.ELOOP:
            raise PhotoError(path, "the name is a symbolic link that leads back to itself (a link loop), not a photo") from None
        raise PhotoError(path, f"the file cannot be read ({error.strerror or error})") from None
    with file:
        try:
            header = file.read(_HEADER_BYTES)
            file.seek(0)
        except OSError as error:
            raise PhotoError(path, f"the file cannot be read ({error.strerror or error})") from None
        return _decode(file, header, path, max_decode_side, max_pixels)


def _decode(file: BinaryIO, header: bytes, path: Path, max_decode_side: int, max_pixels: int) -> Photo:
    if not header:
        raise PhotoError(path, "the file is empty (0 bytes)")
    if _is_heif(header) and not _register_heif_opener():
        raise PhotoError(path, f"this is a HEIC/HEIF photo, which needs a plugin: {HEIF_INSTALL_HINT}")
    image = _open_image(file, path, max_pixels)
    with image:
        width, height = image.size
        try:
            image.draft("RGB", _draft_target(image.size, max_decode_side))
            image.load()
            size_before_orientation = image.size
            ImageOps.exif_transpose(image, in_place=True)
            rgb, transparency = _to_rgb(image)
            pixels = np.asarray(_reduce(rgb, max_decode_side))
            alpha = None if transparency is None else np.asarray(_reduce(transparency, max_decode_side))
        except MemoryError:
            raise PhotoError(path, f"not enough memory to decode a {width}×{height} image") from None
        except (OSError, ValueError, SyntaxError, EOFError, IndexError) as error:
            logger.info("decoding %s failed: %s", path, error)  # the decoder's words, for -v; the user gets plain ones
            raise PhotoError(path, "the image data is incomplete or damaged (was the file cut short while copying?)") from None
        turned = image.size != size_before_orientation
    original_size = (width, height) if turned else (height, width)
    logger.debug("loaded %s: original %s, decoded %s", path, original_size, pixels.shape[:2])
    return Photo(pixels=pixels, path=path, original_size=original_size, alpha=alpha)


def _open_image(file: BinaryIO, path: Path, max_pixels: int) -> Image.Image:
    """Identify the file from its header (no pixels decoded) and apply the bomb limit."""
    try:
        with _WARNINGS_LOCK, warnings.catch_warnings():
            # Pillow warns from its global limit; ``max_pixels`` below is the limit we apply.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(file)
    except Image.DecompressionBombError as error:
        raise PhotoError(path, _pillow_bomb_reason(error)) from None
    except UnidentifiedImageError:
        raise PhotoError(path, f"not an image, or an image format this program cannot read ({KNOWN_FORMATS})") from None
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        logger.info("reading the header of %s failed: %s", path, error)
        raise PhotoError(path, f"not an image, or its first bytes are damaged (this program reads {KNOWN_FORMATS})") from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise PhotoError(path, _bomb_reason(width * height, max_pixels, f"{width}×{height} pixels, "))
    if width < 1 or height < 1:
        image.close()
        raise PhotoError(path, f"the image has no pixels ({width}×{height})")
    return image


def _bomb_reason(pixels: int, limit: int, dimensions: str = "") -> str:
    return (
        f"the image is too large to open safely ({dimensions}{pixels / 1e6:.1f} megapixels; "
        f"the limit is {limit / 1e6:.1f} megapixels), it may be a decompression bomb"
    )


def _pillow_bomb_reason(error: Image.DecompressionBombError) -> str:
    match = _PILLOW_BOMB_MESSAGE.search(str(error))
    if match is None:
        return "the image is too large to open safely, it may be a decompression bomb"
    return _bomb_reason(int(match.group(1)), int(match.group(2)))


def _is_heif(header: bytes) -> bool:
    """True for an ISO-BMFF ``ftyp`` box whose brands say HEVC-coded HEIF (HEIC).

    AVIF shares the container and the generic ``mif1`` brand but Pillow reads it itself.
    """
    if len(header) < 12 or header[4:8] != b"ftyp":
        return False
    box_end = min(int.from_bytes(header[:4], "big"), len(header))
    brands = {header[8:12]} | {header[i : i + 4] for i in range(16, box_end - 3, 4)}
    return bool(brands & _HEVC_BRANDS) or (bool(brands & _GENERIC_HEIF_BRANDS) and not brands & _AVIF_BRANDS)


def _register_heif_opener() -> bool:
    """Import pillow-heif on the first HEIC photo only (it is an optional, heavy extra)."""
    global _heif_opener_registered
    if not _heif_opener_registered:
        try:
            from pillow_heif import register_heif_opener
        except ImportError:
            return False
        register_heif_opener()
        _heif_opener_registered = True
    return True


def _draft_target(size: tuple[int, int], max_decode_side: int) -> tuple[int, int]:
    """The (width, height) a JPEG decoder may scale down to: long side ``max_decode_side``."""
    scale = min(1.0, max_decode_side / max(size))
    return max(1, math.floor(size[0] * scale)), max(1, math.floor(size[1] * scale))


def _reduce(image: Image.Image, max_decode_side: int) -> Image.Image:
    """Shrink by the smallest integer factor that brings the long side within the limit."""
    factor = math.ceil(max(image.size) / max_decode_side)
    return image.reduce(factor) if factor > 1 else image


def _to_rgb(image: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    """Any Pillow mode to 8-bit RGB, and its alpha (mode L) where any pixel is not opaque
    (see the module docstring for the rules)."""
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        grey = Image.fromarray(_high_bit_depth_to_uint8(np.asarray(image)), "L")
        return grey.convert("RGB"), None
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        return _composite_on_white(rgba), _alpha_if_any(rgba)
    if image.mode == "RGB":
        return image, None
    return image.convert("RGB"), None


def _alpha_if_any(rgba: Image.Image) -> Image.Image | None:
    """The alpha band, or None when every pixel is opaque (most PNGs with an alpha channel)."""
    alpha = rgba.getchannel("A")
    return alpha if np.asarray(alpha).min() < _WHITE[3] else None


def _high_bit_depth_to_uint8(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "f":
        finite = np.nan_to_num(values.astype(np.float32), nan=0.0, posinf=255.0, neginf=0.0)
        in_unit_range = finite.size > 0 and finite.min() >= 0.0 and finite.max() <= 1.0
        scaled = finite * 255.0 if in_unit_range else finite
        return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    clipped = np.clip(values.astype(np.int64), 0, _SIXTEEN_BIT_MAX)
    return ((clipped + _BYTES_TO_16_BIT // 2) // _BYTES_TO_16_BIT).astype(np.uint8)


def _composite_on_white(rgba: Image.Image) -> Image.Image:
    return Image.alpha_composite(Image.new("RGBA", rgba.size, _WHITE), rgba).convert("RGB")
