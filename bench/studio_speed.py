"""Studio latencies (issue #10 budgets): brush stroke → preview ≤ 100 ms on a 12-MP photo, undo
≤ 100 ms, matting ≤ 1.5 s at a 500×375 working size including first use.

* Stroke → preview: what the window does after a drag ends: the highlight on the GUI thread
  (``app.highlight.highlight_mask``'s work: selection window + clean-up + edits at ≤ 1024 px) and
  the sticker (``cut_out`` + ``sticker_from_patch`` with the edits) on the builder's thread. A 12-MP
  photo (4000×3000) with the synthetic segmentation of ``bench/pick_to_sticker.py`` and a 20-point
  brush stroke across the object's edge; with 1 and with 10 earlier strokes. Each measured two
  ways in the same run: ``full`` replays every edit (the window before ``EditReplay``), ``cached``
  is the window now: an ``EditReplay`` per thread that saw every earlier state (made fresh and
  primed for each repeat, outside the timing, so each timed call really is the new state; the
  ``full`` way goes through the same states first too, so both follow the same work).
* Undo: the same two costs for the state one stroke earlier (undo restores a state, then the
  same work runs; ``cached``: the replay saw that state before the stroke).
* Matting, first use: (a) the way it was, in a fresh Python process with nothing loaded ahead
  (``import fcn_core.edges`` and ``refine_edges(..., matting)`` on a real 500×375 VOC photo with an
  FCN-32s-like coarse mask); (b) the way the window does it now: a fresh compute process
  (``python -m fcn_core.compute.server`` through ``app.compute.channel``, the stub segmenter of the
  tests so only the edges are timed), model loaded, photo segmented, then the ``RefineEdges``
  request, timed from send to reply: once as soon as the model is ready (the warm-up thread is
  still loading pymatting) and once a few seconds later (warm-up done), then a second request (warm).

Run: ``PYTHONPATH=. .venv/bin/python bench/studio_speed.py``.
"""

from __future__ import annotations

import math
import platform
import queue
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pick_to_sticker import CAT, synthetic_inputs

from fcn_core.edits import EditReplay, MaskEdits, Stroke
from fcn_core.mask import MaskCleanup, MaskWindow, Selection, clean_mask
from fcn_core.pipeline import StickerRequest, cut_out, sticker_from_patch

REPEATS = 7
WARM_UP_WAIT_S = 4.0
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


def median_ms(work: Callable[[], object], prime: Callable[[], None] = lambda: None) -> str:
    """Median (min, max) of ``REPEATS`` timed calls of ``work``, each after an untimed ``prime()``."""
    times = []
    for _ in range(REPEATS):
        prime()
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


