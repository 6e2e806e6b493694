"""The Model menu: choose a model from the registry, load a weights file, download with consent.

Weights are never replaced by random ones: when none are found the user is asked what to do
(load a file they have, or download after seeing where from and how big), a download shows a
progress dialog that can be cancelled, and every failure is a dialog that names the next step.
A file the user loads is imported into the weights cache (as ``fcn-sticker weights import``
does), so the command line finds it too and moving the file later breaks nothing; the model
switches to the architecture the file holds, and where the file does not say (FCN-8s or
FCN-8s-at-once), the user is asked which it is.
Loading runs in the compute process; the model that was loaded before stays in use until a new
one is, and the menu ticks only the model in use (a model being loaded, or one the user then said
"Not now" to, is not ticked).
"""

from __future__ import annotations

import html
import logging
from dataclasses import replace
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QAbstractButton, QFileDialog, QMenu, QMessageBox, QProgressDialog, QWidget

from app.compute.client import ComputeClient
from app.errors import Explanation, explain, show_explanation
from app.segmenter_factory import ModelRequest
from app.settings import AppSettings
from fcn_core import get_model_spec
from fcn_core.compute.protocol import ImportedWeights, ImportWeights, ModelInfo
from fcn_core.models.registry import ModelSpec, all_model_specs
from fcn_core.weights.download import DownloadCancelled, DownloadError
from fcn_core.weights.errors import AmbiguousWeightsError, WeightsNotFoundError
from fcn_core.weights.sources import TORCHVISION_RELEASES

logger = logging.getLogger(__name__)

WEIGHTS_FILTER = "Weights (*.pt *.pth *.caffemodel);;All files (*)"
VGG_FCN_SIZE_HINT = "about 0.5 GB"
"""The Caffe and pytorch-fcn releases of the VGG16 FCNs publish no size; all are roughly this big."""

Choice = Literal["download", "load", "cancel"]
RecoveryChoice = Literal["retry", "load", "smaller", "cancel"]


def download_size_text(spec: ModelSpec) -> str:
    size = spec.weight_sources[0].size_bytes if spec.weight_sources else None
    if size:
        return f"{size / 1e6:.0f} MB"
    return VGG_FCN_SIZE_HINT if spec.family == "vgg-fcn" else "size not published"


def ask_weights(parent: QWidget, spec: ModelSpec, reason: str) -> Choice:
    """Ask how to get weights for ``spec``: download (the consent), load a file, or not now."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Weights for " + spec.name)
    box.setText(f"<b>{html.escape(reason)}</b>")
    download = None
    if spec.weight_sources:
        host = urlparse(spec.weight_sources[0].url).netloc
        box.setInformativeText(
            f"Download them now from {host} ({download_size_text(spec)})? They are stored on this "
            "computer and used from then on.\n\nOr load a weights file you already have."
        )
        download = box.addButton("Download", QMessageBox.ButtonRole.AcceptRole)
    else:
        box.setInformativeText("Load a weights file you have.")
    load = box.addButton("Load weights file…", QMessageBox.ButtonRole.ActionRole)
    box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(download or load)
    box.exec()
    clicked = box.clickedButton()
    if download is not None and clicked is download:
        return "download"
    return "load" if clicked is load else "cancel"


def smaller_model(instead_of: str) -> tuple[ModelSpec, str] | None:
    """The model with the smallest download from torchvision's servers (which answer where the
    FCN releases' hosts often do not), and a sentence with its size and quality."""
    releases = [
        (TORCHVISION_RELEASES[spec.name], spec)
        for spec in all_model_specs()
        if spec.family == "torchvision" and spec.name != instead_of and spec.name in TORCHVISION_RELEASES
    ]
    if not releases:
        return None
    (_, miou, size_mb), spec = min(releases, key=lambda release: release[0][2])
    return spec, (
        f"{spec.name} is a smaller model from torchvision's servers: a {size_mb:.0f} MB download, "
        f"{miou} mean IU on COCO val2017 with the VOC classes."
    )


