"""Options and error handling that ``make``, ``batch`` and ``segment`` share.

One definition per option keeps the commands consistent (same names, same defaults, same help)
and turns the parsed options into the library's values (:class:`StickerRequest`, a
:class:`Segmenter`) in one place. Errors the user can act on become one line on stderr and an
exit code: 2 for a problem with the command itself (options, model, weights), 1 when the input or
the output failed, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path

from fcn_core.batch import BatchError
from fcn_core.crf import CRF_PRESETS, DEFAULT_CRF_PRESET
from fcn_core.mask import AUTO, EmptyMaskError, MaskCleanup
from fcn_core.models.registry import DEFAULT_MODEL, model_names
from fcn_core.photo import PhotoError
from fcn_core.pipeline import StickerRequest, same_file
from fcn_core.save import TARGETS, StickerSaveError
from fcn_core.segmenter import Segmenter
from fcn_core.sticker import StickerStyle
from fcn_core.weights.errors import WeightsError

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
STICKER_FORMATS = ("png", "webp")

CommandRun = Callable[[argparse.Namespace], int]


class UsageError(ValueError):
    """Options that contradict each other or name something that does not exist."""


class OutputRefused(RuntimeError):
    """Writing the output would replace the input photo, or an existing file without --overwrite."""


def error(message: str) -> None:
    """Print a user-facing error line to stderr."""
    print(f"fcn-sticker: error: {message}", file=sys.stderr)


def handles_user_errors(run: CommandRun) -> CommandRun:
    """Turn the errors a user can fix into a message and an exit code instead of a traceback."""

    @functools.wraps(run)
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except (UsageError, WeightsError) as exc:
            error(str(exc))
            return EXIT_USAGE
        except KeyError as exc:  # unknown model or class: the message lists the names that exist
            error(str(exc.args[0]) if exc.args else repr(exc))
            return EXIT_USAGE
        except (PhotoError, EmptyMaskError, StickerSaveError, BatchError, OutputRefused) as exc:
            error(str(exc))
            return EXIT_FAILED
        except OSError as exc:  # e.g. an output folder that cannot be created
            where = f"{exc.filename}: " if exc.filename else ""
            error(f"{where}{exc.strerror or exc}")
            return EXIT_FAILED
        except KeyboardInterrupt:
            error("interrupted; nothing half-written was left behind")
            return EXIT_INTERRUPTED

    return wrapper


# --- option groups -------------------------------------------------------------------------


def add_model_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model")
    group.add_argument("--model", default=DEFAULT_MODEL, choices=model_names(), metavar="NAME",
                       help=f"segmentation model (default {DEFAULT_MODEL}; see `fcn-sticker models`)")
    group.add_argument("--weights", type=Path, metavar="FILE",
                       help="weight file to use instead of the cached/downloaded weights of --model")
    group.add_argument("--device", metavar="DEVICE",
                       help="cpu, cuda, cuda:1, mps (default: the best available)")
    group.add_argument("--max-side", type=_positive_int, default=512, metavar="PX",
                       help="long side of the image the network sees (default 512, as in PASCAL VOC)")


def add_crf_options(parser: argparse.ArgumentParser, *, with_mode: bool) -> None:
    group = parser.add_argument_group("CRF refinement")
    group.add_argument("--crf", nargs="?", const=DEFAULT_CRF_PRESET, choices=sorted(CRF_PRESETS), metavar="PRESET",
                       help=f"sharpen edges with a dense CRF; PRESET is one of {', '.join(sorted(CRF_PRESETS))} "
                            f"(default {DEFAULT_CRF_PRESET})")
    if with_mode:
        group.add_argument("--crf-mode", choices=("binary", "full"), default="binary",
                           help="binary: chosen class vs the rest (fast, default); full: all classes")


def add_sticker_options(parser: argparse.ArgumentParser) -> None:
    """Class choice, mask clean-up, style and file format: everything in a StickerRequest."""
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
    style.add_argument("--contour-color", type=parse_color, default=defaults.contour_color, metavar="C",
                       help=f"contour colour: #rrggbb or R,G,B (default {_format_rgb(defaults.contour_color)})")
    style.add_argument("--stroke", type=_non_negative_int, default=defaults.stroke_width, metavar="W",
                       help=f"width in px of an outward stroke (default {defaults.stroke_width} = none)")
    style.add_argument("--stroke-color", type=parse_color, default=defaults.stroke_color, metavar="C",
                       help=f"stroke colour (default {_format_rgb(defaults.stroke_color)})")
    style.add_argument("--shadow", action="store_true", help="add a soft drop shadow")
    output = parser.add_argument_group("file format")
    output.add_argument("--format", choices=STICKER_FORMATS,
                        help="png or webp (default: from -o's suffix, else what --target prefers)")
    output.add_argument("--target", choices=sorted(TARGETS), default="telegram",
                        help="messenger whose sticker rules the file must meet (default telegram)")
    output.add_argument("--overwrite", action="store_true", help="replace stickers that already exist")


# --- turning options into values -----------------------------------------------------------


def sticker_format(args: argparse.Namespace, output: Path | None = None) -> str:
    """The file format from --format, the output's suffix, or the target's preferred format."""
    target = TARGETS[args.target]
    suffix = output.suffix.lower().lstrip(".") if output is not None and output.suffix else None
    if suffix is not None and suffix not in STICKER_FORMATS:
        raise UsageError(f"a sticker file ends in .png or .webp, not {output.suffix} ({output})")
    if args.format and suffix and args.format != suffix:
        raise UsageError(f"--format {args.format} does not match the output name {output}")
    fmt = args.format or suffix or target.formats[0]
    if fmt not in target.formats:
        raise UsageError(f"{target.title} stickers must be {' or '.join(target.formats)}, not {fmt}")
    return fmt


def sticker_request(args: argparse.Namespace, fmt: str) -> StickerRequest:
    """The StickerRequest the sticker options describe."""
    style = StickerStyle(
        contour_width=args.contour,
        contour_color=args.contour_color,
        stroke_width=args.stroke,
        stroke_color=args.stroke_color,
        shadow=args.shadow,
    )
    return StickerRequest(
        classes=tuple(args.classes) if args.classes else AUTO,
        crf=args.crf,
        crf_mode=args.crf_mode,
        cleanup=MaskCleanup(min_component_fraction=args.min_component, fill_holes=args.fill_holes),
        style=style,
        fmt=fmt,  # type: ignore[arg-type]
        target=args.target,
    )


def load_segmenter(args: argparse.Namespace) -> Segmenter:
    """The segmenter the model options describe; weights are never downloaded implicitly (the
    WeightsNotFoundError message says how to get them). A command that runs the network is a
    process of its own, so it opts into the malloc tuning for CPU inference here."""
    from fcn_core.models.cpu.allocator import keep_freed_memory

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


def parse_color(text: str) -> tuple[int, int, int]:
    """``#rrggbb``, ``rrggbb`` or ``R,G,B`` (0–255) → an RGB tuple; argparse type."""
    value = text.strip()
    try:
        if "," in value:
            parts = tuple(int(part) for part in value.split(","))
        else:
            hex_digits = value.removeprefix("#")
            if len(hex_digits) != 6:
                raise ValueError
            parts = tuple(int(hex_digits[i : i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        parts = ()
    if len(parts) != 3 or not all(0 <= part <= 255 for part in parts):
        raise argparse.ArgumentTypeError(f"{text!r} is not a colour; use #rrggbb or R,G,B with values 0-255")
    return parts  # type: ignore[return-value]


def _format_rgb(rgb: tuple[int, int, int]) -> str:
    return ",".join(str(channel) for channel in rgb)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value
