"""Which CPU forward a VGG FCN runs on this machine: the fast trunk or the plain module.

The fast trunk (``fast_vgg_fcn``) won on an AVX-512 machine and lost on an AVX2-only one
(``bench/forward.py``: ours/plain 1.09 at 500×375 there), because how well oneDNN's packed
kernels do depends on the CPU. So the choice is measured, not assumed:

1. **Self-check**: the fast trunk uses private oneDNN ops (``mkldnn._reorder_convolution_weight``);
   it runs once on a small input and must match the plain module, else the plain one is used
   and the reason logged. A PyTorch build that changed or lacks those ops cannot give a wrong
   (or crashing) forward.
2. **Timing, once per machine**: both run on a photo of the default working size (512×384),
   alternately, and the faster one wins. The verdict is cached in the user cache dir
   (``cpu_path.json``; delete it to measure again) under the CPU model, the PyTorch version, the
   thread count and the network (class and size), so later starts pay nothing and a new PyTorch
   or CPU is measured again. It costs eight forward passes once (~9 s for FCN-8s on 2 cores).

``FCN_STICKER_CPU_PATH=fast|plain`` forces a path (benchmarks, tests, a user who knows better).
"""

from __future__ import annotations

import json
import logging
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import torch
from torch import nn

from fcn_core.atomic_file import write_text_atomically

logger = logging.getLogger(__name__)

CpuPath = Literal["fast", "plain"]
PATH_ENV = "FCN_STICKER_CPU_PATH"
PROBE_SIZE = (384, 512)
"""The working size of a typical photo (long side 512, 4:3): what the app feeds most."""
PROBE_RUNS = 3
"""Timed calls per path after one untimed call. The fastest call of each decides: other
programs on the machine only ever add time, so the minimum is the least disturbed estimate."""
CHECK_SIZE = (37, 45)
CHECK_TOLERANCE = 1e-4
"""Largest difference allowed between the paths, relative to the largest plain output (they
differ by float rounding only: ~1e-6)."""
CACHE_FILE = "cpu_path.json"


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else what ``platform`` says)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine_key(model: nn.Module) -> str:
    parameters = sum(parameter.numel() for parameter in model.parameters())
    return (f"{cpu_name()} | {os.cpu_count()} CPUs, {torch.get_num_threads()} threads | torch {torch.__version__}"
            f" | {type(model).__name__} {parameters} parameters")


def choose_cpu_path(plain: nn.Module, build_fast: Callable[[], nn.Module], cache: Path | None) -> nn.Module:
    """The fast module (``build_fast()``) if it builds, passes the self-check and is measurably
    faster here, else ``plain``. ``cache``: the JSON file of verdicts (None: keep nothing).

    A cached verdict was recorded only after the self-check passed with this CPU, PyTorch and
    network, so a later start trusts it and skips the check (~0.5 s for FCN-8s: even a tiny
    input is run at 200+ px, conv1_1's padding); a forced ``fast`` is always checked."""
    forced = os.environ.get(PATH_ENV, "").strip().lower()
    if forced not in ("", "auto", "fast", "plain"):
        raise ValueError(f"{PATH_ENV} must be fast, plain or auto, got {forced!r}")
    if forced == "plain":
        return plain
    key = machine_key(plain)
    verdicts = _read(cache)
    verdict = verdicts.get(key) if forced != "fast" else None
    if verdict is not None and verdict.get("choice") == "plain":
        _log_verdict(verdict)
        return plain
    try:
        fast = build_fast()
    except Exception as exc:  # a private op missing or changed in this PyTorch build
        fast, problem = plain, f"building it failed ({type(exc).__name__}: {exc})"
    else:
        problem = "" if verdict is not None else self_check(plain, fast)
    if problem:
        logger.warning("the fast CPU forward is not used: %s; the plain forward runs instead", problem)
        return plain
    if forced == "fast":
        return fast
    if verdict is None:
        logger.info("timing the fast and the plain CPU forward once on this machine (%s)", key)
        verdict = verdicts[key] = time_paths(plain, fast)
        _write(cache, verdicts)
    _log_verdict(verdict)
    return fast if verdict["choice"] == "fast" else plain


def _log_verdict(verdict: dict[str, float | str]) -> None:
    logger.info("CPU forward: %s (fast %.3f s, plain %.3f s at %dx%d)", verdict["choice"], verdict["fast_s"],
                verdict["plain_s"], PROBE_SIZE[1], PROBE_SIZE[0])


def self_check(plain: nn.Module, fast: nn.Module) -> str:
    """Empty when the fast module runs and matches the plain one on a small input, else why not."""
    generator = torch.Generator().manual_seed(0)
    image = torch.rand(1, 3, *CHECK_SIZE, generator=generator) * 255 - 120
    try:
        with torch.inference_mode():
            expected = plain(image)
            got = fast(image.contiguous(memory_format=torch.channels_last))
    except Exception as exc:  # a private op missing or changed in this PyTorch build
        return f"{type(exc).__name__}: {exc}"
    scale = max(expected.abs().max().item(), 1e-12)
    difference = (got - expected).abs().max().item() / scale
    return "" if difference <= CHECK_TOLERANCE else f"its output differs from the plain forward by {difference:.1e}"


def time_paths(plain: nn.Module, fast: nn.Module) -> dict[str, float | str]:
    """Seconds of each path's fastest call on ``PROBE_SIZE``, timed alternately, and the faster one."""
    image = torch.rand(1, 3, *PROBE_SIZE, generator=torch.Generator().manual_seed(0)) * 255 - 120
    inputs = {"plain": image.contiguous(), "fast": image.contiguous(memory_format=torch.channels_last)}
    modules = {"plain": plain, "fast": fast}
    times: dict[str, list[float]] = {"plain": [], "fast": []}
    with torch.inference_mode():
        for repeat in range(1 + PROBE_RUNS):
            for name, module in modules.items():
                start = time.perf_counter()
                module(inputs[name])
                if repeat:
                    times[name].append(time.perf_counter() - start)
    fast_s, plain_s = min(times["fast"]), min(times["plain"])
    return {"fast_s": fast_s, "plain_s": plain_s, "choice": "fast" if fast_s < plain_s else "plain"}


def _read(cache: Path | None) -> dict[str, dict[str, float | str]]:
    if cache is None or not cache.is_file():
        return {}
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        logger.info("ignoring the unreadable %s: %s", cache, exc)
        return {}
    return data if isinstance(data, dict) else {}


def _write(cache: Path | None, verdicts: dict[str, dict[str, float | str]]) -> None:
    if cache is None:
        return
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(verdicts, indent=2)
        write_text_atomically(cache, text)
    except OSError as exc:  # the choice still holds for this run; it is measured again next time
        logger.warning("could not store the CPU forward choice in %s: %s", cache, exc)
