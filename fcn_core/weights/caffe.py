"""Read Caffe ``.caffemodel`` files without Caffe or protobuf, and convert the FCN releases.

A ``.caffemodel`` is a serialized ``NetParameter`` protobuf message. We only need a little of
it, so we decode the wire format directly (https://protobuf.dev/programming-guides/encoding/):
every field is a varint *tag* (``field_number << 3 | wire_type``) followed by a varint
(type 0), 8 bytes (type 1), a varint length and that many bytes (type 2), or 4 bytes (type 5).

The fields we read (from ``caffe.proto``):

    NetParameter       layer = 100 (LayerParameter), legacy layers = 2 (V1LayerParameter)
    LayerParameter     name = 1, type = 2, blobs = 7 (BlobProto)
    V1LayerParameter   name = 4, type = 5 (enum), blobs = 6 (BlobProto)
    BlobProto          shape = 7 (BlobShape: dim = 1, int64, packed or not),
                       data = 5 (float, packed or not), double_data = 8 (double),
                       legacy num = 1, channels = 2, height = 3, width = 4

Everything else is skipped by wire type. The file is untrusted input: every length is checked
against the bytes that remain in the enclosing message *before* anything is sliced or
allocated, element counts come from the bytes actually present (never from a declared
shape), and any inconsistency raises ``CaffeFormatError`` with the byte offset. The file is
memory-mapped, so even a large release is read once and never copied whole.
"""

from __future__ import annotations

import mmap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from fcn_core.weights.errors import WeightsError

MAX_CAFFEMODEL_BYTES = 4 * 1024**3
"""Refuse larger files: the biggest FCN release (VGG16 FCN-8s) is about 0.5 GB."""

MAX_VARINT_BYTES = 10
"""A 64-bit value needs at most 10 varint bytes; more means a corrupt or hostile file."""

WIRE_VARINT, WIRE_FIXED64, WIRE_LENGTH, WIRE_START_GROUP, WIRE_END_GROUP, WIRE_FIXED32 = 0, 1, 2, 3, 4, 5

# Field numbers (caffe.proto).
NET_LAYERS_V1 = 2
NET_LAYER = 100
LAYER_NAME, LAYER_TYPE, LAYER_BLOBS = 1, 2, 7
V1_NAME, V1_TYPE, V1_BLOBS = 4, 5, 6
BLOB_NUM, BLOB_CHANNELS, BLOB_HEIGHT, BLOB_WIDTH = 1, 2, 3, 4
BLOB_DATA, BLOB_SHAPE, BLOB_DOUBLE_DATA = 5, 7, 8
SHAPE_DIM = 1

V1_LAYER_TYPES = {4: "Convolution", 39: "Deconvolution", 14: "InnerProduct", 18: "ReLU", 17: "Pooling"}
"""A few V1 enum values, only so that messages show a readable type."""


class CaffeFormatError(WeightsError):
    """The bytes are not a well-formed ``.caffemodel`` (truncated, corrupt or hostile)."""


@dataclass(frozen=True, eq=False)
class CaffeLayer:
    """One layer of a Caffe net: its name, type and parameter blobs (float32 arrays)."""

    name: str
    type: str
    blobs: tuple[np.ndarray, ...]


