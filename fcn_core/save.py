"""Save a sticker the way a messenger accepts it (DESIGN §6, §11).

Targets and their rules (sizes in pixels, limits in KiB as the messengers state them):

* ``telegram``: PNG or WEBP, one side exactly 512 and the other at most 512, at most 512 KB.
* ``whatsapp``: WEBP, exactly 512×512, at most 100 KB.

PNG is lossless: saved at the default zlib level first (fast: ~30 ms for a 512×512 sticker), and
only when that is over the limit again with ``optimize`` (an exhaustive zlib search that costs
~10× more); if it is still over the limit the save fails and says to use WEBP. WEBP is lossy: it is encoded at falling
quality (``WEBP_QUALITY_STEPS``) until it
fits, and the save fails, saying so, when even the lowest quality does not. The alpha channel is
always kept lossless so the cut-out edge stays exact.

Writing is atomic: the bytes go to a hidden temporary file in the destination folder, which is
re-opened and checked (size, mode RGBA, byte limit) before ``os.replace`` moves it into place; on
any failure the temporary file is removed, so the destination holds either the old file or a
complete, checked sticker, never a partial one. An existing file is only replaced with
``overwrite=True`` (the check and the replace are not one atomic step; a file created between
them is overwritten).
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from fcn_core.atomic_file import file_in_the_way, write_atomically
from fcn_core.sticker import Sticker

logger = logging.getLogger(__name__)

StickerFormat = Literal["png", "webp"]
STICKER_FORMATS: tuple[StickerFormat, ...] = ("png", "webp")
"""The file formats a sticker can be saved in (both messengers take both, with their own limits)."""
WEBP_QUALITY_STEPS: tuple[int, ...] = (90, 80, 70, 60, 50, 40, 30, 20, 10)
"""WEBP qualities tried in order; the first that fits the target's byte limit is kept."""

_PIL_FORMATS = {"png": "PNG", "webp": "WEBP"}

MIN_VISIBLE_FRACTION = 0.002
"""A sticker needs at least this share of its pixels at least half opaque (524 of 512×512, a
23-px square): below, a chat shows an empty bubble. Such stickers come from a mask the edits
or the CRF emptied, or from a photo that is transparent where the object is."""
VISIBLE_ALPHA = 128


class StickerSaveError(RuntimeError):
    """A sticker could not be saved; the message says why in plain words (and which rule failed)."""


@dataclass(frozen=True)
class StickerTarget:
    """What a messenger accepts: formats, side length, whether it must be square, byte limit."""

    name: str
    title: str
    formats: tuple[str, ...]
    max_bytes: int
    side: int = 512
    square: bool = False

    def size_problem(self, width: int, height: int) -> str | None:
        """Why ``width×height`` breaks this target's size rule, or ``None`` when it is fine
        (``side=0``: any size)."""
        if self.side == 0:
            return None
        if self.square and (width, height) != (self.side, self.side):
            return f"{self.title} stickers must be exactly {self.side}×{self.side} px, this one is {width}×{height}"
        if not self.square and not (max(width, height) == self.side and min(width, height) <= self.side):
            return (
                f"{self.title} stickers need one side of exactly {self.side} px and the other at most "
                f"{self.side} px, this one is {width}×{height}"
            )
        return None

    def bytes_problem(self, num_bytes: int, fmt: str) -> str | None:
        """Why a file of ``num_bytes`` is too big for this target, or ``None``."""
        if num_bytes > self.max_bytes:
            return (
                f"the {fmt.upper()} file is {_kib(num_bytes)}, over {self.title}'s limit of {_kib(self.max_bytes)}"
            )
        return None


TARGETS: dict[str, StickerTarget] = {
    "telegram": StickerTarget("telegram", "Telegram", ("png", "webp"), max_bytes=512 * 1024),
    "whatsapp": StickerTarget("whatsapp", "WhatsApp", ("webp",), max_bytes=100 * 1024, square=True),
    # Telegram custom emoji: 100×100; the byte limit is the sticker one (the same upload path).
    "telegram-emoji": StickerTarget("telegram-emoji", "Telegram custom emoji", ("png", "webp"), max_bytes=512 * 1024,
                                    side=100, square=True),
    # The photo canvas (cut-out at the photo's own size, for compositing): any size, no byte limit.
    "image": StickerTarget("image", "Cut-out image", ("png", "webp"), max_bytes=2**62, side=0),
}


def sticker_format(name: str) -> StickerFormat:
    """``name`` as a sticker format, or ``ValueError`` naming the ones there are."""
    for fmt in STICKER_FORMATS:
        if name == fmt:
            return fmt
    raise ValueError(f"unknown sticker format {name!r}; use {' or '.join(STICKER_FORMATS)}")


MESSENGERS: tuple[str, ...] = ("telegram", "whatsapp")
"""The targets a person chooses (the others follow from the canvas: ``target_for_canvas``)."""


def target_for_canvas(canvas: str, messenger: str) -> str:
    """The save rules for a canvas: the messenger's for a sticker, Telegram's custom-emoji rules for
    ``emoji``, and no size rule for ``photo`` (a cut-out at the photo's size is no sticker as is)."""
    return {"emoji": "telegram-emoji", "photo": "image"}.get(canvas, messenger)


@dataclass(frozen=True)
class SavedSticker:
    """Where a sticker went and what was written (``quality`` is the WEBP quality used)."""

    path: Path
    fmt: str
    num_bytes: int
    quality: int | None = None


