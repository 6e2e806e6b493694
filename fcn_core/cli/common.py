"""Options and error handling that ``make``, ``batch`` and ``segment`` share.

One definition per option keeps the commands consistent (same names, same defaults, same help)
and turns the parsed options into the library's values (:class:`StickerRequest`, a
:class:`Segmenter`) in one place. Errors become exit codes in ``fcn_core.cli.errors``. Nothing here
imports torch at module level: building a parser (``--help``) must stay cheap.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from fcn_core.cli.errors import OutputRefused, UsageError
from fcn_core.cli.parsers import OptionalConstant
from fcn_core.colors import color_rgb_text, parse_color
from fcn_core.crf import CRF_PRESETS, DEFAULT_CRF_PRESET
from fcn_core.edges import EDGE_METHODS, EdgeOptions
from fcn_core.mask import AUTO, MaskCleanup
from fcn_core.models.registry import DEFAULT_MODEL, get_model_spec, model_names
from fcn_core.pipeline import StickerRequest, same_file
from fcn_core.save import MESSENGERS, STICKER_FORMATS, TARGETS, target_for_canvas
from fcn_core.sticker import CANVASES, TELEGRAM_STYLE, StickerStyle

if TYPE_CHECKING:
    from fcn_core.segmenter import Segmenter



# --- option groups -------------------------------------------------------------------------


def add_model_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model")
    group.add_argument("--model", choices=model_names(), metavar="NAME",
                       help=f"segmentation model (default: the --weights file's own, else {DEFAULT_MODEL}; "
                            "see `fcn-sticker models`)")
    group.add_argument("--weights", type=Path, metavar="FILE",
                       help="weight file to use instead of the cached/downloaded weights of --model")
    group.add_argument("--device", metavar="DEVICE",
                       help="cpu, cuda, cuda:1, mps (default: the best available)")
    group.add_argument("--max-side", type=positive_int, default=512, metavar="PX",
                       help="long side of the image the network sees (default 512, as in PASCAL VOC)")


def add_crf_options(parser: argparse.ArgumentParser, *, with_mode: bool) -> None:
    group = parser.add_argument_group("CRF refinement")
    # A flag and a separate preset option: an optional value (--crf [PRESET]) swallowed the photo in `make --crf PHOTO`.
    group.add_argument("--crf", action=OptionalConstant, const=DEFAULT_CRF_PRESET,
                       help=f"sharpen edges with a dense CRF (preset {DEFAULT_CRF_PRESET}; see --crf-preset)")
    group.add_argument("--crf-preset", dest="crf", choices=sorted(CRF_PRESETS), metavar="PRESET",
                       help=f"the CRF with this preset, one of {', '.join(sorted(CRF_PRESETS))} (implies --crf)")
    if with_mode:
        group.add_argument("--crf-mode", choices=("binary", "full"), default="binary",
                           help="binary: chosen class vs the rest (fast, default); full: all classes")


def add_sticker_options(parser: argparse.ArgumentParser, *, file_options: bool = True) -> None:
    """Class choice, mask clean-up, style and file format: everything in a StickerRequest.
    ``file_options=False`` leaves out format, target and overwrite (a pack decides those)."""
    classes = parser.add_argument_group("what to cut out").add_mutually_exclusive_group()
    classes.add_argument("-c", "--class", dest="classes", action="append", metavar="CLASS",
                         help="class name or index to cut out (repeat for several, e.g. -c person -c dog)")
    classes.add_argument("--auto", action="store_true",
                         help="the largest non-background class (the default when no -c is given)")
    cleanup = parser.add_argument_group("mask clean-up")
    cleanup.add_argument("--min-component", type=_fraction, default=0.0, metavar="FRACTION",
                         help="drop blobs smaller than FRACTION of the largest one (e.g. 0.05)")
    cleanup.add_argument("--fill-holes", action="store_true", help="fill holes inside the mask")
    style = parser.add_argument_group("sticker style")
    defaults = StickerStyle()
    style.add_argument("--contour", type=_non_negative_int, default=defaults.contour_width, metavar="W",
                       help=f"width in px of the inner contour (default {defaults.contour_width}; 0 = none)")
    style.add_argument("--contour-color", type=color_argument, default=defaults.contour_color, metavar="C",
                       help=f"contour colour: #rrggbb or R,G,B (default {color_rgb_text(defaults.contour_color)})")
    style.add_argument("--stroke", type=_non_negative_int, default=defaults.stroke_width, metavar="W",
                       help=f"width in px of an outward stroke (default {defaults.stroke_width} = none)")
    style.add_argument("--stroke-color", type=color_argument, default=defaults.stroke_color, metavar="C",
                       help=f"stroke colour (default {color_rgb_text(defaults.stroke_color)})")
    style.add_argument("--shadow", action="store_true", help="add a soft drop shadow")
    style.add_argument("--telegram-style", action="store_true",
                       help=f"white {TELEGRAM_STYLE.stroke_width} px stroke + soft shadow, no contour "
                            "(overrides the options above)")
    style.add_argument("--canvas", choices=CANVASES, default="sticker",
                       help="sticker: the object fitted on a 512 px square (default); emoji: Telegram's 100×100 custom "
                            "emoji; photo: the photo's own size and position, no crop (for compositing, checking edges)")
    edges = parser.add_argument_group("edges")
    edge_defaults = EdgeOptions()
    edges.add_argument("--edges", choices=EDGE_METHODS, default=edge_defaults.method,
                       help=f"refine the cut-out's edge: none (hard mask), crf (dense CRF with the mask as soft evidence), "
                            f"matting (soft alpha + the object's own colour in the edge) (default {edge_defaults.method})")
    edges.add_argument("--edge-band", type=_band, default=edge_defaults.band, metavar="FRACTION",
                       help=f"half-width of the band refined around the edge, as a fraction of the object's longer side "
                            f"(default {edge_defaults.band})")
    if not file_options:
        return
    output = parser.add_argument_group("file format")
    output.add_argument("--format", choices=STICKER_FORMATS,
                        help="png or webp (default: from -o's suffix, else what --target prefers)")
    output.add_argument("--target", choices=MESSENGERS, default="telegram",
                        help="messenger whose sticker rules the file must meet (default telegram)")
    output.add_argument("--overwrite", action="store_true", help="replace stickers that already exist")


# --- turning options into values -----------------------------------------------------------


def sticker_format(args: argparse.Namespace, output: Path | None = None) -> str:
    """The file format from --format, the output's suffix, or the target's preferred format."""
    target = TARGETS[canvas_target(args)]
    suffix = output.suffix.lower().lstrip(".") if output is not None and output.suffix else None
    if suffix is not None and suffix not in STICKER_FORMATS:
        raise UsageError(f"a sticker file ends in .png or .webp, not .{suffix} ({output})")
    if args.format and suffix and args.format != suffix:
        raise UsageError(f"--format {args.format} does not match the output name {output}")
    fmt = args.format or suffix or target.formats[0]
    if fmt not in target.formats:
        raise UsageError(f"{target.title} stickers must be {' or '.join(target.formats)}, not {fmt}")
    return fmt


def chosen_class_names(args: argparse.Namespace) -> list[str] | None:
    """The ``-c`` classes' own names (duplicates dropped), checked against the model's classes
    before any weights load: an unknown name fails at once, with "did you mean". None when the
    classes are only known later (``--auto``, or ``--weights`` whose file brings its classes)."""
    if not args.classes or args.weights is not None:
        return None
    classes = get_model_spec(args.model or DEFAULT_MODEL).classes
    names = [classes.names[classes.index_of(ref)] for ref in args.classes]
    return list(dict.fromkeys(names))


def sticker_request(args: argparse.Namespace, fmt: str) -> StickerRequest:
    """The StickerRequest the sticker options describe (class names checked first)."""
    chosen_class_names(args)
    if args.telegram_style:
        style = replace(TELEGRAM_STYLE, canvas=args.canvas)
    else:
        style = StickerStyle(
            contour_width=args.contour,
            contour_color=args.contour_color,
            stroke_width=args.stroke,
            stroke_color=args.stroke_color,
            shadow=args.shadow,
            canvas=args.canvas,
        )
    return StickerRequest(
        classes=tuple(args.classes) if args.classes else AUTO,
        crf=args.crf,
        crf_mode=args.crf_mode,
        cleanup=MaskCleanup(min_component_fraction=args.min_component, fill_holes=args.fill_holes),
        style=style,
        edges=EdgeOptions(method=args.edges, band=args.edge_band),
        fmt=fmt,  # type: ignore[arg-type]
        target=canvas_target(args),
    )


def canvas_target(args: argparse.Namespace) -> str:
    """The save rules for ``--canvas`` and ``--target`` (``save.target_for_canvas``)."""
    return target_for_canvas(args.canvas, args.target)


def load_segmenter(args: argparse.Namespace) -> Segmenter:
    """The segmenter the model options describe; weights are never downloaded implicitly (the
    WeightsNotFoundError message says how to get them). A command that runs the network is a
    process of its own, so it opts into the malloc tuning for CPU inference here."""
    from fcn_core.models.cpu.allocator import keep_freed_memory
    from fcn_core.segmenter import Segmenter  # torch: only once a command really segments

    keep_freed_memory()
    try:
        return Segmenter.from_name(args.model, args.weights, device=args.device, max_side=args.max_side)
    except ValueError as exc:  # a device that is not there
        raise UsageError(str(exc)) from exc


def check_output(output: Path, source: Path | None, *, overwrite: bool) -> None:
    """Refuse to write over the input photo (ever) or over an existing file (without --overwrite)."""
    if source is not None and same_file(output, source):
        raise OutputRefused(f"refusing to write over the input photo {source}; choose another output name")
    if output.exists() and not overwrite:
        raise OutputRefused(f"{output} already exists; add --overwrite to replace it")


def color_argument(text: str) -> tuple[int, int, int]:
    """argparse type for a colour (``fcn_core.colors.parse_color``)."""
    try:
        return parse_color(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _band(text: str) -> float:
    value = float(text)
    if not 0.0 < value <= 0.5:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 0.5, got {text}")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value
