"""The fcn-sticker commands make, batch, segment and classes, run in-process through main()."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from fcn_core import save as save_module
from fcn_core.classes import VOC_CLASSES
from fcn_core.cli import build_parser, common, main
from fcn_core.models.normalization import CAFFE_BGR
from fcn_core.models.vgg_fcn import FCN8s, FCN16s
from fcn_core.overlay import labels_at
from fcn_core.photo import load_photo
from fcn_core.segmenter import Segmenter
from fcn_core.weights.checkpoint import save_checkpoint
from fcn_core.weights.store import load_model
from tests.cli_helpers import (
    BROKEN_PHOTOS,
    PERSON,
    DiscSegmenter,
    file_digests,
    make_photo_folder,
    photo_pixels,
    stray_files,
    tiny_checkpoint,
    write_photo,
)
from tests.fault_helpers import as_ordinary_user, disk_full_on_write

COMMANDS = ("make", "batch", "segment", "classes")


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> DiscSegmenter:
    """Every command gets the disc stub instead of loading a model."""
    segmenter = DiscSegmenter()
    monkeypatch.setattr(common, "load_segmenter", lambda args: segmenter)
    return segmenter


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("weights") / "tiny.pt")


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    return write_photo(tmp_path / "photos" / "me.jpg")


def sticker_pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        assert image.mode == "RGBA" and image.size == (512, 512)
        return np.asarray(image)


# --- make ----------------------------------------------------------------------------------


def test_make_writes_next_to_the_photo(stub, photo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = photo.read_bytes()
    assert main(["make", str(photo)]) == 0
    output = photo.parent / "me.person.sticker.png"
    assert sticker_pixels(output)[256, 256, 3] == 255
    assert str(output) in capsys.readouterr().out
    assert photo.read_bytes() == before
    assert sorted(p.name for p in photo.parent.iterdir()) == ["me.jpg", "me.person.sticker.png"]


def test_make_refuses_a_sticker_with_almost_nothing_to_see(stub, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue #12 item 12: a photo that is nearly transparent where the person is gives no sticker, exit 1."""
    rgba = np.dstack([photo_pixels((48, 64)), np.full((48, 64), 12, dtype=np.uint8)])
    photo = tmp_path / "ghost.png"
    Image.fromarray(rgba, "RGBA").save(photo)
    assert main(["make", str(photo), "-c", "person"]) == 1
    assert "almost nothing to see" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["ghost.png"]


def test_make_with_a_real_tiny_checkpoint(checkpoint: Path, photo: Path, tmp_path: Path) -> None:
    """Loads the weights with --weights; the class is whichever the random net found most."""
    segmenter = Segmenter(load_model("fcn8s", checkpoint), device="cpu")
    top = next(iter(segmenter.segment(load_photo(photo)).class_shares()))
    name = segmenter.classes.names[top]
    output = tmp_path / "out" / "sticker.webp"
    output.parent.mkdir()
    assert main(["make", str(photo), "--weights", str(checkpoint), "-c", name, "-o", str(output), "--device", "cpu"]) == 0
    with Image.open(output) as image:
        assert image.format == "WEBP" and image.size == (512, 512)


def test_make_without_weights_says_how_to_get_them(photo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["make", str(photo)]) == 2
    err = capsys.readouterr().err
    assert "no weights for fcn8s" in err and "fcn-sticker weights download fcn8s" in err
    assert [p.name for p in photo.parent.iterdir()] == ["me.jpg"]


def test_make_with_a_missing_weights_file(photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["make", str(photo), "--weights", str(tmp_path / "nope.pt")]) == 2
    assert "nope.pt" in capsys.readouterr().err


