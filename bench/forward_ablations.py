"""What each CPU speed-up of FCN-8s buys, and what the rejected ones cost (backs ``fast_inference``).

Same weights, input and alternating timing as ``bench/forward.py``, at one size, for:

- plain: ``bench/plain_fcn8s.py``, NCHW, ``torch.no_grad``;
- channels-last: ``FCN8s`` with channels-last weights and input, ``torch.inference_mode``;
- kernels only: our trunk (weights packed once, ReLU fused, fc6/fc7 as GEMMs) with the
  constant-border skipping turned off;
- ours: ``optimize_for_inference`` (the above plus skipping the padding's constant frame);
- ``--jit``: TorchScript trace + freeze + ``torch.jit.optimize_for_inference`` (per input size);
- ``--compile``: ``torch.compile`` with Inductor's freezing (weight prepacking; per input size).

The last two print their preparation time for the first size and for a second one, since every
new photo size would pay it again. ``--per-layer`` times each trunk layer of ours run whole and
with the constant frame skipped (the best of ``--runs``), which is how ``skips_constant`` and
``MIN_WORK_TO_SKIP`` were chosen. Run: ``.venv/bin/python bench/forward_ablations.py --jit --compile``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable
from typing import TypeVar

import torch
from forward import Variant, caffe_like_input, parse_size, plain_model, random_weights, spread, time_size
from torch import nn

from fcn_core.models.cpu.fast_inference import fast_vgg_fcn, optimize_for_inference
from fcn_core.models.vgg_fcn import FCN8s

CPU = torch.device("cpu")
T = TypeVar("T")


def fcn8s_with(state: dict[str, torch.Tensor]) -> FCN8s:
    with torch.device("meta"):
        model = FCN8s(num_classes=21)
    model.load_state_dict(state, assign=True)
    return model.eval()


def jit_frozen(model: nn.Module, example: torch.Tensor) -> nn.Module:
    with torch.inference_mode():
        return torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model, example)))


def prepare_seconds(prepare: Callable[..., T], *args: object) -> tuple[T, float]:
    start = time.perf_counter()
    result = prepare(*args)
    return result, time.perf_counter() - start


def per_layer(fast: nn.Module, image: torch.Tensor, runs: int) -> None:
    """Each trunk layer whole vs frame skipped, fed the previous layer's (whole) output."""
    trunk = fast.features
    height, width = image.shape[-2:]
    print(f"per layer, best of {runs} (ms): whole / frame skipped (constant share)")
    x = image
    with torch.inference_mode():
        for index, plan in enumerate(trunk.plan(height, width)):
            best = {}
            for skip in (False, True) if plan.frame is not None else (False,):
                seconds = []
                for _ in range(runs + 1):
                    start = time.perf_counter()
                    out = trunk.run_step(index, plan, x, skip_constant=skip)
                    seconds.append(time.perf_counter() - start)
                best[skip] = min(seconds[1:]) * 1000
            share = sum(rect.area for rect in plan.constant_rects) / (plan.output_size[0] * plan.output_size[1])
            skipped = f"{best[True]:7.1f} ({share:.0%})" if True in best else "      -"
            print(f"  {trunk.steps[index].name:8s} {best[False]:7.1f} / {skipped}")
            x = out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=parse_size("500x375"), metavar="WxH")
    parser.add_argument("--second-size", type=parse_size, default=parse_size("480x360"), metavar="WxH",
                        help="a second photo size, for the per-size preparation of --jit/--compile")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--jit", action="store_true", help="also TorchScript trace + freeze")
    parser.add_argument("--compile", action="store_true", help="also torch.compile (Inductor, freezing)")
    parser.add_argument("--per-layer", action="store_true", help="also time each trunk layer of ours")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: PyTorch's)")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    state = random_weights(0)
    image = caffe_like_input(*args.size, 0, CPU)
    channels_last_image = image.contiguous(memory_format=torch.channels_last)
    variants = [
        Variant("plain", plain_model(state, CPU), channels_last=False, context=torch.no_grad),
        Variant("channels-last", fcn8s_with(state).to(memory_format=torch.channels_last), True, torch.inference_mode),
        Variant("kernels only", fast_vgg_fcn(fcn8s_with(state), min_constant_share=math.inf), True, torch.inference_mode),
        Variant("ours", optimize_for_inference(fcn8s_with(state), CPU), True, torch.inference_mode),
    ]
    second = caffe_like_input(*args.second_size, 1, CPU).contiguous(memory_format=torch.channels_last)
    if args.jit:
        base = fcn8s_with(state).to(memory_format=torch.channels_last)
        frozen, seconds = prepare_seconds(jit_frozen, base, channels_last_image)
        _, again = prepare_seconds(jit_frozen, base, second)
        print(f"jit trace+freeze+optimize: {seconds:.1f} s for the first size, {again:.1f} s for a second size")
        variants.append(Variant("jit frozen", frozen, True, torch.inference_mode))
    if args.compile:
        import torch._inductor.config as inductor_config

        inductor_config.freezing = True
        compiled = torch.compile(fcn8s_with(state).to(memory_format=torch.channels_last))
        with torch.inference_mode():
            _, seconds = prepare_seconds(compiled, channels_last_image)
            _, again = prepare_seconds(compiled, second)
        print(f"torch.compile: first call {seconds:.1f} s, first call at a second size {again:.1f} s")
        variants.append(Variant("torch.compile", compiled, True, torch.inference_mode))

    time_size(variants, image, args.warmup, args.runs)
    plain = variants[0]
    assert plain.output is not None
    height, width = args.size
    print(f"{width}×{height}, {args.warmup} warm-up + {args.runs} runs, alternating:")
    for variant in variants:
        assert variant.output is not None
        ratio = statistics.median(variant.times) / statistics.median(plain.times)
        difference = (variant.output - plain.output).abs().max().item()
        print(f"  {variant.name:14s} {spread(variant.times)}  /plain {ratio:.2f}  first call {variant.first_call:.2f} s"
              f"  max|diff| {difference:.1e}")
    if args.per_layer:
        per_layer(variants[3].module, channels_last_image, args.runs)


if __name__ == "__main__":
    main()
