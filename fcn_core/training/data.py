"""Segmentation datasets on disk: PASCAL VOC 2012, SBD "train_aug", and a plain folder format.

Every reader is a list of (image file, mask file) pairs plus the class set; indexing returns
``(image, mask)``: an ``H×W×3`` uint8 RGB array and an ``H×W`` uint8 label map where 255 means
"ignore". Files are read as stored — no EXIF rotation, because the masks were drawn on the
stored pixels.

Masks are *index* images. VOC's ``SegmentationClass`` PNGs are palette images whose pixel values
already are the class indices (the palette only colours them); converting them to RGB and
matching colours back is slow and breaks on anti-aliased edits, so a mask that is not a
single-channel (palette or greyscale) image is refused with a message instead of guessed at.

The VOC and SBD file lists come from torchvision's dataset classes (which can also download the
archives); we read the files ourselves to enforce the rules above.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from fcn_core.classes import ADE20K_CLASSES, VOC_CLASSES, VOID_LABEL, ClassSet
from fcn_core.photo import IMAGE_SUFFIXES
from fcn_core.training.errors import DatasetError

MASK_IMAGE_MODES = frozenset({"P", "L"})


@dataclass(frozen=True)
class SegmentationDataset:
    """Image/mask pairs with their class set. Picklable, so DataLoader workers can share it."""

    name: str
    classes: ClassSet
    images: tuple[Path, ...]
    masks: tuple[Path, ...]

    def __post_init__(self) -> None:
        if len(self.images) != len(self.masks):
            raise ValueError(f"{self.name}: {len(self.images)} images but {len(self.masks)} masks")

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        image = read_image(self.images[index])
        mask = read_mask(self.masks[index], self.classes.num_classes)
        if image.shape[:2] != mask.shape:
            raise DatasetError(
                f"{self.masks[index]}: mask is {mask.shape[1]}×{mask.shape[0]} but its image "
                f"{self.images[index].name} is {image.shape[1]}×{image.shape[0]}"
            )
        return image, mask


def read_image(path: Path) -> np.ndarray:
    """An RGB uint8 array of the stored pixels (no EXIF rotation: masks match the stored layout)."""
    try:
        with Image.open(path) as image:
            return np.array(image.convert("RGB"))
    except (OSError, ValueError) as error:
        raise DatasetError(f"{path}: cannot read image ({error})") from error


def read_mask(path: Path, num_classes: int) -> np.ndarray:
    """The label map of a palette/greyscale PNG or an SBD ``.mat`` file, checked against the class count."""
    if path.suffix.lower() == ".mat":
        mask = _read_sbd_mat(path)
    else:
        try:
            with Image.open(path) as image:
                if image.mode not in MASK_IMAGE_MODES:
                    raise DatasetError(
                        f"{path}: mask has mode {image.mode}; masks must be index images (palette 'P' or "
                        "greyscale 'L', pixel value = class index, 255 = ignore), not colour pictures"
                    )
                mask = np.array(image)
        except OSError as error:
            raise DatasetError(f"{path}: cannot read mask ({error})") from error
    bad = (mask >= num_classes) & (mask != VOID_LABEL)
    if bad.any():
        raise DatasetError(
            f"{path}: label {int(mask[bad].max())} is outside 0..{num_classes - 1} (and is not 255 = ignore)"
        )
    return mask.astype(np.uint8, copy=False)


def _read_sbd_mat(path: Path) -> np.ndarray:
    """SBD's class mask: ``GTcls.Segmentation`` of the ``cls/*.mat`` file (values 0..20)."""
    from scipy.io import loadmat

    try:
        gt = loadmat(str(path), squeeze_me=True, struct_as_record=False)["GTcls"]
        return np.asarray(gt.Segmentation, dtype=np.uint8)
    except (OSError, ValueError, KeyError, AttributeError) as error:
        raise DatasetError(f"{path}: not an SBD class mask with GTcls.Segmentation ({error})") from error


# ---- PASCAL VOC 2012 and SBD ----------------------------------------------------------------


def _voc_parent(root: Path) -> Path:
    """torchvision wants the folder holding ``VOCdevkit/VOC2012``; accept that folder, VOCdevkit or VOC2012."""
    root = Path(root)
    if (root / "ImageSets" / "Segmentation").is_dir():
        return root.parent.parent
    if (root / "VOC2012").is_dir():
        return root.parent
    return root


def voc_segmentation(root: Path, split: str = "train", *, download: bool = False) -> SegmentationDataset:
    """PASCAL VOC 2012 segmentation ``train``/``val``/``trainval`` (``ImageSets/Segmentation`` lists)."""
    from torchvision.datasets import VOCSegmentation

    parent = _voc_parent(root)
    voc_dir = parent / "VOCdevkit" / "VOC2012"
    if not download:
        _require(voc_dir / "ImageSets" / "Segmentation" / f"{split}.txt", "VOC 2012", "VOCdevkit/VOC2012/ImageSets/Segmentation/")
    listing = VOCSegmentation(str(parent), year="2012", image_set=split, download=download)
    return SegmentationDataset(
        f"voc2012-{split}", VOC_CLASSES, tuple(map(Path, listing.images)), tuple(map(Path, listing.masks))
    )


