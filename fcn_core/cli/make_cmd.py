"""``fcn-sticker make``: one photo → one sticker."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from fcn_core.cli import common, errors
from fcn_core.photo import load_photo
from fcn_core.pipeline import photo_to_sticker, sticker_file_name
from fcn_core.save import save_sticker

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
    segmenter = common.load_segmenter(args)
    sticker, seg = photo_to_sticker(segmenter, photo, request)
    if into_folder:  # the name says which class was cut out, known only now (--auto)
        folder = output_arg or args.photo.parent
        output = folder / sticker_file_name(args.photo.stem, sticker.class_names, request.fmt)
        common.check_output(output, args.photo, overwrite=args.overwrite)
        folder.mkdir(parents=True, exist_ok=True)
    else:
        output = output_arg
    saved = save_sticker(sticker, output, fmt=request.fmt, target=request.target, overwrite=args.overwrite)
    refined = f", {seg.refined_by}" if seg.refined_by else ""
    print(f"{saved.path}  ({', '.join(sticker.class_names)}{refined}, {saved.num_bytes / 1024:.0f} KB)")
    return 0
