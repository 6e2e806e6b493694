"""Export a pack for WhatsApp.

Two things are written, both from the same checked files:

* a folder laid out like the ``assets`` folder of WhatsApp's official sample app, which an app
  developer drops into that app: ``contents.json`` (``sticker_packs``: identifier, name,
  publisher, tray_image_file, image_data_version, avoid_cache, the publisher/website fields
  and ``stickers`` with ``image_file`` and ``emojis``) and ``<identifier>/`` holding the tray
  PNG and the WEBP stickers;
* ``<identifier>.wastickers``, the zip that sticker importer apps open: ``title.txt``,
  ``author.txt``, ``tray.png`` and the WEBP stickers.

Nothing is written unless the whole pack meets WhatsApp's rules (``check.prepare``).
"""

from __future__ import annotations

import json
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from fcn_core.atomic_file import write_atomically, write_bytes_atomically, write_text_atomically
from fcn_core.packs.check import Prepared, prepare
from fcn_core.packs.model import Pack

logger = logging.getLogger(__name__)

TRAY_FILE = "tray.png"
WASTICKERS_SUFFIX = ".wastickers"
Progress = Callable[[int, int], None]
"""Called with (steps done, steps in all)."""


@dataclass(frozen=True)
class WhatsAppExport:
    folder: Path
    contents: Path
    wastickers: Path
    sticker_files: tuple[Path, ...]
    notes: tuple[str, ...]
    """What was done to a sticker to meet the rules, one line per converted sticker."""


def sticker_name(position: int) -> str:
    return f"{position:02d}.webp"


def contents_json(pack: Pack, prepared: Prepared) -> dict[str, object]:
    """``contents.json`` in the sample app's format, for this one pack."""
    return {
        "android_play_store_link": "",
        "ios_app_store_link": "",
        "sticker_packs": [
            {
                "identifier": pack.identifier,
                "name": pack.title,
                "publisher": pack.publisher,
                "tray_image_file": TRAY_FILE,
                "image_data_version": "1",
                "avoid_cache": False,
                "publisher_email": "",
                "publisher_website": "",
                "privacy_policy_website": "",
                "license_agreement_website": "",
                "animated_sticker_pack": False,
                "stickers": [
                    {"image_file": sticker_name(position), "emojis": list(item.sticker.emojis)}
                    for position, item in enumerate(prepared.stickers, start=1)
                ],
            }
        ],
    }


def export_whatsapp(pack: Pack, folder: Path, out: Path, progress: Progress | None = None) -> WhatsAppExport:
    """Check and write the WhatsApp files of the pack in ``folder`` into ``out`` (module doc)."""
    prepared = prepare(pack, folder, "whatsapp")
    assert prepared.tray is not None  # prepare reports a missing tray icon as a problem
    assets = Path(out) / pack.identifier
    assets.mkdir(parents=True, exist_ok=True)
    total = len(prepared.stickers) + 3
    written = []
    for position, item in enumerate(prepared.stickers, start=1):
        path = assets / sticker_name(position)
        write_bytes_atomically(path, item.encoded.data)
        written.append(path)
        if progress is not None:
            progress(position, total)
    write_bytes_atomically(assets / TRAY_FILE, prepared.tray.data)
    text = json.dumps(contents_json(pack, prepared), indent=2, ensure_ascii=False) + "\n"
    contents = write_text_atomically(Path(out) / "contents.json", text)
    if progress is not None:
        progress(total - 1, total)
    wastickers = write_atomically(Path(out) / f"{pack.identifier}{WASTICKERS_SUFFIX}",
                                  lambda file: _write_wastickers(file, pack, prepared))
    if progress is not None:
        progress(total, total)
    notes = tuple(f"sticker {position} ({item.sticker.file}): {item.note}"
                  for position, item in enumerate(prepared.stickers, start=1) if item.converted)
    logger.info("WhatsApp export of %r: %d stickers in %s", pack.title, len(written), out)
    return WhatsAppExport(Path(out), contents, wastickers, tuple(written), notes)


def _write_wastickers(file: BinaryIO, pack: Pack, prepared: Prepared) -> None:
    assert prepared.tray is not None
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("title.txt", pack.title)
        archive.writestr("author.txt", pack.publisher)
        archive.writestr(TRAY_FILE, prepared.tray.data)
        for position, item in enumerate(prepared.stickers, start=1):
            archive.writestr(sticker_name(position), item.encoded.data)
