"""The CPU forward is chosen per machine: the fast trunk only when it passes its self-check and
is measurably faster here, the verdict cached per CPU and PyTorch version; malloc tuning is the
entry points' choice, never a side effect of the library."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from fcn_core.models.cpu import path_choice
from fcn_core.models.cpu.fast_inference import fast_vgg_fcn, input_memory_format, optimize_for_inference
from fcn_core.models.vgg_fcn import FCN8s

CPU = torch.device("cpu")


@pytest.fixture
def small() -> FCN8s:
    torch.manual_seed(0)
    return FCN8s(num_classes=3, width=1 / 16).eval()


@pytest.fixture
def timing(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The timing answers ``timing["answer"]`` (fast or plain) and counts its calls."""
    state: dict[str, object] = {"answer": "fast", "calls": 0}

    def timed(plain, fast):
        state["calls"] = int(state["calls"]) + 1  # type: ignore[call-overload]
        fast_s = 1.0 if state["answer"] == "fast" else 2.0
        return {"fast_s": fast_s, "plain_s": 1.5, "choice": state["answer"]}

    monkeypatch.setattr(path_choice, "time_paths", timed)
    monkeypatch.delenv(path_choice.PATH_ENV, raising=False)
    return state


def _cache() -> Path:
    from fcn_core.weights.store import cache_dir

    return cache_dir() / path_choice.CACHE_FILE


@pytest.mark.parametrize("choice", ["fast", "plain"])
def test_the_faster_path_is_used_and_the_verdict_is_cached(small, timing, choice, monkeypatch):
    timing["answer"] = choice
    checks = []
    real_check = path_choice.self_check
    monkeypatch.setattr(path_choice, "self_check", lambda plain, fast: checks.append(1) or real_check(plain, fast))
    model = optimize_for_inference(small, CPU)
    assert ("features" in vars(model)) is (choice == "fast")
    expected_layout = torch.channels_last if choice == "fast" else torch.contiguous_format
    assert input_memory_format(model) == expected_layout
    cached = json.loads(_cache().read_text())
    assert [verdict["choice"] for verdict in cached.values()] == [choice]
    assert path_choice.cpu_name() in next(iter(cached)) and torch.__version__ in next(iter(cached))
    optimize_for_inference(small, CPU)
    assert timing["calls"] == 1 and len(checks) == 1  # the second model of the same kind reads the verdict


def test_a_fast_path_that_fails_its_self_check_is_not_used(small, timing, monkeypatch, caplog):
    def broken(model):
        fast = fast_vgg_fcn(model)
        original = fast.forward
        fast.forward = lambda x: original(x) * 1.01  # type: ignore[method-assign]  # a wrong kernel
        return fast

    monkeypatch.setattr("fcn_core.models.cpu.fast_inference.fast_vgg_fcn", broken)
    model = optimize_for_inference(small, CPU)
    assert "features" not in vars(model)
    assert "differs from the plain forward" in caplog.text
    assert timing["calls"] == 0


@pytest.mark.parametrize("op", ["_reorder_convolution_weight", "_convolution_pointwise"])
def test_a_fast_path_whose_private_op_is_missing_falls_back(small, timing, monkeypatch, caplog, op):
    """A PyTorch build without (or with a changed) private oneDNN op, at build or at run time."""

    def missing(*args, **kwargs):
        raise RuntimeError(f"{op} is not available in this build")

    monkeypatch.setattr(torch.ops.mkldnn, op, missing)
    model = optimize_for_inference(small, CPU)
    assert "features" not in vars(model)
    assert op in caplog.text
    with torch.inference_mode():
        image = torch.rand(1, 3, 20, 24)
        assert model(image.contiguous(memory_format=input_memory_format(model))).shape == (1, 3, 20, 24)


def test_the_path_can_be_forced(small, monkeypatch):
    monkeypatch.setenv(path_choice.PATH_ENV, "plain")
    assert "features" not in vars(optimize_for_inference(small, CPU))
    monkeypatch.setenv(path_choice.PATH_ENV, "fast")
    assert "features" in vars(optimize_for_inference(small, CPU))
    monkeypatch.setenv(path_choice.PATH_ENV, "fastest")
    with pytest.raises(ValueError, match="fast, plain or auto"):
        optimize_for_inference(small, CPU)


def test_the_timing_measures_both_paths(small):
    verdict = path_choice.time_paths(small, fast_vgg_fcn(small))
    assert verdict["fast_s"] > 0 and verdict["plain_s"] > 0
    assert verdict["choice"] == ("fast" if verdict["fast_s"] < verdict["plain_s"] else "plain")


def test_the_library_does_not_tune_malloc():
    """Segmenting in a fresh process: the allocator module is never even imported."""
    script = (
        "import sys, torch\n"
        "from fcn_core.models.cpu.fast_inference import optimize_for_inference\n"
        "from fcn_core.models.vgg_fcn import FCN8s\n"
        "optimize_for_inference(FCN8s(num_classes=3, width=1 / 16), torch.device('cpu'))\n"
        "print('fcn_core.models.cpu.allocator' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            cwd=Path(__file__).resolve().parents[1], env={**__import__("os").environ,
                                                                        path_choice.PATH_ENV: "fast"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
