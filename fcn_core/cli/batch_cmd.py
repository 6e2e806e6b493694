"""``fcn-sticker batch``: a folder of photos → a folder of stickers, with a report."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from tqdm import tqdm

from fcn_core.atomic_file import write_atomically
from fcn_core.batch import BatchReport, check_input_dir, run_batch
from fcn_core.cli import common

EPILOG = """examples:
  fcn-sticker batch holiday/ -o stickers/
      one sticker per photo: stickers/<photo>.<class>.sticker.png, report in stickers/report.json
  fcn-sticker batch holiday/ -o stickers/ -c person --crf --recursive
      only people, CRF-refined, sub-folders included (mirrored under stickers/)
  fcn-sticker batch holiday/ -o stickers/ --target whatsapp --overwrite
      WhatsApp WEBP stickers, remaking those that already exist

A photo that cannot be used (not an image, truncated, nothing of the class in it) is
reported with the reason and the batch goes on; the exit code is 1 if any photo failed.
Stickers that exist are skipped, so after Ctrl-C (or a crash) the same command continues
where it stopped. Ctrl-C finishes the current photo and stops; press it twice to stop at
once. Files are written whole or not at all, and photos are never overwritten.
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "batch",
        help="make a sticker from every photo in a folder",
        description="Make one sticker per photo of a folder, with a progress bar and a per-file report.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input_dir", type=Path, metavar="DIR", help="folder of photos")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUTDIR",
                        help="folder for the stickers (created if missing; may be DIR itself)")
    parser.add_argument("--recursive", action="store_true", help="include photos in sub-folders")
    parser.add_argument("--report", type=Path, metavar="FILE",
                        help="where to write the JSON report (default OUTDIR/report.json)")
    parser.add_argument("--batch-size", type=common.positive_int, default=1, metavar="N",
                        help="photos per network pass (default 1; larger helps on a GPU)")
    common.add_sticker_options(parser)
    common.add_crf_options(parser, with_mode=True)
    common.add_model_options(parser)
    parser.set_defaults(func=run)


@common.handles_user_errors
def run(args: argparse.Namespace) -> int:
    request = common.sticker_request(args, common.sticker_format(args))
    check_input_dir(args.input_dir)
    segmenter = common.load_segmenter(args)
    bar = tqdm(unit="photo", desc="stickers", file=sys.stderr, dynamic_ncols=True)

    def progress(done: int, total: int, path: Path) -> None:
        bar.total = total
        bar.set_postfix_str(path.name, refresh=False)
        bar.update(done - bar.n)

    with _stop_on_first_ctrl_c() as stop_requested:
        try:
            report = run_batch(
                segmenter, args.input_dir, args.output, request,
                overwrite=args.overwrite, recursive=args.recursive,
                progress=progress, cancel=stop_requested.is_set, batch_size=args.batch_size,
            )
        finally:
            bar.close()
    report_path = args.report or args.output / "report.json"
    _print_outcome(report)
    _write_report(report, report_path)
    if report.cancelled:
        return common.EXIT_INTERRUPTED
    return common.EXIT_FAILED if report.failed else 0


def _print_outcome(report: BatchReport) -> None:
    for item in report.failures:
        print(f"failed: {item.source}: {item.reason}", file=sys.stderr)
    if report.found == 0:
        print(f"no photos found in {report.input_dir}", file=sys.stderr)
    print(report.summary())


def _write_report(report: BatchReport, path: Path) -> None:
    write_atomically(path, lambda temporary: temporary.write_text(report.to_json() + "\n", encoding="utf-8"))
    print(f"report: {path}")


@contextmanager
def _stop_on_first_ctrl_c() -> Iterator[threading.Event]:
    """First Ctrl-C: set the event, so the batch stops after the current photo (clean, with a
    report). Second Ctrl-C: the usual KeyboardInterrupt (still no partial file: writes are atomic)."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        print("\nstopping after the current photo (Ctrl-C again to stop now)", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)
