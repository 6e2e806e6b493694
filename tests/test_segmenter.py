"""Segmenter (DESIGN §2, §10, §11): working size, the weights' normalisation, probabilities,
batching equal to one-by-one, device choice and the CUDA out-of-memory fallback."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from fcn_core import segmenter as segmenter_module
from fcn_core.classes import VOC_CLASSES
from fcn_core.device import best_device
from fcn_core.models.normalization import CAFFE_BGR, IMAGENET_RGB, Normalization
from fcn_core.models.registry import get_model_spec
from fcn_core.models.vgg_fcn import FCN8s
from fcn_core.photo import Photo, photo_from_array
from fcn_core.segmenter import Segmenter, autocast_dtype, working_size
from fcn_core.weights.store import LoadedModel
from tests.photo_helpers import QUADRANT_COLOURS, quadrant_means, quadrants

NUM_CLASSES = VOC_CLASSES.num_classes
SMALL = 1 / 16  # reduced-width FCN-8s: the real code path, fast on 2 cores


def tiny_fcn8s() -> LoadedModel:
    torch.manual_seed(0)
    return LoadedModel(FCN8s(num_classes=NUM_CLASSES, width=SMALL).eval(), get_model_spec("fcn8s"), VOC_CLASSES,
                       CAFFE_BGR, "random init")


class RecordingModel(nn.Module):
    """A 1×1-convolution 'network' that keeps every input it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.score = nn.Conv2d(3, NUM_CLASSES, kernel_size=1)
        self.inputs: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.inputs.append(x.clone())
        return self.score(x)


def recording(normalization: Normalization = CAFFE_BGR) -> tuple[Segmenter, RecordingModel]:
    model = RecordingModel().eval()
    loaded = LoadedModel(model, get_model_spec("fcn8s"), VOC_CLASSES, normalization, "stub")
    return Segmenter(loaded, device="cpu"), model


def random_photo(height: int, width: int, seed: int = 0) -> Photo:
    return photo_from_array(np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8))


def solid_photo(rgb: tuple[int, int, int], height: int = 8, width: int = 8) -> Photo:
    return photo_from_array(np.full((height, width, 3), rgb, dtype=np.uint8))


# --- probabilities -------------------------------------------------------------------------------


def test_fcn8s_probabilities_are_softmax_of_the_logits() -> None:
    loaded = tiny_fcn8s()
    photo = random_photo(24, 40)
    with torch.inference_mode():
        expected = torch.softmax(loaded.model(CAFFE_BGR.to_tensor(np.array(photo.pixels))), dim=1)[0].numpy()
    seg = Segmenter(loaded, device="cpu").segment(photo)
    assert seg.probabilities.dtype == np.float32
    assert seg.probabilities.shape == (NUM_CLASSES, 24, 40)
    np.testing.assert_allclose(seg.probabilities.sum(axis=0), 1.0, atol=1e-5)
    np.testing.assert_allclose(seg.probabilities, expected, atol=1e-5)
    assert seg.model_name == "fcn8s" and seg.classes is VOC_CLASSES
    assert seg.photo_size == (24, 40) and seg.working_size == (24, 40)
    np.testing.assert_array_equal(seg.image, photo.pixels)


def test_torchvision_logits_only_model() -> None:
    torch.manual_seed(0)
    spec = get_model_spec("lraspp_mobilenet_v3_large")
    loaded = LoadedModel(spec.build(), spec, spec.classes, spec.normalization, "random init")
    seg = Segmenter(loaded, device="cpu").segment(random_photo(64, 48))
    assert seg.probabilities.shape == (NUM_CLASSES, 64, 48)
    np.testing.assert_allclose(seg.probabilities.sum(axis=0), 1.0, atol=1e-5)
    assert seg.model_name == "lraspp_mobilenet_v3_large"


def test_coarse_logits_are_upsampled_to_the_working_size() -> None:
    class HalfResolution(RecordingModel):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return super().forward(x)[:, :, ::2, ::2]

    model = HalfResolution().eval()
    loaded = LoadedModel(model, get_model_spec("fcn8s"), VOC_CLASSES, CAFFE_BGR, "stub")
    seg = Segmenter(loaded, device="cpu").segment(random_photo(10, 14))
    assert seg.working_size == (10, 14)
    np.testing.assert_allclose(seg.probabilities.sum(axis=0), 1.0, atol=1e-5)


# --- input ---------------------------------------------------------------------------------------


