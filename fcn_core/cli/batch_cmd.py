"""``fcn-sticker batch``: a folder of photos → a folder of stickers, with a report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from fcn_core.atomic_file import write_text_atomically
from fcn_core.batch import BatchReport, check_input_dir, run_batch
from fcn_core.cli import common, errors, pack_cmd
from fcn_core.interrupt import first_ctrl_c_stops

EPILOG = """examples:
  fcn-sticker batch holiday/ -o stickers/
      one sticker per photo: stickers/<photo>.<class>.sticker.png, report in stickers/report.json
  fcn-sticker batch holiday/ -o stickers/ -c person --crf --recursive
      only people, CRF-refined, sub-folders included (mirrored under stickers/)
  fcn-sticker batch holiday/ -o stickers/ --target whatsapp --overwrite
      WhatsApp WEBP stickers, remaking those that already exist
  fcn-sticker batch holiday/ --pack mypack -c cat
      the stickers go into the sticker pack mypack (see `fcn-sticker pack --help`)

A photo that cannot be used (not an image, truncated, nothing of the class in it) is
reported with the reason and the batch goes on; the exit code is 1 if any photo failed.
Stickers that exist are skipped, so after Ctrl-C (or a crash) the same command continues
where it stopped. Ctrl-C finishes the current photo and stops; press it twice to stop at
once. Files are written whole or not at all, and photos are never overwritten.
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "batch",
        description="Make one sticker per photo of a folder, with a progress bar and a per-file report.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input_dir", type=Path, metavar="DIR", help="folder of photos")
    parser.add_argument("-o", "--output", type=Path, metavar="OUTDIR",
                        help="folder for the stickers (created if missing; may be DIR itself)")
    parser.add_argument("--pack", type=Path, metavar="PACK",
                        help="add the stickers to this sticker pack (rendered for its messenger, into PACK/stickers/)")
    parser.add_argument("--recursive", action="store_true", help="include photos in sub-folders")
    parser.add_argument("--report", type=Path, metavar="FILE",
                        help="where to write the JSON report (default OUTDIR/report.json)")
    parser.add_argument("--batch-size", type=common.positive_int, default=1, metavar="N",
                        help="photos per network pass (default 1; larger helps on a GPU)")
    common.add_sticker_options(parser)
    common.add_crf_options(parser, with_mode=True)
    common.add_model_options(parser)
    parser.set_defaults(func=run)


@errors.handles_user_errors
def run(args: argparse.Namespace) -> int:
    request = common.sticker_request(args, common.sticker_format(args))
    if args.pack is not None:
        request = pack_cmd.batch_request(args, request)
    elif args.output is None:
        raise errors.UsageError("say where the stickers go: -o OUTDIR, or --pack PACK")
    check_input_dir(args.input_dir)
    segmenter = common.load_segmenter(args)
    bar = tqdm(unit="photo", desc="stickers", file=sys.stderr, dynamic_ncols=True)

    def progress(done: int, total: int, path: Path) -> None:
        bar.total = total
        bar.set_postfix_str(path.name, refresh=False)
        bar.update(done - bar.n)

    with first_ctrl_c_stops(_announce_stop) as stop_requested:
        try:
            report = run_batch(
                segmenter, args.input_dir, args.output, request,
                overwrite=args.overwrite, recursive=args.recursive,
                progress=progress, cancel=stop_requested.is_set, batch_size=args.batch_size,
            )
        finally:
            bar.close()
    report_path = args.report or args.output / "report.json"
    if args.pack is not None:
        pack_cmd.add_batch_to_pack(args.pack, report, request)
    _print_outcome(report)
    _write_report(report, report_path)
    if report.cancelled:
        return errors.EXIT_INTERRUPTED
    return errors.EXIT_FAILED if report.failed else 0


def _print_outcome(report: BatchReport) -> None:
    for item in report.failures:
        print(f"failed: {item.source}: {item.reason}", file=sys.stderr)
    if report.found == 0:
        print(f"no photos found in {report.input_dir}", file=sys.stderr)
    print(report.summary())


def _write_report(report: BatchReport, path: Path) -> None:
    write_text_atomically(path, report.to_json() + "\n")
    print(f"report: {path}")


def _announce_stop() -> None:
    print("\nstopping after the current photo (Ctrl-C again to stop now)", file=sys.stderr)
