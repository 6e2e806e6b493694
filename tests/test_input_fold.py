"""Refolding conv1_1 from torchvision's normalisation to Caffe's keeps the network's function."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from fcn_core.models.normalization import CAFFE_BGR, IMAGENET_RGB
from fcn_core.training.input_fold import refold_first_conv_


def test_refolded_conv_gives_the_same_output_on_the_other_normalisation() -> None:
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 8, 3, padding=1)
    pixels = np.random.default_rng(0).integers(0, 256, (20, 24, 3), dtype=np.uint8)
    with torch.no_grad():
        expected = conv(IMAGENET_RGB.to_tensor(pixels))
        refold_first_conv_(conv, IMAGENET_RGB, CAFFE_BGR)
        got = conv(CAFFE_BGR.to_tensor(pixels))
    interior = (slice(None), slice(None), slice(1, -1), slice(1, -1))  # zero padding means a different colour
    torch.testing.assert_close(got[interior], expected[interior], rtol=1e-4, atol=1e-4)
    assert not torch.allclose(got[:, :, 0], expected[:, :, 0], atol=1e-4)


def test_refold_round_trip_restores_the_weights() -> None:
    conv = nn.Conv2d(3, 4, 3)
    original = {k: v.clone() for k, v in conv.state_dict().items()}
    refold_first_conv_(conv, IMAGENET_RGB, CAFFE_BGR)
    assert not torch.allclose(conv.weight, original["weight"])
    refold_first_conv_(conv, CAFFE_BGR, IMAGENET_RGB)
    for key, value in conv.state_dict().items():
        torch.testing.assert_close(value, original[key], rtol=1e-5, atol=1e-5)


def test_training_from_vgg16_starts_on_caffe_input(monkeypatch) -> None:
    """The reference learning rates assume 0–255 BGR input, so the VGG16 start is refolded."""
    from torchvision.models import vgg16

    from fcn_core.training import staging

    torch.manual_seed(0)
    vgg_state = vgg16(weights=None).state_dict()
    monkeypatch.setattr(staging, "load_vgg16_imagenet_state_dict", lambda **_: vgg_state)
    start = staging.initial_model("fcn32s", 21, 1.0, staging.INIT_VGG16, caffe_input=True)
    assert start.normalization == CAFFE_BGR
    reference = nn.Conv2d(3, 64, 3, padding=1)
    reference.load_state_dict({"weight": vgg_state["features.0.weight"], "bias": vgg_state["features.0.bias"]})
    refold_first_conv_(reference, IMAGENET_RGB, CAFFE_BGR)
    torch.testing.assert_close(start.model.conv1_1.weight, reference.weight)
    torch.testing.assert_close(start.model.fc7.weight[:, :, 0, 0], vgg_state["classifier.3.weight"])


def test_modern_training_from_vgg16_keeps_torchvisions_input(monkeypatch) -> None:
    """The modern recipe's learning rates are for normalised input: no refolding there."""
    from torchvision.models import vgg16

    from fcn_core.training import staging
    from fcn_core.training.recipes import modern_recipe, reference_recipe

    torch.manual_seed(0)
    vgg_state = vgg16(weights=None).state_dict()
    monkeypatch.setattr(staging, "load_vgg16_imagenet_state_dict", lambda **_: vgg_state)
    assert reference_recipe("fcn32s").wants_caffe_input and not modern_recipe().wants_caffe_input
    start = staging.initial_model("fcn32s", 21, 1.0, staging.INIT_VGG16, caffe_input=False)
    assert start.normalization == IMAGENET_RGB
    torch.testing.assert_close(start.model.conv1_1.weight, vgg_state["features.0.weight"])
