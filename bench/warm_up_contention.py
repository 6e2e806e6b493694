"""What the compute process's matting warm-up costs a segmentation that runs at the same time.

Right after the first model loads, the compute process loads pymatting and its numba kernels on a
thread (``fcn_core.compute.handlers``), so a photo opened then is segmented while that import runs
on the other core. This measures it: in a fresh Python process per round (so pymatting is not
loaded yet), a full-width FCN-8s with random weights (the network's cost does not depend on the
weights) on a 500×375 input, ``torch.inference_mode``: the forward pass alone (median of 3 after
one untimed), then one forward pass started together with the warm-up thread, and how long the
warm-up took.

Run: ``PYTHONPATH=. .venv/bin/python bench/warm_up_contention.py``.
"""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

ROUNDS = 3
ROUND = """
import statistics, threading, time
import torch
from fcn_core.models.vgg_fcn import FCN8s
from fcn_core import matting
torch.manual_seed(0)
model = FCN8s(num_classes=21).eval()
image = torch.rand(1, 3, 375, 500)
with torch.inference_mode():
    model(image)
    alone = []
    for _ in range(3):
        start = time.perf_counter(); model(image); alone.append(time.perf_counter() - start)
    warm = {}
    def warm_up():
        start = time.perf_counter(); matting.warm_up(); warm["s"] = time.perf_counter() - start
    thread = threading.Thread(target=warm_up)
    start = time.perf_counter(); thread.start(); model(image); together = time.perf_counter() - start
    thread.join()
print(f"{statistics.median(alone):.3f} {together:.3f} {warm['s']:.3f}")
"""


def main() -> None:
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, torch threads: default")
    root = Path(__file__).resolve().parents[1]
    for index in range(ROUNDS):
        result = subprocess.run([sys.executable, "-c", ROUND], capture_output=True, text=True, check=True, cwd=root)
        alone, together, warm = (float(value) for value in result.stdout.split())
        print(f"round {index + 1}: FCN-8s forward 500×375 alone {alone:.2f} s, with the warm-up thread {together:.2f} s "
              f"(+{together - alone:.2f} s); warm-up took {warm:.2f} s")


if __name__ == "__main__":
    main()
