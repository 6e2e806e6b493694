"""argparse pieces every sub-command shares."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any


class SubcommandParser(argparse.ArgumentParser):
    """A sub-command's parser that refuses unknown arguments itself.

    argparse hands a sub-command's leftovers up to the top-level parser, which then prints its
    own usage ("fcn-sticker [-h] [-v] COMMAND …") for a mistake in, say, ``make``'s options; the
    person needs ``make``'s usage instead.
    """

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras


class OptionalConstant(argparse.Action):
    """A flag that stores ``const`` unless a more specific option already set the value (so
    ``--crf --crf-preset original`` and ``--crf-preset original --crf`` mean the same)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option_string: str | None = None
    ) -> None:
        if getattr(namespace, self.dest, None) is None:
            setattr(namespace, self.dest, self.const)
