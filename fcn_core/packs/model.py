"""A pack on disk: a folder with ``pack.json`` and the sticker files (DESIGN §6a).

``pack.json`` holds the title, publisher, identifier, the messenger the stickers are rendered for
(``target``), the tray icon's sticker and the stickers in order, each with its file, 1–3 emojis
and where it came from (photo, classes, CRF, clean-up and style: enough to render it again).

Promises, each tested:

* Every write is atomic (``write_atomically``): an interrupted change leaves the old
  ``pack.json`` or the new one. A sticker's file is written before the ``pack.json`` that lists
  it, so ``pack.json`` never names a file that is not there.
* Removing a sticker moves its file into ``removed/``; reordering only rewrites ``pack.json``.
  No operation deletes a file.
* A ``pack.json`` written by an older version (no ``version``, ``author`` for ``publisher``,
  emojis as one string, stickers as bare file names) opens; one from a newer version is refused
  with a message rather than half-read.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from PIL import Image

from fcn_core.atomic_file import write_bytes_atomically, write_text_atomically
from fcn_core.mask import MaskCleanup
from fcn_core.packs.encode import encode_to_fit
from fcn_core.packs.rules import MESSENGERS, MessengerRules, split_emojis
from fcn_core.sticker import StickerStyle

logger = logging.getLogger(__name__)

PACK_FILE = "pack.json"
FORMAT_VERSION = 1
STICKER_FOLDER = "stickers"
REMOVED_FOLDER = "removed"
TARGETS = tuple(MESSENGERS)
"""What a pack's stickers are rendered for: ``telegram`` (512 px stickers), ``telegram-emoji``
(100×100 custom emoji) or ``whatsapp`` (512×512 WEBP)."""
TARGET_FORMATS = {"telegram": "png", "telegram-emoji": "png", "whatsapp": "webp"}


class PackError(ValueError):
    """A pack cannot be read or changed as asked; the message says why in plain words."""


@dataclass(frozen=True)
class StickerSource:
    """Where a sticker came from: what ``fcn-sticker make`` needs to render it again."""

    photo: str | None = None
    classes: tuple[str, ...] = ()
    crf: str | None = None
    crf_mode: str = "binary"
    cleanup: MaskCleanup = field(default_factory=MaskCleanup)
    style: StickerStyle = field(default_factory=StickerStyle)

    def to_json(self) -> dict[str, Any]:
        return {
            "photo": self.photo, "classes": list(self.classes), "crf": self.crf, "crf_mode": self.crf_mode,
            "cleanup": asdict(self.cleanup), "style": asdict(self.style),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StickerSource:
        style: dict[str, Any] = {key: tuple(value) if isinstance(value, list) else value
                                 for key, value in data.get("style", {}).items() if key in StickerStyle.__dataclass_fields__}
        return cls(
            photo=data.get("photo"),
            classes=tuple(data.get("classes", ())),
            crf=data.get("crf"),
            crf_mode=data.get("crf_mode", "binary"),
            cleanup=MaskCleanup(**data.get("cleanup", {})),
            style=StickerStyle(**style),
        )


@dataclass(frozen=True)
class PackSticker:
    """One sticker: its file (relative to the pack folder), its emojis and its source."""

    file: str
    emojis: tuple[str, ...] = ()
    source: StickerSource | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"file": self.file, "emojis": list(self.emojis)}
        if self.source is not None:
            data["source"] = self.source.to_json()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any] | str) -> PackSticker:
        if isinstance(data, str):  # older packs: a bare file name
            return cls(data)
        emojis = data.get("emojis", ())
        source = data.get("source")
        return cls(
            file=str(data["file"]),
            emojis=split_emojis(emojis) if isinstance(emojis, str) else tuple(emojis),
            source=None if source is None else StickerSource.from_json(source),
        )


@dataclass(frozen=True)
class Pack:
    """The content of ``pack.json``; ``tray`` is the file of the sticker the tray icon is made of
    (``None``: the first sticker)."""

    title: str
    publisher: str
    identifier: str
    target: str = "telegram"
    stickers: tuple[PackSticker, ...] = ()
    tray: str | None = None
    version: int = FORMAT_VERSION

    @property
    def rules(self) -> MessengerRules:
        return MESSENGERS[self.target]

    @property
    def tray_sticker(self) -> PackSticker | None:
        files = [sticker.file for sticker in self.stickers]
        if self.tray in files:
            return self.stickers[files.index(self.tray)]
        return self.stickers[0] if self.stickers else None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION, "title": self.title, "publisher": self.publisher, "identifier": self.identifier,
            "target": self.target, "tray": self.tray, "stickers": [sticker.to_json() for sticker in self.stickers],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Pack:
        version = int(data.get("version", 1))
        if version > FORMAT_VERSION:
            raise PackError(f"this pack was written by a newer version (pack format {version}, this program reads up to "
                            f"{FORMAT_VERSION}); update FCN Sticker Studio to open it")
        title = str(data.get("title", ""))
        target = data.get("target", "telegram")
        if target not in TARGETS:
            raise PackError(f"unknown pack target {target!r}; targets: {', '.join(TARGETS)}")
        return cls(
            title=title,
            publisher=str(data.get("publisher", data.get("author", ""))),
            identifier=str(data.get("identifier") or identifier_for(title)),
            target=target,
            stickers=tuple(PackSticker.from_json(item) for item in data.get("stickers", ())),
            tray=data.get("tray"),
            version=FORMAT_VERSION,
        )


def identifier_for(title: str) -> str:
    """A WhatsApp-safe identifier: the title's letters and digits plus a random suffix, so two
    packs with one title stay two packs in the messenger."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", title).strip("_").lower()[:40] or "pack"
    return f"{slug}_{secrets.token_hex(3)}"


