"""load_photo and Photo (DESIGN §2, §11): every mode becomes upright RGB uint8, huge photos are
reduced while decoding, and every bad file becomes a PhotoError naming the file and the reason."""

from __future__ import annotations

import errno
import io
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, features

from fcn_core import photo as photo_module
from fcn_core.photo import (
    HEIF_INSTALL_HINT,
    IMAGE_SUFFIXES,
    MAX_PHOTO_PIXELS,
    Photo,
    PhotoError,
    load_photo,
    photo_from_array,
)
from tests.fault_helpers import as_ordinary_user
from tests.photo_helpers import (
    QUADRANT_COLOURS,
    quadrant_means,
    quadrants,
    save_with_orientation,
    write_bmp_with_bit_depth,
    write_png_header_only,
    write_png_rgb16,
)

JPEG = {"quality": 95, "subsampling": 0}  # no chroma subsampling: colour blocks stay sharp
JPEG_TOLERANCE = 12  # per-channel error of a mean over a flat JPEG block


def save(tmp_path: Path, name: str, image: Image.Image, **options: object) -> Path:
    path = tmp_path / name
    image.save(path, **options)
    return path


# --- modes --------------------------------------------------------------------------------------


def test_rgb_png_round_trips_exactly(tmp_path: Path) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (7, 5, 3), dtype=np.uint8)
    photo = load_photo(save(tmp_path, "rgb.png", Image.fromarray(pixels)))
    assert photo.pixels.dtype == np.uint8
    np.testing.assert_array_equal(photo.pixels, pixels)
    assert photo.size == (7, 5) and photo.original_size == (7, 5)
    assert photo.path == tmp_path / "rgb.png"
    assert not photo.pixels.flags.writeable


@pytest.mark.parametrize(
    ("suffix", "options"),
    [(".jpg", JPEG), (".jpeg", JPEG), (".png", {}), (".bmp", {}), (".tif", {}),
     (".tiff", {}), (".gif", {}), (".webp", {"lossless": True})],
)
def test_every_batch_suffix_pillow_writes_loads(tmp_path: Path, suffix: str, options: dict[str, object]) -> None:
    if suffix == ".webp" and not features.check("webp"):
        pytest.skip("Pillow built without WebP")
    assert suffix in IMAGE_SUFFIXES
    pixels = quadrants(16, 24)
    photo = load_photo(save(tmp_path, f"photo{suffix}", Image.fromarray(pixels), **options))
    assert photo.size == (16, 24)
    np.testing.assert_allclose(quadrant_means(photo.pixels), QUADRANT_COLOURS, atol=JPEG_TOLERANCE)


def test_grayscale_becomes_equal_rgb_channels(tmp_path: Path) -> None:
    grey = np.array([[0, 77, 255]], dtype=np.uint8)
    photo = load_photo(save(tmp_path, "grey.png", Image.fromarray(grey, "L")))
    np.testing.assert_array_equal(photo.pixels, np.repeat(grey[:, :, None], 3, axis=2))


def test_16_bit_grey_png_is_scaled_not_clipped(tmp_path: Path) -> None:
    values = np.array([[0, 1000, 25700, 32896, 65535]], dtype=np.uint16)
    path = save(tmp_path, "grey16.png", Image.fromarray(values))
    assert Image.open(path).mode.startswith("I")  # the file really is 16-bit
    pixels = load_photo(path).pixels
    np.testing.assert_array_equal(pixels[0, :, 0], np.rint(values[0] / 257).astype(np.uint8))
    np.testing.assert_array_equal(pixels[0, :, 0], pixels[0, :, 2])


