"""The FCN family's exact layout (DESIGN §3): names, shapes, crops, bilinear kernels."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fcn_core.models.bilinear import bilinear_kernel_2d
from fcn_core.models.registry import get_model_spec, model_names
from fcn_core.models.vgg_fcn import FCN8s, FCN8sAtOnce, FCN16s, FCN32s

SMALL = 1 / 16  # reduced width: same code path, fast on 2 cores

SIZES = [(1, 1), (1, 7), (2, 3), (5, 5), (16, 17), (31, 32), (33, 64), (100, 37), (127, 129)]


@pytest.mark.parametrize("model_class", [FCN32s, FCN16s, FCN8s, FCN8sAtOnce])
def test_output_size_equals_input_size(model_class: type[torch.nn.Module]) -> None:
    model = model_class(num_classes=5, width=SMALL).eval()
    with torch.inference_mode():
        for height, width in SIZES:
            assert model(torch.randn(1, 3, height, width)).shape == (1, 5, height, width)


def test_full_width_fcn8s_matches_caffe_parameter_table() -> None:
    shapes = {name: tuple(p.shape) for name, p in FCN8s().named_parameters()}
    assert shapes["conv1_1.weight"] == (64, 3, 3, 3)
    assert shapes["conv5_3.weight"] == (512, 512, 3, 3)
    assert shapes["fc6.weight"] == (4096, 512, 7, 7)
    assert shapes["fc7.weight"] == (4096, 4096, 1, 1)
    assert shapes["score_fr.weight"] == (21, 4096, 1, 1)
    assert shapes["score_pool4.weight"] == (21, 512, 1, 1)
    assert shapes["score_pool3.weight"] == (21, 256, 1, 1)
    assert shapes["upscore2.weight"] == (21, 21, 4, 4)
    assert shapes["upscore_pool4.weight"] == (21, 21, 4, 4)
    assert shapes["upscore8.weight"] == (21, 21, 16, 16)
    assert "upscore8.bias" not in shapes
    assert sum(np.prod(s) for s in shapes.values()) == 134_489_759


def test_layer_hyperparameters_follow_caffe() -> None:
    model = FCN8s(width=SMALL)
    assert model.conv1_1.padding == (100, 100)
    assert all(getattr(model, f"conv{s}_1").padding == (1, 1) for s in range(2, 6))
    assert all(getattr(model, f"pool{s}").ceil_mode for s in range(1, 6))
    assert model.fc6.kernel_size == (7, 7) and model.fc6.padding == (0, 0)
    assert (model.upscore2.stride, model.upscore_pool4.stride, model.upscore8.stride) == ((2, 2), (2, 2), (8, 8))
    assert FCN16s(width=SMALL).upscore16.kernel_size == (32, 32)
    assert FCN32s(width=SMALL).upscore.kernel_size == (64, 64)


def test_bilinear_kernel_equals_reference_formula() -> None:
    # Caffe surgery.upsample_filt for size 4: factor 2, centre 1.5.
    expected_1d = np.array([0.25, 0.75, 0.75, 0.25])
    np.testing.assert_allclose(bilinear_kernel_2d(4), np.outer(expected_1d, expected_1d))
    # odd size 3: factor 2, centre 1.
    np.testing.assert_allclose(bilinear_kernel_2d(3), np.outer([0.5, 1, 0.5], [0.5, 1, 0.5]))


def test_deconvolutions_are_bilinear_on_the_channel_diagonal() -> None:
    model = FCN8s(num_classes=3, width=SMALL)
    weight = model.upscore8.weight.detach().numpy()
    np.testing.assert_allclose(weight[1, 1], bilinear_kernel_2d(16), rtol=1e-6)
    assert np.all(weight[0, 1] == 0) and np.all(weight[2, 0] == 0)


def test_bilinear_upscore_upsamples_a_constant_to_a_constant() -> None:
    model = FCN32s(num_classes=2, width=SMALL)
    constant = torch.full((1, 2, 6, 6), 3.0)
    out = model.upscore(constant)[:, :, 32:-32, 32:-32]
    torch.testing.assert_close(out, torch.full_like(out, 3.0))


def test_atonce_scales_skip_branches() -> None:
    torch.manual_seed(0)
    plain, atonce = FCN8s(num_classes=3, width=SMALL).eval(), FCN8sAtOnce(num_classes=3, width=SMALL).eval()
    atonce.load_state_dict(plain.state_dict())
    assert (atonce.pool4_scale, atonce.pool3_scale) == (0.01, 0.0001)
    x = torch.randn(1, 3, 40, 40)
    with torch.inference_mode():
        assert not torch.allclose(plain(x), atonce(x))


def test_registry_lists_the_family_and_torchvision_models() -> None:
    names = model_names()
    for name in ["fcn8s", "fcn16s", "fcn32s", "fcn8s-atonce", "fcn_resnet50", "fcn_resnet101",
                 "deeplabv3_resnet50", "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large"]:
        assert name in names
    assert get_model_spec("fcn8s").normalization.channel_order == "BGR"
    assert get_model_spec("fcn_resnet50").normalization.channel_order == "RGB"
    with pytest.raises(KeyError, match="available: fcn8s"):
        get_model_spec("fcn9s")


def test_torchvision_model_returns_logits_of_input_size() -> None:
    model = get_model_spec("lraspp_mobilenet_v3_large").build()
    with torch.inference_mode():
        assert model(torch.randn(1, 3, 64, 48)).shape == (1, 21, 64, 48)