def save_sticker(
    sticker: Sticker,
    path: Path,
    *,
    fmt: StickerFormat = "png",
    target: str = "telegram",
    overwrite: bool = False,
) -> SavedSticker:
    """Encode ``sticker`` for ``target`` and write it atomically to ``path`` (module doc).

    ``path`` must end in ``.<fmt>``. Raises ``StickerSaveError`` naming the rule that failed.
    """
    path = Path(path)
    fmt_name = fmt.lower()
    rules = _target(target)
    if fmt_name not in rules.formats:
        allowed = " or ".join(name.upper() for name in rules.formats)
        raise StickerSaveError(f"{rules.title} stickers must be {allowed}, not {fmt_name.upper()}")
    if path.suffix.lower() != f".{fmt_name}":
        raise StickerSaveError(f"the file name {path.name!r} does not end in .{fmt_name}, the format being saved")
    height, width = sticker.size
    if (problem := rules.size_problem(width, height)) is not None:
        raise StickerSaveError(problem)
    if (problem := _visibility_problem(sticker)) is not None:
        raise StickerSaveError(problem)
    _check_destination(path, overwrite)
    data, quality = _encode(sticker, fmt_name, rules)
    _write_checked(path, data, lambda written: _verify(written, fmt_name, rules))
    settings = f", WEBP quality {quality}" if quality is not None else ""
    logger.info("saved %s sticker %s (%s%s)", rules.title, path, _kib(len(data)), settings)
    return SavedSticker(path=path, fmt=fmt_name, num_bytes=len(data), quality=quality)


def _visibility_problem(sticker: Sticker) -> str | None:
    """Why ``sticker`` shows (almost) nothing, or ``None``."""
    height, width = sticker.size
    visible = int(np.count_nonzero(sticker.rgba[..., 3] >= VISIBLE_ALPHA))
    needed = math.ceil(MIN_VISIBLE_FRACTION * height * width)
    if visible >= needed:
        return None
    what = " + ".join(sticker.class_names) or "the chosen object"
    return (
        f"the sticker of {what} has almost nothing to see: {visible} of {width}×{height} pixels are at least "
        f"half opaque, {needed} are needed; pick another class, or check that the photo is not transparent there"
    )


def _target(name: str) -> StickerTarget:
    try:
        return TARGETS[name.lower()]
    except KeyError:
        raise StickerSaveError(f"unknown sticker target {name!r}; targets: {', '.join(TARGETS)}") from None


def _check_destination(path: Path, overwrite: bool) -> None:
    """Refuse what would certainly fail or destroy something, before any encoding work."""
    folder = path.parent
    if (blocker := file_in_the_way(path)) is not None:
        raise StickerSaveError(f"cannot save {path.name}: {blocker} is a file, not a folder")
    if not folder.is_dir():
        raise StickerSaveError(f"cannot save {path.name}: the folder {folder} does not exist")
    if path.is_dir():
        raise StickerSaveError(f"cannot save to {path}: it is a folder")
    if path.exists() and not overwrite:
        raise StickerSaveError(f"{path} already exists; choose another name or allow overwriting")


def _encode(sticker: Sticker, fmt: str, rules: StickerTarget) -> tuple[bytes, int | None]:
    """The file's bytes, and the WEBP quality that made them fit (``None`` for PNG)."""
    image = Image.fromarray(sticker.rgba, "RGBA")
    if fmt == "png":
        data = _to_bytes(image, "png")
        if rules.bytes_problem(len(data), fmt) is not None:
            data = _to_bytes(image, "png", optimize=True)
        if (problem := rules.bytes_problem(len(data), fmt)) is not None:
            hint = "; save as WEBP, which can lower its quality to fit" if "webp" in rules.formats else ""
            raise StickerSaveError(problem + hint)
        return data, None
    for quality in WEBP_QUALITY_STEPS:
        data = _to_bytes(image, "webp", quality=quality, alpha_quality=100)
        if rules.bytes_problem(len(data), fmt) is None:
            return data, quality
        logger.debug("WEBP at quality %d is %s, over %s", quality, _kib(len(data)), _kib(rules.max_bytes))
    raise StickerSaveError(
        f"cannot fit the sticker into {rules.title}'s limit of {_kib(rules.max_bytes)}: even at the lowest "
        f"WEBP quality ({WEBP_QUALITY_STEPS[-1]}) it is {_kib(len(data))}"
    )


def _to_bytes(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, _PIL_FORMATS[fmt], **options)
    return buffer.getvalue()


def _verify(path: Path, fmt: str, rules: StickerTarget) -> None:
    """Re-open the written file and check it against the target's rules."""
    try:
        with Image.open(path) as image:
            image.load()
            found_format, mode, (width, height) = image.format, image.mode, image.size
    except (OSError, ValueError) as error:
        raise StickerSaveError(f"the written file cannot be read back as an image: {error}") from error
    if found_format != _PIL_FORMATS[fmt]:
        raise StickerSaveError(f"the written file is {found_format}, not {fmt.upper()}")
    if (problem := rules.size_problem(width, height)) is not None:
        raise StickerSaveError(problem)
    if mode != "RGBA":
        raise StickerSaveError(
            f"the written file has mode {mode}, not RGBA: a sticker needs a transparent background "
            "(a fully opaque picture loses its alpha channel in WEBP; leave a margin around the object)"
        )
    if (problem := rules.bytes_problem(path.stat().st_size, fmt)) is not None:
        raise StickerSaveError(problem)


def _write_checked(path: Path, data: bytes, verify: Callable[[Path], None]) -> None:
    """Write ``data`` atomically, verified before it replaces ``path``; OS errors in plain words."""
    try:
        write_atomically(path, lambda file: file.write(data), verify=verify)
    except OSError as error:
        raise StickerSaveError(str(error)) from error  # a FileWriteError: names the file, its folder, the reason


def _kib(num_bytes: int) -> str:
    return f"{num_bytes / 1024:.0f} KB" if num_bytes >= 10 * 1024 else f"{num_bytes / 1024:.1f} KB"