def download_failure_box(
    parent: QWidget | None, spec: ModelSpec, exc: Exception
) -> tuple[QMessageBox, dict[QAbstractButton, RecoveryChoice]]:
    """The next steps after every download source failed, as buttons; the sources' addresses and
    errors (what a person reporting the problem needs, not what one acting on it reads) are
    behind "Show Details…"."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Download failed")
    box.setText(f"<b>Could not download the weights of {html.escape(spec.name)}.</b>")
    alternative = smaller_model(spec.name)
    box.setInformativeText(
        "None of the places that publish them answered: this computer may be offline, or the servers "
        "may be down.\n\n" + (f"{alternative[1]}\n\n" if alternative else "") + "What would you like to do?"
    )
    box.setDetailedText(str(exc))
    choices: dict[QAbstractButton, RecoveryChoice] = {
        box.addButton("Try again", QMessageBox.ButtonRole.AcceptRole): "retry",
        box.addButton("Load a weights file…", QMessageBox.ButtonRole.ActionRole): "load",
    }
    if alternative is not None:
        choices[box.addButton(f"Use {alternative[0].name}", QMessageBox.ButtonRole.ActionRole)] = "smaller"
    choices[box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)] = "cancel"
    return box, choices


def ask_after_download_failure(parent: QWidget, spec: ModelSpec, exc: Exception) -> RecoveryChoice:
    box, choices = download_failure_box(parent, spec, exc)
    box.exec()
    return choices.get(box.clickedButton(), "cancel")


def architecture_box(
    parent: QWidget | None, path: Path, candidates: tuple[str, ...]
) -> tuple[QMessageBox, dict[QAbstractButton, str]]:
    """Which of ``candidates`` (architectures with the same layers) ``path`` holds, asked in
    words: one button per model, named by its description."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Which model is this?")
    box.setText(f"<b>Which model are the weights in {html.escape(path.name)} for?</b>")
    box.setInformativeText(
        "These models have the same layers, and the file does not say which one it was trained as. "
        "Pick the one its source names (loading it as the other gives wrong results)."
    )
    choices: dict[QAbstractButton, str] = {
        box.addButton(get_model_spec(name).description, QMessageBox.ButtonRole.AcceptRole): name for name in candidates
    }
    box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
    return box, choices


def ask_architecture(parent: QWidget, path: Path, candidates: tuple[str, ...]) -> str | None:
    """The model the user says ``path`` holds; None for Cancel."""
    box, choices = architecture_box(parent, path, candidates)
    box.exec()
    return choices.get(box.clickedButton())


