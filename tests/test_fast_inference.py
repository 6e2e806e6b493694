"""optimize_for_inference: same outputs as the plain module, parameters untouched (DESIGN §10).

Speed is measured in bench/forward.py, never here.
"""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from fcn_core.models.cpu.constant_border import Window
from fcn_core.models.cpu.fast_inference import optimize_for_inference
from fcn_core.models.registry import get_model_spec
from fcn_core.models.vgg_fcn import FCN8s, FCN8sAtOnce, FCN16s, FCN32s

SMALL = 1 / 16
CPU = torch.device("cpu")
TOLERANCE = 1e-4
RELATIVE_TOLERANCE = 1e-5
"""Rounding differences are ~1e-7 of the largest value; default-initialised small nets have
values well below 1, where 1e-4 alone would also pass a wrong constant in the skipped frame."""
# Sizes from 1×1 up; odd and non-square ones exercise ceil-mode pooling and the crops.
SIZES = [(1, 1), (13, 5), (47, 66)]
FAMILY = [FCN32s, FCN16s, FCN8s, FCN8sAtOnce]


def _image_batch(height: int, width: int, seed: int) -> torch.Tensor:
    """Two Caffe-normalised-looking images: values of ±100 like BGR minus the mean."""
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand(2, 3, height, width, generator=generator) * 255 - 120).contiguous(memory_format=torch.channels_last)


def _assert_close(result: torch.Tensor, expected: torch.Tensor) -> None:
    assert result.shape == expected.shape
    difference = (result - expected).abs().max().item()
    assert difference <= TOLERANCE
    assert difference <= RELATIVE_TOLERANCE * expected.abs().max().item()


def _small_fcn(model_class: type[torch.nn.Module]) -> torch.nn.Module:
    torch.manual_seed(0)
    return model_class(num_classes=5, width=SMALL).eval()


@pytest.mark.parametrize("model_class", FAMILY)
def test_fast_vgg_fcn_matches_plain_output(model_class: type[torch.nn.Module]) -> None:
    model = _small_fcn(model_class)
    plain = copy.deepcopy(model)
    fast = optimize_for_inference(model, CPU)
    with torch.inference_mode():
        for seed, (height, width) in enumerate(SIZES):
            images = _image_batch(height, width, seed)
            expected = plain(images)
            assert expected.shape == (2, 5, height, width)
            for layout in (images, images.contiguous()):  # channels-last as the segmenter feeds it, and NCHW
                _assert_close(fast(layout), expected)


@pytest.mark.parametrize("model_class", [FCN8s, FCN32s])
def test_fast_trunk_matches_plain_features_everywhere(model_class: type[torch.nn.Module]) -> None:
    """pool3, pool4 and fc7 in full, including the border the heads crop away: a wrong constant
    in the skipped frame shows here even where the final crop would hide it."""
    model = _small_fcn(model_class)
    plain = copy.deepcopy(model)
    fast = optimize_for_inference(model, CPU)
    images = _image_batch(40, 29, seed=7)
    with torch.inference_mode():
        for expected, result in zip(plain.features(images), fast.features(images), strict=True):
            _assert_close(result, expected)


def test_small_inputs_do_skip_a_constant_frame() -> None:
    """The planner finds the padding's frame on a small photo, so the tests above exercise it."""
    fast = optimize_for_inference(_small_fcn(FCN8s), CPU)
    plans = fast.features.plan(31, 32)
    framed = [plan for plan in plans if plan.frame is not None]
    assert len(framed) >= 5
    for plan in framed:  # filled and computed rectangles tile the output exactly
        height, width = plan.output_size
        covered = torch.zeros(height, width, dtype=torch.int32)
        for rect in plan.constant_rects + plan.computed_rects:
            covered[rect.rows.start : rect.rows.stop, rect.cols.start : rect.cols.stop] += 1
        assert bool((covered == 1).all())


def test_optimisation_leaves_parameters_unchanged() -> None:
    model = _small_fcn(FCN8s)
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    fast = optimize_for_inference(model, CPU)
    with torch.inference_mode():
        fast(_image_batch(20, 24, seed=1))
    for module in (model, fast):
        after = module.state_dict()
        assert after.keys() == before.keys()
        assert all(torch.equal(after[name], before[name]) for name in before)


def test_optimising_twice_gives_the_same_function() -> None:
    """The segmenter re-optimises its (already optimised) module when it falls back from the GPU
    to the CPU; the GPU path leaves the weights channels-last."""
    model = _small_fcn(FCN16s)
    plain = copy.deepcopy(model)
    model.to(memory_format=torch.channels_last)
    twice = optimize_for_inference(optimize_for_inference(model, CPU), CPU)
    images = _image_batch(17, 23, seed=3)
    with torch.inference_mode():
        _assert_close(twice(images), plain(images))


def test_fast_trunk_rejects_reduced_precision_input() -> None:
    fast = optimize_for_inference(_small_fcn(FCN8s), CPU)
    with torch.inference_mode(), pytest.raises(TypeError, match="float32"):
        fast(_image_batch(8, 8, seed=0).to(torch.bfloat16))


def test_torchvision_model_matches_plain_output() -> None:
    torch.manual_seed(0)
    model = get_model_spec("lraspp_mobilenet_v3_large").build()
    plain = copy.deepcopy(model)
    fast = optimize_for_inference(model, CPU)
    images = (torch.rand(1, 3, 40, 56, generator=torch.Generator().manual_seed(0)) - 0.5) * 4
    with torch.inference_mode():
        expected = plain(images)
        result = fast(images.contiguous(memory_format=torch.channels_last))
    assert expected.shape == (1, 21, 40, 56)
    _assert_close(result, expected)


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_pooling_window_sizes_follow_pytorch(ceil_mode: bool) -> None:
    window = Window(2, 2, 0, partial_end=ceil_mode)
    for length in range(2, 40):
        pooled = F.max_pool2d(torch.zeros(1, 1, length, 1), (2, 1), (2, 1), ceil_mode=ceil_mode)
        assert window.output_length(length) == pooled.shape[2]


def test_the_malloc_tuning_applies_where_glibc_is() -> None:
    import sys

    from fcn_core.models.cpu.allocator import keep_freed_memory

    assert keep_freed_memory() is sys.platform.startswith("linux")
