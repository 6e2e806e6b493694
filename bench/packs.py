"""Time the sticker pack work on real PASCAL VOC photos: adding a sticker (render for the pack's
messenger + encode + write), the panel's live validation of a full 30-sticker WhatsApp pack
(``read_view``'s rule checks, no thumbnails) and its export (contents.json, WEBPs, tray icon,
.wastickers). The ground-truth masks stand in for the network, which is timed in bench/forward.py.
Run: ``.venv/bin/python bench/packs.py`` (needs ../shared/voc_dev).
"""

from __future__ import annotations

import platform
import statistics
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

from fcn_core.packs.check import quick_problems
from fcn_core.packs.model import add_sticker, create_pack, open_pack
from fcn_core.packs.render import render_for_pack
from fcn_core.packs.whatsapp import export_whatsapp
from fcn_core.photo import load_photo
from fcn_core.pipeline import StickerRequest
from tests.pack_helpers import VOC_DEV, ground_truth_segmentation

PACK_SIZE = 30
REPEATS = 5


def main() -> None:
    stems = sorted(path.stem for path in (VOC_DEV / "JPEGImages").glob("*.jpg"))
    inputs = []
    for stem in islice(cycle(stems), PACK_SIZE):
        photo = load_photo(VOC_DEV / "JPEGImages" / f"{stem}.jpg")
        inputs.append((photo, ground_truth_segmentation(photo)))
    print(f"CPU: {platform.processor() or platform.machine()}; {PACK_SIZE} stickers from {len(stems)} VOC photos")
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / "pack"
        pack = create_pack(folder, "Bench", "bench", target="whatsapp")
        adds = []
        for photo, seg in inputs:
            start = time.perf_counter()
            sticker, source = render_for_pack(pack, photo, seg, StickerRequest())
            add_sticker(folder, sticker.rgba, ("🙂",), source)
            adds.append(time.perf_counter() - start)
        print(f"add one sticker (render 512×512 + WEBP ≤ 100 KB + pack.json): median {statistics.median(adds) * 1000:.0f} ms, "
              f"max {max(adds) * 1000:.0f} ms")
        pack = open_pack(folder)
        checks = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            for messenger in ("whatsapp", "telegram"):
                quick_problems(open_pack(folder), folder, messenger)
            checks.append(time.perf_counter() - start)
        print(f"live validation of {PACK_SIZE} stickers, both messengers: median {statistics.median(checks) * 1000:.0f} ms")
        exports = []
        for index in range(REPEATS):
            start = time.perf_counter()
            export_whatsapp(pack, folder, Path(temporary) / f"out{index}")
            exports.append(time.perf_counter() - start)
        print(f"WhatsApp export of {PACK_SIZE} stickers (+ .wastickers): median {statistics.median(exports) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
