"""run_batch: a folder in, stickers out, nothing lost (fcn_core/batch.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image

from fcn_core.batch import BatchError, find_photos, plan_outputs, run_batch, sticker_output
from fcn_core.pipeline import StickerRequest
from tests.cli_helpers import BROKEN_PHOTOS, DiscSegmenter, file_digests, make_photo_folder, stray_files, write_photo

REQUEST = StickerRequest()


def assert_valid_sticker(path: Path) -> None:
    with Image.open(path) as image:
        image.load()
        assert image.format == "PNG" and image.mode == "RGBA" and image.size == (512, 512)


@pytest.fixture
def twenty(tmp_path: Path) -> tuple[Path, list[Path], list[Path]]:
    """20 photos, 4 of them broken (zero bytes, text, truncated JPEG, truncated PNG)."""
    folder = tmp_path / "photos"
    good, broken = make_photo_folder(folder, good=16, broken=list(BROKEN_PHOTOS))
    return folder, good, broken


def test_twenty_photos_four_broken(tmp_path: Path, twenty) -> None:
    folder, good, broken = twenty
    before = file_digests(folder)
    out = tmp_path / "out"
    seen = []
    report = run_batch(DiscSegmenter(), folder, out, REQUEST, progress=lambda done, total, path: seen.append((done, total)))

    assert (report.found, report.made, report.skipped, report.failed) == (20, 16, 0, 4)
    assert seen == [(n, 20) for n in range(1, 21)]
    made = sorted(p.name for p in out.iterdir())
    assert made == sorted(f"{p.stem}.person.sticker.png" for p in good)  # the rule of make and the window
    for path in out.iterdir():
        assert_valid_sticker(path)
    reasons = {item.source.name: item.reason for item in report.failures}
    assert set(reasons) == {p.name for p in broken}
    assert "empty" in reasons["zero_bytes.jpg"]
    assert "not an image" in reasons["text.jpg"]
    assert "incomplete" in reasons["truncated.jpg"] and "incomplete" in reasons["truncated.png"]
    assert file_digests(folder) == before  # no photo touched

    data = json.loads(report.to_json())
    assert (data["found"], data["made"], data["skipped"], data["failed"], data["cancelled"]) == (20, 16, 0, 4, False)
    failed = {Path(item["source"]).name: item for item in data["items"] if item["status"] == "failed"}
    assert failed["text.jpg"]["reason"] == reasons["text.jpg"]
    assert failed["text.jpg"]["output"] is None  # issue #12 item 20: no sticker exists for a failed photo
    made_items = [item for item in data["items"] if item["status"] == "made"]
    assert all(Path(item["output"]).is_file() for item in made_items) and len(made_items) == 16


def test_rerun_skips_and_overwrite_remakes(tmp_path: Path, twenty) -> None:
    folder, _, _ = twenty
    out = tmp_path / "out"
    run_batch(DiscSegmenter(), folder, out, REQUEST)
    made_once = file_digests(out)

    rerun_segmenter = DiscSegmenter()
    rerun = run_batch(rerun_segmenter, folder, out, REQUEST)
    assert (rerun.made, rerun.skipped, rerun.failed) == (0, 16, 4)
    assert rerun_segmenter.calls == 0
    assert file_digests(out) == made_once

    overwrite_segmenter = DiscSegmenter()
    remade = run_batch(overwrite_segmenter, folder, out, StickerRequest(classes=("person",)), overwrite=True)
    assert (remade.made, remade.skipped, remade.failed) == (16, 0, 4)
    assert overwrite_segmenter.calls == 16


def test_cancel_mid_batch_then_continue(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    make_photo_folder(folder, good=8)
    out = tmp_path / "out"
    done_so_far = []
    report = run_batch(
        DiscSegmenter(), folder, out, REQUEST,
        progress=lambda done, total, path: done_so_far.append(done),
        cancel=lambda: len(done_so_far) >= 3,
    )
    assert report.cancelled and report.made == 3 and len(report.items) == 3
    assert "stopped after 3 of 8" in report.summary()
    assert sorted(p.name for p in out.iterdir()) == sorted(item.output.name for item in report.items)
    assert stray_files(out) == []

    rest = run_batch(DiscSegmenter(), folder, out, REQUEST)
    assert (rest.made, rest.skipped, rest.failed, rest.cancelled) == (5, 3, 0, False)


def test_keyboard_interrupt_in_the_network_leaves_no_partial_file(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    make_photo_folder(folder, good=6)
    out = tmp_path / "out"

    def interrupt(call: int) -> None:
        if call == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(DiscSegmenter(on_segment=interrupt), folder, out, REQUEST)
    assert len(list(out.iterdir())) == 3 and stray_files(out) == []
    for path in out.iterdir():
        assert_valid_sticker(path)
    rest = run_batch(DiscSegmenter(), folder, out, REQUEST)
    assert (rest.made, rest.skipped) == (3, 3)


def test_keyboard_interrupt_while_writing_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C can land while a file is being moved into place: the old state must survive."""
    folder = tmp_path / "photos"
    make_photo_folder(folder, good=4)
    out = tmp_path / "out"
    real_replace = os.replace
    replaced = []

    def replace_then_interrupt(src: str | Path, dst: str | Path) -> None:
        if len(replaced) == 2:
            raise KeyboardInterrupt
        replaced.append(dst)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_batch(DiscSegmenter(), folder, out, REQUEST)
    monkeypatch.undo()
    assert sorted(out.iterdir()) == sorted(Path(p) for p in replaced)
    assert stray_files(out) == []


