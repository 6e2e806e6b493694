"""VGG16 → FCN initialisation: the convolutionalization identity on a full-size VGG16 (random
weights, no download), exact copies into a small FCN, and the cached/downloaded ImageNet file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import vgg16

from fcn_core.models.normalization import IMAGENET_RGB
from fcn_core.models.vgg_fcn import FCN8s, FCN32s
from fcn_core.training import vgg_init
from fcn_core.training.vgg_init import (
    init_from_vgg16,
    load_vgg16_imagenet_state_dict,
    vgg16_conv_names,
    vgg16_imagenet_path,
    vgg16_to_fcn_state_dict,
)
from fcn_core.weights.errors import WeightsError, WeightsNotFoundError
from fcn_core.weights.sources import WeightSource
from tests.weights_helpers import Route, local_http_server

WIDTH = 1 / 16


@pytest.fixture(scope="module")
def full_vgg16() -> nn.Module:
    torch.manual_seed(0)
    return vgg16(weights=None).eval()


@pytest.fixture(scope="module")
def full_fcn_shapes() -> dict[str, torch.Size]:
    with torch.device("meta"):  # shapes only: no 0.5 GB allocation
        return {name: tensor.shape for name, tensor in FCN32s().state_dict().items()}


def test_conv_names_match_torchvision_layout(full_vgg16: nn.Module) -> None:
    conv_indices = [index for index, module in enumerate(full_vgg16.features) if isinstance(module, nn.Conv2d)]
    assert [prefix for prefix, _ in vgg16_conv_names()] == [f"features.{index}" for index in conv_indices]


@torch.no_grad()
def test_fc6_as_convolution_equals_dense_layer_on_224(full_vgg16: nn.Module, full_fcn_shapes) -> None:
    converted = vgg16_to_fcn_state_dict(full_vgg16.state_dict(), full_fcn_shapes)
    image = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    pool5 = full_vgg16.features(image)
    assert pool5.shape == (1, 512, 7, 7)
    dense = full_vgg16.classifier[0](torch.flatten(full_vgg16.avgpool(pool5), 1))
    as_conv = F.conv2d(pool5, converted["fc6.weight"], converted["fc6.bias"])
    assert as_conv.shape == (1, 4096, 1, 1)
    torch.testing.assert_close(as_conv.flatten(1), dense, rtol=1e-4, atol=1e-5)
    fc7_dense = full_vgg16.classifier[3](torch.relu(dense))
    fc7_conv = F.conv2d(torch.relu(as_conv), converted["fc7.weight"], converted["fc7.bias"])
    torch.testing.assert_close(fc7_conv.flatten(1), fc7_dense, rtol=1e-4, atol=1e-5)
    for prefix, name in vgg16_conv_names():
        assert torch.equal(converted[f"{name}.weight"], full_vgg16.state_dict()[f"{prefix}.weight"]), name


def _small_vgg_state(model: FCN8s) -> dict[str, torch.Tensor]:
    """A VGG16-shaped state dict at the model's width (dense layers flattened as torchvision's)."""
    generator = torch.Generator().manual_seed(2)
    own = model.state_dict()
    state = {}
    for prefix, name in vgg16_conv_names():
        state[f"{prefix}.weight"] = torch.randn(own[f"{name}.weight"].shape, generator=generator)
        state[f"{prefix}.bias"] = torch.randn(own[f"{name}.bias"].shape, generator=generator)
    for prefix, name in (("classifier.0", "fc6"), ("classifier.3", "fc7")):
        out_channels = own[f"{name}.weight"].shape[0]
        state[f"{prefix}.weight"] = torch.randn(out_channels, own[f"{name}.weight"][0].numel(), generator=generator)
        state[f"{prefix}.bias"] = torch.randn(out_channels, generator=generator)
    return state


def test_init_copies_trunk_and_keeps_head() -> None:
    torch.manual_seed(3)
    model = FCN8s(width=WIDTH)
    head_before = {k: v.clone() for k, v in model.state_dict().items() if k.startswith(("score", "upscore"))}
    state = _small_vgg_state(model)
    init_from_vgg16(model, state)
    weights = model.state_dict()
    assert torch.equal(weights["conv3_2.weight"], state["features.12.weight"])
    assert torch.equal(weights["fc6.weight"].flatten(1), state["classifier.0.weight"])
    assert torch.equal(weights["fc7.weight"].flatten(1), state["classifier.3.weight"])
    assert all(torch.equal(weights[key], value) for key, value in head_before.items())


def test_full_vgg16_into_small_model_names_layer(full_vgg16: nn.Module) -> None:
    expected = r"'features.0.weight' has shape \[64, 3, 3, 3\], which cannot become conv1_1.weight \[4, 3, 3, 3\]"
    with pytest.raises(WeightsError, match=expected):
        init_from_vgg16(FCN8s(width=WIDTH), full_vgg16.state_dict())


def test_missing_vgg_layer_is_named() -> None:
    model = FCN8s(width=WIDTH)
    state = _small_vgg_state(model)
    del state["classifier.3.bias"]
    with pytest.raises(WeightsError, match="lack 'classifier.3.bias'"):
        init_from_vgg16(model, state)


def test_imagenet_file_needs_permission_to_download() -> None:
    with pytest.raises(WeightsNotFoundError, match="vgg16-397923af.pth"):
        vgg16_imagenet_path()


def test_imagenet_file_downloads_into_torch_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    model = FCN8s(width=WIDTH)
    payload = tmp_path / "payload.pth"
    state = _small_vgg_state(model)
    torch.save(state, payload)
    body = payload.read_bytes()
    prefix = hashlib.sha256(body).hexdigest()[:8]
    with local_http_server() as server:
        server.routes[f"/vgg16-{prefix}.pth"] = Route(body)
        source = WeightSource("torchvision", server.url(f"/vgg16-{prefix}.pth"), f"vgg16-{prefix}.pth", "torchvision",
                              IMAGENET_RGB, "test", sha256_prefix=prefix)
        monkeypatch.setattr(vgg_init, "vgg16_imagenet_source", lambda: source)
        loaded = load_vgg16_imagenet_state_dict(allow_download=True)
    assert vgg16_imagenet_path() == Path(torch.hub.get_dir()) / "checkpoints" / f"vgg16-{prefix}.pth"
    assert loaded.keys() == state.keys() and all(torch.equal(loaded[k], state[k]) for k in state)
