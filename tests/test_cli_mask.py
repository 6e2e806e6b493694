"""``fcn-sticker make PHOTO --mask MASK.png``: the person's own mask, no network, no torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fcn_core.cli import main
from tests.voc_helpers import VOC_DEV, voc_labels, voc_photo_path

NAME = "2007_000392"  # a horse (in two pieces behind a rider) and a person
PERSON, HORSE = 15, 13
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def voc() -> tuple[Path, Path]:
    return voc_photo_path(NAME), VOC_DEV / "SegmentationClass" / f"{NAME}.png"


def alpha_of(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGBA"))[..., 3]


def test_photo_canvas_without_contour_gives_back_the_label_mask_exactly(voc, tmp_path) -> None:
    photo, mask = voc
    out = tmp_path / "cut.png"
    args = ["make", str(photo), "--mask", str(mask), "-c", "person", "--canvas", "photo", "--contour", "0"]
    assert main([*args, "-o", str(out)]) == 0
    np.testing.assert_array_equal(alpha_of(out), (voc_labels(NAME) == PERSON) * 255)


def test_black_white_and_alpha_masks_count_non_zero_pixels(voc, tmp_path) -> None:
    photo, _ = voc
    truth = voc_labels(NAME) == HORSE
    black_white = tmp_path / "bw.png"
    Image.fromarray((truth * 255).astype(np.uint8), "L").save(black_white)
    alpha_mask = tmp_path / "alpha.png"
    rgba = np.zeros((*truth.shape, 4), dtype=np.uint8)
    rgba[..., 3] = truth * 7
    Image.fromarray(rgba, "RGBA").save(alpha_mask)
    for mask in (black_white, alpha_mask):
        out = tmp_path / f"{mask.stem}.out.png"
        assert main(["make", str(photo), "--mask", str(mask), "--canvas", "photo", "--contour", "0", "-o", str(out)]) == 0
        np.testing.assert_array_equal(alpha_of(out), truth * 255)


def test_a_mask_of_another_size_is_refused_naming_both_sizes(voc, tmp_path, capsys) -> None:
    photo, _ = voc
    mask = tmp_path / "small.png"
    Image.new("L", (250, 166), 255).save(mask)
    assert main(["make", str(photo), "--mask", str(mask), "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "250×166" in err and "500×332" in err and not (tmp_path / "x.png").exists()


def test_matting_emoji_and_sticker_canvases(voc, tmp_path) -> None:
    photo, mask = voc
    emoji = tmp_path / "emoji.png"
    args = ["make", str(photo), "--mask", str(mask), "-c", "horse", "--edges", "matting", "--canvas", "emoji"]
    assert main([*args, "-o", str(emoji)]) == 0
    assert alpha_of(emoji).shape == (100, 100)
    matted = tmp_path / "matted.png"
    args = ["make", str(photo), "--mask", str(mask), "-c", "person", "--canvas", "photo", "--contour", "0"]
    assert main([*args, "--edges", "matting", "-o", str(matted)]) == 0
    alpha = alpha_of(matted)
    soft = (alpha > 0) & (alpha < 255)
    assert soft.sum() > 100  # matting gave a soft edge
    truth = voc_labels(NAME) == PERSON
    assert ((alpha >= 128) == truth).mean() > 0.98


def test_crf_option_is_refused_with_a_mask(voc, tmp_path, capsys) -> None:
    photo, mask = voc
    assert main(["make", str(photo), "--mask", str(mask), "--crf", "-o", str(tmp_path / "x.png")]) == 2
    assert "--edges crf" in capsys.readouterr().err


def test_make_with_a_mask_never_imports_torch(voc, tmp_path) -> None:
    photo, mask = voc
    out = tmp_path / "cut.png"
    script = (
        "import sys; from fcn_core.cli import main; "
        f"rc = main(['make', {str(photo)!r}, '--mask', {str(mask)!r}, '--edges', 'crf', '-o', {str(out)!r}]); "
        "assert rc == 0, rc; assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": ""})
    assert out.exists()