def test_16_bit_rgb_png_keeps_colours(tmp_path: Path) -> None:
    levels = np.array([[[257 * 10, 257 * 200, 65535], [0, 257 * 128, 257 * 3]]], dtype=np.uint16)
    pixels = load_photo(write_png_rgb16(tmp_path / "rgb16.png", levels)).pixels
    np.testing.assert_array_equal(pixels, levels // 257)


def test_32_bit_integer_tiff_is_read_as_16_bit_range(tmp_path: Path) -> None:
    values = np.array([[0, 25700, 65535, 70000, -5]], dtype=np.int32)
    path = save(tmp_path, "int32.tif", Image.fromarray(values, "I"))
    np.testing.assert_array_equal(load_photo(path).pixels[0, :, 1], [0, 100, 255, 255, 0])


@pytest.mark.parametrize(
    ("values", "expected"),
    [([0.0, 0.5, 1.0], [0, 128, 255]), ([0.0, 100.4, 300.0], [0, 100, 255])],
    ids=["unit-range", "0-255-range"],
)
def test_float_tiff(tmp_path: Path, values: list[float], expected: list[int]) -> None:
    path = save(tmp_path, "float.tif", Image.fromarray(np.array([values], dtype=np.float32), "F"))
    np.testing.assert_array_equal(load_photo(path).pixels[0, :, 0], expected)


def test_palette_transparency_is_composited_on_white(tmp_path: Path) -> None:
    image = Image.new("P", (4, 2))
    image.putpalette([255, 0, 0, 0, 128, 0] + [0] * 762)  # index 0 red (transparent), 1 green
    image.putdata([0, 1, 0, 1, 1, 0, 1, 0])
    path = save(tmp_path, "palette.png", image, transparency=0)
    pixels = load_photo(path).pixels
    index = np.array(image).astype(bool)
    np.testing.assert_array_equal(pixels[~index], np.full((4, 3), 255))
    np.testing.assert_array_equal(pixels[index], np.tile([0, 128, 0], (4, 1)))


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_alpha_is_composited_on_white(tmp_path: Path, mode: str) -> None:
    rgba = np.array([[[0, 0, 0, 0], [0, 0, 0, 255], [0, 0, 0, 128]]], dtype=np.uint8)
    image = Image.fromarray(rgba, "RGBA").convert(mode)
    pixels = load_photo(save(tmp_path, f"{mode}.png", image)).pixels
    np.testing.assert_array_equal(pixels[0, 0], [255, 255, 255])
    np.testing.assert_array_equal(pixels[0, 1], [0, 0, 0])
    np.testing.assert_allclose(pixels[0, 2], [127, 127, 127], atol=1)


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path) -> None:
    path = save(tmp_path, "cmyk.jpg", Image.new("CMYK", (16, 16), (0, 255, 255, 0)), **JPEG)
    assert Image.open(path).mode == "CMYK"
    pixels = load_photo(path).pixels
    np.testing.assert_allclose(pixels.reshape(-1, 3).mean(axis=0), [255, 0, 0], atol=JPEG_TOLERANCE)


def test_exif_orientation_6_rotates_clockwise(tmp_path: Path) -> None:
    stored = quadrants(32, 48)
    path = save_with_orientation(tmp_path / "rotated.jpg", stored, 6, **JPEG)
    photo = load_photo(path)
    assert photo.size == (48, 32) and photo.original_size == (48, 32)
    upright = np.rot90(QUADRANT_COLOURS, k=-1)  # orientation 6: the stored picture turned 90° clockwise
    np.testing.assert_allclose(quadrant_means(photo.pixels), upright, atol=JPEG_TOLERANCE)
    with Image.open(path) as raw:
        np.testing.assert_array_equal(photo.pixels, np.rot90(np.asarray(raw.convert("RGB")), k=-1))


def test_orientation_and_reduction_together_keep_original_size_upright(tmp_path: Path) -> None:
    path = save_with_orientation(tmp_path / "rotated.png", quadrants(32, 64), 6)
    photo = load_photo(path, max_decode_side=16)
    assert photo.original_size == (64, 32)
    assert photo.size == (16, 8)
    np.testing.assert_array_equal(quadrant_means(photo.pixels), np.rot90(QUADRANT_COLOURS, k=-1))