class _Reader:
    """Walks one protobuf message inside ``buffer[start:end]``; ``origin`` names the source."""

    def __init__(self, buffer: memoryview, start: int, end: int, origin: str) -> None:
        self.buffer = buffer
        self.pos = start
        self.end = end
        self.origin = origin

    def fail(self, what: str, at: int | None = None) -> CaffeFormatError:
        return CaffeFormatError(
            f"{self.origin}: not a valid Caffe model, the file is incomplete or damaged: {what} "
            f"(at byte {self.pos if at is None else at})"
        )

    def at_end(self) -> bool:
        return self.pos >= self.end

    def varint(self) -> int:
        start = self.pos
        result = 0
        for index in range(MAX_VARINT_BYTES):
            if self.pos >= self.end:
                raise self.fail("truncated varint", start)
            byte = self.buffer[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << (7 * index)
            if not byte & 0x80:
                if result >= 1 << 64:
                    raise self.fail("varint overflows 64 bits", start)
                return result
        raise self.fail(f"varint longer than {MAX_VARINT_BYTES} bytes", start)

    def signed_varint(self, what: str) -> int:
        """An ``int32``/``int64`` field (two's complement in 64 bits); negatives are rejected,
        since every such field we read is a size."""
        start = self.pos
        value = self.varint()
        if value >= 1 << 63:
            raise self.fail(f"negative {what} ({value - (1 << 64)})", start)
        return value

    def tag(self) -> tuple[int, int]:
        start = self.pos
        key = self.varint()
        field_number, wire_type = key >> 3, key & 7
        if field_number == 0:
            raise self.fail("field number 0", start)
        if wire_type in (WIRE_START_GROUP, WIRE_END_GROUP) or wire_type > WIRE_FIXED32:
            raise self.fail(f"unsupported wire type {wire_type} for field {field_number}", start)
        return field_number, wire_type

    def take(self, size: int, what: str) -> tuple[int, int]:
        """Reserve ``size`` bytes of this message; return their (start, end) offsets."""
        if size > self.end - self.pos:
            raise self.fail(f"{what} claims {size} bytes but only {self.end - self.pos} remain")
        start = self.pos
        self.pos += size
        return start, self.pos

    def length_delimited(self, what: str) -> tuple[int, int]:
        return self.take(self.varint(), what)

    def sub_reader(self, what: str) -> _Reader:
        start, end = self.length_delimited(what)
        return _Reader(self.buffer, start, end, self.origin)

    def string(self, what: str) -> str:
        start, end = self.length_delimited(what)
        return bytes(self.buffer[start:end]).decode("utf-8", errors="replace")

    def skip(self, wire_type: int) -> None:
        if wire_type == WIRE_VARINT:
            self.varint()
        elif wire_type == WIRE_FIXED64:
            self.take(8, "64-bit field")
        elif wire_type == WIRE_FIXED32:
            self.take(4, "32-bit field")
        else:
            self.length_delimited("field")

    def expect(self, wire_type: int, wanted: tuple[int, ...], what: str) -> None:
        if wire_type not in wanted:
            raise self.fail(f"{what} has wire type {wire_type}, expected {' or '.join(map(str, wanted))}")

    def packed_array(self, dtype: str, what: str) -> np.ndarray:
        """A packed repeated fixed-width field: the length must be a multiple of the item size."""
        itemsize = np.dtype(dtype).itemsize
        start, end = self.length_delimited(what)
        if (end - start) % itemsize:
            raise self.fail(f"packed {what} of {end - start} bytes is not a multiple of {itemsize}", start)
        return np.frombuffer(self.buffer, dtype=dtype, count=(end - start) // itemsize, offset=start).copy()

    def unpacked_run(self, dtype: str, tag_byte: int, what: str) -> np.ndarray:
        """An unpacked repeated fixed-width field whose first tag was just read: this value and
        all directly following ones with the same one-byte tag, as one array.

        Reading value by value would cost a Python object (~100 bytes) per 5 bytes of file; the
        run is found by looking ahead in doubling windows, so time and memory stay linear.
        """
        itemsize = np.dtype(dtype).itemsize
        record = 1 + itemsize
        first, _ = self.take(itemsize, what)
        tag_at = first - 1  # the last byte of the tag; only the following records' tags are compared
        available = (self.end - tag_at) // record
        count, window = 1, 16
        while count < available:
            size = min(window, available - count)
            tags = np.frombuffer(self.buffer, dtype=np.uint8, count=size * record, offset=tag_at + count * record)[::record]
            matching = tags == tag_byte
            if not matching.all():
                count += int(np.argmin(matching))
                break
            count += size
            window *= 2
        self.pos = tag_at + count * record
        rows = np.frombuffer(self.buffer, dtype=np.uint8, count=count * record, offset=tag_at).reshape(count, record)
        return rows[:, 1:].copy().view(dtype).ravel()


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """One packed field is the usual case: keep it rather than copy it again."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _read_dims(reader: _Reader) -> list[int]:
    """BlobShape: repeated int64 ``dim``, packed or one varint per field."""
    dims: list[int] = []
    while not reader.at_end():
        field_number, wire_type = reader.tag()
        if field_number != SHAPE_DIM:
            reader.skip(wire_type)
        elif wire_type == WIRE_VARINT:
            dims.append(reader.signed_varint("dimension"))
        elif wire_type == WIRE_LENGTH:
            packed = reader.sub_reader("packed dimensions")
            while not packed.at_end():
                dims.append(packed.signed_varint("dimension"))
        else:
            raise reader.fail(f"shape dim has wire type {wire_type}")
    return dims


def _read_blob(reader: _Reader, where: str) -> np.ndarray:
    """BlobProto → a float32 array of its declared shape (checked against the data present)."""
    shape: list[int] | None = None
    legacy = {BLOB_NUM: 1, BLOB_CHANNELS: 1, BLOB_HEIGHT: 1, BLOB_WIDTH: 1}
    legacy_seen = False
    floats: list[np.ndarray] = []
    doubles: list[np.ndarray] = []
    while not reader.at_end():
        field_number, wire_type = reader.tag()
        if field_number == BLOB_SHAPE:
            reader.expect(wire_type, (WIRE_LENGTH,), "blob shape")
            shape = _read_dims(reader.sub_reader("blob shape"))
        elif field_number in legacy:
            reader.expect(wire_type, (WIRE_VARINT,), "legacy blob dimension")
            legacy[field_number] = reader.signed_varint("legacy blob dimension")
            legacy_seen = True
        elif field_number == BLOB_DATA:
            reader.expect(wire_type, (WIRE_LENGTH, WIRE_FIXED32), "blob data")
            floats.append(
                reader.packed_array("<f4", "blob data") if wire_type == WIRE_LENGTH
                else reader.unpacked_run("<f4", BLOB_DATA << 3 | WIRE_FIXED32, "blob data")
            )
        elif field_number == BLOB_DOUBLE_DATA:
            reader.expect(wire_type, (WIRE_LENGTH, WIRE_FIXED64), "blob double_data")
            doubles.append(
                reader.packed_array("<f8", "blob double_data") if wire_type == WIRE_LENGTH
                else reader.unpacked_run("<f8", BLOB_DOUBLE_DATA << 3 | WIRE_FIXED64, "blob double_data")
            )
        else:
            reader.skip(wire_type)
    if shape is None:
        shape = [legacy[BLOB_NUM], legacy[BLOB_CHANNELS], legacy[BLOB_HEIGHT], legacy[BLOB_WIDTH]] if legacy_seen else []
    values = _joined(floats) if floats else _joined(doubles).astype(np.float32) if doubles else np.zeros(0, np.float32)
    declared = 1
    for dim in shape:
        declared *= dim  # Python ints: no overflow, and nothing is allocated from this number
    if declared != values.size:
        raise CaffeFormatError(
            f"{reader.origin}: not a valid Caffe model: {where} declares shape {shape} "
            f"({declared} values) but holds {values.size}"
        )
    return values.astype(np.float32, copy=False).reshape(shape)


def _read_layer(reader: _Reader, v1: bool) -> CaffeLayer:
    name_field, type_field, blobs_field = (V1_NAME, V1_TYPE, V1_BLOBS) if v1 else (LAYER_NAME, LAYER_TYPE, LAYER_BLOBS)
    name, layer_type = "", ""
    blob_readers: list[_Reader] = []
    while not reader.at_end():
        field_number, wire_type = reader.tag()
        if field_number == name_field:
            reader.expect(wire_type, (WIRE_LENGTH,), "layer name")
            name = reader.string("layer name")
        elif field_number == type_field and v1:
            reader.expect(wire_type, (WIRE_VARINT,), "V1 layer type")
            code = reader.varint()
            layer_type = V1_LAYER_TYPES.get(code, f"V1 type {code}")
        elif field_number == type_field:
            reader.expect(wire_type, (WIRE_LENGTH,), "layer type")
            layer_type = reader.string("layer type")
        elif field_number == blobs_field:
            reader.expect(wire_type, (WIRE_LENGTH,), "layer blob")
            blob_readers.append(reader.sub_reader("layer blob"))
        else:
            reader.skip(wire_type)
    blobs = tuple(_read_blob(blob, f"blob {index} of layer '{name}'") for index, blob in enumerate(blob_readers))
    return CaffeLayer(name, layer_type, blobs)


def parse_caffemodel(data: bytes | bytearray | memoryview | mmap.mmap, origin: str = "caffemodel") -> list[CaffeLayer]:
    """Decode a serialized NetParameter; layers from ``layer`` (V2) and ``layers`` (V1) in file order."""
    buffer = memoryview(data).cast("B")
    reader = _Reader(buffer, 0, len(buffer), origin)
    layers: list[CaffeLayer] = []
    while not reader.at_end():
        field_number, wire_type = reader.tag()
        if field_number in (NET_LAYER, NET_LAYERS_V1):
            reader.expect(wire_type, (WIRE_LENGTH,), "layer")
            layers.append(_read_layer(reader.sub_reader("layer"), v1=field_number == NET_LAYERS_V1))
        else:
            reader.skip(wire_type)
    if not layers:
        raise CaffeFormatError(f"{origin}: not a valid Caffe model: it contains no layers")
    return layers


def read_caffemodel(path: str | Path) -> list[CaffeLayer]:
    """Memory-map a ``.caffemodel`` and decode it (see ``parse_caffemodel``)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise WeightsError(f"cannot read {path}: {error.strerror or error}") from error
    if size == 0:
        raise CaffeFormatError(f"{path}: the file is empty")
    if size > MAX_CAFFEMODEL_BYTES:
        raise CaffeFormatError(
            f"{path}: {size / 1024**3:.1f} GB is larger than any FCN release "
            f"(limit {MAX_CAFFEMODEL_BYTES / 1024**3:.0f} GB); refusing to read it"
        )
    try:
        with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            try:
                return parse_caffemodel(mapped, str(path))
            except CaffeFormatError as error:
                # The traceback's frames hold views of the map, and a map with live views cannot
                # close (BufferError would replace this message): keep the message, drop the frames.
                failure = error.with_traceback(None)
        raise failure
    except OSError as error:
        raise WeightsError(f"cannot read {path}: {error.strerror or error}") from error


# --- conversion of the FCN releases ----------------------------------------------------------

CONSTANT_SCALE_LAYERS: Mapping[str, str] = {"scale_pool4": "pool4_scale", "scale_pool3": "pool3_scale"}
"""FCN-8s-at-once's fixed ``Scale`` layers → the model attribute that holds the same constant."""


def caffe_layers_to_state_dict(layers: list[CaffeLayer], origin: str) -> dict[str, torch.Tensor]:
    """Name Caffe parameters the way our models do: ``blobs[0]`` → ``<layer>.weight`` (Caffe's
    Convolution and Deconvolution weight layouts equal PyTorch's Conv2d/ConvTranspose2d, so the
    shape is kept), ``blobs[1]`` → ``<layer>.bias`` (1-D; legacy files store it as 1×1×1×N).

    FCN-8s-at-once's fixed Scale layers are not parameters of our models; see
    ``constant_scales``. Whether the result fits a model is checked when it is loaded.
    """
    state_dict: dict[str, torch.Tensor] = {}
    for layer in layers:
        if not layer.blobs or layer.name in CONSTANT_SCALE_LAYERS:
            continue
        if len(layer.blobs) > 2:
            raise WeightsError(
                f"{origin}: layer '{layer.name}' ({layer.type}) has {len(layer.blobs)} blobs; expected a weight and a bias"
            )
        if f"{layer.name}.weight" in state_dict:
            raise WeightsError(f"{origin}: layer '{layer.name}' appears twice with parameters; which one to use is unclear")
        weight = layer.blobs[0]
        state_dict[f"{layer.name}.weight"] = torch.from_numpy(np.ascontiguousarray(weight))
        if len(layer.blobs) == 2:
            bias = layer.blobs[1]
            if sum(dim != 1 for dim in bias.shape) > 1:
                raise WeightsError(f"{origin}: the bias of layer '{layer.name}' has shape {list(bias.shape)}; expected a vector")
            state_dict[f"{layer.name}.bias"] = torch.from_numpy(np.ascontiguousarray(bias).reshape(-1))
    return state_dict


def constant_scales(layers: list[CaffeLayer], origin: str) -> dict[str, float]:
    """FCN-8s-at-once's fixed ``scale_pool4``/``scale_pool3`` values, keyed by the model attribute
    that holds the same constant (``pool4_scale``/``pool3_scale``); empty for the other nets."""
    scales: dict[str, float] = {}
    for layer in layers:
        if layer.name in CONSTANT_SCALE_LAYERS and layer.blobs:
            values = layer.blobs[0]
            if values.size == 0 or not np.all(values == values.ravel()[0]):
                raise WeightsError(f"{origin}: '{layer.name}' is expected to scale by one constant, found {values.size} values")
            scales[CONSTANT_SCALE_LAYERS[layer.name]] = float(values.ravel()[0])
    return scales
