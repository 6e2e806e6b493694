"""Telegram: the files for the @Stickers bot, and upload through the Bot API.

The upload uses the person's own bot (a token from @BotFather) and their user id, as the Bot API
requires: ``getMe`` (the bot's username, which every set name must end with: ``_by_<bot>``),
``uploadStickerFile`` once per sticker (``sticker_format`` static), then
``createNewStickerSet`` (name, title, a list of ``InputSticker`` with ``sticker``, ``format`` and
``emoji_list``; at most 50 at creation) and ``addStickerToSet`` for the rest, or for every sticker
when adding to a set that exists.

The client is plain ``urllib`` so the window can run it on a thread without torch. The API's base
URL is a parameter (tests talk to a server on 127.0.0.1). The token is part of every request URL
and nothing else: it is never logged, never put into a message or an exception, and never
written to the pack. The API's errors become plain words (``explain``); a rate limit
(HTTP 429, ``retry_after``) is waited out when it is short and reported when it is not.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fcn_core.atomic_file import write_bytes_atomically, write_text_atomically
from fcn_core.packs.check import PreparedSticker, prepare
from fcn_core.packs.model import Pack
from fcn_core.packs.rules import TELEGRAM_SET_NAME, TELEGRAM_SET_NAME_MAX

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.telegram.org"
CREATE_LIMIT = 50
"""``createNewStickerSet`` takes 1–50 stickers; the others are added one by one."""
MAX_RATE_LIMIT_WAIT = 30.0
"""A ``retry_after`` up to this many seconds is waited out (three times at most); a longer one is reported."""
RATE_LIMIT_RETRIES = 3
MIME_TYPES = {"png": "image/png", "webp": "image/webp"}
Progress = Callable[[int, int, str], None]
"""Called with (steps done, steps in all, what is happening)."""


class TelegramError(RuntimeError):
    """The Bot API refused or could not be reached; the message is for people."""

    def __init__(self, message: str, *, code: int | None = None, description: str = "", retry_after: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.description = description
        self.retry_after = retry_after


def explain(method: str, code: int | None, description: str, retry_after: int | None, fields: Mapping[str, str]) -> str:
    """A Bot API error in plain words, with what to do next."""
    text = description.lower()
    if code == 401 or (code == 404 and method == "getMe"):
        return "Telegram refused the bot token: copy it again from @BotFather (it looks like 123456:ABC-DEF…)"
    if code == 429:
        wait = f"{retry_after} seconds" if retry_after is not None else "a while"
        return f"Telegram's rate limit: it asks to wait {wait} before the next request; try again then"
    if "occupied" in text or "name is already" in text:
        return (f"the sticker set name {fields.get('name', '')!r} is taken; choose another name (--name), "
                "or add to that set if it is yours (--add)")
    if "stickerset_invalid" in text or "sticker set not found" in text:
        return f"there is no sticker set named {fields.get('name', '')!r} (check the name, or create it without --add)"
    if "invalid sticker set name" in text or "sticker_set_name" in text:
        return (f"Telegram does not accept the set name {fields.get('name', '')!r}: "
                "letters, digits and underscores, starting with a letter")
    if "peer_id_invalid" in text or "user not found" in text or "user_id_invalid" in text:
        return (f"Telegram does not know user id {fields.get('user_id', '')} for this bot: check the number (@userinfobot "
                "tells it) and open your bot in Telegram and press Start once")
    if "stickers_too_much" in text or "too much" in text:
        return "the sticker set is full (Telegram allows 120 stickers, 200 custom emoji)"
    if "emoji" in text:
        return f"Telegram refused a sticker's emoji ({description}); give each sticker 1–20 real emoji"
    return f"Telegram refused {method}: {description or f'HTTP {code}'}"


class BotApi:
    """A minimal Bot API client: ``call(method, fields, files)`` returns the ``result``."""

    def __init__(self, token: str, *, api_url: str = DEFAULT_API_URL, timeout: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep, max_wait: float = MAX_RATE_LIMIT_WAIT) -> None:
        if not re.fullmatch(r"\d+:[\w-]+", token.strip()):
            raise TelegramError("that is not a bot token: @BotFather gives one like 123456789:AAH…; copy it whole")
        if urllib.parse.urlsplit(api_url).scheme not in ("http", "https") or not urllib.parse.urlsplit(api_url).netloc:
            raise TelegramError(f"the Bot API URL must look like https://api.telegram.org, not {api_url!r}")
        self._token = token.strip()
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self._sleep = sleep
        self.max_wait = max_wait

    def __repr__(self) -> str:  # never show the token, even in a debugger or a log of locals
        return f"BotApi(api_url={self.api_url!r}, token=<hidden>)"

    def call(self, method: str, fields: Mapping[str, str] | None = None,
             files: Mapping[str, tuple[str, bytes, str]] | None = None) -> Any:
        fields = dict(fields or {})
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            try:
                return self._call_once(method, fields, files)
            except TelegramError as exc:
                wait = exc.retry_after
                if exc.code != 429 or wait is None or wait > self.max_wait or attempt == RATE_LIMIT_RETRIES:
                    raise
                logger.info("Telegram rate limit on %s: waiting %d s", method, wait)
                self._sleep(wait)
        raise AssertionError("unreachable")

    def _call_once(self, method: str, fields: dict[str, str], files: Mapping[str, tuple[str, bytes, str]] | None) -> Any:
        if files:
            body, content_type = multipart(fields, files)
        else:
            body, content_type = urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
        logger.debug("Bot API %s", method)
        try:
            request = urllib.request.Request(f"{self.api_url}/bot{self._token}/{method}", data=body,
                                             headers={"Content-Type": content_type}, method="POST")
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            payload = exc.read()
            code: int | None = exc.code
        except (urllib.error.URLError, OSError, ValueError) as exc:  # never str(exc) of a request: the URL holds the token
            reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or type(exc).__name__
            host = urllib.parse.urlsplit(self.api_url).netloc
            raise TelegramError(f"cannot reach the Telegram Bot API at {host}: {reason}") from None
        else:
            code = None
        try:
            reply = json.loads(payload)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise TelegramError(f"the Bot API answered {method} with something that is not JSON (HTTP {code or 200})",
                                code=code) from None
        if isinstance(reply, dict) and reply.get("ok") is True:
            return reply.get("result")
        reply = reply if isinstance(reply, dict) else {}
        error_code = reply.get("error_code", code)
        description = str(reply.get("description", ""))
        retry_after = (reply.get("parameters") or {}).get("retry_after")
        raise TelegramError(explain(method, error_code, description, retry_after, fields),
                            code=error_code, description=description, retry_after=retry_after)


def multipart(fields: Mapping[str, str], files: Mapping[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body (RFC 7578) and its content type."""
    boundary = f"fcnsticker{secrets.token_hex(12)}"
    parts = []
    for name, value in fields.items():
        header = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(header.encode() + str(value).encode() + b"\r\n")
    for name, (filename, data, mime) in files.items():
        header = (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                  f"Content-Type: {mime}\r\n\r\n")
        parts.append(header.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# --- set names and the upload ---------------------------------------------------------------


def set_name_for(pack: Pack, bot_username: str) -> str:
    """``<pack>_by_<bot>``: letters, digits and single underscores, starting with a letter, ≤ 64 characters."""
    suffix = f"_by_{bot_username}"
    slug = re.sub(r"[^A-Za-z0-9]+", "_", pack.identifier).strip("_")
    if not slug or not slug[0].isalpha():
        slug = f"pack_{slug}".rstrip("_")
    return f"{slug[: TELEGRAM_SET_NAME_MAX - len(suffix)].rstrip('_')}{suffix}"


def check_set_name(name: str, bot_username: str) -> None:
    if not name.lower().endswith(f"_by_{bot_username.lower()}"):
        raise TelegramError(f"a set made by the bot @{bot_username} must have a name ending in _by_{bot_username}, not {name!r}")
    if len(name) > TELEGRAM_SET_NAME_MAX or not TELEGRAM_SET_NAME.fullmatch(name) or "__" in name:
        raise TelegramError(f"{name!r} is not a Telegram set name: up to {TELEGRAM_SET_NAME_MAX} letters, digits and "
                            "single underscores, starting with a letter")


@dataclass(frozen=True)
class UploadResult:
    name: str
    link: str
    added: int
    created: bool


def input_sticker(file_id: str, item: PreparedSticker) -> str:
    """An ``InputSticker`` as the JSON the API reads."""
    return json.dumps({"sticker": file_id, "format": "static", "emoji_list": list(item.sticker.emojis)}, ensure_ascii=False)


def upload_pack(pack: Pack, folder: Path, api: BotApi, user_id: int, *, name: str | None = None, add: bool = False,
                progress: Progress | None = None) -> UploadResult:
    """Check the pack against Telegram's rules, then upload it (module doc). ``add``: add every
    sticker to the existing set ``name`` instead of creating it."""
    prepared = prepare(pack, folder, "telegram")
    emoji_set = pack.target == "telegram-emoji"
    stickers = prepared.stickers
    creating = 0 if add else min(len(stickers), CREATE_LIMIT)
    total = 1 + len(stickers) + (1 if creating else 0) + len(stickers) - creating
    done = 0

    def step(what: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, what)

    me = api.call("getMe")
    bot = str(me.get("username", "")) if isinstance(me, dict) else ""
    if not bot:
        raise TelegramError("the Bot API did not say the bot's username (getMe)")
    name = name or set_name_for(pack, bot)
    check_set_name(name, bot)
    step(f"signed in as @{bot}")
    user = str(int(user_id))
    file_ids = []
    for position, item in enumerate(stickers, start=1):
        fmt = item.encoded.fmt
        result = api.call("uploadStickerFile", {"user_id": user, "sticker_format": "static"},
                          {"sticker": (f"{position:03d}.{fmt}", item.encoded.data, MIME_TYPES[fmt])})
        file_ids.append(str(result["file_id"]))
        step(f"uploaded sticker {position} of {len(stickers)}")
    if creating:
        first = zip(file_ids[:creating], stickers[:creating], strict=True)
        listed = "[" + ",".join(input_sticker(file_id, item) for file_id, item in first) + "]"
        api.call("createNewStickerSet", {"user_id": user, "name": name, "title": pack.title, "stickers": listed,
                                         "sticker_type": "custom_emoji" if emoji_set else "regular"})
        step(f"created the set {name}")
    for position in range(creating, len(stickers)):
        api.call("addStickerToSet", {"user_id": user, "name": name,
                                     "sticker": input_sticker(file_ids[position], stickers[position])})
        step(f"added sticker {position + 1} of {len(stickers)}")
    link = f"https://t.me/{'addemoji' if emoji_set else 'addstickers'}/{name}"
    logger.info("uploaded %d stickers to the Telegram set %s", len(stickers), name)
    return UploadResult(name=name, link=link, added=len(stickers), created=not add)


# --- files for the @Stickers bot -------------------------------------------------------------


@dataclass(frozen=True)
class TelegramExport:
    folder: Path
    sticker_files: tuple[Path, ...]
    emoji_list: Path
    notes: tuple[str, ...]


def export_telegram(pack: Pack, folder: Path, out: Path, progress: Callable[[int, int], None] | None = None) -> TelegramExport:
    """The checked sticker files, numbered in pack order, and ``emojis.txt`` (file and emoji per
    line) to send to @Stickers one by one."""
    prepared = prepare(pack, folder, "telegram")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    lines = [f"# {pack.title} — send each file to @Stickers as a file, then its emoji"]
    for position, item in enumerate(prepared.stickers, start=1):
        path = out / f"{position:02d}.{item.encoded.fmt}"
        write_bytes_atomically(path, item.encoded.data)
        written.append(path)
        lines.append(f"{path.name}\t{''.join(item.sticker.emojis)}")
        if progress is not None:
            progress(position, len(prepared.stickers) + 1)
    text = "\n".join(lines) + "\n"
    emoji_list = write_text_atomically(out / "emojis.txt", text)
    if progress is not None:
        progress(len(prepared.stickers) + 1, len(prepared.stickers) + 1)
    notes = tuple(f"sticker {position} ({item.sticker.file}): {item.note}"
                  for position, item in enumerate(prepared.stickers, start=1) if item.converted)
    return TelegramExport(out, tuple(written), emoji_list, notes)
