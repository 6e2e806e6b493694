"""Download one file: streamed, with progress and cancel, verified, and written atomically.

The file is written to a temporary name in the target folder and renamed only after its
checksum matched, so the target path either holds a complete, verified file or nothing: an
interrupted, cancelled or corrupt download never leaves a partial file behind that a later
run would mistake for weights. The checksum is whatever the source publishes: a full sha256,
the sha256 prefix that torchvision puts in its file names, or an md5 (pytorch-fcn). Where a
source publishes none, the sha256 we computed is logged so the user can record it.
"""

from __future__ import annotations

import hashlib
import http.client
import http.cookiejar
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO
from urllib.response import addinfourl

from fcn_core.atomic_file import write_atomically
from fcn_core.weights.confirmation_page import confirmation_url
from fcn_core.weights.errors import WeightsError, offline_hint

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int | None], None]
"""Called with (bytes done, bytes total or None when the server does not say)."""

CHUNK_BYTES = 1 << 20
DEFAULT_TIMEOUT_S = 30.0
USER_AGENT = "fcn-sticker-studio/0.1 (+urllib)"
MAX_PAGE_BYTES = 1 << 20
"""A confirmation page is a few kB; more is read only up to this."""


class DownloadError(WeightsError):
    """A download failed; the message names the file, the URL and the offline alternative.

    ``reason`` is the message without the offline hint, so that several failures can be listed
    with the hint said once.
    """

    def __init__(self, reason: str, hint: str = "") -> None:
        super().__init__(f"{reason} {hint}".strip())
        self.reason = reason
        self.hint = hint


class DownloadCancelled(DownloadError):
    """The user cancelled a download (nothing was written)."""


def download_file(
    url: str,
    destination: str | Path,
    *,
    sha256: str | None = None,
    sha256_prefix: str | None = None,
    md5: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: Callable[[], bool] | None = None,
    model_name: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> Path:
    """Fetch ``url`` to ``destination`` and return it; raise ``DownloadError`` on any failure.

    ``cancel`` is polled between chunks; returning True aborts with ``DownloadCancelled``.
    ``model_name`` only makes the offline hint in error messages precise.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    digests: dict[str, str] = {}
    try:
        write_atomically(
            destination,
            lambda out: digests.update(_stream(url, out, progress, cancel, timeout, destination.name)),
            verify=lambda _: _verify(
                digests, sha256=sha256, sha256_prefix=sha256_prefix, md5=md5, name=destination.name, url=url
            ),
        )
    except DownloadError as error:
        if isinstance(error, DownloadCancelled):
            raise
        raise DownloadError(error.reason, offline_hint(model_name)) from error.__cause__
    logger.info("downloaded %s to %s", url, destination)
    return destination


def _stream(
    url: str,
    out: BinaryIO,
    progress: ProgressCallback | None,
    cancel: Callable[[], bool] | None,
    timeout: float,
    name: str,
) -> dict[str, str]:
    """Copy the response body to ``out`` chunk by chunk; return the hex digests."""
    hashes = {"sha256": hashlib.sha256(), "md5": hashlib.md5(usedforsecurity=False)}
    failed = f"could not download {name} from {url}:"
    try:
        with _open_file(url, timeout, failed) as response:
            total = _content_length(response)
            done = 0
            if progress:
                progress(0, total)
            while True:
                if cancel is not None and cancel():
                    raise DownloadCancelled(f"download of {name} cancelled; nothing was saved")
                chunk = response.read(CHUNK_BYTES)
                if not chunk:
                    break
                out.write(chunk)
                for digest in hashes.values():
                    digest.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
    except urllib.error.HTTPError as error:
        raise DownloadError(f"{failed} the server answered HTTP {error.code} {error.reason}.") from error
    except urllib.error.URLError as error:
        raise DownloadError(f"{failed} {_reason(error.reason)} (offline, or the server is unreachable).") from error
    except (http.client.HTTPException, TimeoutError, ConnectionError) as error:
        logger.info("download of %s broke off: %s: %s", url, type(error).__name__, error)  # for -v
        raise DownloadError(f"{failed} the connection broke off before the file was complete; try again.") from error
    except OSError as error:
        raise DownloadError(f"{failed} {_reason(error)}.") from error
    if total is not None and done != total:
        raise DownloadError(f"{failed} the transfer was interrupted after {done} of {total} bytes.")
    return {name_: digest.hexdigest() for name_, digest in hashes.items()}


def _open_file(url: str, timeout: float, failed: str) -> http.client.HTTPResponse:
    """Open ``url``. Where the server answers with a download-confirmation page (Google Drive,
    for every large file), press its button as a browser would: once, with the cookies it set."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    response = opener.open(_request(url), timeout=timeout)
    if not _is_html(response):
        return response
    with response:
        page = response.read(MAX_PAGE_BYTES).decode(response.headers.get_content_charset() or "utf-8", errors="replace")
        follow = confirmation_url(page, response.geturl())
    if follow is None:
        raise DownloadError(f"{failed} the server sent a web page instead of the file (the link may need a browser).")
    logger.info("following the download confirmation of %s to %s", url, follow)
    response = opener.open(_request(follow), timeout=timeout)
    if _is_html(response):
        response.close()
        raise DownloadError(
            f"{failed} the server sent a web page instead of the file, also after confirming the download "
            "(Google Drive does that when a file was downloaded too often today: try later, or in a browser)."
        )
    return response


def _request(url: str) -> urllib.request.Request:
    return urllib.request.Request(url, headers={"User-Agent": USER_AGENT})


def _content_length(response: http.client.HTTPResponse | addinfourl) -> int | None:
    value = response.headers.get("Content-Length")
    try:
        return int(value) if value is not None and int(value) >= 0 else None
    except ValueError:
        return None


def _is_html(response: http.client.HTTPResponse | addinfourl) -> bool:
    return (response.headers.get("Content-Type") or "").split(";")[0].strip().lower() == "text/html"


def _reason(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason)


def _verify(
    digests: dict[str, str], *, sha256: str | None, sha256_prefix: str | None, md5: str | None, name: str, url: str
) -> None:
    checks = (("sha256", sha256, digests["sha256"]), ("md5", md5, digests["md5"]))
    for kind, expected, actual in checks:
        if expected is not None and actual != expected.lower():
            raise DownloadError(f"{name} from {url} is corrupt: its {kind} is {actual}, expected {expected}.")
    if sha256_prefix is not None and not digests["sha256"].startswith(sha256_prefix.lower()):
        raise DownloadError(
            f"{name} from {url} is corrupt: its sha256 {digests['sha256']} does not start with {sha256_prefix}."
        )
    if sha256 is None and sha256_prefix is None and md5 is None:
        logger.warning("no published checksum for %s; the downloaded file has sha256 %s", name, digests["sha256"])
