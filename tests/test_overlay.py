"""Overlay, palette label PNG and probability maps (fcn_core/overlay.py)."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np
import pytest
from PIL import Image

from fcn_core.classes import VOC_CLASSES, voc_colormap
from fcn_core.overlay import (
    blend_overlay,
    iter_upsampled,
    label_image,
    labels_at,
    overlay_rgba,
    probability_at,
    probability_image,
    save_png,
)
from fcn_core.segmentation import Segmentation
from tests.sticker_helpers import torch_bilinear

PERSON = 15


def random_segmentation(working: tuple[int, int], photo: tuple[int, int], seed: int = 0) -> Segmentation:
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(VOC_CLASSES.num_classes, *working)).astype(np.float32) * 3
    probs = np.exp(logits) / np.exp(logits).sum(axis=0, keepdims=True)
    image = rng.integers(0, 256, size=(*working, 3), dtype=np.uint8)
    return Segmentation(probs.astype(np.float32), image, VOC_CLASSES, "stub", photo)


@pytest.mark.parametrize("working,photo", [((6, 8), (17, 23)), ((9, 5), (9, 5)), ((4, 7), (3, 2)), ((1, 1), (5, 4))])
def test_strip_upsampling_equals_torch_bilinear(working: tuple[int, int], photo: tuple[int, int]) -> None:
    seg = random_segmentation(working, photo)
    expected = torch_bilinear(seg.probabilities, photo)
    # A strip budget of a few rows forces many strips.
    pieces = list(iter_upsampled(seg.probabilities, photo, max_strip_bytes=4 * 21 * photo[1] * 2))
    assert len(pieces) == -(-photo[0] // 2)
    assembled = np.concatenate([strip for _, strip in pieces], axis=1)
    np.testing.assert_allclose(assembled, expected, atol=1e-5)
    np.testing.assert_array_equal(labels_at(seg), expected.argmax(axis=0))
    np.testing.assert_allclose(probability_at(seg, PERSON), expected[PERSON], atol=1e-5)


def test_overlay_paints_classes_and_leaves_background() -> None:
    pixels = np.full((2, 3, 3), 100, dtype=np.uint8)
    labels = np.array([[0, PERSON, PERSON], [0, 0, 1]], dtype=np.uint8)
    blended = blend_overlay(pixels, labels, VOC_CLASSES, opacity=0.5)
    colors = voc_colormap(256)
    np.testing.assert_array_equal(blended[labels == 0], pixels[labels == 0])
    np.testing.assert_array_equal(blended[0, 1], np.rint((100 + colors[PERSON].astype(float)) / 2))
    np.testing.assert_array_equal(blended[1, 2], np.rint((100 + colors[1].astype(float)) / 2))
    layer = overlay_rgba(labels, VOC_CLASSES)
    np.testing.assert_array_equal(layer[..., 3], np.where(labels == 0, 0, 255))
    np.testing.assert_array_equal(layer[0, 1, :3], colors[PERSON])


def test_overlay_rejects_mismatched_sizes() -> None:
    with pytest.raises(ValueError, match="differ in size"):
        blend_overlay(np.zeros((2, 2, 3), np.uint8), np.zeros((3, 2), np.uint8), VOC_CLASSES)


def test_label_png_is_a_voc_palette_png(tmp_path: Path) -> None:
    labels = np.array([[0, 1, 15], [20, 255, 7]], dtype=np.uint8)
    path = save_png(label_image(labels), tmp_path / "labels.png")
    with Image.open(path) as reread:
        assert reread.mode == "P"
        np.testing.assert_array_equal(np.asarray(reread), labels)
        palette = np.array(reread.getpalette()[: 256 * 3], dtype=np.uint8).reshape(256, 3)
    np.testing.assert_array_equal(palette, voc_colormap(256))
    assert tuple(palette[PERSON]) == (192, 128, 128)  # the VOC devkit's colour for "person"


def test_probability_png_levels(tmp_path: Path) -> None:
    probability = np.array([[0.0, 0.5], [1.0, 0.25]], dtype=np.float32)
    path = save_png(probability_image(probability), tmp_path / "p.png")
    with Image.open(path) as reread:
        assert reread.mode == "L"
        np.testing.assert_array_equal(np.asarray(reread), [[0, 128], [255, 64]])


def test_save_png_leaves_nothing_when_encoding_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.png"
    target.write_bytes(b"previous")

    def broken_save(self: Image.Image, fp: BinaryIO, *args: object, **kwargs: object) -> None:
        fp.write(b"half a png")
        raise KeyboardInterrupt

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(KeyboardInterrupt):
        save_png(probability_image(np.zeros((2, 2), np.float32)), target)
    assert target.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]
