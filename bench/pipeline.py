"""Time the whole photo → sticker pipeline, stage by stage, as ``fcn-sticker make`` runs it (DESIGN §10).

For a 12-MP JPEG (4000×3000) and a 500×375 JPEG, it times decode, forward (full-width FCN-8s,
random weights), the binary and full CRF (deeplab preset), mask + sticker, saving the PNG, and the
end-to-end ``make --crf`` path (decode → ``photo_to_sticker`` with a binary CRF → save), each the
median of ``--repeats`` runs after one untimed warm-up; then peak memory and batch throughput
(``run_batch`` over ``--batch-photos`` copies of the photo, CLI defaults: auto class, no CRF, PNG).
It prints a Markdown table.

Inputs are synthetic, generated once into ``--workdir``: a "realistic-ish" photo (sky and ground
gradients, shapes, texture and noise, JPEG quality 90) with a person-like figure in the middle.
Random weights give noise for probabilities, which would make the CRF, mask and sticker timings
meaningless (a speckled mask covering the whole photo); so the network runs for real (its cost
does not depend on its weights) and its output is then replaced by FCN-like probabilities of the
figure (its silhouette, blurred at the working size), which is what trained weights produce.

Peak memory: ``tracemalloc`` counts Python and NumPy allocations during one end-to-end run (not
PyTorch's or Pillow's C buffers); ``ru_maxrss`` is the whole process's peak resident memory so far
(the small photo is measured first, so its column is not inflated by the 12-MP one).

Run: ``.venv/bin/python bench/pipeline.py`` (``--repeats 3 --batch-photos 8`` are the defaults).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter
from scipy import ndimage

from fcn_core.batch import run_batch
from fcn_core.classes import VOC_CLASSES
from fcn_core.crf import refine_crf
from fcn_core.models.normalization import CAFFE_BGR
from fcn_core.models.registry import get_model_spec
from fcn_core.models.vgg_fcn import FCN8s
from fcn_core.photo import Photo, load_photo
from fcn_core.pipeline import StickerRequest, photo_to_sticker, sticker_from_segmentation
from fcn_core.save import save_sticker
from fcn_core.segmentation import Segmentation
from fcn_core.segmenter import Segmenter
from fcn_core.weights.store import LoadedModel

PERSON = VOC_CLASSES.index_of("person")
SIZES = {"500×375": (375, 500), "4000×3000 (12 MP)": (3000, 4000)}
JPEG_QUALITY = 90
MAKE = StickerRequest(classes=(PERSON,))
MAKE_CRF = StickerRequest(classes=(PERSON,), crf="deeplab")
BUDGETS = {
    "forward": "≤ 1.2 s at 500×375",
    "decode + forward": "≤ 2.5 s for 12 MP",
    "CRF binary": "≤ 0.4 s",
    "mask + sticker": "≤ 100 ms",
}


# --- synthetic inputs ---------------------------------------------------------------------


def figure_boxes(size: tuple[int, int]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Body (ellipse) and head (circle) boxes of the figure, in pixels, for ``size = (H, W)``."""
    height, width = size
    body = (0.38 * width, 0.35 * height, 0.62 * width, 0.95 * height)
    head_radius = 0.08 * height
    head = (0.5 * width - head_radius, 0.33 * height - 2 * head_radius, 0.5 * width + head_radius, 0.33 * height)
    return body, head


def figure_mask(size: tuple[int, int]) -> np.ndarray:
    """Where the figure is, as a boolean ``size`` array."""
    mask = Image.new("L", size[::-1], 0)
    draw = ImageDraw.Draw(mask)
    for box in figure_boxes(size):
        draw.ellipse(box, fill=255)
    return np.asarray(mask) > 0


