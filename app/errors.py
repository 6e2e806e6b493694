"""Turn an exception into a dialog a person can act on: what happened, in plain words, and what
to do next. The messages of ``fcn_core`` already name the file and the reason; this adds the
title and the next step that belongs to the window (which menu, which button)."""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtWidgets import QMessageBox, QWidget

from app.compute.client import ComputeProcessError
from fcn_core import EmptyMaskError, PhotoError, StickerSaveError, WeightsError
from fcn_core.batch import BatchError
from fcn_core.compute.protocol import NoModelError
from fcn_core.weights.download import DownloadError
from fcn_core.weights.errors import WeightsNotFoundError

LOAD_WEIGHTS_STEP = "Use Model ▸ Load weights… to pick a weights file you have."


@dataclass(frozen=True)
class Explanation:
    title: str
    text: str
    severity: str = "critical"  # or "warning": the user can go on without doing anything

    def as_html(self) -> str:
        """The title as a bold headline over the text: macOS shows no title on message boxes."""
        paragraphs = [html.escape(part).replace("\n", "<br>") for part in self.text.split("\n\n")]
        return f"<p><b>{html.escape(self.title)}</b></p>" + "".join(f"<p>{part}</p>" for part in paragraphs)


def show_explanation(parent: QWidget, explanation: Explanation) -> None:
    """A modal message box of the explanation's severity."""
    show = QMessageBox.warning if explanation.severity == "warning" else QMessageBox.critical
    show(parent, explanation.title, explanation.as_html())


def as_sentence(message: str) -> str:
    """``the folder … does not exist`` → ``The folder … does not exist.``"""
    message = message.strip()
    if not message:
        return message
    return message[0].upper() + message[1:] + ("" if message.endswith((".", "!", "?")) else ".")


def explain(exc: BaseException, doing: str) -> Explanation:
    """What to tell the user about ``exc``, raised while ``doing`` (e.g. "open the photo")."""
    if isinstance(exc, PhotoError):
        return Explanation(
            "Cannot open this photo",
            f"{exc}.\n\nPick another file: JPEG, PNG, WEBP, BMP, TIFF or GIF all work.",
        )
    if isinstance(exc, NoModelError):
        return Explanation(
            "No model loaded",
            "The photo is open, but no model is loaded to find the objects in it.\n\n"
            f"{LOAD_WEIGHTS_STEP} Or choose Model ▸ Download weights….",
            "warning",
        )
    if isinstance(exc, ComputeProcessError):
        return Explanation("The compute process stopped", str(exc), "warning")
    if isinstance(exc, WeightsNotFoundError):
        return Explanation("No weights for this model", f"{exc}\n\n{LOAD_WEIGHTS_STEP}", "warning")
    if isinstance(exc, DownloadError):
        return Explanation(
            "Download failed",
            f"{exc}\n\nCheck the internet connection and try again, or: {LOAD_WEIGHTS_STEP}",
        )
    if isinstance(exc, WeightsError):
        return Explanation(
            "Cannot use these weights",
            f"{exc}\n\n{LOAD_WEIGHTS_STEP} "
            "Make sure the file belongs to the model chosen in the Model menu.",
        )
    if isinstance(exc, EmptyMaskError):
        return Explanation(
            "Nothing to cut out",
            f"There is {exc}.\n\nClick another object in the photo or in the class list.",
            "warning",
        )
    if isinstance(exc, StickerSaveError):  # the library's message says what failed and, where one helps, what to do
        return Explanation("The sticker was not saved", as_sentence(str(exc)))
    if isinstance(exc, BatchError):
        return Explanation("Batch export cannot start", f"{exc}.\n\nChoose another folder and start again.")
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return Explanation(
            f"Could not {doing}",
            f"{exc.strerror or exc}{where}.\n\nCheck that the folder exists and that you may write there, "
            "then try again.",
        )
    return Explanation(
        f"Could not {doing}",
        f"Something unexpected went wrong: {type(exc).__name__}: {exc}\n\n"
        "Try again; if it keeps happening, start the app from a terminal and report the log.",
    )
