"""Training speed of the full-width FCN-8s: iterations per second.

    python bench/train.py                      # CPU at 320×320, batch 1; CUDA too when present
    python bench/train.py --cuda-batch 16      # bigger CUDA batches

CPU: fp32, the reference recipe's update (batch 1, summed loss, SGD momentum 0.99), as a
researcher without a GPU would run it. CUDA: the modern recipe's update with AMP (bf16 where
supported, else fp16 with loss scaling) and channels-last tensors. Each measurement runs the
library's own ``training_step`` on random images after warm-up iterations, and reports the median
time per iteration.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass, replace

import torch

from fcn_core.models.normalization import CAFFE_BGR
from fcn_core.models.vgg_fcn import FCN8s
from fcn_core.training.recipes import Recipe, make_recipe
from fcn_core.training.step import make_optimizer, training_step

NUM_CLASSES = 21


@dataclass(frozen=True)
class Measurement:
    device: str
    batch: int
    size: int
    precision: str
    seconds_per_iteration: float

    def line(self) -> str:
        rate = 1 / self.seconds_per_iteration
        return (
            f"{self.device:5s} {self.precision:26s} batch {self.batch:3d} @ {self.size}×{self.size}: "
            f"{rate:7.3f} it/s  {rate * self.batch:8.2f} img/s  ({self.seconds_per_iteration:.3f} s/it)"
        )


def measure(device: torch.device, recipe: Recipe, batch: int, size: int, iterations: int, warmup: int) -> Measurement:
    cuda = device.type == "cuda"
    model = FCN8s(num_classes=NUM_CLASSES).train().to(device)
    for layer in model.upsampling_layers():
        layer.requires_grad_(False)
    if cuda:
        model = model.to(memory_format=torch.channels_last)
        torch.backends.cudnn.benchmark = True
    amp_dtype = None
    if cuda and recipe.amp:
        amp_dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    optimizer = make_optimizer(model, recipe)
    scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype == torch.float16)
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (batch, 3, size, size), generator=generator, dtype=torch.uint8)
    inputs = CAFFE_BGR.normalize(images.to(device))
    if cuda:
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    labels = torch.randint(0, NUM_CLASSES, (batch, size, size), generator=generator).to(device)
    times = []
    for index in range(warmup + iterations):
        if cuda:
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        training_step(model, optimizer, scaler, inputs, labels, recipe.loss_reduction, amp_dtype)
        if cuda:
            torch.cuda.synchronize(device)
        if index >= warmup:
            times.append(time.perf_counter() - start)
    layout = "+channels-last" if cuda else ""
    precision = ("fp32" if amp_dtype is None else f"AMP {str(amp_dtype).removeprefix('torch.')}") + layout
    return Measurement(device.type, batch, size, precision, statistics.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=320, help="square input side (default 320)")
    parser.add_argument("--cpu-iterations", type=int, default=3, help="timed CPU iterations (default 3)")
    parser.add_argument("--cuda-iterations", type=int, default=20, help="timed CUDA iterations (default 20)")
    parser.add_argument("--cuda-batch", type=int, default=8, help="CUDA batch size (default 8, the modern recipe's)")
    parser.add_argument("--skip-cpu", action="store_true", help="measure CUDA only")
    args = parser.parse_args()
    print(f"FCN-8s (full width, {NUM_CLASSES} classes) training step; torch {torch.__version__}, "
          f"{torch.get_num_threads()} CPU threads")
    if not args.skip_cpu:
        reference = make_recipe("reference", "fcn8s")
        print(measure(torch.device("cpu"), reference, 1, args.size, args.cpu_iterations, warmup=1).line())
    if torch.cuda.is_available():
        device = torch.device("cuda")
        print(f"CUDA device: {torch.cuda.get_device_name(device)}")
        modern = make_recipe("modern", "fcn8s")
        print(measure(device, modern, 1, args.size, args.cuda_iterations, warmup=3).line())
        print(measure(device, modern, args.cuda_batch, args.size, args.cuda_iterations, warmup=3).line())
        full_precision = replace(modern, amp=False)
        print(measure(device, full_precision, args.cuda_batch, args.size, args.cuda_iterations, warmup=3).line())
    else:
        print("CUDA: not available on this machine")


if __name__ == "__main__":
    main()
