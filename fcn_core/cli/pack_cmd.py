"""``fcn-sticker pack``: make a sticker pack, check it, and send it to Telegram or WhatsApp.

The module top imports nothing heavy: each sub-command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from fcn_core.cli.errors import handles_user_errors

if TYPE_CHECKING:
    from fcn_core.batch import BatchReport
    from fcn_core.pipeline import StickerRequest

EPILOG = """examples:
  fcn-sticker pack new mypack --title "My cats" --publisher "Ann" --target whatsapp
      an empty pack in the folder mypack (targets: telegram, telegram-emoji, whatsapp)
  fcn-sticker pack add mypack cat.jpg -c cat --emoji 😺 --emoji 😻
      cut the cat out, render it for the pack's messenger and add it with two emojis
  fcn-sticker batch holiday/ --pack mypack -c cat
      one sticker per photo, straight into the pack (emoji guessed from the class)
  fcn-sticker pack list mypack
      the stickers in order, and what WhatsApp's and Telegram's rules say about the pack
  fcn-sticker pack move mypack 4 1 / pack remove mypack 2 / pack emoji mypack 3 🙀 / pack tray mypack 2
  fcn-sticker pack export mypack --whatsapp out/
      out/contents.json + out/<id>/ (the official sample app's assets) and out/<id>.wastickers
  fcn-sticker pack export mypack --telegram out/
      numbered stickers and emojis.txt, to send to @Stickers by hand
  fcn-sticker pack upload mypack --bot-token 123:ABC --user-id 111222333
      create the set through your own bot (token from @BotFather); prints t.me/addstickers/<name>

The bot token may also come from the TELEGRAM_BOT_TOKEN environment variable (so it stays out
of the shell history); it is never written to the pack or printed. Removing a sticker moves its
file to removed/; nothing in a pack folder is ever deleted.
"""

TOKEN_VARIABLE = "TELEGRAM_BOT_TOKEN"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from fcn_core.cli import common
    from fcn_core.packs.rules import MESSENGERS  # the pack targets, without the pack model's imports

    targets = tuple(MESSENGERS)
    parser = subparsers.add_parser(
        "pack", help="make a sticker pack and send it to Telegram or WhatsApp",
        description="Collect stickers into a pack, tag them with emoji, check the messengers' rules, export, upload.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="pack_command", metavar="ACTION", required=True)

    new = actions.add_parser("new", help="start an empty pack in a folder")
    new.add_argument("folder", type=Path, metavar="DIR")
    new.add_argument("--title", required=True, help="the pack's name as people see it")
    new.add_argument("--publisher", required=True, help="who made it (WhatsApp shows it under the title)")
    new.add_argument("--identifier", help="WhatsApp identifier (default: from the title, made unique)")
    new.add_argument("--target", choices=targets, default="telegram",
                     help="what the stickers are rendered for (default telegram; telegram-emoji = 100×100 custom emoji)")
    new.set_defaults(func=run_new)

    add = actions.add_parser("add", help="cut a sticker out of a photo and add it",
                             formatter_class=argparse.RawDescriptionHelpFormatter)
    add.add_argument("folder", type=Path, metavar="DIR")
    add.add_argument("photo", type=Path, metavar="PHOTO")
    add.add_argument("--emoji", action="append", metavar="EMOJI",
                     help="emoji for the sticker (repeat, or several in one: --emoji 😺😻); default: from the class")
    common.add_sticker_options(add, file_options=False)
    common.add_crf_options(add, with_mode=True)
    common.add_model_options(add)
    add.set_defaults(func=run_add, target="telegram")

    listing = actions.add_parser("list", help="show the stickers and check the rules")
    listing.add_argument("folder", type=Path, metavar="DIR")
    listing.set_defaults(func=run_list)

    move = actions.add_parser("move", help="move sticker N to position M (1 = first)")
    move.add_argument("folder", type=Path, metavar="DIR")
    move.add_argument("position", type=int, metavar="N")
    move.add_argument("new_position", type=int, metavar="M")
    move.set_defaults(func=run_move)

    remove = actions.add_parser("remove", help="take sticker N out (its file moves to removed/)")
    remove.add_argument("folder", type=Path, metavar="DIR")
    remove.add_argument("position", type=int, metavar="N")
    remove.set_defaults(func=run_remove)

    emoji = actions.add_parser("emoji", help="set the emojis of sticker N")
    emoji.add_argument("folder", type=Path, metavar="DIR")
    emoji.add_argument("position", type=int, metavar="N")
    emoji.add_argument("emojis", metavar="EMOJIS", help="one or more emojis, e.g. 😺😻")
    emoji.set_defaults(func=run_emoji)

    tray = actions.add_parser("tray", help="make WhatsApp's tray icon from sticker N")
    tray.add_argument("folder", type=Path, metavar="DIR")
    tray.add_argument("position", type=int, metavar="N")
    tray.set_defaults(func=run_tray)

    export = actions.add_parser("export", help="write the files for WhatsApp or Telegram")
    export.add_argument("folder", type=Path, metavar="DIR")
    where = export.add_mutually_exclusive_group(required=True)
    where.add_argument("--whatsapp", type=Path, metavar="OUT", help="contents.json, tray icon, WEBPs and a .wastickers zip")
    where.add_argument("--telegram", type=Path, metavar="OUT", help="numbered PNG/WEBP stickers and emojis.txt for @Stickers")
    export.set_defaults(func=run_export)

    upload = actions.add_parser("upload", help="create (or add to) a Telegram sticker set through your bot")
    upload.add_argument("folder", type=Path, metavar="DIR")
    upload.add_argument("--bot-token", default=os.environ.get(TOKEN_VARIABLE), metavar="TOKEN",
                        help=f"your bot's token from @BotFather (default: ${TOKEN_VARIABLE})")
    upload.add_argument("--user-id", type=int, required=True, metavar="N", help="your Telegram user id (the set's owner)")
    upload.add_argument("--name", help="the set's name, ending in _by_<bot> (default: from the pack's identifier)")
    upload.add_argument("--add", action="store_true", help="add the stickers to the existing set --name")
    upload.add_argument("--api-url", default=None, metavar="URL", help="Bot API base URL (default https://api.telegram.org)")
    upload.set_defaults(func=run_upload)


def _index(position: int) -> int:
    """A 1-based position from the command line as a 0-based index (the library checks the upper end)."""
    if position < 1:
        from fcn_core.cli.common import UsageError

        raise UsageError(f"sticker positions start at 1 (the first sticker), not {position}")
    return position - 1


def _emojis(values: list[str] | None) -> tuple[str, ...] | None:
    from fcn_core.packs.rules import split_emojis

    if not values:
        return None
    found = tuple(emoji for value in values for emoji in split_emojis(value))
    leftover = [value for value in values if not split_emojis(value)]
    if leftover:
        from fcn_core.cli.common import UsageError

        raise UsageError(f"{', '.join(map(repr, leftover))} holds no emoji; give emoji characters such as 😺")
    return found


@handles_user_errors
def run_new(args: argparse.Namespace) -> int:
    from fcn_core.packs.model import create_pack

    pack = create_pack(args.folder, args.title, args.publisher, identifier=args.identifier, target=args.target)
    print(f"new {pack.target} pack {pack.title!r} (identifier {pack.identifier}) in {args.folder}")
    return 0


@handles_user_errors
def run_add(args: argparse.Namespace) -> int:
    from fcn_core.cli import common
    from fcn_core.packs.emojis import default_emojis
    from fcn_core.packs.model import add_sticker, open_pack
    from fcn_core.packs.render import render_for_pack
    from fcn_core.photo import load_photo

    pack = open_pack(args.folder)  # before the slow part: a wrong folder costs nothing
    emojis = _emojis(args.emoji)
    request = common.sticker_request(args, "png")
    photo = load_photo(args.photo)
    segmenter = common.load_segmenter(args)
    sticker, source = render_for_pack(pack, photo, segmenter.segment(photo), request)
    pack = add_sticker(args.folder, sticker.rgba, emojis or default_emojis(sticker.class_names), source)
    added = pack.stickers[-1]
    print(f"added {added.file} ({', '.join(sticker.class_names)}, {''.join(added.emojis)}) as sticker {len(pack.stickers)}")
    return 0


@handles_user_errors
def run_list(args: argparse.Namespace) -> int:
    from fcn_core.packs.check import quick_problems
    from fcn_core.packs.model import open_pack

    pack = open_pack(args.folder)
    print(f"{pack.title} — {pack.publisher}  ({pack.target} pack, identifier {pack.identifier}, {len(pack.stickers)} stickers)")
    tray = pack.tray_sticker
    for position, sticker in enumerate(pack.stickers, start=1):
        origin = ""
        if sticker.source is not None:
            photo = Path(sticker.source.photo).name if sticker.source.photo else "?"
            origin = f"  from {photo} ({', '.join(sticker.source.classes)})"
        mark = "  [tray]" if sticker is tray else ""
        print(f"{position:3d}. {sticker.file}  {''.join(sticker.emojis) or '(no emoji)'}{origin}{mark}")
    for messenger in ("whatsapp", "telegram"):
        problems = quick_problems(pack, args.folder, messenger)
        name = "WhatsApp" if messenger == "whatsapp" else "Telegram"
        print(f"{name}: " + ("ready" if not problems else f"{len(problems)} problem(s)"))
        for problem in problems:
            print(f"  - {problem}")
    return 0


@handles_user_errors
def run_move(args: argparse.Namespace) -> int:
    from fcn_core.packs.model import move_sticker

    move_sticker(args.folder, _index(args.position), _index(args.new_position))
    print(f"moved sticker {args.position} to position {args.new_position}")
    return 0


@handles_user_errors
def run_remove(args: argparse.Namespace) -> int:
    from fcn_core.packs.model import REMOVED_FOLDER, remove_sticker

    removed = remove_sticker(args.folder, _index(args.position))
    print(f"removed sticker {args.position}; its file is kept in {args.folder / REMOVED_FOLDER} "
          f"({len(removed.stickers)} stickers left)")
    return 0


@handles_user_errors
def run_emoji(args: argparse.Namespace) -> int:
    from fcn_core.packs.model import set_emojis

    emojis = _emojis([args.emojis]) or ()
    set_emojis(args.folder, _index(args.position), emojis)
    print(f"sticker {args.position}: {''.join(emojis)}")
    return 0


@handles_user_errors
def run_tray(args: argparse.Namespace) -> int:
    from fcn_core.packs.model import set_tray

    set_tray(args.folder, _index(args.position))
    print(f"the tray icon is made from sticker {args.position}")
    return 0


@handles_user_errors
def run_export(args: argparse.Namespace) -> int:
    from fcn_core.packs.model import open_pack

    pack = open_pack(args.folder)
    if args.whatsapp is not None:
        from fcn_core.packs.whatsapp import export_whatsapp

        result = export_whatsapp(pack, args.folder, args.whatsapp)
        notes = result.notes
        print(f"WhatsApp: {len(result.sticker_files)} stickers, {result.contents} and {result.wastickers}")
    else:
        from fcn_core.packs.telegram import export_telegram

        telegram = export_telegram(pack, args.folder, args.telegram)
        notes = telegram.notes
        print(f"Telegram: {len(telegram.sticker_files)} stickers and {telegram.emoji_list} in {telegram.folder}; "
              "send them to @Stickers (/newpack), or use `fcn-sticker pack upload`")
    for note in notes:
        print(f"  {note}")
    return 0


@handles_user_errors
def run_upload(args: argparse.Namespace) -> int:
    from fcn_core.cli.common import UsageError
    from fcn_core.packs.model import open_pack
    from fcn_core.packs.telegram import DEFAULT_API_URL, BotApi, upload_pack

    if not args.bot_token:
        raise UsageError(f"give your bot's token with --bot-token or ${TOKEN_VARIABLE} (from @BotFather)")
    if args.add and not args.name:
        raise UsageError("--add needs the --name of the set to add to")
    pack = open_pack(args.folder)
    api = BotApi(args.bot_token, api_url=args.api_url or DEFAULT_API_URL)

    def progress(done: int, total: int, what: str) -> None:
        print(f"[{done}/{total}] {what}", file=sys.stderr)

    result = upload_pack(pack, args.folder, api, args.user_id, name=args.name, add=args.add, progress=progress)
    verb = "created" if result.created else "added to"
    print(f"{verb} the set {result.name} ({result.added} stickers): {result.link}")
    return 0


# --- batch --pack ---------------------------------------------------------------------------


def batch_request(args: argparse.Namespace, request: StickerRequest) -> StickerRequest:
    """``batch --pack``: render for the pack's messenger into ``PACK/stickers`` (sets ``args.output``)."""
    from fcn_core.cli.common import UsageError
    from fcn_core.packs.model import STICKER_FOLDER, PackError, open_pack
    from fcn_core.packs.render import request_for_pack

    try:
        pack = open_pack(args.pack)
    except PackError as exc:
        raise UsageError(str(exc)) from exc
    if pack.target == "telegram-emoji":
        raise UsageError("batch writes 512 px stickers; add custom emoji one by one with `fcn-sticker pack add`")
    if args.output is not None and args.output.resolve() != (args.pack / STICKER_FOLDER).resolve():
        raise UsageError(f"with --pack the stickers go into {args.pack / STICKER_FOLDER}; leave out -o")
    args.output = args.pack / STICKER_FOLDER
    return request_for_pack(pack, request)


def add_batch_to_pack(folder: Path, report: BatchReport, request: StickerRequest) -> None:
    """Add the batch's stickers to the pack in photo order: those just made, and those a stopped
    earlier run made but did not add (skipped now because they exist)."""
    from fcn_core.packs.emojis import default_emojis
    from fcn_core.packs.model import StickerSource, add_file, open_pack

    listed = {(Path(folder) / sticker.file).resolve() for sticker in open_pack(folder).stickers}
    added = 0
    for item in report.items:
        if item.output is None or item.status == "failed" or item.output.resolve() in listed:
            continue
        source = StickerSource(photo=str(item.source.resolve()), classes=item.classes, crf=request.crf,
                               crf_mode=request.crf_mode, cleanup=request.cleanup, style=request.style)
        add_file(folder, item.output, default_emojis(item.classes), source)
        added += 1
    print(f"pack {folder}: {added} stickers added (emoji guessed from the class; change them with `pack emoji`)")
