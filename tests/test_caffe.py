"""The Caffe reader on synthetic caffemodels written byte by byte (V2 and V1 layouts, packed
and unpacked, shape and legacy dims), malformed and hostile files, and the conversion of a
full FCN-8s by layer name."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import torch

from fcn_core.models.vgg_fcn import FCN8s, FCN8sAtOnce, FCN16s
from fcn_core.weights import caffe
from fcn_core.weights.caffe import CaffeFormatError, parse_caffemodel, read_caffemodel
from fcn_core.weights.errors import WeightsError
from fcn_core.weights.store import load_weights_file
from tests.weights_helpers import (
    blob_proto,
    caffemodel_from_state_dict,
    field_bytes,
    field_string,
    field_varint,
    layer_v1,
    layer_v2,
    net,
    tag,
    varint,
)

WIDTH = 1 / 16


def _values(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("packed_data", [True, False])
@pytest.mark.parametrize("packed_shape", [True, False])
def test_v2_layers_read_back_exactly(packed_data: bool, packed_shape: bool) -> None:
    weight, bias = _values((3, 2, 3, 3), 1), _values((3,), 2)
    data = net(
        layer_v2("data", "Input", []),
        layer_v2("conv1", "Convolution", [
            blob_proto(weight, packed_data=packed_data, packed_shape=packed_shape),
            blob_proto(bias, packed_data=packed_data, packed_shape=packed_shape),
        ]),
        layer_v2("relu1", "ReLU", []),
    )
    layers = parse_caffemodel(data)
    assert [(layer.name, layer.type, len(layer.blobs)) for layer in layers] == [
        ("data", "Input", 0), ("conv1", "Convolution", 2), ("relu1", "ReLU", 0),
    ]
    assert layers[1].blobs[0].dtype == np.float32
    np.testing.assert_array_equal(layers[1].blobs[0], weight)
    np.testing.assert_array_equal(layers[1].blobs[1], bias)


@pytest.mark.parametrize("packed_data", [True, False])
def test_v1_layers_with_legacy_dims_read_back_exactly(packed_data: bool) -> None:
    weight, bias = _values((4, 3, 2, 2), 3), _values((4,), 4)
    data = net(layer_v1("conv1", 4, [
        blob_proto(weight, legacy_dims=True, packed_data=packed_data),
        blob_proto(bias, legacy_dims=True, packed_data=packed_data),
    ]), layer_v1("up", 39, []))
    layers = parse_caffemodel(data)
    assert [(layer.name, layer.type) for layer in layers] == [("conv1", "Convolution"), ("up", "Deconvolution")]
    np.testing.assert_array_equal(layers[0].blobs[0], weight)
    assert layers[0].blobs[1].shape == (1, 1, 1, 4)  # legacy blobs are always 4-D
    np.testing.assert_array_equal(layers[0].blobs[1].ravel(), bias)


@pytest.mark.parametrize("packed", [True, False])
def test_double_data_is_read_as_float32(packed: bool) -> None:
    values = np.array([[0.5, -1.25], [3.0, 1e-3]])
    layers = parse_caffemodel(net(layer_v2("fc", "InnerProduct", [blob_proto(values, as_double=True, packed_data=packed)])))
    np.testing.assert_array_equal(layers[0].blobs[0], values.astype(np.float32))


def test_unpacked_values_interrupted_by_other_fields_keep_their_order() -> None:
    """Runs of unpacked floats split by other fields (and a packed part, and a tag written as a
    two-byte varint) are joined in file order."""
    values = _values((1000,), 12)

    def unpacked(part: np.ndarray) -> bytes:
        return b"".join(tag(5, 5) + struct.pack("<f", float(v)) for v in part)

    blob = (
        field_bytes(7, field_bytes(1, varint(values.size)))
        + unpacked(values[:700])
        + field_bytes(6, b"\x00" * 4)  # a diff value between the runs
        + b"\xad\x00" + struct.pack("<f", float(values[700]))  # tag 5/fixed32 as a non-minimal varint
        + field_bytes(5, values[701:800].tobytes())
        + unpacked(values[800:])
    )
    layers = parse_caffemodel(net(layer_v2("ip", "InnerProduct", [blob])))
    np.testing.assert_array_equal(layers[0].blobs[0], values)


def test_unknown_fields_of_every_wire_type_are_skipped() -> None:
    weight = _values((2, 2), 5)
    unknown = (
        field_varint(9, 300)
        + tag(10, 1) + b"\x00" * 8
        + tag(11, 5) + b"\x00" * 4
        + field_bytes(12, field_string(1, "nested"))
    )
    blob = unknown + blob_proto(weight) + field_bytes(6, b"\x00" * 16)  # diff=6 is ignored
    layer = field_bytes(100, field_string(1, "ip") + unknown + field_string(2, "InnerProduct") + field_bytes(7, blob))
    layers = parse_caffemodel(unknown + field_string(1, "net") + layer + unknown)
    np.testing.assert_array_equal(layers[0].blobs[0], weight)


def test_read_caffemodel_reads_a_file(tmp_path) -> None:
    weight = _values((2, 3), 6)
    path = tmp_path / "tiny.caffemodel"
    path.write_bytes(net(layer_v2("ip", "InnerProduct", [blob_proto(weight)])))
    np.testing.assert_array_equal(read_caffemodel(path)[0].blobs[0], weight)


# --- malformed and hostile files -------------------------------------------------------------

GOOD = net(layer_v2("conv", "Convolution", [blob_proto(np.arange(6, dtype=np.float32).reshape(2, 3))]))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (GOOD[:-3], "remain"),
        (field_bytes(100, b"")[:-1] + varint(1000) + b"\x00" * 10, "claims 1000 bytes"),
        (tag(100, 0) + varint(5), "wire type 0"),
        (tag(100, 3), "wire type 3"),
        (tag(100, 7), "wire type 7"),
        (b"\x00", "field number 0"),
        (b"\xff" * 11, "longer than 10 bytes"),
        (tag(1, 0) + b"\xff" * 9 + b"\x7f", "overflows 64 bits"),
        (tag(1, 0) + b"\x80", "truncated varint"),
        (b"", "no layers"),
        (field_string(1, "only a name"), "no layers"),
    ],
)
def test_malformed_messages_raise_caffe_format_error(data: bytes, message: str) -> None:
    with pytest.raises(CaffeFormatError, match=message):
        parse_caffemodel(data)


def _blob_layer(blob: bytes) -> bytes:
    return net(layer_v2("conv", "Convolution", [blob]))


def test_absurd_dimensions_never_allocate() -> None:
    """2^40 declared elements with 4 present: refused from the data actually there."""
    blob = field_bytes(7, field_bytes(1, varint(1 << 20) + varint(1 << 20))) + field_bytes(5, b"\x00" * 16)
    with pytest.raises(CaffeFormatError, match=r"1099511627776 values\) but holds 4"):
        parse_caffemodel(_blob_layer(blob))


def test_huge_data_length_is_checked_before_reading() -> None:
    blob = field_bytes(7, field_bytes(1, varint(4))) + tag(5, 2) + varint(1 << 40)
    with pytest.raises(CaffeFormatError, match="claims 1099511627776 bytes"):
        parse_caffemodel(_blob_layer(blob))


def test_negative_dimension_is_refused() -> None:
    blob = field_bytes(7, field_varint(1, -1)) + field_bytes(5, b"")
    with pytest.raises(CaffeFormatError, match="negative dimension"):
        parse_caffemodel(_blob_layer(blob))


def test_negative_legacy_dimension_is_refused() -> None:
    blob = field_varint(1, -4) + field_bytes(5, b"")
    with pytest.raises(CaffeFormatError, match="negative legacy blob dimension"):
        parse_caffemodel(_blob_layer(blob))


def test_packed_floats_must_fill_whole_values() -> None:
    blob = field_bytes(7, field_bytes(1, varint(1))) + field_bytes(5, b"\x00" * 5)
    with pytest.raises(CaffeFormatError, match="not a multiple of 4"):
        parse_caffemodel(_blob_layer(blob))


def test_nested_length_cannot_escape_its_parent() -> None:
    """A blob claiming more bytes than its layer holds fails even if the file has them."""
    blob = field_bytes(7, field_bytes(1, varint(2))) + field_bytes(5, b"\x00" * 8)
    layer_body = field_string(1, "conv") + tag(7, 2) + varint(len(blob) + 4) + blob
    data = field_bytes(100, layer_body) + b"\x00" * 8
    with pytest.raises(CaffeFormatError, match="claims"):
        parse_caffemodel(data)


def test_every_truncation_of_a_valid_file_fails_cleanly() -> None:
    data = caffemodel_from_state_dict({"a.weight": torch.ones(2, 2, 1, 1), "a.bias": torch.zeros(2)})
    refused = 0
    for cut in range(1, len(data)):
        try:
            parse_caffemodel(data[:cut])
        except CaffeFormatError:
            refused += 1
    assert refused >= len(data) // 2  # most cuts land inside a field; the rest are valid shorter nets


def test_random_corruption_only_raises_caffe_format_error() -> None:
    data = bytearray(caffemodel_from_state_dict({"a.weight": torch.ones(3, 2, 1, 1), "a.bias": torch.zeros(3)}))
    rng = np.random.default_rng(0)
    outcomes = {"ok": 0, "error": 0}
    for _ in range(300):
        mutated = bytearray(data)
        for position in rng.integers(0, len(mutated), size=3):
            mutated[position] = int(rng.integers(0, 256))
        try:
            parse_caffemodel(bytes(mutated))
            outcomes["ok"] += 1
        except CaffeFormatError:
            outcomes["error"] += 1
    assert outcomes["error"] > 0


def test_empty_and_oversized_files_are_refused(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty.caffemodel"
    empty.write_bytes(b"")
    with pytest.raises(CaffeFormatError, match="empty"):
        read_caffemodel(empty)
    big = tmp_path / "big.caffemodel"
    big.write_bytes(GOOD)
    monkeypatch.setattr(caffe, "MAX_CAFFEMODEL_BYTES", len(GOOD) - 1)
    with pytest.raises(CaffeFormatError, match="refusing to read"):
        read_caffemodel(big)


def test_missing_file_is_a_weights_error(tmp_path) -> None:
    with pytest.raises(WeightsError, match="cannot read"):
        read_caffemodel(tmp_path / "nope.caffemodel")


# --- conversion ------------------------------------------------------------------------------


def _random_state(model: torch.nn.Module, seed: int) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {key: torch.randn(value.shape, generator=generator) for key, value in model.state_dict().items()}


@pytest.mark.parametrize(("v1", "legacy_dims"), [(False, False), (True, True)])
def test_full_fcn8s_converts_by_name_exactly(tmp_path, v1: bool, legacy_dims: bool) -> None:
    state = _random_state(FCN8s(width=WIDTH), seed=7)
    path = tmp_path / "fcn8s.caffemodel"
    path.write_bytes(caffemodel_from_state_dict(state, v1=v1, legacy_dims=legacy_dims))
    loaded = load_weights_file(path, "fcn8s")
    assert isinstance(loaded.model, FCN8s) and loaded.model.width == WIDTH
    converted = loaded.model.state_dict()
    assert converted.keys() == state.keys()
    for key, tensor in state.items():
        assert torch.equal(converted[key], tensor), key
    assert loaded.normalization.channel_order == "BGR"


def test_atonce_scale_layers_select_fcn8s_atonce(tmp_path) -> None:
    state = _random_state(FCN8sAtOnce(width=WIDTH), seed=8)
    scales = [  # per-channel constants, as Caffe's Scale layer stores them
        layer_v2("scale_pool4", "Scale", [blob_proto(np.full(32, 0.01, dtype=np.float32))]),
        layer_v2("scale_pool3", "Scale", [blob_proto(np.full(16, 0.0001, dtype=np.float32))]),
    ]
    path = tmp_path / "atonce.caffemodel"
    path.write_bytes(caffemodel_from_state_dict(state, extra_layers=scales))
    loaded = load_weights_file(path, "fcn8s-atonce")
    assert isinstance(loaded.model, FCN8sAtOnce)
    assert torch.equal(loaded.model.state_dict()["score_pool3.weight"], state["score_pool3.weight"])
    with pytest.raises(WeightsError, match="not fcn8s; load it with --model fcn8s-atonce"):
        load_weights_file(path, "fcn8s")


def test_wrong_scale_constant_is_refused(tmp_path) -> None:
    state = _random_state(FCN8sAtOnce(width=WIDTH), seed=9)
    scale = layer_v2("scale_pool4", "Scale", [blob_proto(np.array([0.5], dtype=np.float32))])
    path = tmp_path / "odd.caffemodel"
    path.write_bytes(caffemodel_from_state_dict(state, extra_layers=[scale]))
    with pytest.raises(WeightsError, match="pool4_scale is 0.5 in the file but 0.01"):
        load_weights_file(path, "fcn8s-atonce")


def test_other_architecture_is_named(tmp_path) -> None:
    path = tmp_path / "fcn16s.caffemodel"
    path.write_bytes(caffemodel_from_state_dict(_random_state(FCN16s(width=WIDTH), seed=10)))
    with pytest.raises(WeightsError, match="caffemodel weights for fcn16s, not fcn8s"):
        load_weights_file(path, "fcn8s")


def test_shape_mismatch_names_layer_and_shapes(tmp_path) -> None:
    state = _random_state(FCN8s(width=WIDTH), seed=11)
    state["conv3_2.weight"] = torch.zeros(16, 16, 1, 1)
    path = tmp_path / "bad.caffemodel"
    path.write_bytes(caffemodel_from_state_dict(state))
    with pytest.raises(WeightsError, match=r"'conv3_2.weight' has shape \[16, 16, 1, 1\] in the weights but \[16, 16, 3, 3\]"):
        load_weights_file(path, "fcn8s")


def test_layer_with_three_blobs_is_refused() -> None:
    layers = parse_caffemodel(net(layer_v2("odd", "Convolution", [blob_proto(np.zeros(1, np.float32))] * 3)))
    with pytest.raises(WeightsError, match="3 blobs"):
        caffe.caffe_layers_to_state_dict(layers, "odd.caffemodel")


def test_duplicate_layer_is_refused() -> None:
    conv = layer_v2("conv1", "Convolution", [blob_proto(np.zeros((1, 1, 1, 1), np.float32))])
    with pytest.raises(WeightsError, match="'conv1' appears twice"):
        caffe.caffe_layers_to_state_dict(parse_caffemodel(net(conv, conv)), "twice.caffemodel")


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_file_on_disk_is_a_caffe_format_error(tmp_path, keep: float) -> None:
    """Issue #12 item 1: the parse error's traceback must not keep a view of the memory map alive
    (that turned the clear message into 'BufferError: cannot close exported pointers exist')."""
    data = caffemodel_from_state_dict({"a.weight": torch.ones(3, 2, 3, 3), "a.bias": torch.zeros(3)})
    path = tmp_path / "half.caffemodel"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(CaffeFormatError, match="half.caffemodel: not a valid Caffe model, the file is incomplete or damaged"):
        read_caffemodel(path)