# --- reading and writing ---------------------------------------------------------------------


def open_pack(folder: Path) -> Pack:
    """The pack in ``folder``; ``PackError`` when there is none or it cannot be read."""
    path = Path(folder) / PACK_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackError(f"{folder} is not a sticker pack (no {PACK_FILE}); make one with `fcn-sticker pack new`") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise PackError(f"{path} does not hold a pack (expected a JSON object)")
    try:
        return Pack.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, PackError):
            raise
        raise PackError(f"{path} is damaged: {exc}") from exc


def save_pack(folder: Path, pack: Pack) -> Pack:
    """Write ``pack`` as ``folder/pack.json`` (atomically)."""
    text = json.dumps(pack.to_json(), indent=2, ensure_ascii=False) + "\n"
    write_text_atomically(Path(folder) / PACK_FILE, text)
    return pack


def create_pack(folder: Path, title: str, publisher: str, *, identifier: str | None = None, target: str = "telegram") -> Pack:
    """A new, empty pack in ``folder`` (created if missing); refuses to replace an existing pack."""
    folder = Path(folder)
    if target not in TARGETS:
        raise PackError(f"unknown pack target {target!r}; targets: {', '.join(TARGETS)}")
    if (folder / PACK_FILE).exists():
        raise PackError(f"{folder} already holds a pack ({PACK_FILE}); open it instead")
    if not title.strip():
        raise PackError("a pack needs a title")
    (folder / STICKER_FOLDER).mkdir(parents=True, exist_ok=True)
    pack = Pack(title=title, publisher=publisher, identifier=identifier or identifier_for(title), target=target)
    logger.info("new %s pack %r in %s", target, title, folder)
    return save_pack(folder, pack)


# --- changing ---------------------------------------------------------------------------------


def add_sticker(
    folder: Path, rgba: Any, emojis: Sequence[str], source: StickerSource | None = None, *, fmt: str | None = None
) -> Pack:
    """Encode ``rgba`` (an H×W×4 uint8 array or a PIL image, already rendered for the pack's
    target) into ``stickers/NNN.<fmt>`` and append it; raises ``CannotFit`` when it cannot meet
    the target's byte limit and ``PackError`` when its size is wrong for the target."""
    folder = Path(folder)
    pack = open_pack(folder)
    rule = pack.rules.sticker
    fmt = fmt or TARGET_FORMATS[pack.target]
    image = rgba if isinstance(rgba, Image.Image) else Image.fromarray(rgba, "RGBA")
    if (problem := rule.size_problem(*image.size)) is not None:
        raise PackError(f"cannot add this sticker to a {pack.target} pack: {problem}")
    encoded = encode_to_fit(image, fmt, rule)
    (folder / STICKER_FOLDER).mkdir(exist_ok=True)
    path = _free_name(folder, pack, fmt)
    write_bytes_atomically(path, encoded.data)
    sticker = PackSticker(path.relative_to(folder).as_posix(), tuple(emojis), source)
    return save_pack(folder, replace(pack, stickers=(*pack.stickers, sticker)))