@pytest.mark.parametrize("size", [(1, 1), (1, 3), (2, 1)])
@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_tiny_images(tmp_path: Path, size: tuple[int, int], suffix: str) -> None:
    height, width = size
    pixels = np.full((height, width, 3), 200, dtype=np.uint8)
    photo = load_photo(save(tmp_path, f"tiny{suffix}", Image.fromarray(pixels)))
    assert photo.pixels.shape == (height, width, 3)
    np.testing.assert_allclose(photo.pixels, pixels, atol=2)


def test_non_ascii_path(tmp_path: Path) -> None:
    folder = tmp_path / "Фотографии 写真"
    folder.mkdir()
    pixels = quadrants(8, 8)
    photo = load_photo(save(folder, "фото_日本.png", Image.fromarray(pixels)))
    np.testing.assert_array_equal(photo.pixels, pixels)
    assert photo.path is not None and photo.path.name == "фото_日本.png"


# --- huge photos ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def twelve_megapixel_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "12mp.jpg"
    Image.fromarray(quadrants(3000, 4000)).save(path, **JPEG)
    return path


def test_big_jpeg_is_reduced_by_the_decoder(twelve_megapixel_jpeg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_size_reduce(*args: object, **kwargs: object) -> None:
        raise AssertionError("the JPEG was decoded at full size and reduced afterwards")

    monkeypatch.setattr(Image.Image, "reduce", full_size_reduce)
    photo = load_photo(twelve_megapixel_jpeg, max_decode_side=1000)
    assert photo.size == (750, 1000)  # the decoder's 1/4 scale, nothing else
    assert photo.original_size == (3000, 4000)
    np.testing.assert_allclose(quadrant_means(photo.pixels), QUADRANT_COLOURS, atol=JPEG_TOLERANCE)


def test_big_jpeg_reduced_further_when_decoder_scale_is_not_enough(twelve_megapixel_jpeg: Path) -> None:
    photo = load_photo(twelve_megapixel_jpeg, max_decode_side=600)
    assert max(photo.size) <= 600
    assert photo.size == (375, 500)
    assert photo.original_size == (3000, 4000)


def test_other_formats_are_reduced_after_decoding(tmp_path: Path) -> None:
    path = save(tmp_path, "wide.png", Image.fromarray(quadrants(40, 96)))
    photo = load_photo(path, max_decode_side=30)  # 96 / 30 -> reduced 4 times
    assert photo.size == (10, 24) and photo.original_size == (40, 96)
    np.testing.assert_array_equal(quadrant_means(photo.pixels), QUADRANT_COLOURS)


def test_max_decode_side_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_decode_side"):
        load_photo(save(tmp_path, "a.png", Image.new("RGB", (2, 2))), max_decode_side=0)


# --- decompression bombs -------------------------------------------------------------------------


def test_bomb_header_is_refused_without_decoding(tmp_path: Path) -> None:
    path = write_png_header_only(tmp_path / "bomb.png", 100_000, 100_000)
    pillow_limit = Image.MAX_IMAGE_PIXELS
    with pytest.raises(PhotoError) as caught:
        load_photo(path)
    message = str(caught.value)
    assert "bomb.png" in message and "10000.0 megapixels" in message
    assert f"{MAX_PHOTO_PIXELS / 1e6:.1f} megapixels" in message
    assert pillow_limit == Image.MAX_IMAGE_PIXELS


def test_bomb_check_does_not_depend_on_pillows_global(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # another library switched Pillow's check off
    path = write_png_header_only(tmp_path / "bomb.png", 100_000, 100_000)
    with pytest.raises(PhotoError, match=r"100000×100000 pixels, 10000\.0 megapixels"):
        load_photo(path)


def test_max_pixels_is_the_limit(tmp_path: Path) -> None:
    path = save(tmp_path, "small.png", Image.new("RGB", (20, 20)))
    assert load_photo(path, max_pixels=400).size == (20, 20)
    with pytest.raises(PhotoError, match=r"0\.0 megapixels; the limit is 0\.0 megapixels"):
        load_photo(path, max_pixels=399)


def test_pillows_warning_does_not_override_our_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 300)  # Pillow warns above 300, refuses above 600
    path = save(tmp_path, "small.png", Image.new("RGB", (20, 20)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        filters_before = list(warnings.filters)
        assert load_photo(path).size == (20, 20)
        assert warnings.filters == filters_before  # load_photo's own filter did not leak
    with pytest.warns(Image.DecompressionBombWarning):  # and Pillow still warns for everyone else
        Image.open(path).close()


def test_pillows_refusal_becomes_photo_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 150)
    path = save(tmp_path, "small.png", Image.new("RGB", (20, 20)))
    with pytest.raises(PhotoError, match=r"small\.png.*too large.*megapixels"):
        load_photo(path)


# --- bad files -----------------------------------------------------------------------------------


def jpeg_bytes(tmp_path: Path) -> bytes:
    noise = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    return save(tmp_path, "full.jpg", Image.fromarray(noise), quality=90).read_bytes()


@pytest.mark.parametrize("kept", [0.5, 0.9])
def test_truncated_jpeg_is_an_error_not_a_grey_image(tmp_path: Path, kept: float) -> None:
    data = jpeg_bytes(tmp_path)
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: int(len(data) * kept)])
    with pytest.raises(PhotoError, match=r"cut\.jpg.*incomplete or damaged"):
        load_photo(path)


