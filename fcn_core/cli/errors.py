"""Errors a user can act on → one line on stderr and an exit code: the one mapper every command uses.

Exit codes (README): 0 done; 1 the input or the output failed (a photo, a dataset, a file that
could not be written); 2 a problem with the command itself (options, model, class, device,
weights — a bad weights file included); 130 interrupted. The exception types come from light
modules only, so naming them here costs ``fcn-sticker --help`` nothing.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable

from fcn_core.batch import BatchError
from fcn_core.device import DeviceUnavailableError
from fcn_core.mask import EmptyMaskError
from fcn_core.models.registry import UnknownModelError
from fcn_core.packs.check import PackRuleError
from fcn_core.packs.encode import CannotFit
from fcn_core.packs.model import PackError
from fcn_core.packs.telegram import TelegramError
from fcn_core.photo import PhotoError
from fcn_core.save import StickerSaveError
from fcn_core.training.errors import DatasetError, TrainingError
from fcn_core.weights.errors import WeightsError

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

CommandRun = Callable[[argparse.Namespace], int]


class UsageError(ValueError):
    """Options that contradict each other or name something that does not exist."""


class OutputRefused(RuntimeError):
    """Writing the output would replace the input photo, or an existing file without --overwrite."""


USAGE_ERRORS: tuple[type[BaseException], ...] = (
    UsageError, WeightsError, UnknownModelError, KeyError, DeviceUnavailableError, TrainingError,
    FileExistsError, FileNotFoundError,
)
"""The command itself is wrong (exit 2). ``KeyError``: an unknown class or model; its first
argument lists the names that exist."""

FAILED_ERRORS: tuple[type[BaseException], ...] = (
    PhotoError, EmptyMaskError, StickerSaveError, BatchError, OutputRefused, DatasetError, OSError,
    PackError, PackRuleError, CannotFit, TelegramError,
)
"""The input or the output failed (exit 1); a pack that breaks a messenger's rule, or an upload the Bot API
refused, included."""


def error(message: str) -> None:
    """Print a user-facing error line to stderr."""
    print(f"fcn-sticker: error: {message}", file=sys.stderr)


def exit_code_for(exc: BaseException) -> int | None:
    """The exit code for an error a user can act on, or None for a bug (which keeps its traceback)."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, USAGE_ERRORS):
        return EXIT_USAGE
    if isinstance(exc, FAILED_ERRORS):
        return EXIT_FAILED
    return None


def describe(exc: BaseException) -> str:
    """One plain line for ``exc``."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted; nothing half-written was left behind"
    if isinstance(exc, KeyError):
        return str(exc.args[0]) if exc.args else repr(exc)
    if isinstance(exc, OSError) and not isinstance(exc, (PhotoError, StickerSaveError)) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}"
    return str(exc)


def handles_user_errors(run: CommandRun) -> CommandRun:
    """Turn the errors a user can fix into a message and an exit code instead of a traceback."""

    @functools.wraps(run)
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except (KeyboardInterrupt, Exception) as exc:
            code = exit_code_for(exc)
            if code is None:
                raise
            error(describe(exc))
            return code

    return wrapper
