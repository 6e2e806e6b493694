"""save_sticker: messenger rules, WEBP quality steps, atomic writes, and plain-word failures."""

from __future__ import annotations

import errno
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fcn_core import atomic_file
from fcn_core import save as sticker_io
from fcn_core.save import TARGETS, WEBP_QUALITY_STEPS, StickerSaveError, save_sticker
from fcn_core.sticker import Sticker
from tests.fault_helpers import as_ordinary_user, disk_full_on_write
from tests.sticker_helpers import ellipse


def disc_sticker(height: int = 512, width: int = 512, noisy: bool = False) -> Sticker:
    """A disc on a transparent canvas: smooth colours, or random ones that compress badly."""
    inside = ellipse((height, width), centre=(height / 2, width / 2), radii=(height * 0.45, width * 0.45))
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    if noisy:
        rgba[..., :3] = np.random.default_rng(0).integers(0, 256, (height, width, 3))
    else:
        rows, cols = np.mgrid[:height, :width]
        rgba[..., 0], rgba[..., 1], rgba[..., 2] = cols * 255 // width, rows * 255 // height, 90
    rgba[..., 3] = inside * 255
    rgba[~inside, :3] = 0
    return Sticker(rgba, ("cat",))


def folder_listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_targets_follow_the_messengers_rules() -> None:
    assert TARGETS["telegram"].formats == ("png", "webp") and TARGETS["telegram"].max_bytes == 512 * 1024
    assert TARGETS["whatsapp"].formats == ("webp",) and TARGETS["whatsapp"].max_bytes == 100 * 1024
    assert TARGETS["telegram"].size_problem(512, 300) is None and TARGETS["telegram"].size_problem(300, 512) is None
    assert TARGETS["telegram"].size_problem(511, 511) is not None
    assert TARGETS["telegram"].size_problem(513, 512) is not None
    assert TARGETS["whatsapp"].size_problem(512, 512) is None and TARGETS["whatsapp"].size_problem(512, 300) is not None


def test_png_for_telegram_is_lossless_and_complete(tmp_path: Path) -> None:
    sticker = disc_sticker()
    saved = save_sticker(sticker, tmp_path / "cat.png")
    assert folder_listing(tmp_path) == ["cat.png"]
    assert saved.fmt == "png" and saved.quality is None and saved.num_bytes == (tmp_path / "cat.png").stat().st_size
    with Image.open(tmp_path / "cat.png") as image:
        assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (512, 512))
        np.testing.assert_array_equal(np.asarray(image), sticker.rgba)


def test_telegram_accepts_one_side_512_and_the_other_shorter(tmp_path: Path) -> None:
    save_sticker(disc_sticker(300, 512), tmp_path / "wide.webp", fmt="webp")
    with Image.open(tmp_path / "wide.webp") as image:
        assert (image.format, image.mode, image.size) == ("WEBP", "RGBA", (512, 300))


def test_whatsapp_lowers_webp_quality_step_by_step_until_it_fits(tmp_path: Path) -> None:
    sticker = disc_sticker(noisy=True)
    first_try = io.BytesIO()
    Image.fromarray(sticker.rgba).save(first_try, "WEBP", quality=WEBP_QUALITY_STEPS[0], alpha_quality=100)
    assert first_try.tell() > 100 * 1024, "the test sticker must need more than one step"
    saved = save_sticker(sticker, tmp_path / "noise.webp", fmt="webp", target="whatsapp")
    assert saved.quality in WEBP_QUALITY_STEPS[1:]
    assert saved.num_bytes <= 100 * 1024 and (tmp_path / "noise.webp").stat().st_size == saved.num_bytes
    with Image.open(tmp_path / "noise.webp") as image:
        assert (image.format, image.mode, image.size) == ("WEBP", "RGBA", (512, 512))


def test_whatsapp_says_when_even_the_lowest_quality_is_too_big(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sticker_io, "WEBP_QUALITY_STEPS", (30, 10))  # two steps keep the test fast
    rgba = np.random.default_rng(1).integers(0, 256, (512, 512, 4), dtype=np.uint8)  # the alpha is kept lossless
    with pytest.raises(StickerSaveError, match=r"WhatsApp's limit of 100 KB: even at the lowest WEBP quality \(10\)"):
        save_sticker(Sticker(rgba), tmp_path / "noise.webp", fmt="webp", target="whatsapp")
    assert folder_listing(tmp_path) == []


def test_png_over_telegram_limit_suggests_webp(tmp_path: Path) -> None:
    with pytest.raises(StickerSaveError, match=r"PNG file is \d+ KB, over Telegram's limit of 512 KB; save as WEBP"):
        save_sticker(disc_sticker(noisy=True), tmp_path / "noise.png")
    assert folder_listing(tmp_path) == []


@pytest.mark.parametrize(
    ("sticker", "name", "fmt", "target", "message"),
    [
        (disc_sticker(), "a.png", "png", "whatsapp", "WhatsApp stickers must be WEBP, not PNG"),
        (disc_sticker(256, 256), "a.png", "png", "telegram", "one side of exactly 512 px .* this one is 256×256"),
        (disc_sticker(400, 512), "a.webp", "webp", "whatsapp", "exactly 512×512 px, this one is 512×400"),
        (disc_sticker(), "a.webp", "png", "telegram", "does not end in .png"),
        (disc_sticker(), "a.png", "png", "signal", "unknown sticker target 'signal'; targets: telegram, whatsapp"),
    ],
)
def test_rule_breaks_are_named(tmp_path: Path, sticker: Sticker, name: str, fmt: str, target: str, message: str) -> None:
    with pytest.raises(StickerSaveError, match=message):
        save_sticker(sticker, tmp_path / name, fmt=fmt, target=target)  # type: ignore[arg-type]
    assert folder_listing(tmp_path) == []


