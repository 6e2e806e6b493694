"""The downloader against a local HTTP server (never the internet): progress, checksums,
interrupted transfers, errors that name the file, URL and offline alternative, and no
partial file left behind on any failure."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from fcn_core.weights import download
from fcn_core.weights.download import DownloadCancelled, DownloadError, download_file
from tests.weights_helpers import LocalServer, Route, local_http_server, unused_port

BODY = bytes(range(256)) * 40  # 10 240 bytes
SHA256 = hashlib.sha256(BODY).hexdigest()
MD5 = hashlib.md5(BODY).hexdigest()


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    monkeypatch.setattr(download, "CHUNK_BYTES", 1000)  # several chunks for a small body
    with local_http_server() as running:
        running.routes["/weights.bin"] = Route(BODY)
        yield running


def _only(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_download_streams_with_increasing_progress(server: LocalServer, tmp_path: Path) -> None:
    calls: list[tuple[int, int | None]] = []
    target = download_file(server.url("/weights.bin"), tmp_path / "w.bin", sha256=SHA256,
                           progress=lambda done, total: calls.append((done, total)))
    assert target.read_bytes() == BODY
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[0] == 0 and done[-1] == len(BODY)
    assert len(calls) >= len(BODY) // 1000
    assert {total for _, total in calls} == {len(BODY)}
    assert _only(tmp_path) == ["w.bin"]


@pytest.mark.parametrize("check", [{"md5": MD5}, {"sha256_prefix": SHA256[:8]}, {"sha256": SHA256.upper()}])
def test_published_checksums_are_accepted(server: LocalServer, tmp_path: Path, check: dict) -> None:
    assert download_file(server.url("/weights.bin"), tmp_path / "w.bin", **check).read_bytes() == BODY


@pytest.mark.parametrize(
    ("check", "kind"),
    [({"sha256": "0" * 64}, "sha256"), ({"md5": "0" * 32}, "md5"), ({"sha256_prefix": "deadbeef"}, "does not start with")],
)
def test_checksum_mismatch_leaves_no_file(server: LocalServer, tmp_path: Path, check: dict, kind: str) -> None:
    with pytest.raises(DownloadError, match=f"w.bin from .* is corrupt: .*{kind}"):
        download_file(server.url("/weights.bin"), tmp_path / "w.bin", **check)
    assert _only(tmp_path) == []


def test_interrupted_transfer_leaves_no_file(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/cut.bin"] = Route(BODY, truncate_at=3000)
    with pytest.raises(DownloadError, match="interrupted after 3000 of 10240 bytes"):
        download_file(server.url("/cut.bin"), tmp_path / "cut.bin")
    assert _only(tmp_path) == []


def test_failed_download_keeps_an_existing_file(server: LocalServer, tmp_path: Path) -> None:
    target = tmp_path / "w.bin"
    target.write_bytes(b"previous good file")
    with pytest.raises(DownloadError):
        download_file(server.url("/weights.bin"), target, md5="0" * 32)
    assert target.read_bytes() == b"previous good file" and _only(tmp_path) == ["w.bin"]


def test_http_404_names_file_url_and_offline_alternative(server: LocalServer, tmp_path: Path) -> None:
    url = server.url("/missing.caffemodel")
    with pytest.raises(DownloadError) as raised:
        download_file(url, tmp_path / "fcn8s.caffemodel", model_name="fcn8s")
    message = str(raised.value)
    assert "fcn8s.caffemodel" in message and url in message and "HTTP 404" in message
    assert "fcn-sticker weights import PATH --model fcn8s" in message and "Load weights…" in message
    assert _only(tmp_path) == []


def test_unreachable_server_says_offline(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{unused_port()}/fcn8s.caffemodel"
    with pytest.raises(DownloadError) as raised:
        download_file(url, tmp_path / "fcn8s.caffemodel", timeout=5)
    message = str(raised.value)
    assert url in message and "offline" in message and "fcn-sticker weights import" in message
    assert _only(tmp_path) == []


def test_web_page_instead_of_file_is_refused(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/drive"] = Route(b"<html>confirm download</html>", content_type="text/html; charset=utf-8")
    with pytest.raises(DownloadError, match="web page instead of the file"):
        download_file(server.url("/drive"), tmp_path / "w.pth")
    assert _only(tmp_path) == []


def test_cancel_stops_and_leaves_no_file(server: LocalServer, tmp_path: Path) -> None:
    seen: list[int] = []
    with pytest.raises(DownloadCancelled, match="cancelled"):
        download_file(server.url("/weights.bin"), tmp_path / "w.bin", progress=lambda d, t: seen.append(d),
                      cancel=lambda: len(seen) > 3)
    assert 0 < max(seen) < len(BODY)
    assert _only(tmp_path) == []


def test_file_url_works_with_progress(tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(BODY)
    calls: list[tuple[int, int | None]] = []
    target = download_file(source.as_uri(), tmp_path / "out" / "copy.bin", sha256=SHA256,
                           progress=lambda d, t: calls.append((d, t)))
    assert target.read_bytes() == BODY and calls[-1] == (len(BODY), len(BODY))


def test_missing_file_url_is_a_download_error(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="nothing.bin"):
        download_file((tmp_path / "nothing.bin").as_uri(), tmp_path / "copy.bin")


def test_unchecked_download_logs_its_sha256(server: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="fcn_core.weights.download"):
        download_file(server.url("/weights.bin"), tmp_path / "w.bin")
    assert f"sha256 {SHA256}" in caplog.text and "no published checksum" in caplog.text
