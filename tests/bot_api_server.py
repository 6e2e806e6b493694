"""A stand-in for the Telegram Bot API on 127.0.0.1: records every call (method, form fields,
uploaded files, the token in the path) and answers from a script, so a test can check the whole
conversation. The multipart bodies are parsed with the standard library's e-mail parser,
independently of the client's encoder."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, dict[str, Any]]


@dataclass
class Call:
    token: str
    method: str
    fields: dict[str, str]
    files: dict[str, tuple[str, str, bytes]]  # name -> (filename, content type, data)


@dataclass
class FakeBotApi:
    url: str
    bot_username: str = "farm_sticker_bot"
    calls: list[Call] = field(default_factory=list)
    replies: dict[str, list[Reply]] = field(default_factory=dict)
    """Scripted replies per method, used first (then the default answer)."""

    def methods(self) -> list[str]:
        return [call.method for call in self.calls]

    def default_reply(self, call: Call) -> Reply:
        if call.method == "getMe":
            return 200, {"ok": True, "result": {"id": 42, "is_bot": True, "username": self.bot_username}}
        if call.method == "uploadStickerFile":
            number = sum(1 for c in self.calls if c.method == "uploadStickerFile")
            return 200, {"ok": True, "result": {"file_id": f"file-{number}", "file_unique_id": f"u{number}"}}
        if call.method in ("createNewStickerSet", "addStickerToSet"):
            return 200, {"ok": True, "result": True}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}


def error(code: int, description: str, **parameters: int) -> Reply:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return code, body


def parse_form(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, tuple[str, str, bytes]]]:
    if content_type.startswith("application/x-www-form-urlencoded"):
        return dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True)), {}
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, str, bytes]] = {}
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition"))
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        filename = part.get_filename()
        if filename is None:
            fields[name] = payload.decode()
        else:
            files[name] = (filename, part.get_content_type(), payload)
    return fields, files


@contextmanager
def fake_bot_api(check: Callable[[Call], None] | None = None) -> Iterator[FakeBotApi]:
    """The server, running while the block runs; ``check`` sees every call before it is answered."""
    holder: list[FakeBotApi] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            api = holder[0]
            _, bot_token, method = self.path.split("/", 2)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            fields, files = parse_form(self.headers.get("Content-Type", ""), body)
            call = Call(bot_token.removeprefix("bot"), method, fields, files)
            if check is not None:
                check(call)
            api.calls.append(call)
            scripted = api.replies.get(method)
            status, reply = scripted.pop(0) if scripted else api.default_reply(call)
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(FakeBotApi(f"http://127.0.0.1:{server.server_address[1]}"))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
