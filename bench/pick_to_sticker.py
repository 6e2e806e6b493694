"""Time "class pick → sticker preview" and the binary CRF toggle (DESIGN §10 budgets: ≤ 100 ms and ≤ 0.4 s).

Class pick is timed two ways: old, the photo-size mask, clean-up and ``make_sticker``; new, the
pipeline's ``sticker_from_segmentation`` (mask only around the object, as fine as the canvas
needs: ``fcn_core.sticker_mask``). Synthetic but realistic sizes: a 12-MP photo (4000×3000), and a
500×375 one, whose segmentation has the default
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
from fcn_core.mask import clean_mask, select_mask
from fcn_core.photo import Photo
from fcn_core.pipeline import StickerRequest, sticker_from_segmentation
from fcn_core.segmentation import Segmentation
from fcn_core.sticker import StickerStyle, make_sticker

PHOTO_SIZES = {"12 MP": (3000, 4000), "500×375": (375, 500)}
WORKING_SIZE = (384, 512)
CAT = 8
REPEATS = 9
STYLES = {"default": StickerStyle(), "stroke+shadow": StickerStyle(stroke_width=8, shadow=True)}


def synthetic_inputs(photo_size: tuple[int, int]) -> tuple[Photo, Segmentation]:
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
        probabilities.astype(np.float32), np.clip(image, 0, 255).astype(np.uint8), VOC_CLASSES, "bench", photo_size
    )
    pixels = rng.integers(0, 256, (*photo_size, 3), dtype=np.uint8)
    return Photo(pixels, None, photo_size), seg


def timings_ms(work: Callable[[], object]) -> str:
    """Median and spread (min–max) of ``REPEATS`` runs: the cores are shared, so one run says little."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        work()
        times.append(1000 * (time.perf_counter() - start))
    return f"{statistics.median(times):7.1f} ms (min {min(times):6.1f}, max {max(times):6.1f})"


def main() -> None:
    print(f"working {WORKING_SIZE[1]}×{WORKING_SIZE[0]}, median of {REPEATS} runs; class pick budget 100 ms")
    for label, photo_size in PHOTO_SIZES.items():
        photo, seg = synthetic_inputs(photo_size)
        for name, style in STYLES.items():
            request = StickerRequest(classes=(CAT,), style=style)
            old = timings_ms(lambda: make_sticker(photo, clean_mask(select_mask(seg, [CAT]), request.cleanup), style))
            new = timings_ms(lambda: sticker_from_segmentation(photo, seg, request))
            print(f"{label:8s} {name:13s} old (photo-size mask): {old}")
            print(f"{label:8s} {name:13s} new (sticker mask):    {new}")
    _, seg = synthetic_inputs(PHOTO_SIZES["12 MP"])
    for preset in ("deeplab", "original"):
        crf = timings_ms(lambda: refine_crf(seg, preset, mode="binary", target_classes=[CAT]))
        print(f"binary CRF {preset:8s} at working size: {crf} (budget 400 ms)")


if __name__ == "__main__":
    main()
