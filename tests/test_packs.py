"""Sticker packs: a pack of real VOC photos made, reordered, exported for WhatsApp and Telegram,
and checked against every rule (including the failures) — DESIGN §6a."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fcn_core import atomic_file
from fcn_core.packs import model
from fcn_core.packs.check import PackRuleError, pack_level_problems, prepare, quick_problems
from fcn_core.packs.model import (
    PACK_FILE,
    Pack,
    PackError,
    PackSticker,
    add_file,
    add_sticker,
    create_pack,
    move_sticker,
    open_pack,
    remove_sticker,
    reorder,
    set_emojis,
    set_tray,
)
from fcn_core.packs.render import render_for_pack, source_request
from fcn_core.packs.rules import TELEGRAM, WHATSAPP, split_emojis
from fcn_core.packs.telegram import export_telegram
from fcn_core.packs.whatsapp import export_whatsapp
from fcn_core.photo import load_photo
from tests.cli_helpers import file_digests, stray_files
from tests.pack_helpers import PACK_EMOJIS, PACK_PHOTOS, ground_truth_segmentation, make_voc_pack, needs_voc

KB = 1024


def noisy_rgba(rows: int, *, noisy_alpha: bool, seed: int = 0) -> np.ndarray:
    """512×512 with ``rows`` rows of noise: noisy alpha (lossless in WEBP) cannot shrink with
    quality; noisy colour can."""
    rng = np.random.default_rng(seed)
    pixels = np.zeros((512, 512, 4), dtype=np.uint8)
    if noisy_alpha:
        pixels[:rows, :, :3] = (200, 120, 60)
        pixels[:rows, :, 3] = rng.integers(1, 256, (rows, 512))
    else:
        pixels[:rows, :, :3] = rng.integers(0, 256, (rows, 512, 3))
        pixels[:rows, :, 3] = 255
    return pixels


def write_webp(path: Path, rgba: np.ndarray, quality: int = 90) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgba, "RGBA").save(path, "WEBP", quality=quality, alpha_quality=100)
    return path


def test_split_emojis_keeps_sequences_whole() -> None:
    assert split_emojis("😺🐶") == ("😺", "🐶")
    assert split_emojis("👍🏽 🏳️‍🌈x") == ("👍🏽", "🏳️‍🌈")
    assert split_emojis("cat") == ()


@needs_voc
def test_voc_pack_made_reordered_and_exported_for_whatsapp(tmp_path: Path) -> None:
    folder = tmp_path / "farm"
    pack = make_voc_pack(folder)
    assert [sticker.emojis for sticker in pack.stickers] == list(PACK_EMOJIS)
    assert [Path(sticker.source.photo).stem for sticker in pack.stickers] == list(PACK_PHOTOS)
    assert [sticker.source.classes for sticker in pack.stickers] == [("dog",), ("cow",), ("sheep",), ("cat",)]
    before = file_digests(folder / "stickers")

    pack = move_sticker(folder, 3, 0)  # the cat first
    pack = set_tray(folder, 0)
    assert [Path(sticker.source.photo).stem for sticker in open_pack(folder).stickers] == [
        PACK_PHOTOS[3], PACK_PHOTOS[0], PACK_PHOTOS[1], PACK_PHOTOS[2]]
    assert file_digests(folder / "stickers") == before  # reordering touches no sticker file

    out = tmp_path / "whatsapp"
    result = export_whatsapp(pack, folder, out)
    contents = json.loads((out / "contents.json").read_text(encoding="utf-8"))
    [entry] = contents["sticker_packs"]
    assert entry["identifier"] == pack.identifier and entry["name"] == "Farm friends"
    assert entry["publisher"] == "FCN Sticker Studio tests"
    assert entry["tray_image_file"] == "tray.png" and entry["animated_sticker_pack"] is False
    assert [item["emojis"] for item in entry["stickers"]] == [list(PACK_EMOJIS[i]) for i in (3, 0, 1, 2)]
    assets = out / pack.identifier
    for item in entry["stickers"]:
        path = assets / item["image_file"]
        with Image.open(path) as image:
            assert (image.format, image.size, image.mode) == ("WEBP", (512, 512), "RGBA")
            assert getattr(image, "n_frames", 1) == 1
        assert path.stat().st_size <= 100 * KB
    # the stickers went over byte for byte, in the new order
    originals = [(folder / sticker.file).read_bytes() for sticker in pack.stickers]
    assert [(assets / f"{i:02d}.webp").read_bytes() for i in range(1, 5)] == originals
    with Image.open(assets / "tray.png") as tray:
        assert (tray.format, tray.size) == ("PNG", (96, 96))
    assert (assets / "tray.png").stat().st_size <= 50 * KB

    with zipfile.ZipFile(result.wastickers) as archive:
        names = archive.namelist()
        assert names == ["title.txt", "author.txt", "tray.png", "01.webp", "02.webp", "03.webp", "04.webp"]
        assert archive.read("title.txt").decode() == "Farm friends"
        assert archive.read("author.txt").decode() == "FCN Sticker Studio tests"
        assert archive.read("tray.png") == (assets / "tray.png").read_bytes()
        assert [archive.read(f"{i:02d}.webp") for i in range(1, 5)] == originals
    assert stray_files(out) == []


@needs_voc
def test_voc_pack_exported_for_telegram(tmp_path: Path) -> None:
    folder = tmp_path / "tg"
    pack = make_voc_pack(folder, target="telegram")
    assert all(sticker.file.endswith(".png") for sticker in pack.stickers)
    result = export_telegram(pack, folder, tmp_path / "out")
    for path in result.sticker_files:
        with Image.open(path) as image:
            assert image.format == "PNG" and max(image.size) == 512 and min(image.size) <= 512
        assert path.stat().st_size <= 512 * KB
    lines = result.emoji_list.read_text(encoding="utf-8").splitlines()[1:]
    assert lines == [f"{i:02d}.png\t{''.join(emojis)}" for i, emojis in enumerate(PACK_EMOJIS, start=1)]
    # the same Telegram PNG pack goes to WhatsApp converted to WEBP, and says so
    exported = export_whatsapp(pack, folder, tmp_path / "wa")
    assert len(exported.notes) == 4 and "WEBP quality" in exported.notes[0]
    for path in exported.sticker_files:
        with Image.open(path) as image:
            assert (image.format, image.size) == ("WEBP", (512, 512))
        assert path.stat().st_size <= 100 * KB


@needs_voc
def test_custom_emoji_pack_renders_100_px(tmp_path: Path) -> None:
    folder = tmp_path / "emoji"
    pack = make_voc_pack(folder, target="telegram-emoji", stems=PACK_PHOTOS[:2], emojis=PACK_EMOJIS[:2])
    for sticker in pack.stickers:
        with Image.open(folder / sticker.file) as image:
            assert image.size == (100, 100)
            alpha = np.asarray(image)[..., 3]
        assert alpha[0].max() == 0 and alpha[50].max() == 255  # transparent margin, opaque object
    export_telegram(pack, folder, tmp_path / "out")
    # A 512 px sticker does not go into an emoji pack, and a 100 px one is not enlarged for WhatsApp.
    with pytest.raises(PackError, match="100×100"):
        add_sticker(folder, np.zeros((512, 512, 4), np.uint8), ("🙂",))
    with pytest.raises(PackRuleError) as failure:
        prepare(pack, folder, "whatsapp")
    assert {problem.rule for problem in failure.value.problems} == {"whatsapp.count", "whatsapp.size"}


@needs_voc
def test_a_source_renders_the_same_sticker_again(tmp_path: Path) -> None:
    pack = make_voc_pack(tmp_path / "p", stems=PACK_PHOTOS[:1], emojis=PACK_EMOJIS[:1], target="telegram")
    [sticker] = pack.stickers
    photo = load_photo(Path(sticker.source.photo))
    again, _ = render_for_pack(pack, photo, ground_truth_segmentation(photo), source_request(sticker.source))
    with Image.open(tmp_path / "p" / sticker.file) as image:
        assert np.array_equal(np.asarray(image), again.rgba)  # PNG is lossless


@needs_voc
def test_whatsapp_rules_name_the_rule_and_the_sticker(tmp_path: Path) -> None:
    folder = tmp_path / "two"
    pack = make_voc_pack(folder, stems=PACK_PHOTOS[:2], emojis=[("🐶",), ()])
    out = tmp_path / "out"
    with pytest.raises(PackRuleError) as failure:
        export_whatsapp(pack, folder, out)
    problems = failure.value.problems
    assert [(problem.rule, problem.sticker) for problem in problems] == [("whatsapp.count", None), ("whatsapp.emoji", 2)]
    assert "at least 3 stickers, this one has 2" in str(failure.value)
    assert "sticker 2: WhatsApp needs at least 1 emoji" in str(failure.value)
    assert not out.exists()  # nothing written when the pack breaks a rule
    assert quick_problems(pack, folder, "whatsapp") == problems
    # Telegram takes 2 stickers, not a sticker without emoji.
    assert [(p.rule, p.sticker) for p in quick_problems(pack, folder, "telegram")] == [("telegram.emoji", 2)]


def test_pack_level_rules(tmp_path: Path) -> None:
    sticker = PackSticker("a.png", ("🙂",))
    long_name = "x" * 129
    pack = Pack(title=long_name, publisher="", identifier="bad..id/", stickers=(sticker,) * 31)
    rules = {(problem.rule, problem.sticker) for problem in pack_level_problems(pack, WHATSAPP)}
    assert rules == {("whatsapp.count", None), ("whatsapp.name", None), ("whatsapp.publisher", None),
                     ("whatsapp.identifier", None)}
    odd_emojis = (PackSticker("a.png", ("😀",) * 4), PackSticker("b.png", ("a", "🙂")))
    many = replace(pack, title="ok", publisher="me", identifier="ok_id", stickers=odd_emojis)
    problems = pack_level_problems(many, WHATSAPP)
    assert [(p.rule, p.sticker) for p in problems] == [("whatsapp.count", None), ("whatsapp.emoji", 1), ("whatsapp.emoji", 2)]
    assert "at most 3 emojis per sticker, this one has 4" in str(problems[1])
    assert "'a' is not an emoji" in str(problems[2])
    assert [p.rule for p in pack_level_problems(replace(many, stickers=many.stickers[:1]), TELEGRAM)] == []
    full = replace(pack, title="ok", stickers=(sticker,) * 121)
    assert [p.text for p in pack_level_problems(full, TELEGRAM)] == [
        "a Telegram pack holds at most 120 stickers, this one has 121: remove 1"]
    too_many_emojis = replace(full, stickers=(PackSticker("a.png", ("😀",) * 21),))
    assert pack_level_problems(too_many_emojis, TELEGRAM)[0].rule == "telegram.emoji"


def test_webp_that_cannot_shrink_is_named_and_one_that_can_is_re_encoded(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    create_pack(folder, "Noise", "tests", target="whatsapp")
    hopeless = write_webp(folder / "stickers" / "hopeless.webp", noisy_rgba(240, noisy_alpha=True))
    assert 110 * KB < hopeless.stat().st_size < 130 * KB  # "a 120 KB WEBP"
    squeezable = write_webp(folder / "stickers" / "squeezable.webp", noisy_rgba(300, noisy_alpha=False))
    assert squeezable.stat().st_size > 100 * KB
    fine = write_webp(folder / "stickers" / "fine.webp", noisy_rgba(40, noisy_alpha=False))
    also_fine = write_webp(folder / "stickers" / "also_fine.webp", noisy_rgba(20, noisy_alpha=False))
    for path in (fine, also_fine, squeezable, hopeless):
        pack = add_file(folder, path, ("🙂",))
    with pytest.raises(PackRuleError) as failure:
        prepare(pack, folder, "whatsapp")
    [problem] = failure.value.problems
    assert (problem.rule, problem.sticker) == ("whatsapp.bytes", 4)
    assert "even at WEBP quality 10" in problem.text and "hopeless.webp" in problem.text
    pack = remove_sticker(folder, 3)
    prepared = prepare(pack, folder, "whatsapp")
    assert [item.converted for item in prepared.stickers] == [False, False, True]
    assert prepared.stickers[2].encoded.quality is not None and prepared.stickers[2].encoded.quality < 90
    assert len(prepared.stickers[2].encoded.data) <= 100 * KB
    assert (folder / "removed" / "hopeless.webp").is_file()  # removed, not lost


def test_a_png_over_telegrams_limit_goes_as_webp(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    create_pack(folder, "Big", "tests", target="telegram")
    big = folder / "stickers" / "big.png"
    Image.fromarray(noisy_rgba(512, noisy_alpha=False), "RGBA").save(big)
    assert big.stat().st_size > 512 * KB
    pack = add_file(folder, big, ("🙂",))
    result = export_telegram(pack, folder, tmp_path / "out")
    [path] = result.sticker_files
    assert path.name == "01.webp" and path.stat().st_size <= 512 * KB
    assert "re-encoded as WEBP quality" in result.notes[0]


def test_remove_and_reorder_never_lose_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    create_pack(folder, "Shapes", "tests", target="telegram")
    for seed in range(3):
        add_sticker(folder, noisy_rgba(50 + seed, noisy_alpha=False, seed=seed), ("🙂",))
    everything = file_digests(folder / "stickers")
    pack = remove_sticker(folder, 1)
    assert [sticker.file for sticker in pack.stickers] == ["stickers/001.png", "stickers/003.png"]
    assert (folder / "removed" / "002.png").is_file()
    pack = add_sticker(folder, noisy_rgba(60, noisy_alpha=False), ("😀",))
    assert pack.stickers[-1].file == "stickers/004.png"  # a removed sticker's number is not reused
    order = ["stickers/004.png", "stickers/003.png", "stickers/001.png"]
    reorder(folder, order)
    assert [sticker.file for sticker in open_pack(folder).stickers] == order
    with pytest.raises(PackError, match="every sticker"):
        reorder(folder, ["stickers/004.png"])
    with pytest.raises(PackError, match="no sticker 9"):
        set_emojis(folder, 8, ("🙂",))
    kept = {**file_digests(folder / "stickers"), **{f"removed/{k}": v for k, v in file_digests(folder / "removed").items()}}
    assert set(everything.values()) <= set(kept.values())


def test_a_failed_write_leaves_the_old_pack_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "p"
    create_pack(folder, "Atomic", "tests")
    add_sticker(folder, noisy_rgba(20, noisy_alpha=False), ("🙂",))
    before = (folder / PACK_FILE).read_bytes()

    def disk_full(descriptor: int) -> None:  # the data is in the temporary file; flushing it to disk fails
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic_file.os, "fsync", disk_full)
    with pytest.raises(OSError, match="the disk is full"):
        set_emojis(folder, 0, ("😀",))
    monkeypatch.undo()
    assert (folder / PACK_FILE).read_bytes() == before
    assert stray_files(folder) == []


def test_older_and_newer_pack_files(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / PACK_FILE).write_text(json.dumps({
        "title": "Old pack", "author": "Someone",
        "stickers": ["a.webp", {"file": "b.webp", "emojis": "😺🐶"}],
    }), encoding="utf-8")
    pack = open_pack(folder)
    assert (pack.title, pack.publisher, pack.target, pack.version) == ("Old pack", "Someone", "telegram", model.FORMAT_VERSION)
    assert [(s.file, s.emojis) for s in pack.stickers] == [("a.webp", ()), ("b.webp", ("😺", "🐶"))]
    assert pack.identifier.startswith("old_pack_")
    (folder / PACK_FILE).write_text(json.dumps({"version": model.FORMAT_VERSION + 1, "title": "x"}), encoding="utf-8")
    with pytest.raises(PackError, match="newer version"):
        open_pack(folder)
    (folder / PACK_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(PackError, match="cannot read"):
        open_pack(folder)
    with pytest.raises(PackError, match="not a sticker pack"):
        open_pack(tmp_path)
    with pytest.raises(PackError, match="already holds a pack"):
        create_pack(folder, "again", "me")


def test_pack_round_trips_through_json(tmp_path: Path) -> None:
    pack = create_pack(tmp_path / "p", "Round trip", "me", target="whatsapp")
    rgba = noisy_rgba(30, noisy_alpha=False)
    path = tmp_path / "p" / "stickers" / "x.webp"
    write_webp(path, rgba)
    pack = add_file(tmp_path / "p", path, ("🙂",), model.StickerSource(photo="/photos/a.jpg", classes=("cat",)))
    assert open_pack(tmp_path / "p") == pack
    with pytest.raises(PackError, match="not inside the pack"):
        add_file(tmp_path / "p", write_webp(tmp_path / "outside.webp", rgba), ("🙂",))