def test_caffe_weights_get_bgr_mean_subtracted_channels_last_input() -> None:
    segmenter, model = recording(CAFFE_BGR)
    segmenter.segment(solid_photo((10, 100, 200)))
    (x,) = model.inputs
    assert x.shape == (1, 3, 8, 8) and x.dtype == torch.float32
    assert x.is_contiguous(memory_format=torch.channels_last)
    expected_bgr = np.array([200.0, 100.0, 10.0]) - np.array(CAFFE_BGR.mean)
    np.testing.assert_allclose(x[0, :, 3, 3].numpy(), expected_bgr, rtol=1e-6)


def test_the_weights_normalisation_wins_over_the_architectures() -> None:
    """fcn8s is a Caffe-BGR architecture, but these weights were trained on ImageNet RGB input."""
    segmenter, model = recording(IMAGENET_RGB)
    segmenter.segment(solid_photo((10, 100, 200)))
    expected_rgb = (np.array([10.0, 100.0, 200.0]) / 255 - np.array(IMAGENET_RGB.mean)) / np.array(IMAGENET_RGB.std)
    np.testing.assert_allclose(model.inputs[0][0, :, 3, 3].numpy(), expected_rgb, rtol=1e-5)


@pytest.mark.parametrize(
    ("photo_size", "max_side", "expected"),
    [((1000, 2000), 512, (256, 512)), ((2000, 1000), 512, (512, 256)), ((30, 20), 512, (30, 20)),
     ((100, 50), 64, (64, 32)), ((1, 3000), 512, (1, 512))],
)
def test_working_size(photo_size: tuple[int, int], max_side: int, expected: tuple[int, int]) -> None:
    assert working_size(photo_size, max_side) == expected


def test_big_photo_is_scaled_before_the_network() -> None:
    segmenter, model = recording()
    photo = photo_from_array(quadrants(1000, 2000))
    seg = segmenter.segment(photo)
    assert model.inputs[0].shape == (1, 3, 256, 512)
    assert seg.working_size == (256, 512) and seg.image.shape == (256, 512, 3)
    assert seg.photo_size == (1000, 2000)
    np.testing.assert_allclose(quadrant_means(seg.image), QUADRANT_COLOURS, atol=1)


def test_downscaling_is_antialiased() -> None:
    """One-pixel stripes must average to grey, not alias into stripes or a flat 0/255."""
    stripes = np.zeros((600, 1200, 3), dtype=np.uint8)
    stripes[:, ::2] = 255
    seg = recording()[0].segment(photo_from_array(stripes))
    assert seg.working_size == (256, 512)
    assert abs(seg.image.mean() - 127.5) < 3 and seg.image.std() < 10


def test_small_photo_is_never_upscaled() -> None:
    segmenter, model = recording()
    seg = segmenter.segment(random_photo(5, 3))
    assert model.inputs[0].shape == (1, 3, 5, 3) and seg.working_size == (5, 3)


def test_max_side_is_configurable() -> None:
    model = RecordingModel().eval()
    segmenter = Segmenter(LoadedModel(model, get_model_spec("fcn8s"), VOC_CLASSES, CAFFE_BGR, "stub"),
                          device="cpu", max_side=40)
    assert segmenter.segment(random_photo(100, 60)).working_size == (40, 24)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="max_side"):
        Segmenter(tiny_fcn8s(), device="cpu", max_side=0)


# --- batches -------------------------------------------------------------------------------------


def test_batch_equals_one_by_one_and_groups_equal_sizes() -> None:
    loaded = tiny_fcn8s()
    segmenter = Segmenter(loaded, device="cpu", batch_size=2)
    sizes = [(16, 24), (24, 16), (16, 24), (16, 24)]
    photos = [random_photo(h, w, seed) for seed, (h, w) in enumerate(sizes)]
    singles = [segmenter.segment(photo) for photo in photos]

    batch_sizes: list[int] = []
    hook = loaded.model.register_forward_hook(lambda _m, args, _out: batch_sizes.append(args[0].shape[0]))
    batched = segmenter.segment_batch(photos)
    hook.remove()

    assert sorted(batch_sizes) == [1, 1, 2]  # three 16×24 photos in chunks of 2, and the 24×16 one
    assert [seg.photo_size for seg in batched] == sizes
    for single, together in zip(singles, batched, strict=False):
        np.testing.assert_allclose(together.probabilities, single.probabilities, atol=1e-4)
        np.testing.assert_array_equal(together.image, single.image)


def test_empty_batch() -> None:
    assert Segmenter(tiny_fcn8s(), device="cpu").segment_batch([]) == []


# --- devices -------------------------------------------------------------------------------------


