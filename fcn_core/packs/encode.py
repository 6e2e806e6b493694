"""Encode a picture so that it meets an ``ImageRule``: the right format, size and byte limit.

PNG is lossless and written once (zlib's exhaustive ``optimize`` only when the quick try is over
the limit). WEBP quality is stepped down (``fcn_core.save.WEBP_QUALITY_STEPS``) until the file
fits; the alpha channel is always lossless so the cut-out edge stays exact. When even the lowest
quality is over the limit, :class:`CannotFit` says by how much, so the person knows that sticker
must change (a simpler picture, a smaller object) rather than the tool.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from PIL import Image

from fcn_core.packs.rules import KB, ImageRule
from fcn_core.save import WEBP_QUALITY_STEPS

logger = logging.getLogger(__name__)

PIL_FORMATS = {"png": "PNG", "webp": "WEBP"}


class CannotFit(ValueError):
    """The picture cannot be encoded within the rule's byte limit."""


@dataclass(frozen=True)
class Encoded:
    """The file's bytes, its format and, for WEBP, the quality that made it fit."""

    data: bytes
    fmt: str
    quality: int | None = None


def to_bytes(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, PIL_FORMATS[fmt], **options)
    return buffer.getvalue()


def encode_to_fit(image: Image.Image, fmt: str, rule: ImageRule) -> Encoded:
    """``image`` (RGBA, already of an allowed size) as ``fmt`` bytes within ``rule.max_bytes``."""
    if fmt not in rule.formats:
        raise ValueError(f"{rule.title} must be {' or '.join(rule.formats)}, not {fmt}")
    image = image.convert("RGBA")
    if fmt == "png":
        data = to_bytes(image, "png")
        if len(data) > rule.max_bytes:
            data = to_bytes(image, "png", optimize=True)
        if len(data) > rule.max_bytes:
            raise CannotFit(f"{rule.title} may be at most {rule.max_bytes // KB} KB; as PNG it is {len(data) / KB:.0f} KB "
                            "(WEBP can lower its quality to fit)")
        return Encoded(data, "png")
    for quality in WEBP_QUALITY_STEPS:
        data = to_bytes(image, "webp", quality=quality, alpha_quality=100, method=4)
        if len(data) <= rule.max_bytes:
            if quality != WEBP_QUALITY_STEPS[0]:
                logger.info("re-encoded at WEBP quality %d to fit %d KB", quality, rule.max_bytes // KB)
            return Encoded(data, "webp", quality)
    raise CannotFit(f"{rule.title} may be at most {rule.max_bytes // KB} KB; even at WEBP quality {WEBP_QUALITY_STEPS[-1]} "
                    f"this picture is {len(data) / KB:.0f} KB (too much fine detail; try a smaller object or no shadow)")


def fit_canvas(image: Image.Image, rule: ImageRule) -> Image.Image:
    """``image`` on a canvas ``rule`` accepts: scaled so its longer side is ``rule.side`` and, for
    a square rule, centred on a transparent square. A Telegram 512×384 sticker becomes a 512×512
    WhatsApp one without being stretched."""
    image = image.convert("RGBA")
    width, height = image.size
    scale = rule.side / max(width, height)
    if scale != 1:
        image = image.resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.LANCZOS)
    if rule.square and image.size != (rule.side, rule.side):
        canvas = Image.new("RGBA", (rule.side, rule.side), (0, 0, 0, 0))
        canvas.paste(image, ((rule.side - image.width) // 2, (rule.side - image.height) // 2))
        image = canvas
    return image
