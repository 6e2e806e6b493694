"""The downloader against a local HTTP server (never the internet): progress, checksums,
interrupted transfers, errors that name the file, URL and offline alternative, and no
partial file left behind on any failure."""

from __future__ import annotations

import email.message
import hashlib
import html
import http.client
import io
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


def _drive_warning_page(action: str, inputs: dict[str, str]) -> bytes:
    """Google Drive's large-file page as of 2024-2025 (drive.google.com/uc → "can't scan this
    file for viruses"): a GET form to drive.usercontent.google.com/download with hidden inputs."""
    hidden = "".join(f'<input type="hidden" name="{name}" value="{html.escape(value)}">' for name, value in inputs.items())
    return (
        '<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head><body>'
        '<div class="uc-main"><div id="uc-text"><p class="uc-warning-caption">Google Drive can&#39;t scan this file '
        'for viruses.</p><p class="uc-warning-subcaption"><span class="uc-name-size"><a href="/open?id=X">'
        'fcn8s_from_caffe.pth</a> (513M)</span> is too large for Google to scan for viruses. Would you still like '
        f'to download this file?</p><form id="download-form" action="{action}" method="get">'
        '<input type="submit" id="uc-download-link" class="goog-inline-block jfk-button jfk-button-action" '
        f'value="Download anyway"/>{hidden}</form></div></div></body></html>'
    ).encode()


def test_drive_confirmation_form_is_followed_like_a_browser(server: LocalServer, tmp_path: Path) -> None:
    """Issue #12 item 3: the page's form is submitted (GET, its hidden fields, its action) and the file arrives."""
    inputs = {"id": "1ieX", "export": "download", "confirm": "t", "uuid": "5f0e-aa&b"}
    server.routes["/uc?id=1ieX"] = Route(_drive_warning_page(server.url("/download"), inputs),
                                         content_type="text/html; charset=utf-8", set_cookie="NID=abc; Path=/")
    server.routes["/download?id=1ieX&export=download&confirm=t&uuid=5f0e-aa%26b"] = Route(BODY, needs_cookie="NID=abc")
    seen: list[int] = []
    target = download_file(server.url("/uc?id=1ieX"), tmp_path / "w.pth", md5=MD5, progress=lambda d, t: seen.append(d))
    assert target.read_bytes() == BODY and seen[-1] == len(BODY)
    assert _only(tmp_path) == ["w.pth"]


def test_drive_older_confirmation_link_is_followed(server: LocalServer, tmp_path: Path) -> None:
    """The page before 2024: a relative "Download anyway" link with a confirm token and a warning cookie."""
    page = (b'<html><body><a id="uc-download-link" href="/uc?export=download&amp;confirm=Ab1_&amp;id=1ieX">'
            b'Download anyway</a></body></html>')
    server.routes["/uc?id=1ieX"] = Route(page, content_type="text/html", set_cookie="download_warning_1=Ab1_; Path=/")
    server.routes["/uc?export=download&confirm=Ab1_&id=1ieX"] = Route(BODY, needs_cookie="download_warning_1=Ab1_")
    assert download_file(server.url("/uc?id=1ieX"), tmp_path / "w.pth", sha256=SHA256).read_bytes() == BODY


def test_drive_page_that_answers_with_another_page_is_refused(server: LocalServer, tmp_path: Path) -> None:
    """Drive's quota page ("Too many users have viewed or downloaded this file") after the confirmation."""
    page = _drive_warning_page(server.url("/download"), {"id": "1ieX", "confirm": "t"})
    server.routes["/uc?id=1ieX"] = Route(page, content_type="text/html")
    server.routes["/download?id=1ieX&confirm=t"] = Route(page, content_type="text/html")
    with pytest.raises(DownloadError, match="web page instead of the file"):
        download_file(server.url("/uc?id=1ieX"), tmp_path / "w.pth")
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


def test_broken_transfer_is_said_in_plain_words(server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #12 item 7: not 'IncompleteRead(3000 bytes read, 7240 more expected)'."""

    class CutResponse(io.BytesIO):
        headers = email.message.Message()

        def read(self, size: int = -1) -> bytes:
            raise http.client.IncompleteRead(b"x" * 3000, 7240)

    monkeypatch.setattr(download, "_open_file", lambda url, timeout, failed: CutResponse())
    with pytest.raises(DownloadError) as raised:
        download_file(server.url("/weights.bin"), tmp_path / "w.bin")
    message = str(raised.value)
    assert "the connection broke off before the file was complete" in message and "IncompleteRead" not in message
    assert _only(tmp_path) == []
