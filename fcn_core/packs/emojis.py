"""A first emoji for a sticker from what it shows, so a new sticker already meets the rules;
the person changes it in the pack panel or with ``--emoji``."""

from __future__ import annotations

from collections.abc import Sequence

CLASS_EMOJIS = {
    "aeroplane": "✈️", "bicycle": "🚲", "bird": "🐦", "boat": "⛵", "bottle": "🍾", "bus": "🚌", "car": "🚗",
    "cat": "🐱", "chair": "🪑", "cow": "🐮", "diningtable": "🍽️", "dog": "🐶", "horse": "🐴", "motorbike": "🏍️",
    "person": "🙂", "pottedplant": "🪴", "sheep": "🐑", "sofa": "🛋️", "train": "🚆", "tvmonitor": "📺",
}
"""The PASCAL VOC classes; other class sets get ``FALLBACK``."""
FALLBACK = "⭐"


def default_emojis(class_names: Sequence[str], limit: int = 3) -> tuple[str, ...]:
    """One emoji per class shown (in order, no repeats, at most ``limit``), or ``FALLBACK``."""
    chosen = tuple(dict.fromkeys(CLASS_EMOJIS[name] for name in class_names if name in CLASS_EMOJIS))
    return chosen[:limit] or (FALLBACK,)
