"""``fcn-sticker segment``: what the network sees in a photo, as files to look at or feed to VOC tools."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from PIL import Image

from fcn_core.atomic_file import write_text_atomically
from fcn_core.cli import common, errors
from fcn_core.colors import color_hex
from fcn_core.crf import refine_crf
from fcn_core.overlay import (
    blend_overlay,
    label_image,
    labels_at,
    probability_at,
    probability_image,
    save_png,
)
from fcn_core.photo import load_photo
from fcn_core.pipeline import class_slug
from fcn_core.segmentation import Segmentation

EPILOG = """examples:
  fcn-sticker segment street.jpg -o seg/
      seg/street.overlay.png   the photo with the PASCAL VOC class colours blended in
      seg/street.labels.png    class index per pixel, VOC palette (like SegmentationClass/*.png)
      seg/street.classes.json  the classes found, their colours and share of the pixels
  fcn-sticker segment street.jpg -o seg/ --probabilities person car
      also seg/street.person.probability.png and seg/street.car.probability.png (white = 1)
  fcn-sticker segment street.jpg -o seg/ --probabilities --crf
      probability maps of every class found, after a full CRF refinement (deeplab preset)

All images have the photo's size. Existing files are only replaced with --overwrite.
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "segment",
        description="Segment a photo and save what the network found.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("photo", type=Path, metavar="PHOTO", help="the photo")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="DIR",
                        help="folder for the files (created if missing)")
    parser.add_argument("--probabilities", nargs="*", metavar="CLASS",
                        help="also save probability maps: of the CLASSes named, or of every class found")
    parser.add_argument("--opacity", type=float, default=0.5, help="class colour share in the overlay (default 0.5)")
    parser.add_argument("--overwrite", action="store_true", help="replace files that already exist")
    common.add_crf_options(parser, with_mode=False)
    common.add_model_options(parser)
    parser.set_defaults(func=run)


@errors.handles_user_errors
def run(args: argparse.Namespace) -> int:
    if not 0.0 <= args.opacity <= 1.0:
        raise errors.UsageError(f"--opacity must be between 0 and 1, got {args.opacity}")
    photo = load_photo(args.photo)
    segmenter = common.load_segmenter(args)
    named = [segmenter.classes.index_of(ref) for ref in args.probabilities or ()]
    seg = segmenter.segment(photo)
    if args.crf is not None:
        seg = refine_crf(seg, args.crf, mode="full")
    # The flag alone (an empty list) asks for every class present.
    probability_ids = list(seg.class_shares()) if args.probabilities == [] else named

    stem, folder = args.photo.stem, args.output
    overlay_path, labels_path, json_path = (folder / f"{stem}.{kind}" for kind in ("overlay.png", "labels.png", "classes.json"))
    probability_paths = {
        class_id: folder / f"{stem}.{class_slug([seg.classes.names[class_id]])}.probability.png"
        for class_id in probability_ids
    }
    outputs = [overlay_path, labels_path, json_path, *probability_paths.values()]
    for path in outputs:  # all checked before anything is written
        common.check_output(path, args.photo, overwrite=args.overwrite)
    folder.mkdir(parents=True, exist_ok=True)

    labels = labels_at(seg, photo.size)
    save_png(label_image(labels), labels_path)
    save_png(Image.fromarray(blend_overlay(photo.pixels, labels, seg.classes, args.opacity)), overlay_path)
    for class_id, path in probability_paths.items():
        save_png(probability_image(probability_at(seg, class_id, photo.size)), path)
    summary = json.dumps(class_summary(seg, args.photo), indent=2, ensure_ascii=False) + "\n"
    write_text_atomically(json_path, summary)
    for path in outputs:
        print(path)
    return 0


def class_summary(seg: Segmentation, photo_path: Path) -> dict[str, Any]:
    """The JSON written next to the images: which classes, their colours, their pixel shares
    (counted at the working size, where the network decided)."""
    colors = seg.classes.colors
    return {
        "photo": str(photo_path),
        "model": seg.model_name,
        "refined_by": seg.refined_by,
        "photo_size": list(seg.photo_size),
        "working_size": list(seg.working_size),
        "classes": [
            {
                "index": class_id,
                "name": seg.classes.names[class_id],
                "color": color_hex(colors[class_id]),
                "share": round(share, 6),
            }
            for class_id, share in seg.class_shares().items()
        ],
    }
