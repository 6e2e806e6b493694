"""Check a pack against one messenger's rules, and prepare the files that messenger gets.

``prepare`` reads every sticker, converts it where the messenger needs another format or canvas
(a Telegram PNG becomes a WhatsApp WEBP; a 512×384 sticker is centred on 512×512), re-encodes
it with falling WEBP quality when it is over the byte limit, and lists every rule it breaks,
naming the rule and the sticker. Export writes nothing unless the list is empty.

``quick_problems`` is the cheap part for live validation in the window: counts, emojis, names
and each file's header and size, without encoding anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from fcn_core.packs.encode import CannotFit, Encoded, encode_to_fit, fit_canvas
from fcn_core.packs.model import Pack, PackSticker
from fcn_core.packs.rules import (
    MESSENGERS,
    WHATSAPP,
    WHATSAPP_TRAY,
    ImageRule,
    MessengerRules,
    Problem,
    count_problems,
    emoji_problems,
    telegram_title_problems,
    whatsapp_text_problems,
)

PIL_NAMES = {"PNG": "png", "WEBP": "webp"}
TRAY_SIDE = WHATSAPP_TRAY.side


class PackRuleError(ValueError):
    """The pack breaks the messenger's rules; ``problems`` lists each one."""

    def __init__(self, messenger: MessengerRules, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"the pack does not meet {messenger.title}'s rules:\n{lines}")


@dataclass(frozen=True)
class PreparedSticker:
    """A sticker's bytes as the messenger gets them, and what was done to make them fit."""

    sticker: PackSticker
    encoded: Encoded
    converted: bool

    @property
    def note(self) -> str:
        if self.encoded.quality is not None and self.converted:
            return f"re-encoded as WEBP quality {self.encoded.quality}"
        return "converted" if self.converted else "as is"


@dataclass(frozen=True)
class Prepared:
    messenger: MessengerRules
    stickers: tuple[PreparedSticker, ...]
    tray: Encoded | None


def messenger_rules(pack: Pack, messenger: str) -> MessengerRules:
    """The rules an export to ``messenger`` (``whatsapp`` or ``telegram``) checks; a custom emoji
    pack goes to Telegram as an emoji set."""
    if messenger == "telegram" and pack.target == "telegram-emoji":
        return MESSENGERS["telegram-emoji"]
    return MESSENGERS[messenger]


def pack_level_problems(pack: Pack, rules: MessengerRules) -> list[Problem]:
    problems = count_problems(len(pack.stickers), rules)
    if rules is WHATSAPP:
        problems += whatsapp_text_problems(pack.identifier, pack.title, pack.publisher)
    else:
        problems += telegram_title_problems(pack.title)
    for position, sticker in enumerate(pack.stickers, start=1):
        problems += emoji_problems(sticker.emojis, rules, position)
    return problems


def quick_problems(pack: Pack, folder: Path, messenger: str) -> list[Problem]:
    """Rules that can be checked without encoding (module doc); a sticker that export would
    convert or re-encode is not a problem here."""
    rules = messenger_rules(pack, messenger)
    problems = pack_level_problems(pack, rules)
    for position, sticker in enumerate(pack.stickers, start=1):
        try:
            with Image.open(Path(folder) / sticker.file) as image:
                size = image.size
        except (OSError, ValueError) as exc:
            problems.append(Problem(f"{rules.name}.file", f"{sticker.file} cannot be read: {exc}", position))
            continue
        if max(size) < rules.sticker.side:
            problems.append(Problem(f"{rules.name}.size", f"{sticker.file} is {size[0]}×{size[1]}, smaller than "
                                    f"{rules.title}'s {rules.sticker.side} px: render it for {rules.title} instead", position))
    return problems


def prepare(pack: Pack, folder: Path, messenger: str) -> Prepared:
    """Every file the messenger gets, fitted to its rules; ``PackRuleError`` lists what cannot be."""
    rules = messenger_rules(pack, messenger)
    problems = pack_level_problems(pack, rules)
    prepared = []
    for position, sticker in enumerate(pack.stickers, start=1):
        try:
            prepared.append(_prepare_sticker(Path(folder) / sticker.file, sticker, rules.sticker))
        except _StickerProblem as exc:
            problems.append(Problem(f"{rules.name}.{exc.rule}", f"{sticker.file}: {exc}", position))
    tray = None
    if rules is WHATSAPP and pack.tray_sticker is not None:
        try:
            tray = tray_icon(Path(folder) / pack.tray_sticker.file)
        except (OSError, CannotFit) as exc:
            problems.append(Problem("whatsapp.tray", f"the tray icon cannot be made from {pack.tray_sticker.file}: {exc}"))
    if problems:
        raise PackRuleError(rules, problems)
    return Prepared(rules, tuple(prepared), tray)


class _StickerProblem(ValueError):
    def __init__(self, rule: str, text: str) -> None:
        super().__init__(text)
        self.rule = rule


def _prepare_sticker(path: Path, sticker: PackSticker, rule: ImageRule) -> PreparedSticker:
    try:
        data = path.read_bytes()
        with Image.open(path) as image:
            image.load()
            fmt = PIL_NAMES.get(image.format or "")
            frames = getattr(image, "n_frames", 1)
            picture = image.convert("RGBA")
    except (OSError, ValueError) as exc:
        raise _StickerProblem("file", f"cannot be read: {exc}") from exc
    if frames > 1:
        raise _StickerProblem("static", f"is animated ({frames} frames); only static stickers are supported")
    if max(picture.size) < rule.side:
        raise _StickerProblem("size", f"is {picture.width}×{picture.height}, smaller than {rule.side} px: "
                              "render it for this messenger instead of enlarging it")
    if fmt in rule.formats and rule.size_problem(*picture.size) is None and len(data) <= rule.max_bytes:
        return PreparedSticker(sticker, Encoded(data, fmt), converted=False)
    # Keep the format where the messenger takes it; WEBP (lossy, fits by lowering quality) otherwise
    # and as the last resort for a PNG too big for the limit.
    formats = [fmt] if fmt in rule.formats else []
    formats += [name for name in ("webp",) if name in rule.formats and name not in formats]
    canvas = fit_canvas(picture, rule)
    failure: CannotFit | None = None
    for target_fmt in formats:
        try:
            return PreparedSticker(sticker, encode_to_fit(canvas, target_fmt, rule), converted=True)
        except CannotFit as exc:
            failure = exc
    raise _StickerProblem("bytes", str(failure)) from failure


def tray_icon(path: Path) -> Encoded:
    """A 96×96 PNG tray icon of the sticker at ``path`` (≤ 50 KB, checked)."""
    with Image.open(path) as image:
        picture = image.convert("RGBA")
    picture.thumbnail((TRAY_SIDE, TRAY_SIDE), Image.Resampling.LANCZOS)
    return encode_to_fit(fit_canvas(picture, WHATSAPP_TRAY), "png", WHATSAPP_TRAY)