def test_make_with_an_ambiguous_weights_file_asks_for_the_model(
    photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue #12 item 2: without --model, an FCN-8s-family file of unknown origin is not guessed to be fcn8s."""
    weights = tmp_path / "mine.pth"
    torch.save(FCN8s(width=1 / 16).state_dict(), weights)
    assert main(["make", str(photo), "--weights", str(weights), "--device", "cpu"]) == 2
    assert "--model fcn8s or --model fcn8s-atonce" in capsys.readouterr().err
    assert main(["classes", "--weights", str(weights)]) == 2
    assert main(["classes", "--weights", str(weights), "--model", "fcn8s-atonce"]) == 0


def test_make_without_model_uses_the_architecture_the_checkpoint_records(tmp_path: Path, photo: Path) -> None:
    torch.manual_seed(0)
    weights = save_checkpoint(tmp_path / "fcn16s.pt", FCN16s(width=1 / 16).eval(), arch="fcn16s", classes=VOC_CLASSES,
                              normalization=CAFFE_BGR, provenance={"source": "test"})
    segmenter = Segmenter(load_model("fcn16s", weights), device="cpu")
    name = segmenter.classes.names[next(iter(segmenter.segment(load_photo(photo)).class_shares()))]
    output = tmp_path / "out.png"
    assert main(["make", str(photo), "--weights", str(weights), "-c", name, "-o", str(output), "--device", "cpu"]) == 0
    assert output.is_file()
    assert main(["classes", "--weights", str(weights)]) == 0


@pytest.mark.parametrize("name", sorted(BROKEN_PHOTOS))
def test_make_with_a_broken_photo(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No weights exist here: the photo must be checked (and refused, exit 1) before the model."""
    _, (broken,) = make_photo_folder(tmp_path / "photos", good=0, broken=[name])
    before = file_digests(broken.parent)
    assert main(["make", str(broken)]) == 1
    err = capsys.readouterr().err
    assert str(broken) in err
    assert any(word in err for word in ("empty", "not an image", "truncated"))
    assert file_digests(broken.parent) == before


def test_make_never_writes_over_the_photo(stub, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png_photo = tmp_path / "me.png"
    Image.open(write_photo(tmp_path / "me.jpg")).save(png_photo)
    before = png_photo.read_bytes()
    assert main(["make", str(png_photo), "-o", str(png_photo), "--overwrite"]) == 1
    assert "refusing to write over the input photo" in capsys.readouterr().err
    assert png_photo.read_bytes() == before and stub.calls == 0


def test_make_keeps_an_existing_sticker_unless_overwrite(stub, photo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = photo.parent / "me.person.sticker.png"
    output.write_bytes(b"my older sticker")
    assert main(["make", str(photo)]) == 1
    assert "already exists; add --overwrite" in capsys.readouterr().err
    assert output.read_bytes() == b"my older sticker"
    assert main(["make", str(photo), "--overwrite"]) == 0
    sticker_pixels(output)
    assert stray_files(photo.parent) == []


def test_make_into_an_unwritable_place(stub, photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("keep me")
    assert main(["make", str(photo), "-o", f"{blocker}/stickers/"]) == 1
    assert str(blocker) in capsys.readouterr().err
    assert main(["make", str(photo), "-o", str(tmp_path / "missing" / "s.png")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert blocker.read_text() == "keep me" and not (tmp_path / "missing").exists()


def test_make_into_a_new_folder(stub, photo: Path, tmp_path: Path) -> None:
    assert main(["make", str(photo), "-o", f"{tmp_path}/new/"]) == 0
    sticker_pixels(tmp_path / "new" / "me.person.sticker.png")


def test_make_with_non_ascii_paths(stub, tmp_path: Path) -> None:
    photo = write_photo(tmp_path / "фото" / "кот é 猫.jpg")
    assert main(["make", str(photo)]) == 0
    sticker_pixels(photo.parent / "кот é 猫.person.sticker.png")


def test_make_style_options_reach_the_sticker(stub, photo: Path, tmp_path: Path) -> None:
    outlined = tmp_path / "outlined.png"
    assert main(["make", str(photo), "-o", str(outlined), "--contour", "0", "--stroke", "6", "--stroke-color", "#ff0000"]) == 0
    pixels = sticker_pixels(outlined)
    assert np.all(pixels[..., :3][pixels[..., 3] == 255] == [255, 0, 0], axis=-1).sum() > 1000
    contoured = tmp_path / "contoured.png"
    assert main(["make", str(photo), "-o", str(contoured), "--contour-color", "0,0,255"]) == 0
    pixels = sticker_pixels(contoured)
    assert np.all(pixels[..., :3] == [0, 0, 255], axis=-1).sum() > 1000


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--format", "webp", "-o", "x.png"], "does not match"),
        (["--target", "whatsapp", "-o", "x.png"], "WhatsApp stickers must be webp"),
        (["-o", "x.jpg"], "ends in .png or .webp"),
        (["-c", "unicorn"], "unknown class 'unicorn'"),
    ],
)
def test_make_usage_errors(stub, photo: Path, options: list[str], message: str, capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(photo.parent)
    assert main(["make", str(photo), *options]) == 2
    assert message in capsys.readouterr().err
    assert [p.name for p in photo.parent.iterdir()] == ["me.jpg"]


def test_make_class_not_in_the_photo(stub, photo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["make", str(photo), "-c", "dog"]) == 1
    err = capsys.readouterr().err
    assert "dog" in err and "person" in err


def test_bad_colour_is_an_argparse_error(photo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["make", str(photo), "--contour-color", "blueish"])
    assert exit_info.value.code == 2
    assert "'blueish' is not a colour" in capsys.readouterr().err


# --- batch ---------------------------------------------------------------------------------


def test_batch_reports_failures_and_continues_on_rerun(stub, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "photos"
    make_photo_folder(folder, good=4, broken=["text.jpg", "zero_bytes.jpg"])
    out = tmp_path / "out"
    assert main(["batch", str(folder), "-o", str(out)]) == 1
    captured = capsys.readouterr()
    assert f"failed: {folder / 'text.jpg'}: not an image" in captured.err
    assert f"failed: {folder / 'zero_bytes.jpg'}: the file is empty" in captured.err
    assert "4 made, 0 skipped, 2 failed" in captured.out
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert (report["made"], report["failed"], len(report["items"])) == (4, 2, 6)

    custom = tmp_path / "rerun.json"
    assert main(["batch", str(folder), "-o", str(out), "--report", str(custom)]) == 1
    assert "0 made, 4 skipped, 2 failed" in capsys.readouterr().out
    assert json.loads(custom.read_text(encoding="utf-8"))["skipped"] == 4


def test_batch_names_each_failure_once(stub, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # What the CLI shows by default: WARNING and up on stderr (pytest's own log handlers keep
    # main()'s logging.basicConfig from adding this one, so the test adds it).
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    logging.getLogger().addHandler(handler)
    try:
        folder = tmp_path / "photos"
        make_photo_folder(folder, good=1, broken=["text.jpg"])
        assert main(["batch", str(folder), "-o", str(tmp_path / "out")]) == 1
    finally:
        logging.getLogger().removeHandler(handler)
    err = capsys.readouterr().err
    assert err.count("not an image") == 1
    assert f"failed: {folder / 'text.jpg'}: not an image" in err
    assert "WARNING" not in err


def test_batch_all_good_exits_zero(stub, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "photos"
    make_photo_folder(folder, good=2)
    assert main(["batch", str(folder), "-o", str(tmp_path / "out"), "--format", "webp"]) == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["photo_00.person.sticker.webp", "photo_01.person.sticker.webp", "report.json"]


def test_batch_first_ctrl_c_stops_after_the_current_photo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "photos"
    make_photo_folder(folder, good=5)
    out = tmp_path / "out"

    def ctrl_c_on_second_photo(call: int) -> None:
        if call == 2:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(common, "load_segmenter", lambda args: DiscSegmenter(on_segment=ctrl_c_on_second_photo))
    previous_handler = signal.getsignal(signal.SIGINT)
    assert main(["batch", str(folder), "-o", str(out)]) == 130
    assert signal.getsignal(signal.SIGINT) is previous_handler
    captured = capsys.readouterr()
    assert "stopping after the current photo" in captured.err
    assert "2 made, 0 skipped, 0 failed (stopped after 2 of 5 photos" in captured.out
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["cancelled"] is True and report["made"] == 2
    assert stray_files(out) == []

    monkeypatch.setattr(common, "load_segmenter", lambda args: DiscSegmenter())
    assert main(["batch", str(folder), "-o", str(out)]) == 0
    assert "3 made, 2 skipped, 0 failed" in capsys.readouterr().out


def test_batch_second_ctrl_c_stops_at_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "photos"
    make_photo_folder(folder, good=4)
    out = tmp_path / "out"

    def ctrl_c_twice(call: int) -> None:
        if call == 3:
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(common, "load_segmenter", lambda args: DiscSegmenter(on_segment=ctrl_c_twice))
    assert main(["batch", str(folder), "-o", str(out)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["photo_00.person.sticker.png", "photo_01.person.sticker.png"]
    assert stray_files(out) == []


def test_batch_into_an_unwritable_folder(stub, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "photos"
    make_photo_folder(folder, good=1)
    blocker = tmp_path / "a_file"
    blocker.write_text("keep me")
    assert main(["batch", str(folder), "-o", str(blocker / "out")]) == 1
    assert "cannot create the output folder" in capsys.readouterr().err
    assert blocker.read_text() == "keep me" and stub.calls == 0


def test_batch_missing_input_folder_is_found_before_the_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No weights exist here, so reaching the model would exit 2 with a weights message."""
    assert main(["batch", str(tmp_path / "nope"), "-o", str(tmp_path / "out")]) == 1
    assert "nope is not a folder" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_batch_missing_weights(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "photos"
    make_photo_folder(folder, good=1)
    assert main(["batch", str(folder), "-o", str(tmp_path / "out")]) == 2
    assert "fcn-sticker weights download" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# --- segment -------------------------------------------------------------------------------


def test_segment_writes_overlay_labels_probabilities_and_shares(stub, photo: Path, tmp_path: Path) -> None:
    out = tmp_path / "seg"
    assert main(["segment", str(photo), "-o", str(out), "--probabilities", "person"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "me.classes.json", "me.labels.png", "me.overlay.png", "me.person.probability.png",
    ]
    seg = DiscSegmenter().segment(load_photo(photo))
    expected_labels = labels_at(seg)
    with Image.open(out / "me.labels.png") as labels:
        assert labels.mode == "P" and labels.size == (64, 48)
        np.testing.assert_array_equal(np.asarray(labels), expected_labels)
    pixels = load_photo(photo).pixels
    with Image.open(out / "me.overlay.png") as overlay:
        blended = np.asarray(overlay.convert("RGB"))
    background = expected_labels == 0
    np.testing.assert_array_equal(blended[background], pixels[background])
    assert not np.array_equal(blended[~background], pixels[~background])
    with Image.open(out / "me.person.probability.png") as probability:
        levels = np.asarray(probability)
    assert levels[24, 32] > 200 and levels[0, 0] < 20
    summary = json.loads((out / "me.classes.json").read_text(encoding="utf-8"))
    shares = {entry["name"]: entry["share"] for entry in summary["classes"]}
    assert set(shares) == {"background", "person"}
    assert shares["person"] == pytest.approx(seg.class_shares()[PERSON], abs=1e-6)
    assert summary["classes"][0]["color"] in ("#000000", "#c08080")


def test_segment_probabilities_of_every_class_found(stub, photo: Path, tmp_path: Path) -> None:
    out = tmp_path / "seg"
    assert main(["segment", str(photo), "-o", str(out), "--probabilities", "--crf"]) == 0
    names = sorted(p.name for p in out.glob("*.probability.png"))
    assert names == ["me.background.probability.png", "me.person.probability.png"]
    assert json.loads((out / "me.classes.json").read_text())["refined_by"] == "crf:deeplab:full"


def test_segment_keeps_existing_files_unless_overwrite(stub, photo: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "seg"
    out.mkdir()
    (out / "me.labels.png").write_bytes(b"mine")
    assert main(["segment", str(photo), "-o", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["me.labels.png"]
    assert main(["segment", str(photo), "-o", str(out), "--overwrite"]) == 0
    assert len(list(out.iterdir())) == 3


def test_segment_broken_photo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, (broken,) = make_photo_folder(tmp_path / "photos", good=0, broken=["text.jpg"])
    assert main(["segment", str(broken), "-o", str(tmp_path / "seg")]) == 1
    assert str(broken) in capsys.readouterr().err
    assert not (tmp_path / "seg").exists()


# --- classes and help ----------------------------------------------------------------------


def test_classes_lists_index_name_and_colour(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classes"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "PASCAL VOC: 21 classes"
    assert lines[2 + PERSON].split() == ["15", "person", "#c08080", "192,128,128"]
    assert len(lines) == 2 + 21


def test_classes_of_a_checkpoint(checkpoint: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classes", "--weights", str(checkpoint)]) == 0
    assert "person" in capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_teaches_by_example(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text and f"fcn-sticker {command}" in text.split("examples:")[1]


def test_installed_entry_point_runs() -> None:
    executable = Path(sys.executable).parent / "fcn-sticker"
    result = subprocess.run([str(executable), "make", "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert "fcn-sticker make cat.jpg" in result.stdout


def test_unknown_class_fails_before_any_weights_load_and_suggests(
    photo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_model(args: object) -> None:
        raise AssertionError("the model must not load for a misspelt class")

    monkeypatch.setattr(common, "load_segmenter", no_model)
    assert main(["make", str(photo), "-c", "persn"]) == 2
    err = capsys.readouterr().err
    assert "unknown class 'persn'" in err and "did you mean person?" in err


def test_existing_output_fails_before_the_network_runs(
    photo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = photo.parent / "me.person.sticker.png"
    existing.write_bytes(b"keep")

    def no_model(args: object) -> None:
        raise AssertionError("the network must not run when the output exists")

    monkeypatch.setattr(common, "load_segmenter", no_model)
    assert main(["make", str(photo), "-c", "PERSON"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert existing.read_bytes() == b"keep"


# --- option parsing (issue #12 item 18) ----------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "preset"),
    [
        (["--crf", "me.jpg"], "deeplab"),
        (["me.jpg", "--crf"], "deeplab"),
        (["--crf-preset", "original", "me.jpg"], "original"),
        (["--crf-preset", "original", "--crf", "me.jpg"], "original"),
        (["--crf", "--crf-preset", "original", "me.jpg"], "original"),
        (["me.jpg"], None),
    ],
)
def test_crf_never_swallows_the_photo(argv: list[str], preset: str | None) -> None:
    args = build_parser("make").parse_args(["make", *argv])
    assert (args.photo, args.crf) == (Path("me.jpg"), preset)


def test_make_with_crf_before_the_photo(stub, photo: Path) -> None:
    assert main(["make", "--crf", str(photo)]) == 0
    assert (photo.parent / "me.person.sticker.png").is_file()


@pytest.mark.parametrize("command", [["make", "me.jpg"], ["batch", "photos", "-o", "out"], ["weights", "import", "w.pth",
                                                                                              "--model", "fcn8s"]])
def test_unknown_option_shows_the_subcommand_usage(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--no-such-option"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    usage = " ".join(command[:2] if command[0] == "weights" else command[:1])
    assert f"usage: fcn-sticker {usage}" in err and "unrecognized arguments: --no-such-option" in err


def test_batch_size_zero_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["batch", str(tmp_path), "-o", str(tmp_path / "out"), "--batch-size", "0"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--batch-size: must be at least 1" in err and "Traceback" not in err


@pytest.mark.parametrize("extra", [[], ["-o", "out.png"]])
def test_make_with_a_symlink_loop_names_the_file(
    stub, tmp_path: Path, extra: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #12 item 21: a link to itself is a message naming the file, not a RuntimeError traceback."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "loop.jpg").symlink_to("loop.jpg")
    assert main(["make", "loop.jpg", *extra]) == 1
    err = capsys.readouterr().err
    assert "'loop.jpg'" in err and "link loop" in err and "Traceback" not in err


def test_batch_reports_a_symlink_loop_among_the_photos(stub, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    make_photo_folder(folder, good=1)
    (folder / "loop.jpg").symlink_to("loop.jpg")
    (folder / "gone.jpg").symlink_to("deleted.jpg")
    assert main(["batch", str(folder), "-o", str(tmp_path / "out")]) == 1
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    reasons = {Path(item["source"]).name: item["reason"] for item in report["items"] if item["status"] == "failed"}
    assert set(reasons) == {"loop.jpg", "gone.jpg"} and report["made"] == 1
    assert "link loop" in reasons["loop.jpg"] and "does not exist" in reasons["gone.jpg"]


# --- faults that happen as root too (issue #12 item 22) --------------------------------------


def test_batch_on_a_full_disk_reports_each_photo_and_leaves_no_partial_file(
    stub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "photos"
    make_photo_folder(folder, good=2)
    out = tmp_path / "out"
    disk_full_on_write(monkeypatch, save_module)
    assert main(["batch", str(folder), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("the disk is full") == 2 and ".tmp" not in err
    assert sorted(p.name for p in out.iterdir()) == ["report.json"] and stray_files(out) == []


def test_batch_report_given_as_an_existing_folder(stub, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "photos"
    make_photo_folder(folder, good=1)
    (tmp_path / "report").mkdir()
    assert main(["batch", str(folder), "-o", str(tmp_path / "out"), "--report", str(tmp_path / "report")]) == 1
    err = capsys.readouterr().err
    assert "report is a folder" in err and ".partial" not in err and "Traceback" not in err


def test_make_into_a_read_only_folder_as_an_ordinary_user(
    stub, photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with as_ordinary_user(tmp_path):
            code = main(["make", str(photo), "-o", str(locked / "me.png")])
    finally:
        locked.chmod(0o755)
    assert code == 1
    assert f"cannot write me.png into {locked}: permission denied" in capsys.readouterr().err
    assert list(locked.iterdir()) == []


def test_make_with_an_output_under_a_regular_file(stub, photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("a file")
    assert main(["make", str(photo), "-o", str(tmp_path / "notes.txt" / "me.png")]) == 1
    assert "notes.txt is a file, not a folder" in capsys.readouterr().err