def test_truncated_png_is_an_error(tmp_path: Path) -> None:
    noise = np.random.default_rng(2).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = save(tmp_path, "full.png", Image.fromarray(noise)).read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(PhotoError, match=r"cut\.png.*incomplete or damaged"):
        load_photo(path)


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty"), (b"shopping list: milk, eggs\n", "not an image"), (b"\x89PNG\r\n\x1a\nrubbish", "not an image")],
    ids=["zero-bytes", "text", "broken-png-header"],
)
def test_files_that_are_not_images(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(content)
    with pytest.raises(PhotoError, match=reason) as caught:
        load_photo(path)
    assert str(path) in str(caught.value)
    assert caught.value.path == path


def test_header_pillow_refuses(tmp_path: Path) -> None:
    path = write_bmp_with_bit_depth(tmp_path / "odd.bmp", 7)
    with pytest.raises(PhotoError, match=r"odd\.bmp.*first bytes are damaged"):
        load_photo(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PhotoError, match=r"nothing\.jpg.*does not exist"):
        load_photo(tmp_path / "nothing.jpg")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "album.jpg"
    folder.mkdir()
    with pytest.raises(PhotoError, match=r"album\.jpg.*folder"):
        load_photo(folder)


def test_unreadable_file(tmp_path: Path) -> None:
    """Runs as root too (issue #12 item 22): the read happens as an ordinary user."""
    path = save(tmp_path, "secret.png", Image.new("RGB", (2, 2)))
    path.chmod(0)
    try:
        with as_ordinary_user(tmp_path), pytest.raises(PhotoError, match=r"secret\.png.*permission denied"):
            load_photo(path)
    finally:
        path.chmod(0o600)


def test_a_path_through_a_file_cannot_be_opened_by_anyone(tmp_path: Path) -> None:
    """'photo.jpg/inside.jpg': no user, root included, can open it."""
    photo = save(tmp_path, "photo.jpg", Image.new("RGB", (2, 2)))
    with pytest.raises(PhotoError, match=r"inside\.jpg.*photo\.jpg is a file, not a folder"):
        load_photo(photo / "inside.jpg")


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux's /proc")
def test_a_file_that_opens_but_cannot_be_read(tmp_path: Path) -> None:
    """/proc/self/mem opens for anyone but reading its start fails (EIO), even for root."""
    with pytest.raises(PhotoError, match=r"mem.*cannot be read"):
        load_photo(Path("/proc/self/mem"))


def test_permission_error_from_the_os_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = save(tmp_path, "secret.png", Image.new("RGB", (2, 2)))

    def denied(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(PhotoError, match=r"secret\.png.*permission denied"):
        load_photo(path)


def test_other_os_errors_are_explained(tmp_path: Path) -> None:
    with pytest.raises(PhotoError, match=r"cannot be read \(File name too long\)"):
        load_photo(tmp_path / ("long" * 100 + ".jpg"))


def test_read_error_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = save(tmp_path, "on_a_failing_disk.png", Image.new("RGB", (2, 2)))

    class FailingFile(io.BytesIO):
        def read(self, *args: object) -> bytes:
            raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(Path, "open", lambda self, *args, **kwargs: FailingFile())
    with pytest.raises(PhotoError, match=r"on_a_failing_disk\.png.*cannot be read \(Input/output error\)"):
        load_photo(path)


def test_photo_error_is_a_value_error_with_path_and_reason(tmp_path: Path) -> None:
    error = PhotoError(tmp_path / "x.png", "the file is empty (0 bytes)")
    assert isinstance(error, ValueError)
    assert str(error) == f"Cannot open '{tmp_path / 'x.png'}': the file is empty (0 bytes)"


# --- HEIC ------------------------------------------------------------------------------------------

HEIC_HEADER = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
AVIF_HEADER = b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00mif1avif"


def test_heic_without_plugin_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pillow_heif", None)  # import fails as if not installed
    monkeypatch.setattr(photo_module, "_heif_opener_registered", False)
    path = tmp_path / "IMG_0001.HEIC"
    path.write_bytes(HEIC_HEADER + b"\x00" * 64)
    with pytest.raises(PhotoError, match=r"IMG_0001\.HEIC.*HEIC") as caught:
        load_photo(path)
    assert HEIF_INSTALL_HINT in str(caught.value)
    assert "pip install 'fcn-sticker-studio[heic]'" in HEIF_INSTALL_HINT


def test_avif_container_does_not_ask_for_the_heic_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pillow_heif", None)
    monkeypatch.setattr(photo_module, "_heif_opener_registered", False)
    path = tmp_path / "broken.avif"
    path.write_bytes(AVIF_HEADER + b"\x00" * 64)
    with pytest.raises(PhotoError) as caught:
        load_photo(path)
    assert "pillow-heif" not in str(caught.value)


def test_jpeg_named_heic_loads_by_content(tmp_path: Path) -> None:
    path = save(tmp_path, "exported.heic", Image.fromarray(quadrants(8, 8)), format="JPEG")
    assert load_photo(path).size == (8, 8)


def test_heic_with_plugin(tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif", reason="optional extra [heic] not installed")
    path = tmp_path / "IMG_0002.heic"
    pillow_heif.from_pillow(Image.fromarray(quadrants(32, 48))).save(str(path), quality=95)
    assert path.read_bytes()[4:12] == b"ftypheic"
    photo = load_photo(path)
    assert photo.size == (32, 48)
    np.testing.assert_allclose(quadrant_means(photo.pixels), QUADRANT_COLOURS, atol=JPEG_TOLERANCE)


# --- Photo values ------------------------------------------------------------------------------------


def test_photo_from_array_copies_and_freezes() -> None:
    pixels = quadrants(4, 6)
    photo = photo_from_array(pixels, Path("pasted.png"))
    pixels[:] = 0
    np.testing.assert_array_equal(photo.pixels, quadrants(4, 6))
    assert photo.size == photo.original_size == (4, 6)
    assert photo.path == Path("pasted.png")
    with pytest.raises(ValueError):
        photo.pixels[0, 0, 0] = 1


def test_photo_from_array_grey_and_rgba() -> None:
    grey = photo_from_array(np.array([[9, 250]], dtype=np.uint8))
    np.testing.assert_array_equal(grey.pixels, [[[9, 9, 9], [250, 250, 250]]])
    rgba = photo_from_array(np.array([[[10, 20, 30, 0], [10, 20, 30, 255]]], dtype=np.uint8))
    np.testing.assert_array_equal(rgba.pixels, [[[255, 255, 255], [10, 20, 30]]])


@pytest.mark.parametrize(
    "pixels",
    [np.zeros((4, 4, 3), np.float32), np.zeros((4, 4, 2), np.uint8), np.zeros((0, 4, 3), np.uint8)],
    ids=["float", "two-channels", "empty"],
)
def test_photo_from_array_rejects_bad_arrays(pixels: np.ndarray) -> None:
    with pytest.raises(ValueError, match="photo"):
        photo_from_array(pixels)


def test_photo_checks_its_pixels() -> None:
    with pytest.raises(ValueError, match="H×W×3 uint8"):
        Photo(np.zeros((4, 4), np.uint8), None, (4, 4))


LIBRARY_WORDS = ("Pillow", "PIL", "miniz", "PytorchStreamReader", "image file is truncated", "cannot identify image file")
"""Names and phrases of the libraries underneath: a user cannot act on them (issue #12 item 7)."""


@pytest.mark.parametrize(
    ("name", "content", "plain"),
    [
        ("text.jpg", b"these are my holiday notes, not a photo\n" * 20, "not an image"),
        ("half.png", b"png", "cut short"),
        ("half.jpg", b"jpg", "cut short"),
        ("header.gif", b"GIF89a" + b"\x00" * 20, "not an image"),
    ],
)
def test_broken_photo_messages_are_plain_words(tmp_path: Path, name: str, content: bytes, plain: str) -> None:
    if content in (b"png", b"jpg"):
        noise = np.random.default_rng(2).integers(0, 256, (64, 64, 3), dtype=np.uint8)
        full = save(tmp_path, f"full.{content.decode()}", Image.fromarray(noise)).read_bytes()
        content = full[: len(full) // 2]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(PhotoError) as raised:
        load_photo(path)
    message = str(raised.value)
    assert name in message and plain in message
    assert not [word for word in LIBRARY_WORDS if word in message], message


def test_transparency_travels_with_the_photo(tmp_path: Path) -> None:
    """Issue #12 item 11: the network sees the photo on white, the sticker needs the alpha."""
    rgba = np.zeros((6, 8, 4), dtype=np.uint8)
    rgba[..., :3] = 90
    rgba[..., 3] = 255
    rgba[2:4, 3:6, 3] = 0
    rgba[0, 0, 3] = 100
    loaded = load_photo(save(tmp_path, "cut-out.png", Image.fromarray(rgba, "RGBA")))
    assert loaded.alpha is not None
    np.testing.assert_array_equal(loaded.alpha, rgba[..., 3])
    assert (loaded.pixels[2:4, 3:6] == 255).all()  # what the network sees: the photo on white


def test_opaque_photos_carry_no_alpha(tmp_path: Path) -> None:
    opaque = np.full((4, 4, 4), 255, dtype=np.uint8)
    assert load_photo(save(tmp_path, "opaque.png", Image.fromarray(opaque, "RGBA"))).alpha is None
    assert load_photo(save(tmp_path, "rgb.png", Image.new("RGB", (4, 4)))).alpha is None


def test_photo_from_rgba_array_keeps_the_alpha() -> None:
    rgba = np.full((3, 5, 4), 200, dtype=np.uint8)
    rgba[1, 2, 3] = 0
    made = photo_from_array(rgba)
    assert made.alpha is not None and made.alpha[1, 2] == 0 and made.alpha.sum() == 200 * 14
