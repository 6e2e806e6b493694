"""``fcn-sticker make``: one photo → one sticker."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from fcn_core.classes import VOC_CLASSES
from fcn_core.cli import common, errors
from fcn_core.mask import normalize_class_refs
from fcn_core.mask_file import MaskFileError, load_mask
from fcn_core.photo import Photo, load_photo
from fcn_core.pipeline import StickerRequest, photo_to_sticker, sticker_file_name, sticker_from_mask
from fcn_core.save import save_sticker
from fcn_core.sticker import Sticker

EPILOG = """examples:
  fcn-sticker make cat.jpg
      the largest object (here: the cat) → cat.cat.sticker.png next to the photo
  fcn-sticker make family.jpg -c person --crf
      only the people, edges sharpened with the CRF (deeplab preset)
  fcn-sticker make dog.jpg -c dog -c person -o stickers/
      dog and owner together, written into the folder stickers/
  fcn-sticker make me.jpg -c 15 --contour 0 --stroke 8 --shadow -o me.webp
      class 15 (person) with a white outward stroke and a shadow, as WEBP
  fcn-sticker make me.jpg --target whatsapp
      a WhatsApp sticker (512×512 WEBP, at most 100 KB)
  fcn-sticker make cat.jpg --edges matting --telegram-style
      soft, matted edges in the cat's own colours, white stroke and shadow like Telegram's stickers
  fcn-sticker make 2007_000392.jpg --mask 2007_000392.png -c person --canvas photo --contour 0 -o cut.png
      no network: the person from a VOC label mask, at the photo's own size (alpha = the mask)
  fcn-sticker make me.jpg --mask me-mask.png --edges matting --canvas emoji
      a black/white (or alpha) mask you drew yourself, matted, as a 100×100 Telegram custom emoji

Classes are names or indices of the model's class set: see `fcn-sticker classes`.
Without -o the sticker is written next to the photo as <photo>.<class>.sticker.png;
an existing file is only replaced with --overwrite, and the photo itself never is.
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "make",
        description="Cut an object out of a photo and save it as a 512×512 Telegram/WhatsApp sticker.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("photo", type=Path, metavar="PHOTO", help="the photo (JPEG, PNG, WEBP, …)")
    parser.add_argument("-o", "--output", metavar="OUT",
                        help="sticker file (.png/.webp), or a folder (existing, or ending in /) to write it into")
    parser.add_argument("--mask", type=Path, metavar="MASK.png",
                        help="use this mask instead of the network: a VOC label PNG (palette or index; -c picks "
                             "classes) or a black/white or alpha PNG (non-zero = object), the photo's size")
    common.add_sticker_options(parser)
    common.add_crf_options(parser, with_mode=True)
    common.add_model_options(parser)
    parser.set_defaults(func=run)


@errors.handles_user_errors
def run(args: argparse.Namespace) -> int:
    output_arg = None if args.output is None else Path(args.output)
    # Path() drops a trailing slash, which is how a user says "a folder" that does not exist yet.
    into_folder = output_arg is None or output_arg.is_dir() or args.output.endswith(("/", os.sep))
    request = common.sticker_request(args, common.sticker_format(args, None if into_folder else output_arg))
    if output_arg is not None and not into_folder:  # checked before the slow part, so a mistake costs nothing
        common.check_output(output_arg, args.photo, overwrite=args.overwrite)
    elif (names := common.chosen_class_names(args)) is not None:  # -c: the file name is known already
        early = (output_arg or args.photo.parent) / sticker_file_name(args.photo.stem, names, request.fmt)
        common.check_output(early, args.photo, overwrite=args.overwrite)
    photo = load_photo(args.photo)
    sticker, refined_by = _cut(args, photo, request)
    if into_folder:  # the name says which class was cut out, known only now (--auto)
        folder = output_arg or args.photo.parent
        output = folder / sticker_file_name(args.photo.stem, sticker.class_names, request.fmt)
        common.check_output(output, args.photo, overwrite=args.overwrite)
        folder.mkdir(parents=True, exist_ok=True)
    else:
        output = output_arg
    saved = save_sticker(sticker, output, fmt=request.fmt, target=request.target, overwrite=args.overwrite)
    refined = f", {refined_by}" if refined_by else ""
    print(f"{saved.path}  ({', '.join(sticker.class_names)}{refined}, {saved.num_bytes / 1024:.0f} KB)")
    return 0


def _cut(args: argparse.Namespace, photo: Photo, request: StickerRequest) -> tuple[Sticker, str]:
    """The sticker, and what refined it: from the user's mask (no network, no torch) or the network."""
    edges = "" if request.edges.method == "none" else f"edges:{request.edges.method}"
    if args.mask is None:
        sticker, seg = photo_to_sticker(common.load_segmenter(args), photo, request)
        return sticker, "+".join(part for part in (seg.refined_by, edges) if part)
    if args.crf:
        raise errors.UsageError("--crf refines the network's probabilities; with --mask use --edges crf")
    try:
        loaded = load_mask(args.mask, photo.size, VOC_CLASSES, normalize_class_refs(request.classes))
    except MaskFileError as error:
        raise errors.UsageError(str(error)) from error
    return sticker_from_mask(photo, loaded.mask, request, loaded.class_names or (args.mask.stem,)), edges