def test_output_folder_may_be_the_input_folder(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    _good, _ = make_photo_folder(folder, good=3)
    before = file_digests(folder)
    first = run_batch(DiscSegmenter(), folder, folder, REQUEST)
    assert first.made == 3
    second = run_batch(DiscSegmenter(), folder, folder, REQUEST, overwrite=True)
    assert second.found == 3 and second.made == 3  # stickers are never read as photos
    after = file_digests(folder)
    assert {name: after[name] for name in before} == before
    assert len(after) == 6


def test_output_through_a_symlink_onto_a_photo_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    good, _ = make_photo_folder(folder, good=2)
    out = tmp_path / "out"
    out.mkdir()
    (out / f"{good[0].stem}.person.sticker.png").symlink_to(good[0])
    before = file_digests(folder)
    report = run_batch(DiscSegmenter(), folder, out, REQUEST, overwrite=True)
    assert (report.made, report.failed) == (1, 1)
    assert "over an input photo" in report.failures[0].reason
    assert file_digests(folder) == before


def test_same_stem_keeps_the_suffix(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    for name in ("a.jpg", "a.png", "b.jpg"):
        write_photo(folder / name)
    plan = plan_outputs(find_photos(folder), folder, tmp_path / "out")
    assert {src.name: sticker_output(dst, ["cat"], "webp").name for src, dst in plan.items()} == {
        "a.jpg": "a.jpg.cat.sticker.webp", "a.png": "a.png.cat.sticker.webp", "b.jpg": "b.cat.sticker.webp",
    }


def test_output_names_are_unique_and_stable(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    for name in ("a.jpg", "a.png", "a.jpg.png", "b.jpg", "b.jpg.jpg", "b.jpg.jpg.png"):
        write_photo(folder / name)
    out = tmp_path / "out"
    plan = plan_outputs(find_photos(folder), folder, out)
    names = {src.name: sticker_output(dst, ["person"], "png").name for src, dst in plan.items()}
    assert names["a.jpg"] == "a.jpg.person.sticker.png" and names["a.png"] == "a.png.person.sticker.png"
    assert names["a.jpg.png"] == "a.jpg.png.person.sticker.png"
    assert len({name.lower() for name in names.values()}) == len(names)
    assert plan_outputs(list(reversed(find_photos(folder))), folder, out) == plan

    report = run_batch(DiscSegmenter(), folder, out, REQUEST)
    assert (report.made, report.skipped, report.failed) == (6, 0, 0)
    rerun = run_batch(DiscSegmenter(), folder, out, REQUEST)
    assert (rerun.made, rerun.skipped, rerun.failed) == (0, 6, 0)
    assert {item.source.name: item.output.name for item in rerun.items} == names


def test_case_and_counter_collisions(tmp_path: Path) -> None:
    # Photos that differ only in case (possible on case-sensitive file systems) get a counter.
    folder, out = tmp_path / "photos", tmp_path / "out"
    photos = [folder / "A.jpg", folder / "a.jpg", folder / "a.JPG"]
    names = {src.name: dst.name for src, dst in plan_outputs(photos, folder, out).items()}
    assert names == {"A.jpg": "A.jpg", "a.JPG": "a.JPG-2", "a.jpg": "a.jpg-3"}


def test_recursive_mirrors_folders_and_skips_its_own_output(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    write_photo(folder / "top.jpg")
    write_photo(folder / "trip" / "beach.jpg")
    write_photo(folder / ".hidden" / "secret.jpg")
    (folder / "notes.txt").write_text("not a photo")
    out = folder / "stickers"
    assert run_batch(DiscSegmenter(), folder, out, REQUEST).found == 1
    report = run_batch(DiscSegmenter(), folder, out, REQUEST, recursive=True)
    assert (report.found, report.made, report.skipped) == (2, 1, 1)
    assert (out / "trip" / "beach.person.sticker.png").is_file()
    again = run_batch(DiscSegmenter(), folder, out, REQUEST, recursive=True)
    assert again.found == 2  # stickers/ inside photos/ is not scanned


def test_non_ascii_paths(tmp_path: Path) -> None:
    folder = tmp_path / "фото отпуск"
    write_photo(folder / "кот é 猫.jpg")
    out = tmp_path / "стикеры"
    report = run_batch(DiscSegmenter(), folder, out, REQUEST)
    assert report.made == 1
    assert_valid_sticker(out / "кот é 猫.person.sticker.png")
    assert "кот é 猫.jpg" in report.to_json()


def test_webp_for_whatsapp(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    make_photo_folder(folder, good=2)
    report = run_batch(DiscSegmenter(), folder, tmp_path / "out", StickerRequest(fmt="webp", target="whatsapp"))
    assert report.made == 2
    for item in report.items:
        assert item.output.suffix == ".webp" and item.output.stat().st_size <= 100 * 1024


def test_batches_of_several_photos_give_the_same_stickers(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    make_photo_folder(folder, good=5, broken=["text.jpg"])
    one = run_batch(DiscSegmenter(), folder, tmp_path / "one", REQUEST)
    three = run_batch(DiscSegmenter(), folder, tmp_path / "three", REQUEST, batch_size=3)
    assert [(i.source, i.status) for i in one.items] == [(i.source, i.status) for i in three.items]
    assert file_digests(tmp_path / "one") == file_digests(tmp_path / "three")


def test_photo_without_the_class_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    make_photo_folder(folder, good=2)
    report = run_batch(DiscSegmenter(), folder, tmp_path / "out", StickerRequest(classes=("dog",)))
    assert report.failed == 2
    assert all("dog" in item.reason and "person" in item.reason for item in report.items)
    assert list((tmp_path / "out").iterdir()) == []


def test_unknown_class_fails_before_any_work(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    make_photo_folder(folder, good=1)
    segmenter = DiscSegmenter()
    with pytest.raises(KeyError, match="unicorn"):
        run_batch(segmenter, folder, tmp_path / "out", StickerRequest(classes=("unicorn",)))
    assert segmenter.calls == 0 and not (tmp_path / "out").exists()


def test_unwritable_output_folder(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    make_photo_folder(folder, good=1)
    blocker = tmp_path / "a_file"
    blocker.write_text("I am a file")
    with pytest.raises(BatchError, match="cannot create the output folder"):
        run_batch(DiscSegmenter(), folder, blocker / "out", REQUEST)
    assert blocker.read_text() == "I am a file"


def test_missing_input_folder(tmp_path: Path) -> None:
    with pytest.raises(BatchError, match="is not a folder"):
        run_batch(DiscSegmenter(), tmp_path / "nope", tmp_path / "out", REQUEST)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("classes", ["person", 15, ["person"], ("person", "dog")])
def test_one_class_name_is_accepted_wherever_a_list_is(tmp_path: Path, classes: object) -> None:
    """Issue #12 item 19: classes="person" meant the classes 'p', 'e', 'r', …"""
    folder = tmp_path / "photos"
    make_photo_folder(folder, good=1)
    report = run_batch(DiscSegmenter(), folder, tmp_path / "out", StickerRequest(classes=classes))  # type: ignore[arg-type]
    assert (report.made, report.failed) == (1, 0)


def test_request_keeps_classes_as_a_tuple() -> None:
    assert StickerRequest(classes="cat").classes == ("cat",)
    assert StickerRequest(classes=7).classes == (7,)  # type: ignore[arg-type]
    assert StickerRequest(classes=["cat", 7]).classes == ("cat", 7)
    assert StickerRequest(classes="Auto").classes == "auto" and StickerRequest().classes == "auto"


def test_batch_names_stickers_like_make_with_named_classes(tmp_path: Path) -> None:
    """Issue #12 item 20: one naming rule, <stem>.<class>.sticker.<fmt>, for named classes too."""
    folder = tmp_path / "photos"
    make_photo_folder(folder, good=1)
    request = StickerRequest(classes=("person", "dog", "person"))
    report = run_batch(DiscSegmenter(), folder, tmp_path / "out", request)
    assert [item.output.name for item in report.items] == ["photo_00.person+dog.sticker.png"]
    again = run_batch(DiscSegmenter(), folder, tmp_path / "out", request)
    assert (again.skipped, again.items[0].output) == (1, report.items[0].output)


def test_auto_rerun_finds_the_sticker_of_whichever_class_was_cut(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    make_photo_folder(folder, good=2)
    out = tmp_path / "out"
    run_batch(DiscSegmenter(disc_class=12), folder, out, REQUEST)  # dogs this time
    assert sorted(p.name for p in out.iterdir()) == ["photo_00.dog.sticker.png", "photo_01.dog.sticker.png"]
    segmenter = DiscSegmenter()
    rerun = run_batch(segmenter, folder, out, REQUEST)
    assert (rerun.skipped, segmenter.calls) == (2, 0)
    assert [item.output.name for item in rerun.items] == ["photo_00.dog.sticker.png", "photo_01.dog.sticker.png"]
