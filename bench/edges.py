"""Edge refinement on real photos: does ``crf`` or ``matting`` beat ``none``? (issue #10, DESIGN §2)

For every object class in each real PASCAL VOC photo in ``../shared/voc_dev`` (ground truth from
``SegmentationClass``), a coarse mask is made the way an FCN errs: the class mask is average-pooled
to 1/``--factor`` of the photo (FCN-32s predicts at stride 32, FCN-16s at 16), bilinearly upsampled
back and thresholded at 0.5; ``--jitter`` shifts that coarse map by up to so many pixels at random
(a misaligned prediction). Each edge method refines the coarse mask (``fcn_core.edges.refine_edges``
at the photo's own size: VOC photos are ≤ 500 px, i.e. working size) and is scored against the
true mask:

* object IoU of ``alpha ≥ 0.5``, with VOC's void (255) pixels ignored;
* boundary F-score: precision = share of predicted boundary pixels within ``--tolerance`` px of the
  true boundary (those inside the void band, which is where annotators left the true edge
  undecided, are not counted), recall = share of true boundary pixels within the tolerance of the
  predicted boundary; F = 2PR / (P + R), over all objects' boundary pixels pooled;
* time per object (median), first use excluded (numba loads its cached kernels once).

A method is the default only if it beats ``none`` on both IoU and boundary F.
Run: ``.venv/bin/python bench/edges.py [--factor 32] [--jitter 0] [--methods none crf matting]``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from fcn_core import matting
from fcn_core.edges import EdgeOptions, refine_edges
from fcn_core.sticker import MaskPatch

VOC_DEV = Path(__file__).resolve().parents[1].parent / "shared" / "voc_dev"
VOID = 255
METHODS = {
    "none": EdgeOptions("none"),
    "crf": EdgeOptions("crf"),
    "matting": EdgeOptions("matting"),
    "matting band 0.01": EdgeOptions("matting", band=0.01),
    "matting band 0.04": EdgeOptions("matting", band=0.04),
    "crf band 0.04": EdgeOptions("crf", band=0.04),
    "matting knn": EdgeOptions("matting", matting_solver="knn"),
    "matting rw": EdgeOptions("matting", matting_solver="rw"),
}


@dataclass
class Score:
    """Pooled counts for one method over all objects."""

    intersection: int = 0
    union: int = 0
    precise: int = 0
    predicted: int = 0
    recalled: int = 0
    true: int = 0
    seconds: list[float] = field(default_factory=list)
    ious: list[float] = field(default_factory=list)

    def add(self, alpha: np.ndarray, truth: np.ndarray, void: np.ndarray, tolerance: float) -> None:
        prediction = alpha >= 0.5
        valid = ~void
        inter = int((prediction & truth & valid).sum())
        union = int(((prediction | truth) & valid).sum())
        self.intersection += inter
        self.union += union
        self.ious.append(inter / max(union, 1))
        predicted_edge, true_edge = boundary(prediction), boundary(truth)
        near_true = ndimage.distance_transform_edt(~true_edge) <= tolerance
        near_predicted = ndimage.distance_transform_edt(~predicted_edge) <= tolerance
        counted = predicted_edge & valid
        self.precise += int((counted & near_true).sum())
        self.predicted += int(counted.sum())
        self.recalled += int((true_edge & near_predicted).sum())
        self.true += int(true_edge.sum())

    @property
    def boundary_f(self) -> float:
        precision = self.precise / max(self.predicted, 1)
        recall = self.recalled / max(self.true, 1)
        return 2 * precision * recall / max(precision + recall, 1e-12)


def boundary(mask: np.ndarray) -> np.ndarray:
    """Pixels of the mask with a 4-neighbour outside it."""
    return mask & ~ndimage.binary_erosion(mask, border_value=0)


def coarse_mask(truth: np.ndarray, factor: int, jitter: int, rng: np.random.Generator) -> np.ndarray:
    """Average-pool to 1/factor, bilinear back to full size, optional random shift, threshold 0.5."""
    height, width = truth.shape
    small = (max(1, round(width / factor)), max(1, round(height / factor)))
    levels = Image.fromarray(truth.astype(np.float32), "F")
    pooled = levels.resize(small, Image.Resampling.BOX)
    probability = np.asarray(pooled.resize((width, height), Image.Resampling.BILINEAR))
    if jitter:
        shift = rng.integers(-jitter, jitter + 1, size=2)
        probability = ndimage.shift(probability, shift, order=0, mode="nearest")
    return probability >= 0.5


def objects(names: list[str]) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(name, photo pixels, true mask, void mask) for every non-background class of every photo."""
    found = []
    for name in names:
        pixels = np.asarray(Image.open(VOC_DEV / "JPEGImages" / f"{name}.jpg").convert("RGB"))
        labels = np.asarray(Image.open(VOC_DEV / "SegmentationClass" / f"{name}.png"))
        for label in np.unique(labels):
            if label not in (0, VOID):
                found.append((f"{name}:{label}", pixels, labels == label, labels == VOID))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--factor", type=int, default=32, help="pooling factor of the coarse mask (32 or 16)")
    parser.add_argument("--jitter", type=int, default=0, help="random shift of the coarse map, pixels")
    parser.add_argument("--tolerance", type=float, default=2.0, help="boundary F-score tolerance, pixels")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    args = parser.parse_args()
    names = sorted(path.stem for path in (VOC_DEV / "SegmentationClass").glob("*.png"))
    if not names:
        raise SystemExit(f"no VOC photos in {VOC_DEV}")
    start = time.perf_counter()
    matting.warm_up()
    print(f"matting first use (load cached numba kernels): {time.perf_counter() - start:.2f} s")
    items = objects(names)
    rng = np.random.default_rng(0)
    coarse = {key: coarse_mask(truth, args.factor, args.jitter, rng) for key, _, truth, _ in items}
    scores = {method: Score() for method in args.methods}
    for key, pixels, truth, void in items:
        for method in args.methods:
            begin = time.perf_counter()
            refined = refine_edges(pixels, MaskPatch(coarse[key]), METHODS[method])
            scores[method].seconds.append(time.perf_counter() - begin)
            alpha = refined.mask.astype(np.float32) if refined.mask.dtype == bool else refined.mask
            scores[method].add(alpha, truth, void, args.tolerance)
    print(f"{len(names)} VOC photos, {len(items)} objects; coarse masks pooled 1/{args.factor}, jitter {args.jitter} px; "
          f"boundary tolerance {args.tolerance:g} px; {platform.processor() or platform.machine()}, "
          f"{platform.python_version()}")
    print()
    print("| method | object IoU (pooled) | mean IoU per object | boundary F | time per object (median) |")
    print("|---|---|---|---|---|")
    for method, score in scores.items():
        print(f"| {method} | {score.intersection / score.union:.4f} | {statistics.mean(score.ious):.4f} | "
              f"{score.boundary_f:.4f} | {1000 * statistics.median(score.seconds):.0f} ms |")


if __name__ == "__main__":
    main()
