"""The messengers' published sticker rules, and the checks that name the rule and the sticker
that breaks it.

Sources: WhatsApp's official sample app (``StickerPackValidator``: 3–30 stickers, static stickers
512×512 WEBP ≤ 100 KB, tray icon ≤ 50 KB — 96×96 PNG in its README —, identifier, name and
publisher ≤ 128 characters, 1–3 emojis per sticker, identifier of letters, digits, ``_ - . , '``
and spaces without ``..``); Telegram's sticker rules (PNG/WEBP with one side exactly 512 and the
other ≤ 512, ≤ 512 KB; custom emoji 100×100; a set holds up to 120 stickers with 1–20 emoji each;
Bot API set names of letters, digits and underscores that start with a letter). Sizes in KB are
KiB, as the sample app computes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import emoji

KB = 1024


@dataclass(frozen=True)
class Problem:
    """One broken rule: ``rule`` is a short stable name (``whatsapp.count``), ``sticker`` the
    1-based position of the sticker that breaks it (``None`` for the pack as a whole)."""

    rule: str
    text: str
    sticker: int | None = None

    def __str__(self) -> str:
        where = f"sticker {self.sticker}: " if self.sticker is not None else ""
        return f"{where}{self.text} [{self.rule}]"


@dataclass(frozen=True)
class ImageRule:
    """What a messenger accepts as one image: formats, exact or bounded side, byte limit."""

    title: str
    formats: tuple[str, ...]
    max_bytes: int
    side: int
    square: bool

    def size_problem(self, width: int, height: int) -> str | None:
        if self.square and (width, height) != (self.side, self.side):
            return f"{self.title} must be exactly {self.side}×{self.side} px, this one is {width}×{height}"
        if not self.square and not (max(width, height) == self.side and min(width, height) <= self.side):
            return (f"{self.title} needs one side of exactly {self.side} px and the other at most {self.side} px, "
                    f"this one is {width}×{height}")
        return None

    def bytes_problem(self, num_bytes: int) -> str | None:
        if num_bytes > self.max_bytes:
            return f"{self.title} may be at most {self.max_bytes // KB} KB, this one is {num_bytes / KB:.0f} KB"
        return None


@dataclass(frozen=True)
class MessengerRules:
    """A messenger's rules for a whole pack."""

    name: str
    title: str
    min_stickers: int
    max_stickers: int
    min_emojis: int
    max_emojis: int
    sticker: ImageRule
    max_text: int | None = None


WHATSAPP_STICKER = ImageRule("a WhatsApp sticker (static WEBP)", ("webp",), 100 * KB, 512, square=True)
WHATSAPP_TRAY = ImageRule("the WhatsApp tray icon (PNG)", ("png",), 50 * KB, 96, square=True)
TELEGRAM_STICKER = ImageRule("a Telegram sticker", ("png", "webp"), 512 * KB, 512, square=False)
TELEGRAM_EMOJI = ImageRule("a Telegram custom emoji", ("png", "webp"), 512 * KB, 100, square=True)

WHATSAPP = MessengerRules("whatsapp", "WhatsApp", 3, 30, 1, 3, WHATSAPP_STICKER, max_text=128)
TELEGRAM = MessengerRules("telegram", "Telegram", 1, 120, 1, 20, TELEGRAM_STICKER)
TELEGRAM_EMOJI_SET = MessengerRules("telegram-emoji", "Telegram custom emoji", 1, 200, 1, 20, TELEGRAM_EMOJI)
"""A custom emoji set holds up to 200 emoji (Telegram's limit for emoji sets)."""

MESSENGERS = {rules.name: rules for rules in (WHATSAPP, TELEGRAM, TELEGRAM_EMOJI_SET)}

WHATSAPP_IDENTIFIER = re.compile(r"[\w\-.,' ]+")
TELEGRAM_SET_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
TELEGRAM_SET_NAME_MAX = 64
TELEGRAM_TITLE_MAX = 64


def split_emojis(text: str) -> tuple[str, ...]:
    """The emojis of ``text`` in order (skin tones, flags and ZWJ sequences stay whole); other
    characters are ignored here, ``emoji_problems`` reports them."""
    return tuple(match["emoji"] for match in emoji.emoji_list(text))


def emoji_problems(emojis: tuple[str, ...], rules: MessengerRules, position: int) -> list[Problem]:
    """Count and kind of a sticker's emojis."""
    problems = []
    if len(emojis) < rules.min_emojis:
        problems.append(Problem(f"{rules.name}.emoji", f"{rules.title} needs at least {rules.min_emojis} emoji per sticker, "
                                "this one has none", position))
    elif len(emojis) > rules.max_emojis:
        problems.append(Problem(f"{rules.name}.emoji", f"{rules.title} allows at most {rules.max_emojis} emojis per sticker, "
                                f"this one has {len(emojis)}", position))
    not_emoji = [text for text in emojis if not emoji.is_emoji(text)]
    if not_emoji:
        problems.append(Problem(f"{rules.name}.emoji", f"{', '.join(map(repr, not_emoji))} is not an emoji", position))
    return problems


def count_problems(count: int, rules: MessengerRules) -> list[Problem]:
    if count < rules.min_stickers:
        return [Problem(f"{rules.name}.count", f"a {rules.title} pack needs at least {rules.min_stickers} stickers, "
                        f"this one has {count}")]
    if count > rules.max_stickers:
        return [Problem(f"{rules.name}.count", f"a {rules.title} pack holds at most {rules.max_stickers} stickers, "
                        f"this one has {count}: remove {count - rules.max_stickers}")]
    return []


def whatsapp_text_problems(identifier: str, title: str, publisher: str) -> list[Problem]:
    """The sample app's rules for the pack's identifier, name and publisher."""
    problems = []
    for field, value in (("identifier", identifier), ("name", title), ("publisher", publisher)):
        if not value.strip():
            problems.append(Problem(f"whatsapp.{field}", f"the pack's {field} is empty"))
        elif len(value) > WHATSAPP.max_text:  # type: ignore[operator]
            problems.append(Problem(f"whatsapp.{field}", f"the pack's {field} has {len(value)} characters, "
                                    f"WhatsApp allows {WHATSAPP.max_text}"))
    if identifier and (not WHATSAPP_IDENTIFIER.fullmatch(identifier) or ".." in identifier):
        problems.append(Problem("whatsapp.identifier", f"the identifier {identifier!r} may hold only letters, digits, "
                                "_ - . , ' and spaces, and no '..'"))
    return problems


def telegram_title_problems(title: str) -> list[Problem]:
    if not title.strip():
        return [Problem("telegram.title", "the set's title is empty")]
    if len(title) > TELEGRAM_TITLE_MAX:
        return [Problem("telegram.title", f"Telegram set titles have at most {TELEGRAM_TITLE_MAX} characters, "
                        f"this one has {len(title)}")]
    return []
