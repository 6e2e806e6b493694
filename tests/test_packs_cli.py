"""``fcn-sticker pack …`` and ``batch --pack``, end to end on real VOC photos (the ground-truth
masks stand in for the network)."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from fcn_core.cli import common, main
from fcn_core.packs.model import open_pack
from tests.bot_api_server import fake_bot_api
from tests.pack_helpers import GroundTruthSegmenter, needs_voc, voc_photo_path

pytestmark = needs_voc
TOKEN = "123456789:AAHsecret-token_for_tests"


@pytest.fixture(autouse=True)
def ground_truth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "load_segmenter", lambda args: GroundTruthSegmenter())


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_make_a_pack_and_send_it_to_both_messengers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pack = tmp_path / "farm"
    code, out, _ = run(capsys, "pack", "new", pack, "--title", "Farm", "--publisher", "Ann", "--target", "whatsapp")
    assert code == 0 and "new whatsapp pack 'Farm'" in out
    assert run(capsys, "pack", "add", pack, voc_photo_path("2009_003466"), "--emoji", "🐶", "--emoji", "🦴")[0] == 0
    assert run(capsys, "pack", "add", pack, voc_photo_path("2007_000464"), "-c", "cow", "--emoji", "🐮🥛")[0] == 0
    code, out, _ = run(capsys, "pack", "add", pack, voc_photo_path("2008_000853"), "--stroke", "6")
    assert code == 0 and "(cat, 🐱)" in out  # no --emoji: one from the class
    stickers = open_pack(pack).stickers
    assert [s.emojis for s in stickers] == [("🐶", "🦴"), ("🐮", "🥛"), ("🐱",)]
    assert stickers[2].source.style.stroke_width == 6 and stickers[1].source.classes == ("cow",)

    assert run(capsys, "pack", "move", pack, 3, 1)[0] == 0
    assert run(capsys, "pack", "emoji", pack, 1, "😺")[0] == 0
    code, out, _ = run(capsys, "pack", "list", pack)
    assert code == 0
    assert out.splitlines()[1].startswith("  1. stickers/003.webp  😺  from 2008_000853.jpg (cat)  [tray]")
    assert "WhatsApp: ready" in out and "Telegram: ready" in out

    code, out, _ = run(capsys, "pack", "export", pack, "--whatsapp", tmp_path / "wa")
    assert code == 0 and ".wastickers" in out
    identifier = open_pack(pack).identifier
    contents = json.loads((tmp_path / "wa" / "contents.json").read_text(encoding="utf-8"))
    assert [s["emojis"] for s in contents["sticker_packs"][0]["stickers"]] == [["😺"], ["🐶", "🦴"], ["🐮", "🥛"]]
    with zipfile.ZipFile(tmp_path / "wa" / f"{identifier}.wastickers") as archive:
        assert archive.read("author.txt").decode() == "Ann"
    code, out, _ = run(capsys, "pack", "export", pack, "--telegram", tmp_path / "tg")
    assert code == 0 and sorted(p.name for p in (tmp_path / "tg").iterdir()) == ["01.webp", "02.webp", "03.webp", "emojis.txt"]

    with fake_bot_api() as server:
        code, out, err = run(capsys, "pack", "upload", pack, "--bot-token", TOKEN, "--user-id", "7", "--api-url", server.url)
    assert code == 0 and "https://t.me/addstickers/" in out and "[5/5] created the set" in err
    assert server.methods()[-1] == "createNewStickerSet" and {call.token for call in server.calls} == {TOKEN}
    assert TOKEN not in out + err
    assert all(TOKEN not in p.read_bytes().decode("latin-1") for p in pack.rglob("*") if p.is_file())

    code, out, _ = run(capsys, "pack", "remove", pack, 2)
    assert code == 0 and (pack / "removed" / "001.webp").is_file()


def test_rule_failures_and_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    pack = tmp_path / "small"
    run(capsys, "pack", "new", pack, "--title", "Small", "--publisher", "Ann", "--target", "whatsapp")
    run(capsys, "pack", "add", pack, voc_photo_path("2007_000676"), "--emoji", "🐑")
    run(capsys, "pack", "add", pack, voc_photo_path("2008_000853"))
    code, _, err = run(capsys, "pack", "export", pack, "--whatsapp", tmp_path / "wa")
    assert code == 1 and "at least 3 stickers, this one has 2 [whatsapp.count]" in err
    assert not (tmp_path / "wa").exists()
    code, _, err = run(capsys, "pack", "add", pack, voc_photo_path("2008_000853"), "--emoji", "cat")
    assert code == 2 and "holds no emoji" in err
    code, _, err = run(capsys, "pack", "add", pack, voc_photo_path("2008_000853"), "-c", "dog")
    assert code == 1 and "dog" in err
    code, _, err = run(capsys, "pack", "move", pack, 5, 1)
    assert code == 1 and "no sticker 5" in err
    code, _, err = run(capsys, "pack", "remove", pack, 0)
    assert code == 2 and "start at 1" in err and len(open_pack(pack).stickers) == 2
    code, _, err = run(capsys, "pack", "list", tmp_path)
    assert code == 1 and "not a sticker pack" in err
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    code, _, err = run(capsys, "pack", "upload", pack, "--user-id", "7")
    assert code == 2 and "--bot-token" in err


def test_batch_into_a_pack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    for stem in ("2009_003466", "2007_000676", "2008_000853"):
        shutil.copy(voc_photo_path(stem), photos)
    pack = tmp_path / "farm"
    run(capsys, "pack", "new", pack, "--title", "Farm", "--publisher", "Ann", "--target", "whatsapp")
    code, out, _ = run(capsys, "batch", photos, "--pack", pack)
    assert code == 0 and "3 stickers added" in out
    stickers = open_pack(pack).stickers
    assert [(Path(s.file).parent.name, s.emojis, s.source.classes) for s in stickers] == [
        ("stickers", ("🐑",), ("sheep",)), ("stickers", ("🐱",), ("cat",)), ("stickers", ("🐶",), ("dog",))]  # photo order
    assert all(s.file.endswith(".sticker.webp") for s in stickers)
    code, out, _ = run(capsys, "batch", photos, "--pack", pack)  # a rerun adds nothing twice
    assert code == 0 and "0 stickers added" in out and len(open_pack(pack).stickers) == 3
    assert run(capsys, "pack", "export", pack, "--whatsapp", tmp_path / "wa")[0] == 0
    code, _, err = run(capsys, "batch", photos)
    assert code == 2 and "-o OUTDIR, or --pack" in err
