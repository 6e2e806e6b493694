"""Time "class pick → sticker preview" and the binary CRF toggle (DESIGN §10 budgets: ≤ 100 ms and ≤ 0.4 s).

Synthetic but realistic sizes: a 12-MP photo (4000×3000) whose segmentation has the default
512-px working size, an object covering about a third of the photo, 21 VOC classes with smooth,
FCN-like probabilities. Run: ``.venv/bin/python bench/pick_to_sticker.py``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np
from scipy import ndimage

from fcn_core.classes import VOC_CLASSES
from fcn_core.crf import refine_crf
from fcn_core.mask import select_mask
from fcn_core.photo import Photo
from fcn_core.segmentation import Segmentation
from fcn_core.sticker import StickerStyle, make_sticker

PHOTO_SIZE = (3000, 4000)
WORKING_SIZE = (384, 512)
CAT = 8
REPEATS = 7


def synthetic_inputs() -> tuple[Photo, Segmentation]:
    rng = np.random.default_rng(0)
    rows, cols = np.mgrid[: WORKING_SIZE[0], : WORKING_SIZE[1]]
    cat = ((rows - 190) / 150) ** 2 + ((cols - 250) / 200) ** 2 < 1
    logits = rng.normal(0, 1, (VOC_CLASSES.num_classes, *WORKING_SIZE))
    logits[CAT] += 6 * cat
    logits[0] += 6 * ~cat
    logits = ndimage.gaussian_filter(logits, (0, 4, 4))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=0)
    image = np.where(cat[..., None], [180, 120, 60], [60, 110, 170]) + rng.normal(0, 12, (*WORKING_SIZE, 3))
    seg = Segmentation(
        probabilities.astype(np.float32), np.clip(image, 0, 255).astype(np.uint8), VOC_CLASSES, "bench", PHOTO_SIZE
    )
    pixels = rng.integers(0, 256, (*PHOTO_SIZE, 3), dtype=np.uint8)
    return Photo(pixels, None, PHOTO_SIZE), seg


def median_ms(work: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    photo, seg = synthetic_inputs()
    mask = select_mask(seg, [CAT])
    styles = {"default": StickerStyle(), "stroke+shadow": StickerStyle(stroke_width=8, shadow=True)}
    print(f"photo {PHOTO_SIZE[1]}×{PHOTO_SIZE[0]}, working {WORKING_SIZE[1]}×{WORKING_SIZE[0]}, median of {REPEATS}")
    print(f"select_mask at photo size:       {median_ms(lambda: select_mask(seg, [CAT])):7.1f} ms")
    for name, style in styles.items():
        print(f"make_sticker ({name:13s}):   {median_ms(lambda: make_sticker(photo, mask, style)):7.1f} ms")
        pick = median_ms(lambda: make_sticker(photo, select_mask(seg, [CAT]), style))
        print(f"class pick → sticker ({name}): {pick:7.1f} ms (budget 100 ms)")
    for preset in ("deeplab", "original"):
        crf = median_ms(lambda: refine_crf(seg, preset, mode="binary", target_classes=[CAT]))
        print(f"binary CRF {preset:8s} at working size: {crf:7.1f} ms (budget 400 ms)")


if __name__ == "__main__":
    main()