class ModelControl(QObject):
    """Owns the Model menu and the weights dialogs; asks the compute process to load models."""

    modelReady = Signal(object)  # ModelInfo of the model now loaded
    message = Signal(str)  # for the status bar

    def __init__(self, window: QWidget, service: ComputeClient, settings: AppSettings) -> None:
        super().__init__(window)
        self._window = window
        self._service = service
        self._settings = settings
        self.asking = False
        """True while the user is being asked how to get weights (a modal question is open)."""
        self._progress: QProgressDialog | None = None
        self.active_name: str | None = None
        self._wanted: str | None = None  # the model last chosen, until it loads or the user gives up on it
        self.loading: ModelRequest | ImportWeights | None = None
        """The load (or weights import) request in flight, if any."""
        self.menu = QMenu("&Model", window)
        self._group = QActionGroup(self)
        self._actions: dict[str, QAction] = {}
        for spec in all_model_specs():
            action = QAction(f"{spec.name} — {spec.description}", self, checkable=True)
            action.setData(spec.name)
            action.triggered.connect(lambda _=False, name=spec.name: self.choose(name))
            self._group.addAction(action)
            self.menu.addAction(action)
            self._actions[spec.name] = action
        self.menu.addSeparator()
        self.load_action = self.menu.addAction("&Load weights…", self.load_weights_file)
        self.download_action = self.menu.addAction("&Download weights…", lambda: self.download())
        service.modelLoaded.connect(self._on_loaded)
        service.modelFailed.connect(self._on_failed)
        service.weightsImported.connect(self._on_imported)
        service.importFailed.connect(self._on_import_failed)
        service.downloadProgress.connect(self._on_progress)

    @property
    def selected_name(self) -> str:
        """The model that Load and Download act on: the one last chosen, else the one in use."""
        return self._wanted or self.active_name or self._settings.model_name()

    def start(self) -> None:
        """Load the model of the last session."""
        self.choose(self._settings.model_name())

    def choose(self, name: str) -> None:
        """Load ``name`` with the weights file chosen for it before, else from the cache."""
        self._wanted = name
        self._check(self.active_name)  # the triggered action ticked itself; it is not in use yet
        self._load(ModelRequest(name, self._settings.weights_file(name)))

    def _load(self, request: ModelRequest) -> None:
        self.loading = request
        self._service.load_model(request)

    def load_weights_file(self) -> None:
        """Import a file the user picks; its model is loaded from the cache once it is in."""
        path, _ = QFileDialog.getOpenFileName(
            self._window, "Load a weights file", self._settings.last_folder("weights"), WEIGHTS_FILTER
        )
        if path:
            self._settings.set_last_folder("weights", Path(path).parent)
            self._import(ImportWeights(Path(path)))

    def _import(self, request: ImportWeights) -> None:
        self.loading = request
        self._service.import_weights(request)

    def download(self, *, confirmed: bool = False) -> None:
        spec = get_model_spec(self.selected_name)
        if not spec.weight_sources:
            text = f"{spec.name} has no download source.\n\nUse Model ▸ Load weights… to pick a file you have."
            show_explanation(self._window, Explanation("No download", text, "warning"))
            return
        if not confirmed:
            choice = ask_weights(self._window, spec, f"Download the weights of {spec.name}?")
            if choice == "load":
                self.load_weights_file()
            if choice != "download":
                return
        self._load(ModelRequest(spec.name, allow_download=True))
        self._show_progress(spec)

    # compute process results ------------------------------------------------------------------
    def _on_loaded(self, request: ModelRequest, info: ModelInfo) -> None:
        self._settle(request)
        self._close_progress()
        self.active_name = request.name
        self._wanted = None
        self._check(request.name)
        self._settings.set_model_name(request.name)
        if not self._service.recovery:  # after a restart the window's own message stays up
            note = info.device_message
            self.message.emit(f"Model {request.name} ready." + (f" {note}" if note else ""))
        self.modelReady.emit(info)

    def _on_imported(self, request: ImportWeights, imported: ImportedWeights) -> None:
        self._settle(request)
        name = imported.model_name
        self._settings.set_weights_file(name, None)  # a file remembered by an older version no longer wins over the cache
        self._wanted = name
        self.message.emit(f"{request.path.name} holds {name} weights; they are now kept with the program. Loading {name}…")
        self._load(ModelRequest(name))

    def _on_import_failed(self, request: ImportWeights, exc: Exception) -> None:
        self._settle(request)
        if isinstance(exc, AmbiguousWeightsError):
            self.asking = True
            try:
                name = ask_architecture(self._window, request.path, exc.candidates)
            finally:
                self.asking = False
            if name is not None:
                self._import(ImportWeights(request.path, name))
            return
        self._explain_failure(exc, f"load the weights in {request.path.name}")

    def _on_failed(self, request: ModelRequest, exc: Exception) -> None:
        self._settle(request)
        self._close_progress()
        self._check(self.active_name)
        if isinstance(exc, DownloadCancelled):
            self.message.emit("Download cancelled; nothing was saved.")
            return
        if isinstance(exc, DownloadError) and request.allow_download:
            self._recover_download(request, exc)
            return
        if isinstance(exc, WeightsNotFoundError):
            reason = f"No weights for {request.name} on this computer yet."
            self.asking = True
            try:
                choice = ask_weights(self._window, get_model_spec(request.name), reason)
            finally:
                self.asking = False
            if choice == "download":
                self.download(confirmed=True)
            elif choice == "load":
                self.load_weights_file()
            else:
                self._wanted = None  # "Not now": Load and Download act on the model in use again
            return
        if request.weights is not None and request.weights == self._settings.weights_file(request.name):
            self._settings.set_weights_file(request.name, None)  # do not fail the same way at every start
        self._explain_failure(exc, f"load the model {request.name}")

    def _explain_failure(self, exc: Exception, doing: str) -> None:
        explanation = explain(exc, doing)
        in_use = f"The model {self.active_name} stays in use." if self.active_name else "No model is loaded yet."
        show_explanation(self._window, replace(explanation, text=f"{explanation.text}\n\n{in_use}"))

    def _recover_download(self, request: ModelRequest, exc: Exception) -> None:
        self.asking = True
        try:
            choice = ask_after_download_failure(self._window, get_model_spec(request.name), exc)
        finally:
            self.asking = False
        alternative = smaller_model(request.name)
        if choice == "smaller" and alternative is not None:
            self._wanted = alternative[0].name
            self.download(confirmed=True)
        elif choice in ("retry", "load"):
            self._wanted = request.name
            if choice == "retry":
                self.download(confirmed=True)
            else:
                self.load_weights_file()
        else:
            self._wanted = None
            self.message.emit("No weights downloaded; Model ▸ Download weights… tries again.")

    def _settle(self, request: ModelRequest | ImportWeights) -> None:
        if request == self.loading:
            self.loading = None

    def _check(self, name: str | None) -> None:
        for action_name, action in self._actions.items():
            action.setChecked(action_name == name)

    # download progress ------------------------------------------------------------------------
    def _show_progress(self, spec: ModelSpec) -> None:
        self._close_progress()
        dialog = QProgressDialog(f"Downloading the weights of {spec.name}…", "Cancel", 0, 0, self._window)
        dialog.setWindowTitle("Downloading weights")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumDuration(0)
        dialog.canceled.connect(lambda: self._service.cancel("model"))
        dialog.show()
        self._progress = dialog

    def _on_progress(self, done: int, total: int | None) -> None:
        if self._progress is None:
            return
        if total:
            self._progress.setRange(0, 1000)
            self._progress.setValue(int(1000 * done / total))
            self._progress.setLabelText(f"Downloading weights… {done / 1e6:.0f} of {total / 1e6:.0f} MB")
        else:
            self._progress.setLabelText(f"Downloading weights… {done / 1e6:.0f} MB")

    def _close_progress(self) -> None:
        if self._progress is not None:
            self._progress.canceled.disconnect()
            self._progress.close()
            self._progress.deleteLater()
            self._progress = None