def synthetic_photo(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """Sky and ground gradients, some shapes, a figure, fine texture and sensor-like noise."""
    rng = np.random.default_rng(seed)
    height, width = size
    ys = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    xs = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    horizon = ys < 0.55
    texture = 12 * np.sin(xs * width / 7.0) * np.cos(ys * height / 5.0)
    sky = ((110, 90, 0), (150, 70, 0), (235, -40, 0))  # per channel: base + a·y + b·x
    ground = ((90, 0, 40), (120, 30, 0), (60, 0, 20))
    pixels = np.empty((height, width, 3), dtype=np.uint8)
    for channel, ((s0, sy, sx), (g0, gy, gx)) in enumerate(zip(sky, ground, strict=False)):
        value = np.where(horizon, s0 + sy * ys + sx * xs, g0 + gy * ys + gx * xs + texture)
        pixels[..., channel] = np.clip(value, 0, 255)
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = rng.uniform(0, width), rng.uniform(0.5 * height, height)
        w, h = rng.uniform(0.03, 0.15) * width, rng.uniform(0.03, 0.12) * height
        color = tuple(int(c) for c in rng.integers(30, 220, 3))
        (draw.rectangle if rng.random() < 0.5 else draw.ellipse)((x0, y0, x0 + w, y0 + h), fill=color)
    body, head = figure_boxes(size)
    draw.ellipse(body, fill=(170, 40, 50))
    draw.ellipse(head, fill=(225, 180, 150))
    image = image.filter(ImageFilter.GaussianBlur(radius=max(1.0, width / 2000)))
    noise = rng.integers(-8, 9, size=(height, width, 3), dtype=np.int16)
    return Image.fromarray(np.clip(np.asarray(image, dtype=np.int16) + noise, 0, 255).astype(np.uint8))


def ensure_photo(workdir: Path, label: str, size: tuple[int, int]) -> Path:
    """The synthetic JPEG for ``size``, generated on the first run only."""
    path = workdir / f"photo_{size[1]}x{size[0]}.jpg"
    if not path.is_file():
        print(f"generating {label} photo {path} …", file=sys.stderr)
        synthetic_photo(size).save(path, format="JPEG", quality=JPEG_QUALITY)
    return path


class RealNetworkFigureOutput:
    """Runs the real segmenter (for its cost), returns FCN-like probabilities of the figure."""

    def __init__(self, segmenter: Segmenter) -> None:
        self.segmenter = segmenter
        self.classes = segmenter.classes

    def segment(self, photo: Photo) -> Segmentation:
        return self.segment_batch([photo])[0]

    def segment_batch(self, photos: Sequence[Photo]) -> list[Segmentation]:
        return [self._figure_probabilities(seg) for seg in self.segmenter.segment_batch(photos)]

    @staticmethod
    def _figure_probabilities(seg: Segmentation) -> Segmentation:
        inside = figure_mask(seg.working_size).astype(np.float32)
        person = ndimage.gaussian_filter(inside, sigma=max(seg.working_size) / 60)
        probabilities = np.full((VOC_CLASSES.num_classes, *seg.working_size), 0.05 / 19, dtype=np.float32)
        probabilities[PERSON] = 0.95 * person
        probabilities[0] = 0.95 * (1.0 - person)
        return seg.with_probabilities(probabilities, refined_by="")


def random_fcn8s_segmenter(device: str | None) -> RealNetworkFigureOutput:
    torch.manual_seed(0)
    model = FCN8s(num_classes=VOC_CLASSES.num_classes).eval()
    loaded = LoadedModel(model, get_model_spec("fcn8s"), VOC_CLASSES, CAFFE_BGR, "random init (benchmark)")
    return RealNetworkFigureOutput(Segmenter(loaded, device=device))


# --- measuring ----------------------------------------------------------------------------


def timed(work: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def make_crf(segmenter: RealNetworkFigureOutput, photo_path: Path, output: Path) -> None:
    """The ``fcn-sticker make PHOTO -c person --crf`` path."""
    photo = load_photo(photo_path)
    sticker, _ = photo_to_sticker(segmenter, photo, MAKE_CRF)
    save_sticker(sticker, output, overwrite=True)


def measure_stages(segmenter: RealNetworkFigureOutput, photo_path: Path, workdir: Path, repeats: int) -> dict[str, list[float]]:
    output = workdir / "out.sticker.png"
    make_crf(segmenter, photo_path, output)  # warm-up: first forward at a new size plans kernels
    times: dict[str, list[float]] = defaultdict(list)
    for _ in range(repeats):
        seconds, photo = timed(lambda: load_photo(photo_path))
        times["decode"].append(seconds)
        seconds, seg = timed(lambda: segmenter.segment(photo))
        times["forward"].append(seconds)
        times["decode + forward"].append(times["decode"][-1] + seconds)
        times["CRF binary"].append(timed(lambda: refine_crf(seg, "deeplab", mode="binary", target_classes=(PERSON,)))[0])
        times["CRF full"].append(timed(lambda: refine_crf(seg, "deeplab", mode="full"))[0])
        seconds, (sticker, _) = timed(lambda: sticker_from_segmentation(photo, seg, MAKE))
        times["mask + sticker"].append(seconds)
        times["save PNG"].append(timed(lambda: save_sticker(sticker, output, overwrite=True))[0])
        times["total: make --crf"].append(timed(lambda: make_crf(segmenter, photo_path, output))[0])
    return times


def peak_python_memory(segmenter: RealNetworkFigureOutput, photo_path: Path, workdir: Path) -> int:
    tracemalloc.start()
    try:
        make_crf(segmenter, photo_path, workdir / "out.sticker.png")
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def max_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB


def batch_photos_per_minute(segmenter: RealNetworkFigureOutput, photo_path: Path, workdir: Path, count: int) -> float:
    folder, out = workdir / f"batch_{photo_path.stem}", workdir / f"batch_{photo_path.stem}_out"
    shutil.rmtree(out, ignore_errors=True)
    folder.mkdir(exist_ok=True)
    for index in range(count):
        copy = folder / f"{index:03d}.jpg"
        if not copy.exists():
            shutil.copyfile(photo_path, copy)
    seconds, report = timed(lambda: run_batch(segmenter, folder, out, StickerRequest()))
    if report.made != count:
        raise RuntimeError(f"batch made {report.made} of {count}: {report.failures}")
    return 60.0 * count / seconds


# --- report -------------------------------------------------------------------------------


def seconds_cell(values: list[float]) -> str:
    median = statistics.median(values)
    if median < 1.0:
        return f"{1000 * median:.0f} ms ({1000 * min(values):.0f}–{1000 * max(values):.0f})"
    return f"{median:.2f} s ({min(values):.2f}–{max(values):.2f})"


def mib(num_bytes: float) -> str:
    return f"{num_bytes / 2**20:.0f} MiB"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per stage (median reported)")
    parser.add_argument("--batch-photos", type=int, default=8, help="photos in the throughput batch")
    parser.add_argument("--device", default=None, help="cpu, cuda, mps (default: the best available)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "fcn-sticker-bench",
                        help="where the synthetic photos are generated once and outputs go")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)

    segmenter = random_fcn8s_segmenter(args.device)
    load_before = os.getloadavg()[0]
    columns: dict[str, dict[str, str]] = {}
    for label, size in SIZES.items():
        photo_path = ensure_photo(args.workdir, label, size)
        print(f"measuring {label} …", file=sys.stderr)
        stages = measure_stages(segmenter, photo_path, args.workdir, args.repeats)
        column = {stage: seconds_cell(values) for stage, values in stages.items()}
        column["peak Python memory, make --crf (tracemalloc)"] = mib(peak_python_memory(segmenter, photo_path, args.workdir))
        rate = batch_photos_per_minute(segmenter, photo_path, args.workdir, args.batch_photos)
        column[f"batch throughput ({args.batch_photos} photos, no CRF)"] = f"{rate:.1f} photos/min"
        column["peak RSS of the process so far"] = mib(max_rss_bytes())
        columns[label] = column

    device = segmenter.segmenter.device
    print(f"\n`.venv/bin/python bench/pipeline.py --repeats {args.repeats} --batch-photos {args.batch_photos}` — "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), device {device}; load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after. Median (min–max) of {args.repeats} runs.\n")
    labels = list(SIZES)
    print("| stage | " + " | ".join(labels) + " | budget (DESIGN §10) |")
    print("|---|" + "---|" * len(labels) + "---|")
    for stage in columns[labels[0]]:
        cells = " | ".join(columns[label][stage] for label in labels)
        print(f"| {stage} | {cells} | {BUDGETS.get(stage, '')} |")


if __name__ == "__main__":
    main()
