"""FCN-8s forward time, the plain way vs ``optimize_for_inference`` (DESIGN §10: ≤ 1.2 s at 500×375).

Both nets are full-width FCN-8s with the same random weights (fixed seed, 21 classes) and see the
same inputs in the same run, timed alternately so that load from other processes hits both:

- plain: ``bench/plain_fcn8s.py`` — NCHW, ``torch.no_grad``, nothing fused, the reference port's way;
- ours: ``fcn_core.models.cpu.fast_inference.optimize_for_inference`` fed inputs in the layout it
  asks for (``input_memory_format``) under ``torch.inference_mode``, as the segmenter runs it (plus
  the segmenter's autocast on CUDA). On the CPU that is the path this machine chose
  (``path_choice``: the fast trunk only where it passed its self-check and timed faster, else the
  plain module); ``--path fast`` or ``--path plain`` measures one path whatever the choice.

For each size it prints the median of ``--runs`` timed calls after ``--warmup`` untimed ones, with
the min–max spread, the ratio ours/plain, the first call's time (a new input size, after both nets
ran once on a small photo: oneDNN primitives, our per-size plan), and how far the outputs differ:
max |ours − plain|, that relative to max |plain|, and the share of pixels whose arg-max class
agrees. On CUDA ours runs in bf16/fp16, so only the relative error and label agreement mean
something there.

Run: ``.venv/bin/python bench/forward.py`` (``--runs 2 --warmup 1 --sizes 500x375`` for a short run;
``--path fast`` for the fast trunk).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
from plain_fcn8s import PlainFCN8s
from torch import nn

from fcn_core.models.cpu.fast_inference import input_memory_format, optimize_for_inference
from fcn_core.models.cpu.path_choice import PATH_ENV
from fcn_core.models.vgg_fcn import FCN8s

NUM_CLASSES = 21
DEFAULT_SIZES = ("500x375", "512x512", "1024x768")
BUDGET_SECONDS = 1.2
BUDGET_SIZE = (375, 500)
AGREEMENT_TOLERANCE = 1e-4
WARMUP_SIZE = (48, 64)


@dataclass
class Variant:
    """One way of running the net: the module, how its input is laid out, and its grad mode."""

    name: str
    module: nn.Module
    channels_last: bool
    context: Callable[[], contextlib.AbstractContextManager[object]]
    times: list[float] = field(default_factory=list)
    first_call: float = 0.0
    output: torch.Tensor | None = None


def parse_size(text: str) -> tuple[int, int]:
    """``WxH`` → ``(height, width)``."""
    width, height = (int(part) for part in text.lower().split("x"))
    return height, width


def random_weights(seed: int) -> dict[str, torch.Tensor]:
    """FCN8s's own initialisation (bilinear upsampling) with a fixed seed."""
    torch.manual_seed(seed)
    return FCN8s(num_classes=NUM_CLASSES).state_dict()


def plain_model(state: dict[str, torch.Tensor], device: torch.device) -> PlainFCN8s:
    """The baseline with the same weights (built on the meta device: no second random init)."""
    with torch.device("meta"):
        plain = PlainFCN8s(NUM_CLASSES)
    plain.load_state_dict(state, assign=True)
    return plain.eval().to(device)


def our_model(state: dict[str, torch.Tensor], device: torch.device) -> tuple[nn.Module, float]:
    """``optimize_for_inference`` on a fresh FCN8s with the same weights; also its build time."""
    with torch.device("meta"):
        model = FCN8s(num_classes=NUM_CLASSES)
    model.load_state_dict(state, assign=True)
    model.to(device)
    _synchronize(device)
    start = time.perf_counter()
    fast = optimize_for_inference(model, device)
    _synchronize(device)
    return fast, time.perf_counter() - start


def our_context(device: torch.device) -> Callable[[], contextlib.AbstractContextManager[object]]:
    if device.type != "cuda":
        return torch.inference_mode
    from fcn_core.segmenter import autocast_dtype  # the segmenter's own choice of precision

    dtype = autocast_dtype(device)

    @contextlib.contextmanager
    def context() -> Iterator[None]:
        with torch.inference_mode(), torch.autocast(device_type="cuda", dtype=dtype):
            yield

    return context


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def caffe_like_input(height: int, width: int, seed: int, device: torch.device) -> torch.Tensor:
    """A random image in Caffe's input range (BGR 0–255 minus a mean of about 120)."""
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand(1, 3, height, width, generator=generator) * 255 - 120).to(device)