def highlight_work(seg, edits: MaskEdits, replay: EditReplay | None) -> np.ndarray:  # type: ignore[no-untyped-def]
    height, width = seg.photo_size
    step = max(1, math.ceil(max(height, width) / HIGHLIGHT_SIDE))
    window = MaskWindow(0, 0, -(-height // step), -(-width // step), step)
    mask = clean_mask(Selection(seg, [CAT]).window(window), MaskCleanup())
    if replay is None:
        return edits.apply_on_grid(mask, (0, 0), step)
    return replay.replay_on_grid(edits, mask, (0, 0), step)[0]


def sticker_work(photo, seg, edits: MaskEdits, replay: EditReplay | None) -> object:  # type: ignore[no-untyped-def]
    request = StickerRequest(classes=(CAT,), edits=edits)
    cut = cut_out(photo, seg, request, replay)
    return sticker_from_patch(photo, cut.patch, request, cut.class_names)


def studio_rows(photo, seg) -> None:  # type: ignore[no-untyped-def]
    for earlier in (1, 10, 30):
        states = [MaskEdits(tuple(stroke(i, photo.size) for i in range(count))) for count in range(earlier + 2)]
        for label, seen, state in (("stroke", states[:-1], states[-1]), ("undo", states, states[-2])):
            for way in ("full", "cached"):
                replays: dict[str, EditReplay | None] = {"highlight": None, "sticker": None}

                def prime(seen: list[MaskEdits] = seen, replays: dict[str, EditReplay | None] = replays) -> None:
                    """The states before, as the window went through them (both ways, so both
                    timed calls follow the same work)."""
                    if way == "cached":
                        replays["highlight"], replays["sticker"] = EditReplay(), EditReplay()
                    for edits in seen:
                        highlight_work(seg, edits, replays["highlight"])
                        sticker_work(photo, seg, edits, replays["sticker"])

                highlight = median_ms(lambda s=state, r=replays: highlight_work(seg, s, r["highlight"]), prime)
                sticker = median_ms(lambda s=state, r=replays: sticker_work(photo, seg, s, r["sticker"]), prime)
                print(f"12 MP, {earlier:2d} earlier strokes, {label:6s} {way:6s}: highlight {highlight} · sticker {sticker}")


def voc_matting_inputs(voc: Path):  # type: ignore[no-untyped-def]
    from PIL import Image

    from fcn_core.photo import load_photo

    photo = load_photo(voc / "JPEGImages" / "2007_000464.jpg")
    truth = np.asarray(Image.open(voc / "SegmentationClass" / "2007_000464.png")) == 10
    small = Image.fromarray(truth.astype(np.float32), "F").resize((16, 12), Image.Resampling.BOX)
    coarse = np.asarray(small.resize(truth.shape[::-1], Image.Resampling.BILINEAR)) >= 0.5
    return photo, coarse


def compute_process_matting(voc: Path, wait_s: float) -> tuple[float, float]:
    """Seconds from sending the first and then a second ``RefineEdges`` to their replies, in a fresh
    compute process, ``wait_s`` after the model is ready (module doc)."""
    from app.compute.channel import ComputeChannel
    from app.segmenter_factory import ModelRequest
    from fcn_core.compute.protocol import LoadModel, RefineEdges, Reply, Request, Segment, Start
    from fcn_core.edges import EdgeOptions
    from fcn_core.sticker import MaskPatch
    from tests.gui_stubs import StubFactory

    photo, coarse = voc_matting_inputs(voc)
    answers: queue.Queue[Reply] = queue.Queue()

    def on_message(message: object) -> None:
        if isinstance(message, Reply) and message.status in ("done", "failed"):
            answers.put(message)

    def ask(request: Request) -> float:
        start = time.perf_counter()
        channel.send(request)
        reply = answers.get(timeout=120)
        if reply.status != "done" or reply.id != request.id:
            raise RuntimeError(f"request {request.id} answered {reply.status}: {reply.payload}")
        return time.perf_counter() - start

    channel = ComputeChannel(on_message=on_message, on_closed=lambda: None)
    try:
        channel.send(Start(StubFactory()))
        ask(Request(1, LoadModel(ModelRequest("fcn8s"))))
        time.sleep(wait_s)
        ask(Request(2, Segment(photo)))
        edges = RefineEdges(2, MaskPatch(coarse), EdgeOptions("matting"))
        return ask(Request(3, edges)), ask(Request(4, edges))
    finally:
        channel.close(2.0)


def main() -> None:
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, median of {REPEATS}")
    photo, seg = synthetic_inputs((3000, 4000))
    studio_rows(photo, seg)
    voc = Path(__file__).resolve().parents[1].parent / "shared" / "voc_dev"
    result = subprocess.run([sys.executable, "-c", MATTING_SCRIPT.format(voc=voc)], capture_output=True, text=True,
                            check=True, cwd=Path(__file__).resolve().parents[1])
    size, imports, first, total, warm = result.stdout.split()
    print(f"matting at {size}, in a fresh process with nothing loaded ahead: imports {float(imports):.2f} s, "
          f"first refine {float(first):.2f} s, first use total {float(total):.2f} s; warm refine {float(warm):.2f} s")
    for wait_s in (0.0, WARM_UP_WAIT_S):
        first_s, again_s = compute_process_matting(voc, wait_s)
        print(f"matting at {size} in a fresh compute process, asked {wait_s:.0f} s after the model is ready: "
              f"first {first_s:.2f} s, again {again_s:.2f} s (send → reply)")


if __name__ == "__main__":
    main()
