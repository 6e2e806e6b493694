"""Render a sticker for a pack: the same pipeline as ``make``, at the pack's target.

A pack's target decides the canvas and the file format: 512 px for Telegram stickers and
WhatsApp, 100×100 for Telegram custom emoji. The person's style is kept; for the small emoji
canvas its margin, contour and stroke are scaled with the canvas so the emoji looks like the
sticker, only smaller.
"""

from __future__ import annotations

from dataclasses import replace

from fcn_core.packs.model import TARGET_FORMATS, Pack, StickerSource
from fcn_core.photo import Photo
from fcn_core.pipeline import CutOut, StickerRequest, sticker_from_patch, sticker_from_segmentation
from fcn_core.segmentation import Segmentation
from fcn_core.sticker import Sticker, StickerStyle


def style_for_target(style: StickerStyle, target: str, rule_side: int) -> StickerStyle:
    """``style`` on the target's canvas (widths scaled with the canvas, never to zero)."""
    if style.canvas_size == rule_side:
        return style
    scale = rule_side / style.canvas_size

    def scaled(width: int) -> int:
        return 0 if width == 0 else max(1, round(width * scale))

    return replace(style, canvas_size=rule_side, margin=scaled(style.margin), contour_width=scaled(style.contour_width),
                   stroke_width=scaled(style.stroke_width))


def request_for_pack(pack: Pack, request: StickerRequest) -> StickerRequest:
    """``request`` changed to render at ``pack``'s target (canvas and format)."""
    style = style_for_target(request.style, pack.target, pack.rules.sticker.side)
    fmt = TARGET_FORMATS[pack.target]
    return replace(request, style=style, fmt=fmt, target="whatsapp" if pack.target == "whatsapp" else "telegram")  # type: ignore[arg-type]


def render_for_pack(
    pack: Pack, photo: Photo, seg: Segmentation, request: StickerRequest, refined: CutOut | None = None
) -> tuple[Sticker, StickerSource]:
    """The sticker for ``pack`` and the record of where it came from (for ``pack.json``).

    ``refined`` is a cut whose edge is already refined (the window's preview, refined in its
    compute process): the pack's sticker is made from that very mask instead of refining again here.
    """
    pack_request = request_for_pack(pack, request)
    if refined is None:
        sticker, _ = sticker_from_segmentation(photo, seg, pack_request)
    else:
        sticker = sticker_from_patch(photo, refined.patch, pack_request, refined.class_names)
    source = StickerSource(
        photo=None if photo.path is None else str(photo.path.resolve()),
        classes=sticker.class_names,
        crf=request.crf,
        crf_mode=request.crf_mode,
        cleanup=request.cleanup,
        style=request.style,
    )
    return sticker, source


def source_request(source: StickerSource) -> StickerRequest:
    """The request that renders ``source`` again (with ``render_for_pack``)."""
    return StickerRequest(classes=source.classes or "auto", crf=source.crf, crf_mode=source.crf_mode,  # type: ignore[arg-type]
                          cleanup=source.cleanup, style=source.style)
