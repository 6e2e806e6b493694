"""Studio latencies (issue #10 budgets): brush stroke → preview ≤ 100 ms on a 12-MP photo, undo
≤ 100 ms, matting ≤ 1.5 s at a 500×375 working size including first use.

* Stroke → preview: what the window does after a drag ends: the highlight on the GUI thread
  (``app.highlight.highlight_mask``'s work: selection window + clean-up + edits at ≤ 1024 px) and
  the sticker (``sticker_from_segmentation`` with the edits) on the builder's thread. A 12-MP
  photo (4000×3000) with the synthetic segmentation of ``bench/pick_to_sticker.py`` and a 20-point
  brush stroke across the object's edge; with 1 and with 10 earlier strokes.
* Undo: the same two costs for the state one stroke earlier (undo restores a state, then the
  same work runs).
* Matting: in a fresh Python process (so first use, numba's cached kernels loading, is included)
  ``import fcn_core.edges`` and ``refine_edges(..., matting)`` on a real 500×375 VOC photo with an
  FCN-32s-like coarse mask; then the same call again (warm).

Run: ``.venv/bin/python bench/studio_speed.py``.
"""

from __future__ import annotations

import math
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pick_to_sticker import CAT, synthetic_inputs

from fcn_core.edits import MaskEdits, Stroke
from fcn_core.mask import MaskCleanup, MaskWindow, Selection, clean_mask
from fcn_core.pipeline import StickerRequest, sticker_from_segmentation

REPEATS = 7
HIGHLIGHT_SIDE = 1024  # app.highlight.HIGHLIGHT_SIDE (app is Qt; the bench stays Qt-free)
MATTING_SCRIPT = """
import time
start = time.perf_counter()
import numpy as np
from PIL import Image
from scipy import ndimage
from fcn_core.edges import EdgeOptions, refine_edges
from fcn_core.sticker import MaskPatch
voc = "{voc}"
pixels = np.asarray(Image.open(voc + "/JPEGImages/2007_000464.jpg").convert("RGB"))
labels = np.asarray(Image.open(voc + "/SegmentationClass/2007_000464.png"))
truth = labels == 10
small = Image.fromarray(truth.astype(np.float32), "F").resize((16, 12), Image.Resampling.BOX)
coarse = np.asarray(small.resize(truth.shape[::-1], Image.Resampling.BILINEAR)) >= 0.5
loaded = time.perf_counter()
refine_edges(pixels, MaskPatch(coarse), EdgeOptions("matting"))
first = time.perf_counter()
refine_edges(pixels, MaskPatch(coarse), EdgeOptions("matting"))
warm = time.perf_counter()
size = f"{{pixels.shape[1]}}x{{pixels.shape[0]}}"
print(size, f"{{loaded - start:.3f}} {{first - loaded:.3f}} {{first - start:.3f}} {{warm - first:.3f}}")
"""


def median_ms(work: Callable[[], object]) -> str:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        work()
        times.append(1000 * (time.perf_counter() - start))
    return f"{statistics.median(times):6.1f} ms (min {min(times):5.1f}, max {max(times):5.1f})"


def stroke(index: int, photo_size: tuple[int, int]) -> Stroke:
    """A 20-point brush stroke across the top edge of the synthetic cat (radius 60 px at 12 MP)."""
    height, width = photo_size
    xs = np.linspace(0.35, 0.65, 20) * width
    y = (0.12 + 0.01 * index) * height
    return Stroke(tuple((float(x), float(y + 10 * math.sin(i))) for i, x in enumerate(xs)), radius=0.015 * width)


def highlight_work(seg, edits: MaskEdits) -> np.ndarray:  # type: ignore[no-untyped-def]
    height, width = seg.photo_size
    step = max(1, math.ceil(max(height, width) / HIGHLIGHT_SIDE))
    window = MaskWindow(0, 0, -(-height // step), -(-width // step), step)
    mask = clean_mask(Selection(seg, [CAT]).window(window), MaskCleanup())
    return edits.apply_on_grid(mask, (0, 0), step)


def main() -> None:
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, median of {REPEATS}")
    photo, seg = synthetic_inputs((3000, 4000))
    for earlier in (1, 10):
        edits = MaskEdits(tuple(stroke(i, photo.size) for i in range(earlier)))
        after = edits.with_edit(stroke(earlier, photo.size))
        for label, state in (("stroke", after), ("undo", edits)):
            request = StickerRequest(classes=(CAT,), edits=state)
            highlight = median_ms(lambda s=state: highlight_work(seg, s))
            sticker = median_ms(lambda r=request: sticker_from_segmentation(photo, seg, r))
            print(f"12 MP, {earlier:2d} earlier strokes, {label:6s}: highlight {highlight} · sticker {sticker}")
    voc = Path(__file__).resolve().parents[1].parent / "shared" / "voc_dev"
    result = subprocess.run([sys.executable, "-c", MATTING_SCRIPT.format(voc=voc)], capture_output=True, text=True,
                            check=True, cwd=Path(__file__).resolve().parents[1])
    size, imports, first, total, warm = result.stdout.split()
    print(f"matting at {size}, fresh process: imports {float(imports):.2f} s, first refine {float(first):.2f} s, "
          f"first use total {float(total):.2f} s; warm refine {float(warm):.2f} s")


if __name__ == "__main__":
    main()
