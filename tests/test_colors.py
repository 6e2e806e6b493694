"""The one colour parser/formatter the CLI, the settings and the reports share."""

from __future__ import annotations

import pytest

from fcn_core.colors import color_hex, color_rgb_text, parse_color


@pytest.mark.parametrize(
    ("text", "rgb"),
    [("#f8f8f8", (248, 248, 248)), ("F8F8F8", (248, 248, 248)), ("0,128,255", (0, 128, 255)), (" #000000 ", (0, 0, 0))],
)
def test_parse_accepts_hex_and_rgb(text: str, rgb: tuple[int, int, int]) -> None:
    assert parse_color(text) == rgb


@pytest.mark.parametrize("text", ["", "#fff", "#gggggg", "1,2", "1,2,3,4", "0,0,256", "-1,0,0", "red"])
def test_parse_refuses_anything_else_and_says_what_works(text: str) -> None:
    with pytest.raises(ValueError, match="use #rrggbb or R,G,B"):
        parse_color(text)


def test_formats_round_trip() -> None:
    for rgb in [(0, 0, 0), (248, 248, 248), (1, 128, 255)]:
        assert parse_color(color_hex(rgb)) == rgb
        assert parse_color(color_rgb_text(rgb)) == rgb
    assert color_hex((255, 0, 16)) == "#ff0010"
