"""Dataset readers against tiny VOC, SBD, folder and ADE20K trees written here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.io import savemat

from fcn_core.classes import ADE20K_CLASSES, VOC_CLASSES, voc_colormap
from fcn_core.training.data import (
    DatasetError,
    ade20k_dataset,
    folder_dataset,
    open_dataset,
    read_class_names,
    sbd_segmentation,
    voc_segmentation,
    voc_train_aug,
)


def label_map(seed: int, shape: tuple[int, int] = (12, 16), num_classes: int = 21) -> np.ndarray:
    """Random labels with a void (255) border, like VOC's object outlines."""
    labels = np.random.default_rng(seed).integers(0, num_classes, size=shape).astype(np.uint8)
    labels[0, :] = 255
    return labels


def photo(seed: int, shape: tuple[int, int] = (12, 16)) -> np.ndarray:
    """A smooth colour gradient (survives JPEG nearly unchanged), different for each seed."""
    start, slope = np.random.default_rng(1000 + seed).uniform((40, 40, 40, -3, -3, -3), (200, 200, 200, 3, 3, 3)).reshape(2, 3)
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    return np.clip(start + slope * (rows + cols)[..., None], 0, 255).astype(np.uint8)


def save_palette_png(path: Path, labels: np.ndarray) -> None:
    """A VOC-style mask: mode P, pixel values = labels, the VOC palette to colour them."""
    image = Image.fromarray(labels, mode="P")
    image.putpalette(voc_colormap(256).reshape(-1).tolist())
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


def save_jpeg(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, quality=95)


def make_voc(root: Path, splits: dict[str, list[str]]) -> Path:
    voc = root / "VOCdevkit" / "VOC2012"
    lists = voc / "ImageSets" / "Segmentation"
    lists.mkdir(parents=True)
    for split, names in splits.items():
        (lists / f"{split}.txt").write_text("".join(f"{name}\n" for name in names))
        for name in names:
            seed = int(name.split("_")[1])
            save_jpeg(voc / "JPEGImages" / f"{name}.jpg", photo(seed))
            save_palette_png(voc / "SegmentationClass" / f"{name}.png", label_map(seed))
    return voc


def make_sbd(root: Path, splits: dict[str, list[str]]) -> Path:
    dataset = root / "benchmark_RELEASE" / "dataset"
    (dataset / "cls").mkdir(parents=True)
    for split, names in splits.items():
        (dataset / f"{split}.txt").write_text("".join(f"{name}\n" for name in names))
        for name in names:
            seed = int(name.split("_")[1])
            save_jpeg(dataset / "img" / f"{name}.jpg", photo(seed))
            labels = label_map(seed + 500)
            labels[labels == 255] = 0  # SBD has no void label
            savemat(
                dataset / "cls" / f"{name}.mat",
                {
                    "GTcls": {
                        "Segmentation": labels,
                        "Boundaries": np.zeros((20, 1), dtype=object),
                        "CategoriesPresent": np.array([1]),
                    }
                },
            )
    return dataset


def test_voc_reads_palette_indices_not_colours(tmp_path: Path) -> None:
    voc = make_voc(tmp_path, {"train": ["2007_000001", "2007_000002"], "val": ["2007_000003"]})
    train = voc_segmentation(tmp_path, "train")
    assert len(train) == 2 and train.classes == VOC_CLASSES and train.name == "voc2012-train"
    image, mask = train[1]
    assert image.shape == (12, 16, 3) and image.dtype == np.uint8
    np.testing.assert_array_equal(mask, label_map(2))
    assert np.abs(image.astype(int) - photo(2)).mean() < 4  # JPEG, so close rather than equal
    assert np.abs(image.astype(int) - photo(1)).mean() > 20
    assert train.images[0].stem == "2007_000001"
    for root in (voc, voc.parent):  # VOC2012 itself or VOCdevkit work too
        assert voc_segmentation(root, "val").images[0].stem == "2007_000003"


def test_voc_refuses_colour_masks(tmp_path: Path) -> None:
    voc = make_voc(tmp_path, {"train": ["2007_000001"]})
    mask_path = voc / "SegmentationClass" / "2007_000001.png"
    Image.open(mask_path).convert("RGB").save(mask_path)
    with pytest.raises(DatasetError, match="mode RGB"):
        voc_segmentation(tmp_path, "train")[0]


def test_missing_voc_names_the_expected_layout(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="VOCdevkit/VOC2012/ImageSets/Segmentation"):
        voc_segmentation(tmp_path, "train")


def test_sbd_reads_gtcls_segmentation(tmp_path: Path) -> None:
    dataset = make_sbd(tmp_path, {"train": ["2008_000010", "2008_000011"], "val": ["2008_000012"]})
    train = sbd_segmentation(dataset, "train")
    assert len(train) == 2
    image, mask = train[0]
    expected = label_map(510)
    expected[expected == 255] = 0
    np.testing.assert_array_equal(mask, expected)
    assert image.shape == (12, 16, 3)
    assert sbd_segmentation(dataset.parent, "val").images[0].stem == "2008_000012"  # benchmark_RELEASE works too