def add_file(folder: Path, path: Path, emojis: Sequence[str], source: StickerSource | None = None) -> Pack:
    """Append a sticker file that already lies inside the pack folder (batch export writes there)."""
    folder = Path(folder)
    pack = open_pack(folder)
    try:
        relative = Path(path).resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        raise PackError(f"{path} is not inside the pack folder {folder}") from None
    if any(sticker.file == relative for sticker in pack.stickers):
        return pack
    return save_pack(folder, replace(pack, stickers=(*pack.stickers, PackSticker(relative, tuple(emojis), source))))


def remove_sticker(folder: Path, index: int) -> Pack:
    """Take sticker ``index`` (0-based) out of the pack; its file moves to ``removed/``."""
    folder = Path(folder)
    pack = open_pack(folder)
    sticker = _at(pack, index)
    remaining = pack.stickers[:index] + pack.stickers[index + 1 :]
    updated = save_pack(folder, replace(pack, stickers=remaining, tray=None if pack.tray == sticker.file else pack.tray))
    source = folder / sticker.file
    if source.exists():
        (folder / REMOVED_FOLDER).mkdir(exist_ok=True)
        destination = folder / REMOVED_FOLDER / source.name
        counter = 1
        while destination.exists():
            counter += 1
            destination = destination.with_name(f"{source.stem}-{counter}{source.suffix}")
        shutil.move(source, destination)
    return updated


def move_sticker(folder: Path, index: int, new_index: int) -> Pack:
    """Move sticker ``index`` to position ``new_index`` (both 0-based)."""
    pack = open_pack(folder)
    _at(pack, index)
    _at(pack, new_index)
    order = list(pack.stickers)
    order.insert(new_index, order.pop(index))
    return save_pack(folder, replace(pack, stickers=tuple(order)))


def reorder(folder: Path, files: Sequence[str]) -> Pack:
    """Put the stickers in the order of ``files`` (a permutation of the pack's files: the GUI's drag)."""
    pack = open_pack(folder)
    by_file = {sticker.file: sticker for sticker in pack.stickers}
    if sorted(files) != sorted(by_file):
        raise PackError("the new order must list every sticker of the pack exactly once")
    return save_pack(folder, replace(pack, stickers=tuple(by_file[file] for file in files)))


def set_emojis(folder: Path, index: int, emojis: Sequence[str]) -> Pack:
    pack = open_pack(folder)
    sticker = _at(pack, index)
    stickers = list(pack.stickers)
    stickers[index] = replace(sticker, emojis=tuple(emojis))
    return save_pack(folder, replace(pack, stickers=tuple(stickers)))


def set_tray(folder: Path, index: int) -> Pack:
    """Make the tray icon from sticker ``index``."""
    pack = open_pack(folder)
    return save_pack(folder, replace(pack, tray=_at(pack, index).file))


def set_details(folder: Path, *, title: str | None = None, publisher: str | None = None) -> Pack:
    pack = open_pack(folder)
    return save_pack(folder, replace(pack, title=pack.title if title is None else title,
                                     publisher=pack.publisher if publisher is None else publisher))


def _at(pack: Pack, index: int) -> PackSticker:
    if not 0 <= index < len(pack.stickers):
        raise PackError(f"the pack has {len(pack.stickers)} stickers; there is no sticker {index + 1}")
    return pack.stickers[index]


def _free_name(folder: Path, pack: Pack, fmt: str) -> Path:
    """``stickers/NNN.<fmt>`` with a number no sticker, listed or removed, has used."""
    taken = {Path(sticker.file).stem for sticker in pack.stickers}
    for sub in (STICKER_FOLDER, REMOVED_FOLDER):
        if (folder / sub).is_dir():
            taken.update(path.stem.split("-")[0] for path in (folder / sub).iterdir())
    number = len(pack.stickers) + 1
    while f"{number:03d}" in taken:
        number += 1
    return folder / STICKER_FOLDER / f"{number:03d}.{fmt}"
