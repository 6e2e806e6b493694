"""Class sets (names + colours) that models and datasets share.

The PASCAL VOC colormap is the bit-interleaving one of the VOC devkit (``labelcolormap.m``):
for label ``i`` the bits of ``i`` are spread over R, G, B from the most significant bit down,
three bits per round. Every VOC tool reads label PNGs with this palette, so we reproduce it
exactly rather than picking our own colours.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np

VOID_LABEL = 255
"""Label used by PASCAL VOC for object boundaries and 'don't care' pixels."""

VOC_CLASS_NAMES: tuple[str, ...] = (
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
    "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant",
    "sheep", "sofa", "train", "tvmonitor",
)

# ADE20K SceneParsing (150 classes, objectInfo150 order); index 0 is "other" (unlabelled).
ADE20K_CLASS_NAMES: tuple[str, ...] = ("other",) + (
    "wall", "building", "sky", "floor", "tree", "ceiling", "road", "bed", "windowpane", "grass",
    "cabinet", "sidewalk", "person", "earth", "door", "table", "mountain", "plant", "curtain",
    "chair", "car", "water", "painting", "sofa", "shelf", "house", "sea", "mirror", "rug",
    "field", "armchair", "seat", "fence", "desk", "rock", "wardrobe", "lamp", "bathtub",
    "railing", "cushion", "base", "box", "column", "signboard", "chest of drawers", "counter",
    "sand", "sink", "skyscraper", "fireplace", "refrigerator", "grandstand", "path", "stairs",
    "runway", "case", "pool table", "pillow", "screen door", "stairway", "river", "bridge",
    "bookcase", "blind", "coffee table", "toilet", "flower", "book", "hill", "bench",
    "countertop", "stove", "palm", "kitchen island", "computer", "swivel chair", "boat", "bar",
    "arcade machine", "hovel", "bus", "towel", "light", "truck", "tower", "chandelier",
    "awning", "streetlight", "booth", "television receiver", "airplane", "dirt track",
    "apparel", "pole", "land", "bannister", "escalator", "ottoman", "bottle", "buffet",
    "poster", "stage", "van", "ship", "fountain", "conveyer belt", "canopy", "washer",
    "plaything", "swimming pool", "stool", "barrel", "basket", "waterfall", "tent", "bag",
    "minibike", "cradle", "oven", "ball", "food", "step", "tank", "trade name", "microwave",
    "pot", "animal", "bicycle", "lake", "dishwasher", "screen", "blanket", "sculpture", "hood",
    "sconce", "vase", "traffic light", "tray", "ashcan", "fan", "pier", "crt screen", "plate",
    "monitor", "bulletin board", "shower", "radiator", "glass", "clock", "flag",
)


def voc_colormap(num_colors: int = 256) -> np.ndarray:
    """Return the PASCAL VOC palette as a ``num_colors × 3`` uint8 array."""
    labels = np.arange(num_colors, dtype=np.int64)
    colormap = np.zeros((num_colors, 3), dtype=np.int64)
    remaining = labels.copy()
    for shift in range(7, -1, -1):
        for channel in range(3):
            colormap[:, channel] |= ((remaining >> channel) & 1) << shift
        remaining >>= 3
    return colormap.astype(np.uint8)


@dataclass(frozen=True)
class ClassSet:
    """The label space of a model or dataset: names by index, colours from the VOC palette."""

    name: str
    names: tuple[str, ...]

    @property
    def num_classes(self) -> int:
        return len(self.names)

    @property
    def colors(self) -> np.ndarray:
        """``num_classes × 3`` uint8 RGB colours."""
        return voc_colormap(self.num_classes)

    def index_of(self, class_ref: str | int) -> int:
        """Resolve a class given by index or (case-insensitive) name; raise ``KeyError`` naming the options."""
        if isinstance(class_ref, int) or (isinstance(class_ref, str) and class_ref.strip().isdigit()):
            index = int(class_ref)
            if 0 <= index < self.num_classes:
                return index
            raise KeyError(f"class index {index} is out of range 0..{self.num_classes - 1} for {self.name}")
        wanted = class_ref.strip().lower()
        lowered = [class_name.lower() for class_name in self.names]
        if wanted in lowered:
            return lowered.index(wanted)
        close = difflib.get_close_matches(wanted, lowered, n=3, cutoff=0.6)
        guess = f"; did you mean {' or '.join(self.names[lowered.index(name)] for name in close)}?" if close else ""
        raise KeyError(f"unknown class {class_ref!r} for {self.name}{guess} (known: {', '.join(self.names)})")


VOC_CLASSES = ClassSet("PASCAL VOC", VOC_CLASS_NAMES)
ADE20K_CLASSES = ClassSet("ADE20K", ADE20K_CLASS_NAMES)