def test_optimize_for_inference_is_applied_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[nn.Module, torch.device]] = []
    real = segmenter_module.optimize_for_inference

    def spy(model: nn.Module, device: torch.device) -> nn.Module:
        calls.append((model, device))
        return real(model, device)

    monkeypatch.setattr(segmenter_module, "optimize_for_inference", spy)
    segmenter, model = recording()
    segmenter.segment_batch([random_photo(16, 16), random_photo(20, 16)])
    segmenter.segment(random_photo(4, 4))
    assert calls == [(model, torch.device("cpu"))]
    assert len(model.inputs) == 3


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"), [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")]
)
def test_best_device_prefers_cuda_then_mps(
    monkeypatch: pytest.MonkeyPatch, cuda: bool, mps: bool, expected: str
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert best_device() == torch.device(expected)


@pytest.mark.parametrize(("bf16", "expected"), [(True, torch.bfloat16), (False, torch.float16)])
def test_cuda_autocasts_to_bf16_else_fp16(monkeypatch: pytest.MonkeyPatch, bf16: bool, expected: torch.dtype) -> None:
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: bf16)
    assert autocast_dtype(torch.device("cuda")) == expected


def test_cpu_runs_float32() -> None:
    assert autocast_dtype(torch.device("cpu")) is None


def test_unavailable_device_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA device is available"):
        Segmenter(tiny_fcn8s(), device="cuda")


def test_cuda_out_of_memory_falls_back_to_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = tiny_fcn8s()
    segmenter = Segmenter(loaded, device="cpu")
    photo = random_photo(24, 32)
    expected = segmenter.segment(photo).probabilities

    monkeypatch.setattr(segmenter, "_device", torch.device("cuda"))  # as if the model ran on a GPU
    real_forward = FCN8s.forward
    calls: list[int] = []

    def out_of_memory_once(model: FCN8s, x: torch.Tensor) -> torch.Tensor:
        calls.append(x.shape[0])
        if len(calls) == 1:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real_forward(model, x)

    # On the class: optimize_for_inference may hand the segmenter a copy of the module. The
    # plain CPU path: the fast one's self-check would run the patched forward too.
    monkeypatch.setattr(FCN8s, "forward", out_of_memory_once)
    monkeypatch.setenv("FCN_STICKER_CPU_PATH", "plain")
    assert segmenter.device_message == ""
    seg = segmenter.segment(photo)
    assert len(calls) == 2
    assert segmenter.device == torch.device("cpu")
    assert "out of memory" in segmenter.device_message and "CPU" in segmenter.device_message
    np.testing.assert_allclose(seg.probabilities, expected, atol=1e-5)
    assert next(loaded.model.parameters()).device.type == "cpu"


def test_out_of_memory_on_the_cpu_is_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = tiny_fcn8s()
    segmenter = Segmenter(loaded, device="cpu")

    def out_of_memory(model: FCN8s, x: torch.Tensor) -> torch.Tensor:
        raise torch.cuda.OutOfMemoryError("out of memory")

    monkeypatch.setattr(FCN8s, "forward", out_of_memory)
    with pytest.raises(torch.cuda.OutOfMemoryError):
        segmenter.segment(random_photo(8, 8))
    assert segmenter.device_message == ""


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_matches_cpu_within_bf16_precision() -> None:
    photo = random_photo(48, 64)
    on_cpu = Segmenter(tiny_fcn8s(), device="cpu").segment(photo)
    on_gpu = Segmenter(tiny_fcn8s(), device="cuda").segment(photo)
    assert on_gpu.probabilities.dtype == np.float32
    np.testing.assert_allclose(on_gpu.probabilities.sum(axis=0), 1.0, atol=1e-4)
    assert (on_gpu.labels == on_cpu.labels).mean() > 0.95


# --- construction by name -----------------------------------------------------------------------


def test_from_name_loads_through_the_weights_module(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    loaded = tiny_fcn8s()
    requests: list[tuple[object, ...]] = []

    def fake_load_model(name: str, weights: Path | None, *, allow_download: bool, progress: object) -> LoadedModel:
        requests.append((name, weights, allow_download, progress))
        return loaded

    monkeypatch.setattr(segmenter_module, "load_model", fake_load_model)
    segmenter = Segmenter.from_name("fcn8s", tmp_path / "w.pt", allow_download=True, device="cpu", max_side=64)
    assert requests == [("fcn8s", tmp_path / "w.pt", True, None)]
    assert segmenter.model_name == "fcn8s" and segmenter.classes is VOC_CLASSES
    assert segmenter.max_side == 64 and segmenter.device == torch.device("cpu")
