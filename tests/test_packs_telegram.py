"""The Bot API conversation of ``pack upload``, against a local server that checks every call."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from fcn_core.packs import telegram
from fcn_core.packs.check import prepare
from fcn_core.packs.model import Pack, open_pack
from fcn_core.packs.telegram import BotApi, TelegramError, set_name_for, upload_pack
from tests.bot_api_server import Call, error, fake_bot_api
from tests.pack_helpers import PACK_EMOJIS, VOC_DEV, make_voc_pack
from tests.weights_helpers import unused_port

TOKEN = "123456789:AAHsecret-token_for_tests"
USER_ID = 111222333


@pytest.fixture(scope="module")
def voc_pack(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pack, Path]:
    if not (VOC_DEV / "JPEGImages").is_dir():
        pytest.skip(f"the VOC photos are not at {VOC_DEV}")
    folder = tmp_path_factory.mktemp("tg") / "farm"
    make_voc_pack(folder, target="telegram")
    return open_pack(folder), folder


def check_call(call: Call) -> None:
    """What every request must look like, whatever the method."""
    assert call.token == TOKEN
    if call.method != "getMe":
        assert call.fields["user_id"] == str(USER_ID)


def test_upload_creates_the_set_with_every_sticker(voc_pack: tuple[Pack, Path], caplog: pytest.LogCaptureFixture) -> None:
    pack, folder = voc_pack
    steps: list[tuple[int, int, str]] = []
    caplog.set_level(logging.DEBUG)
    with fake_bot_api(check_call) as server:
        api = BotApi(TOKEN, api_url=server.url)
        result = upload_pack(pack, folder, api, USER_ID, progress=lambda *step: steps.append(step))
    assert server.methods() == ["getMe"] + ["uploadStickerFile"] * 4 + ["createNewStickerSet"]
    prepared = prepare(pack, folder, "telegram")
    for call, item in zip(server.calls[1:5], prepared.stickers, strict=True):
        assert call.fields["sticker_format"] == "static"
        filename, content_type, data = call.files["sticker"]
        assert content_type == "image/png" and filename.endswith(".png")
        assert data == item.encoded.data == (folder / item.sticker.file).read_bytes()
    create = server.calls[-1].fields
    assert create["name"] == result.name == set_name_for(pack, "farm_sticker_bot")
    assert create["name"].endswith("_by_farm_sticker_bot") and len(create["name"]) <= 64
    assert create["title"] == "Farm friends" and create["sticker_type"] == "regular"
    stickers = json.loads(create["stickers"])
    assert stickers == [{"sticker": f"file-{i}", "format": "static", "emoji_list": list(emojis)}
                        for i, emojis in enumerate(PACK_EMOJIS, start=1)]
    assert result.link == f"https://t.me/addstickers/{result.name}" and result.created
    assert [done for done, _, _ in steps] == list(range(1, 7)) and {total for _, total, _ in steps} == {6}
    # the token is in the request path and nowhere else
    assert TOKEN not in caplog.text and TOKEN not in repr(api)
    assert all(TOKEN not in path.read_bytes().decode("latin-1") for path in folder.rglob("*") if path.is_file())


def test_more_than_fifty_are_added_after_creation(voc_pack: tuple[Pack, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    pack, folder = voc_pack
    monkeypatch.setattr(telegram, "CREATE_LIMIT", 2)  # stands for 50: the same split, with 4 stickers
    with fake_bot_api(check_call) as server:
        upload_pack(pack, folder, BotApi(TOKEN, api_url=server.url), USER_ID)
    assert server.methods()[5:] == ["createNewStickerSet", "addStickerToSet", "addStickerToSet"]
    assert len(json.loads(server.calls[5].fields["stickers"])) == 2
    added = [json.loads(call.fields["sticker"]) for call in server.calls[6:]]
    assert added == [{"sticker": f"file-{i + 1}", "format": "static", "emoji_list": list(PACK_EMOJIS[i])} for i in (2, 3)]


def test_adding_to_an_existing_set(voc_pack: tuple[Pack, Path]) -> None:
    pack, folder = voc_pack
    with fake_bot_api(check_call) as server:
        result = upload_pack(pack, folder, BotApi(TOKEN, api_url=server.url), USER_ID,
                             name="old_set_by_farm_sticker_bot", add=True)
    assert server.methods() == ["getMe"] + ["uploadStickerFile"] * 4 + ["addStickerToSet"] * 4
    assert {call.fields["name"] for call in server.calls[5:]} == {"old_set_by_farm_sticker_bot"}
    assert not result.created
    with fake_bot_api(check_call) as server, pytest.raises(TelegramError, match="ending in _by_farm_sticker_bot"):
        upload_pack(pack, folder, BotApi(TOKEN, api_url=server.url), USER_ID, name="someone_elses_set", add=True)
    assert server.methods() == ["getMe"]  # refused before any upload


@pytest.mark.parametrize(("method", "reply", "message"), [
    ("getMe", error(401, "Unauthorized"), "refused the bot token"),
    ("createNewStickerSet", error(400, "Bad Request: sticker set name is already occupied"), "is taken"),
    ("uploadStickerFile", error(400, "Bad Request: PEER_ID_INVALID"), f"does not know user id {USER_ID}"),
    ("createNewStickerSet", error(429, "Too Many Requests: retry after 120", retry_after=120), "wait 120 seconds"),
    ("createNewStickerSet", error(400, "Bad Request: something new"), "refused createNewStickerSet: Bad Request: something new"),
])
def test_api_errors_in_plain_words(voc_pack: tuple[Pack, Path], method: str, reply: tuple[int, dict], message: str,
                                   caplog: pytest.LogCaptureFixture) -> None:
    pack, folder = voc_pack
    caplog.set_level(logging.DEBUG)
    slept: list[float] = []
    with fake_bot_api(check_call) as server:
        server.replies[method] = [reply]
        with pytest.raises(TelegramError, match=message) as failure:
            upload_pack(pack, folder, BotApi(TOKEN, api_url=server.url, sleep=slept.append), USER_ID)
    assert server.methods()[-1] == method  # stopped at the refused call
    assert slept == []  # a long rate limit is reported, not slept through
    assert failure.value.code == reply[0]
    assert TOKEN not in str(failure.value) and TOKEN not in caplog.text


def test_a_short_rate_limit_is_waited_out(voc_pack: tuple[Pack, Path]) -> None:
    pack, folder = voc_pack
    slept: list[float] = []
    with fake_bot_api(check_call) as server:
        server.replies["uploadStickerFile"] = [error(429, "Too Many Requests: retry after 3", retry_after=3)]
        upload_pack(pack, folder, BotApi(TOKEN, api_url=server.url, sleep=slept.append), USER_ID)
    assert slept == [3]
    assert server.methods() == ["getMe"] + ["uploadStickerFile"] * 5 + ["createNewStickerSet"]


def test_unreachable_api_and_a_malformed_token(voc_pack: tuple[Pack, Path]) -> None:
    pack, folder = voc_pack
    api = BotApi(TOKEN, api_url=f"http://127.0.0.1:{unused_port()}", timeout=5)
    with pytest.raises(TelegramError, match="cannot reach the Telegram Bot API at 127.0.0.1") as failure:
        upload_pack(pack, folder, api, USER_ID)
    assert TOKEN not in str(failure.value)
    with pytest.raises(TelegramError, match="not a bot token"):
        BotApi("my password")
    with pytest.raises(TelegramError, match="must look like https://api.telegram.org") as failure:
        BotApi(TOKEN, api_url="localhost:8081")
    assert TOKEN not in str(failure.value)


def test_set_names_follow_telegrams_rules() -> None:
    pack = Pack(title="x", publisher="y", identifier="9 lives! of__my cat " * 5)
    name = set_name_for(pack, "Cat_Bot")
    assert name.endswith("_by_Cat_Bot") and len(name) <= 64 and name[0].isalpha() and "__" not in name
    telegram.check_set_name(name, "cat_bot")  # the bot's name is matched case-insensitively