def time_size(variants: list[Variant], image: torch.Tensor, warmup: int, runs: int) -> None:
    """Alternate the variants call by call; the first call of each is also its first-call time."""
    device = image.device
    inputs = {False: image.contiguous(), True: image.contiguous(memory_format=torch.channels_last)}
    for variant in variants:
        variant.times.clear()
    for repeat in range(warmup + runs):
        for variant in variants:
            with variant.context():
                _synchronize(device)
                start = time.perf_counter()
                output = variant.module(inputs[variant.channels_last])
                _synchronize(device)
                elapsed = time.perf_counter() - start
            if repeat == 0:
                variant.first_call = elapsed
                variant.output = output.float()
            if repeat >= warmup:
                variant.times.append(elapsed)


def spread(times: list[float]) -> str:
    return f"{statistics.median(times):6.3f} s ({min(times):.3f}–{max(times):.3f})"


def report_size(device: torch.device, size: tuple[int, int], plain: Variant, ours: Variant) -> float:
    assert plain.output is not None and ours.output is not None
    difference = (ours.output - plain.output).abs().max().item()
    relative = difference / max(plain.output.abs().max().item(), torch.finfo(torch.float32).tiny)
    agree = (ours.output.argmax(1) == plain.output.argmax(1)).float().mean().item()
    ratio = statistics.median(ours.times) / statistics.median(plain.times)
    height, width = size
    print(
        f"{device.type:4s} {width:4d}×{height:<4d}  plain {spread(plain.times)}  ours {spread(ours.times)}"
        f"  ours/plain {ratio:.2f}  first call plain {plain.first_call:.2f} s, ours {ours.first_call:.2f} s"
        f"  max|diff| {difference:.2e} (rel {relative:.1e}, labels agree {agree:.2%})"
    )
    if device.type == "cpu" and difference > AGREEMENT_TOLERANCE:
        print(f"     ! outputs differ by more than {AGREEMENT_TOLERANCE:g}")
    return ratio


def bench_device(device: torch.device, state: dict[str, torch.Tensor], args: argparse.Namespace) -> None:
    ours_module, build = our_model(state, device)
    plain = Variant("plain", plain_model(state, device), channels_last=False, context=torch.no_grad)
    ours_layout = input_memory_format(ours_module) == torch.channels_last
    ours = Variant("ours", ours_module, channels_last=ours_layout, context=our_context(device))
    path = "fast trunk" if "features" in vars(ours_module) else "plain module" if not ours_layout else "channels-last module"
    print(f"{device}: optimize_for_inference took {build:.2f} s and runs the {path}")
    # One call each on a small photo first, so that "first call" below is the cost of a new
    # photo size, not of the process's first forward (thread pools, oneDNN's kernel JIT).
    time_size([plain, ours], caffe_like_input(*WARMUP_SIZE, args.seed, device), warmup=1, runs=1)
    for index, size in enumerate(args.sizes):
        time_size([plain, ours], caffe_like_input(*size, args.seed + index, device), args.warmup, args.runs)
        report_size(device, size, plain, ours)
        if device.type == "cpu" and size == BUDGET_SIZE:
            verdict = "met" if statistics.median(ours.times) <= BUDGET_SECONDS else "NOT met"
            print(f"     budget ≤ {BUDGET_SECONDS} s at 500×375 on the CPU: {verdict}")
    del plain, ours, ours_module
    if device.type == "cuda":
        torch.cuda.empty_cache()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", type=parse_size, default=[parse_size(s) for s in DEFAULT_SIZES],
                        metavar="WxH", help="input sizes (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=5, help="timed calls per size and variant (median reported)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed calls first (the first is reported)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: PyTorch's)")
    parser.add_argument("--device", nargs="+", default=None,
                        help="devices to measure (default: cpu, and cuda when available)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights and inputs")
    parser.add_argument("--path", choices=("auto", "fast", "plain"), default="auto",
                        help="CPU path of ours: this machine's choice (default), or one forced")
    args = parser.parse_args()
    if args.runs < 1 or args.warmup < 1:
        parser.error("--runs and --warmup must be at least 1 (the first call is reported separately)")
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    os.environ[PATH_ENV] = args.path
    devices = [torch.device(d) for d in args.device] if args.device else [torch.device("cpu")]
    if args.device is None and torch.cuda.is_available():
        devices.append(torch.device("cuda"))

    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"{torch.get_num_threads()} threads; {args.warmup} warm-up + {args.runs} timed runs per size")
    print(f"load average before: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    state = random_weights(args.seed)
    for device in devices:
        bench_device(device, state, args)
    print(f"load average after:  {' '.join(f'{load:.2f}' for load in os.getloadavg())}")


if __name__ == "__main__":
    main()