def test_a_fully_opaque_webp_fails_the_rgba_check_and_leaves_nothing(tmp_path: Path) -> None:
    rgba = np.full((512, 512, 4), 255, dtype=np.uint8)
    with pytest.raises(StickerSaveError, match="mode RGB, not RGBA"):
        save_sticker(Sticker(rgba), tmp_path / "opaque.webp", fmt="webp")
    assert folder_listing(tmp_path) == []


def test_existing_file_is_kept_unless_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "cat.png"
    target.write_bytes(b"precious")
    with pytest.raises(StickerSaveError, match="already exists"):
        save_sticker(disc_sticker(), target)
    assert target.read_bytes() == b"precious"
    save_sticker(disc_sticker(), target, overwrite=True)
    with Image.open(target) as image:
        assert image.size == (512, 512)
    assert folder_listing(tmp_path) == ["cat.png"]


def test_missing_folder_and_folder_as_file_are_explained(tmp_path: Path) -> None:
    with pytest.raises(StickerSaveError, match="the folder .*nowhere does not exist"):
        save_sticker(disc_sticker(), tmp_path / "nowhere" / "cat.png")
    (tmp_path / "taken.png").mkdir()
    with pytest.raises(StickerSaveError, match="it is a folder"):
        save_sticker(disc_sticker(), tmp_path / "taken.png", overwrite=True)


def test_read_only_folder_is_explained(tmp_path: Path) -> None:
    """Runs as root too (issue #12 item 22): the save happens as an ordinary user."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with as_ordinary_user(tmp_path), pytest.raises(StickerSaveError) as raised:
            save_sticker(disc_sticker(), folder / "cat.png")
        assert f"cannot write cat.png into {folder}: permission denied" in str(raised.value)
        assert folder_listing(folder) == []
    finally:
        folder.chmod(0o755)


def test_a_folder_that_is_a_file_is_explained(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("a file")
    with pytest.raises(StickerSaveError, match=r"cannot save cat.png: .*notes.txt is a file, not a folder"):
        save_sticker(disc_sticker(), tmp_path / "notes.txt" / "cat.png")


def test_full_disk_while_writing_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    """ENOSPC at the write itself, after the temporary file was created (a full disk, simulated)."""
    disk_full_on_write(monkeypatch, sticker_io)
    with pytest.raises(StickerSaveError, match=f"cannot write cat.png into {tmp_path}: the disk is full"):
        save_sticker(disc_sticker(), tmp_path / "cat.png")
    assert folder_listing(tmp_path) == []


def test_permission_error_is_explained_even_where_the_user_is_root(tmp_path: Path, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(atomic_file, "open", refuse, raising=False)
    with pytest.raises(StickerSaveError, match=r"cannot write cat.png into .*: permission denied"):
        save_sticker(disc_sticker(), tmp_path / "cat.png")
    assert folder_listing(tmp_path) == []


def test_read_only_disk_names_the_folder_not_the_temporary_file(tmp_path: Path, monkeypatch) -> None:
    """Issue #12 item 13: the message names the folder and the reason, not '.cat.png.1a2b.tmp'."""

    def read_only(name, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(name))

    monkeypatch.setattr(atomic_file, "open", read_only, raising=False)
    with pytest.raises(StickerSaveError) as raised:
        save_sticker(disc_sticker(), tmp_path / "cat.png")
    message = str(raised.value)
    assert f"cannot write cat.png into {tmp_path}: the folder is on a read-only disk" in message
    assert ".tmp" not in message


def test_failure_after_writing_leaves_no_temporary_file(tmp_path: Path, monkeypatch) -> None:
    def disk_full(source, destination):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic_file.os, "replace", disk_full)
    with pytest.raises(StickerSaveError, match="the disk is full"):
        save_sticker(disc_sticker(), tmp_path / "cat.png")
    assert folder_listing(tmp_path) == []


@pytest.mark.parametrize("visible", [0, 40])
def test_an_almost_invisible_sticker_is_refused(tmp_path: Path, visible: int) -> None:
    """Issue #12 item 12: nothing (or a few pixels) to see is refused with the reason, as an empty mask is."""
    rgba = np.zeros((512, 512, 4), dtype=np.uint8)
    rgba[..., :3] = 200
    rgba[..., 3] = 20  # a faint haze everywhere: nothing a chat would show
    rgba[100, 100 : 100 + visible, 3] = 255
    with pytest.raises(StickerSaveError, match=rf"almost nothing to see: {visible} of 512×512 pixels"):
        save_sticker(Sticker(rgba), tmp_path / "ghost.png")
    assert folder_listing(tmp_path) == []


def test_a_small_but_visible_object_is_saved(tmp_path: Path) -> None:
    rgba = np.zeros((512, 512, 4), dtype=np.uint8)
    rgba[200:240, 200:240] = 255  # 1600 px: small, but something to see
    assert save_sticker(Sticker(rgba), tmp_path / "small.png").path.is_file()
