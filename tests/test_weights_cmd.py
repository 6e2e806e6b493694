"""``fcn-sticker weights list|download|import`` end to end (downloads from a local server)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from fcn_core.cli import main
from fcn_core.models import registry
from fcn_core.models.normalization import CAFFE_BGR
from fcn_core.models.registry import get_model_spec, model_names
from fcn_core.models.vgg_fcn import FCN8s, FCN16s
from fcn_core.weights.sources import WeightSource
from fcn_core.weights.store import cache_dir, imported_checkpoint_path, load_model
from tests.weights_helpers import LocalServer, Route, caffemodel_from_state_dict, local_http_server

WIDTH = 1 / 16


def _state_file(path: Path, model_class: type = FCN8s) -> Path:
    torch.manual_seed(0)
    torch.save(model_class(width=WIDTH).state_dict(), path)
    return path


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    body = _state_file(tmp_path / "served.pth").read_bytes()
    with local_http_server() as server:
        server.routes["/fcn8s_from_caffe.pth"] = Route(body)
        source = WeightSource("pytorch-fcn", server.url("/fcn8s_from_caffe.pth"), "fcn8s_from_caffe.pth", "pytorch-fcn",
                              CAFFE_BGR, "test copy", md5=hashlib.md5(body).hexdigest())
        spec = dataclasses.replace(get_model_spec("fcn8s"), weight_sources=(source,))
        monkeypatch.setitem(registry._REGISTRY, "fcn8s", spec)
        yield server


def test_list_shows_every_model_and_cache_state(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["weights", "list"]) == 0
    out = capsys.readouterr().out
    assert f"cache: {cache_dir()}" in out
    assert all(f"\n{name}\n" in f"\n{out}" for name in model_names())
    assert "http://dl.caffe.berkeleyvision.org/fcn8s-heavy-pascal.caffemodel" in out
    assert "not downloaded" in out and "imported checkpoint" not in out
    assert main(["weights", "import", str(_state_file(tmp_path / "w.pth")), "--model", "fcn8s"]) == 0
    assert main(["weights", "list"]) == 0
    out = capsys.readouterr().out
    assert f"imported checkpoint: {imported_checkpoint_path('fcn8s')}" in out and "MB) — used first" in out


def test_download_shows_progress_and_stores_file(served: LocalServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["weights", "download", "fcn8s"]) == 0
    captured = capsys.readouterr()
    target = cache_dir() / "downloads" / "fcn8s_from_caffe.pth"
    assert target.is_file() and f"weights at {target}" in captured.out
    assert "fcn8s" in captured.err and "100%" in captured.err  # the tqdm bar
    assert load_model("fcn8s").source == str(target)
    assert main(["weights", "list"]) == 0
    assert f"downloaded: {target}" in capsys.readouterr().out


def test_download_failure_exits_nonzero_with_message(served: LocalServer, capsys: pytest.CaptureFixture[str]) -> None:
    del served.routes["/fcn8s_from_caffe.pth"]
    assert main(["weights", "download", "fcn8s", "--source", "pytorch-fcn"]) == 2  # weights problem: exit 2
    err = capsys.readouterr().err
    assert "error:" in err and "HTTP 404" in err and "fcn-sticker weights import PATH --model fcn8s" in err
    assert not (cache_dir() / "downloads" / "fcn8s_from_caffe.pth").exists()


def test_download_unknown_source_exits_nonzero(served: LocalServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["weights", "download", "fcn8s", "--source", "mirror"]) == 2
    assert "no weight source 'mirror'" in capsys.readouterr().err


def test_import_converts_and_stores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _state_file(tmp_path / "fcn16s_from_caffe.pth", FCN16s)
    assert main(["weights", "import", str(path), "--model", "fcn16s"]) == 0
    target = imported_checkpoint_path("fcn16s")
    assert target.is_file() and str(target) in capsys.readouterr().out
    assert load_model("fcn16s").source == str(target)


def test_import_of_wrong_file_exits_nonzero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _state_file(tmp_path / "fcn16s_from_caffe.pth", FCN16s)
    assert main(["weights", "import", str(path), "--model", "fcn8s"]) == 2
    assert "load it with --model fcn16s" in capsys.readouterr().err
    assert not imported_checkpoint_path("fcn8s").exists()


def test_download_without_published_checksum_prints_sha256_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    body = _state_file(tmp_path / "served16.pth", FCN16s).read_bytes()
    with local_http_server() as server:
        server.routes["/fcn16s.pth"] = Route(body)
        source = WeightSource("pytorch-fcn", server.url("/fcn16s.pth"), "fcn16s_test.pth", "pytorch-fcn",
                              CAFFE_BGR, "test copy without checksum")
        monkeypatch.setitem(registry._REGISTRY, "fcn16s", dataclasses.replace(get_model_spec("fcn16s"), weight_sources=(source,)))
        assert main(["weights", "download", "fcn16s"]) == 0
    captured = capsys.readouterr()
    digest = hashlib.sha256(body).hexdigest()
    assert (captured.out + captured.err).count(digest) == 1
    assert f"no checksum is published for fcn16s_test.pth ({source.url}); its sha256 is {digest}" in captured.out
    assert "keep it to check later copies" in captured.out


def test_download_with_published_checksum_prints_no_sha256(served: LocalServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["weights", "download", "fcn8s"]) == 0
    assert "no checksum is published" not in capsys.readouterr().out


def test_import_of_truncated_caffemodel_is_the_weights_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue #12 item 1: a half-downloaded .caffemodel gives the weights error and exit code 2, not a BufferError."""
    data = caffemodel_from_state_dict({"a.weight": torch.ones(3, 2, 3, 3), "a.bias": torch.zeros(3)})
    path = tmp_path / "half.caffemodel"
    path.write_bytes(data[: len(data) // 2])
    assert main(["weights", "import", str(path), "--model", "fcn8s"]) == 2
    err = capsys.readouterr().err
    assert "half.caffemodel: not a valid Caffe model" in err and "BufferError" not in err
    assert not imported_checkpoint_path("fcn8s").exists()


def test_import_without_model_uses_the_file_s_own(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue #12 item 2: the file's architecture when it can be told; else --model is asked for."""
    path = _state_file(tmp_path / "fcn16s_from_caffe.pth", FCN16s)
    assert main(["weights", "import", str(path)]) == 0
    assert imported_checkpoint_path("fcn16s").is_file() and "fcn16s: imported" in capsys.readouterr().out
    ambiguous = _state_file(tmp_path / "mine.pth", FCN8s)
    assert main(["weights", "import", str(ambiguous)]) == 2
    assert "--model fcn8s or --model fcn8s-atonce" in capsys.readouterr().err
    assert not imported_checkpoint_path("fcn8s").exists() and not imported_checkpoint_path("fcn8s-atonce").exists()