def sbd_segmentation(root: Path, split: str = "train", *, download: bool = False) -> SegmentationDataset:
    """SBD (Hariharan et al.) ``train``/``val``: ``img/*.jpg`` with ``cls/*.mat`` masks; root = ``benchmark_RELEASE/dataset``."""
    from torchvision.datasets import SBDataset

    root = Path(root)
    if (root / "dataset" / "cls").is_dir():
        root = root / "dataset"
    if not download:
        _require(root / f"{split}.txt", "SBD", "benchmark_RELEASE/dataset/ (img/, cls/, train.txt, val.txt)")
    listing = SBDataset(str(root), image_set=split, mode="segmentation", download=download)
    return SegmentationDataset(f"sbd-{split}", VOC_CLASSES, tuple(map(Path, listing.images)), tuple(map(Path, listing.masks)))


def voc_train_aug(voc_root: Path, sbd_root: Path) -> SegmentationDataset:
    """The usual "train_aug" set: VOC 2012 train plus every SBD image (train and val) not in VOC 2012 val.

    VOC's own masks are used where VOC has one; SBD's ``.mat`` masks for the rest. No image of the
    VOC 2012 val set can leak into training (10,582 images with the full releases).
    """
    voc_train = voc_segmentation(voc_root, "train")
    voc_val = voc_segmentation(voc_root, "val")
    images, masks = list(voc_train.images), list(voc_train.masks)
    taken = {path.stem for path in voc_train.images + voc_val.images}
    for split in ("train", "val"):
        sbd = sbd_segmentation(sbd_root, split)
        for image, mask in zip(sbd.images, sbd.masks, strict=False):
            if image.stem not in taken:
                images.append(image)
                masks.append(mask)
                taken.add(image.stem)
    return SegmentationDataset("voc2012-train_aug", VOC_CLASSES, tuple(images), tuple(masks))


# ---- Folder format (own data, ADE20K) -----------------------------------------------------


def read_class_names(path: Path) -> tuple[str, ...]:
    """``classes.txt``: one class name per line, line ``i`` (from 0) = label ``i``; blank lines are errors."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise DatasetError(f"{path}: cannot read the class list ({error})") from error
    while lines and not lines[-1].strip():
        lines.pop()
    names = tuple(line.strip() for line in lines)
    if not names or any(not name for name in names):
        raise DatasetError(f"{path}: needs one non-empty class name per line (line i = label i)")
    if len(names) > VOID_LABEL:
        raise DatasetError(f"{path}: at most {VOID_LABEL} classes (label 255 means ignore), found {len(names)}")
    return names


def folder_dataset(
    root: Path, split: str | None = None, *, classes: ClassSet | None = None, masks_dirname: str = "masks"
) -> SegmentationDataset:
    """``root/images/[split/]NAME.jpg|png`` with ``root/masks/[split/]NAME.png`` and ``root/classes.txt``.

    Every image must have a mask of the same stem; a missing one is an error, not a silent skip,
    so a half-copied dataset is noticed before hours of training.
    """
    root = Path(root)
    image_dir = root / "images" / (split or "")
    mask_dir = root / masks_dirname / (split or "")
    for folder in (image_dir, mask_dir):
        if not folder.is_dir():
            raise DatasetError(f"{folder}: missing; a folder dataset has images/[split/] and {masks_dirname}/[split/]")
    if classes is None:
        classes = ClassSet(root.name, read_class_names(root / "classes.txt"))
    images = tuple(sorted(p for p in image_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES))
    if not images:
        raise DatasetError(f"{image_dir}: no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    masks = tuple(mask_dir / f"{image.stem}.png" for image in images)
    missing = [mask for mask in masks if not mask.is_file()]
    if missing:
        raise DatasetError(f"{len(missing)} image(s) have no mask, e.g. {missing[0]}")
    name = f"{root.name}-{split}" if split else root.name
    return SegmentationDataset(name, classes, images, masks)


def ade20k_dataset(root: Path, split: str = "training") -> SegmentationDataset:
    """ADE20K SceneParsing (``ADEChallengeData2016``): the folder format with ``annotations/``, 150 classes + "other" = 0."""
    return folder_dataset(root, split, classes=ADE20K_CLASSES, masks_dirname="annotations")


def _require(path: Path, dataset: str, layout: str) -> None:
    if not path.exists():
        raise DatasetError(f"{path}: not found; {dataset} is expected as {layout}")


# ---- By name (the command line) ------------------------------------------------------------

DATASET_KINDS = ("voc", "voc-aug", "sbd", "folder", "ade20k")
DEFAULT_SPLITS: dict[str, tuple[str, str]] = {
    "voc": ("train", "val"),
    "voc-aug": ("train", "val"),
    "sbd": ("train", "val"),
    "folder": ("train", "val"),
    "ade20k": ("training", "validation"),
}
"""(training split, validation split) of each kind; for ``voc-aug`` the training split is
train_aug and the validation split VOC 2012 val."""


def open_dataset(kind: str, root: Path, split: str, *, sbd_root: Path | None = None) -> SegmentationDataset:
    """The dataset ``kind`` at ``root``, split ``split`` (see ``DEFAULT_SPLITS``).

    ``voc-aug`` needs ``sbd_root`` for its training split; its other splits are VOC 2012's. A
    folder dataset without split sub-folders is opened with ``split=""``.
    """
    if kind == "voc":
        return voc_segmentation(root, split)
    if kind == "voc-aug":
        if split != "train":
            return voc_segmentation(root, split)
        if sbd_root is None:
            raise DatasetError("voc-aug (train_aug) needs the SBD folder as well (--sbd)")
        return voc_train_aug(root, sbd_root)
    if kind == "sbd":
        return sbd_segmentation(root, split)
    if kind == "folder":
        return folder_dataset(root, split or None)
    if kind == "ade20k":
        return ade20k_dataset(root, split)
    raise DatasetError(f"unknown dataset kind {kind!r}; choose from {', '.join(DATASET_KINDS)}")
