"""Test helpers for the weights layer: a tiny protobuf encoder that writes synthetic
``.caffemodel`` files byte by byte, and a local HTTP server that serves (or breaks) files.

The encoder is written independently of ``fcn_core.weights.caffe`` (from the protobuf encoding spec)
so that reading back what it wrote checks the reader rather than restating it.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import torch

# --- protobuf wire format --------------------------------------------------------------------


def varint(value: int) -> bytes:
    """Unsigned LEB128; negative numbers as protobuf writes int64 (two's complement, 10 bytes)."""
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def tag(field_number: int, wire_type: int) -> bytes:
    return varint(field_number << 3 | wire_type)


def field_varint(field_number: int, value: int) -> bytes:
    return tag(field_number, 0) + varint(value)


def field_bytes(field_number: int, payload: bytes) -> bytes:
    return tag(field_number, 2) + varint(len(payload)) + payload


def field_string(field_number: int, text: str) -> bytes:
    return field_bytes(field_number, text.encode())


def blob_proto(
    values: np.ndarray,
    *,
    legacy_dims: bool = False,
    packed_data: bool = True,
    packed_shape: bool = True,
    as_double: bool = False,
    shape: Sequence[int] | None = None,
) -> bytes:
    """A BlobProto: shape=7 (or legacy num/channels/height/width 1..4), data=5 / double_data=8."""
    values = np.asarray(values)
    dims = list(values.shape if shape is None else shape)
    out = b""
    if legacy_dims:
        padded = [1] * (4 - len(dims)) + dims
        out += b"".join(field_varint(number, dim) for number, dim in zip((1, 2, 3, 4), padded, strict=False))
    elif packed_shape:
        out += field_bytes(7, field_bytes(1, b"".join(varint(dim) for dim in dims)))
    else:
        out += field_bytes(7, b"".join(field_varint(1, dim) for dim in dims))
    flat = values.ravel()
    number, code, wire = (8, "<d", 1) if as_double else (5, "<f", 5)
    if packed_data:
        out += field_bytes(number, flat.astype(code).tobytes())
    else:
        out += b"".join(tag(number, wire) + struct.pack(code, float(v)) for v in flat)
    return out


def layer_v2(name: str, layer_type: str, blobs: Sequence[bytes]) -> bytes:
    """LayerParameter (name=1, type=2, blobs=7) as NetParameter field 100."""
    body = field_string(1, name) + field_string(2, layer_type) + b"".join(field_bytes(7, b) for b in blobs)
    return field_bytes(100, body)


def layer_v1(name: str, type_code: int, blobs: Sequence[bytes]) -> bytes:
    """V1LayerParameter (name=4, type=5 enum, blobs=6) as NetParameter field 2."""
    body = field_string(4, name) + field_varint(5, type_code) + b"".join(field_bytes(6, b) for b in blobs)
    return field_bytes(2, body)


def net(*layers: bytes, name: str = "synthetic") -> bytes:
    return field_string(1, name) + b"".join(layers)


def caffemodel_from_state_dict(
    state_dict: dict[str, torch.Tensor],
    *,
    v1: bool = False,
    legacy_dims: bool = False,
    extra_layers: Sequence[bytes] = (),
) -> bytes:
    """Write a state dict in Caffe naming as a caffemodel: one layer per ``<name>.weight``,
    with its bias as the second blob; parameter-free layers (ReLU) in between, as in a real net."""
    layers: list[bytes] = []
    for key, weight in state_dict.items():
        if not key.endswith(".weight"):
            continue
        name = key.rsplit(".", 1)[0]
        blobs = [blob_proto(weight.numpy(), legacy_dims=legacy_dims)]
        if f"{name}.bias" in state_dict:
            blobs.append(blob_proto(state_dict[f"{name}.bias"].numpy(), legacy_dims=legacy_dims))
        is_deconv = name.startswith("upscore")
        if v1:
            layers.append(layer_v1(name, 39 if is_deconv else 4, blobs))
            layers.append(layer_v1(f"relu_{name}", 18, []))
        else:
            layers.append(layer_v2(name, "Deconvolution" if is_deconv else "Convolution", blobs))
            layers.append(layer_v2(f"relu_{name}", "ReLU", []))
    return net(*layers, *extra_layers)


# --- local HTTP server -----------------------------------------------------------------------


@dataclass
class Route:
    body: bytes
    status: int = 200
    content_type: str = "application/octet-stream"
    truncate_at: int | None = None  # send the full Content-Length but close after this many bytes
    set_cookie: str | None = None  # a Set-Cookie header to send
    needs_cookie: str | None = None  # answer 403 unless the request carries this cookie ("name=value")


@dataclass
class LocalServer:
    base_url: str
    routes: dict[str, Route] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


@contextmanager
def local_http_server() -> Iterator[LocalServer]:
    """An HTTP server on 127.0.0.1 (random port) in a thread; add ``Route``s to ``routes``."""
    routes: dict[str, Route] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            route = routes.get(self.path)
            if route is None:
                self.send_error(404, "Not Found")
                return
            if route.needs_cookie is not None and route.needs_cookie not in (self.headers.get("Cookie") or ""):
                self.send_error(403, "Forbidden")
                return
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            if route.set_cookie is not None:
                self.send_header("Set-Cookie", route.set_cookie)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            body = route.body if route.truncate_at is None else route.body[: route.truncate_at]
            self.wfile.write(body)
            self.wfile.flush()
            if route.truncate_at is not None:
                self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield LocalServer(f"http://127.0.0.1:{server.server_address[1]}", routes)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def unused_port() -> int:
    """A port nothing listens on (bound then released), for 'unreachable' tests."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