def test_train_aug_is_voc_train_plus_sbd_minus_voc_val(tmp_path: Path) -> None:
    make_voc(tmp_path / "voc", {"train": ["2007_000001", "2007_000002"], "val": ["2007_000003"]})
    sbd = make_sbd(tmp_path / "sbd", {"train": ["2007_000002", "2007_000003", "2008_000004"], "val": ["2008_000005"]})
    aug = voc_train_aug(tmp_path / "voc", sbd)
    ids = [aug.images[i].stem for i in range(len(aug))]
    assert ids == ["2007_000001", "2007_000002", "2008_000004", "2008_000005"]  # no VOC val image, no duplicate
    assert aug.masks[1].suffix == ".png"  # VOC's own mask where VOC has one
    assert aug.masks[2].suffix == ".mat"
    np.testing.assert_array_equal(aug[1][1], label_map(2))


def write_folder(root: Path, names: list[str], classes: list[str], split: str | None = "train") -> Path:
    image_dir = root / "images" / (split or "")
    mask_dir = root / "masks" / (split or "")
    image_dir.mkdir(parents=True)
    mask_dir.mkdir(parents=True)
    for index, name in enumerate(names):
        Image.fromarray(photo(index)).save(image_dir / f"{name}.png")
        Image.fromarray(label_map(index, num_classes=len(classes)), mode="L").save(mask_dir / f"{name}.png")
    (root / "classes.txt").write_text("\n".join(classes) + "\n")
    return root


def test_folder_dataset_pairs_images_with_masks_and_reads_class_names(tmp_path: Path) -> None:
    root = write_folder(tmp_path / "shapes", ["b", "a"], ["sky", "tree", "house"])
    dataset = folder_dataset(root, "train")
    assert dataset.classes.names == ("sky", "tree", "house") and dataset.name == "shapes-train"
    assert [dataset.images[i].stem for i in range(len(dataset))] == ["a", "b"]
    image, mask = dataset[0]
    np.testing.assert_array_equal(image, photo(1))  # PNG: exact
    np.testing.assert_array_equal(mask, label_map(1, num_classes=3))


def test_folder_dataset_without_splits(tmp_path: Path) -> None:
    root = write_folder(tmp_path / "flat", ["x"], ["a", "b"], split=None)
    assert len(open_dataset("folder", root, "")) == 1


def test_folder_dataset_reports_a_missing_mask(tmp_path: Path) -> None:
    root = write_folder(tmp_path / "d", ["a", "b"], ["x", "y"])
    (root / "masks" / "train" / "b.png").unlink()
    with pytest.raises(DatasetError, match="no mask"):
        folder_dataset(root, "train")


def test_label_beyond_the_class_list_is_an_error(tmp_path: Path) -> None:
    root = write_folder(tmp_path / "d", ["a"], ["x", "y", "z"])
    (root / "classes.txt").write_text("x\ny\n")
    with pytest.raises(DatasetError, match="outside 0..1"):
        folder_dataset(root, "train")[0]


def test_mask_of_another_size_is_an_error(tmp_path: Path) -> None:
    root = write_folder(tmp_path / "d", ["a"], ["x", "y"])
    Image.fromarray(np.zeros((5, 5), np.uint8), mode="L").save(root / "masks" / "train" / "a.png")
    with pytest.raises(DatasetError, match="5×5"):
        folder_dataset(root, "train")[0]


def test_class_list_rules(tmp_path: Path) -> None:
    path = tmp_path / "classes.txt"
    path.write_text("a\n\nb\n")
    with pytest.raises(DatasetError, match="one non-empty"):
        read_class_names(path)
    path.write_text("a\nb\n\n")
    assert read_class_names(path) == ("a", "b")


def test_ade20k_layout(tmp_path: Path) -> None:
    root = tmp_path / "ADEChallengeData2016"
    (root / "images" / "validation").mkdir(parents=True)
    (root / "annotations" / "validation").mkdir(parents=True)
    Image.fromarray(photo(0)).save(root / "images" / "validation" / "ADE_val_00000001.jpg")
    labels = label_map(0, num_classes=151)
    Image.fromarray(labels, mode="L").save(root / "annotations" / "validation" / "ADE_val_00000001.png")
    dataset = ade20k_dataset(root, "validation")
    assert dataset.classes == ADE20K_CLASSES and dataset.classes.names[0] == "other"
    np.testing.assert_array_equal(dataset[0][1], labels)


def test_open_dataset_voc_aug_validates_on_voc_val(tmp_path: Path) -> None:
    make_voc(tmp_path / "voc", {"train": ["2007_000001"], "val": ["2007_000003"]})
    assert open_dataset("voc-aug", tmp_path / "voc", "val").name == "voc2012-val"
    with pytest.raises(DatasetError, match="SBD"):
        open_dataset("voc-aug", tmp_path / "voc", "train")
    with pytest.raises(DatasetError, match="unknown dataset kind"):
        open_dataset("coco", tmp_path, "train")
