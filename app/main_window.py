"""The main window: wires the document, the compute client and the widgets, and owns menus and dialogs.

Flow: Open (menu, toolbar, Ctrl+O, recent files, drag-and-drop) → the photo is decoded on a
thread here and segmented in the compute process (``app.compute``)
→ the document takes the photo and the segmentation and the largest object is pre-selected →
clicks (photo or class list) change the selection → ``Refinement`` re-runs the CRF, when on,
for the selection (results cached per photo) → the sticker builder keeps the preview current →
Save writes that very sticker. Nothing slow runs on this thread, and this process never imports
torch: the model lives in the compute process, which is restarted (and the photo re-segmented,
the person's choices kept) if it dies or hangs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QImage, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QScrollArea,
    QStyle,
    QToolBar,
    QToolButton,
    QWidget,
)

from app.batch_dialog import BatchDialog
from app.compute.client import ComputeClient, Deadlines
from app.document import Document
from app.errors import Explanation, explain, show_explanation
from app.imaging import shares_of
from app.layers import selection_names
from app.legend import LegendWidget
from app.model_control import ModelControl
from app.recent_menu import RecentFilesMenu
from app.refinement import Refinement
from app.segmenter_factory import SegmenterFactory, default_segmenter_factory
from app.settings import AppSettings
from app.sticker_builder import StickerBuilder
from app.sticker_panel import StickerPanel
from app.view_panel import ViewPanel
from fcn_core.compute.protocol import ModelInfo, NoModelError
from fcn_core.mask import AUTO, EmptyMaskError, resolve_classes
from fcn_core.photo import IMAGE_SUFFIXES, Photo
from fcn_core.pipeline import sticker_file_name
from fcn_core.save import SavedSticker
from fcn_core.segmentation import Segmentation

logger = logging.getLogger(__name__)

STICKER_SUFFIXES = (".png", ".webp")
"""File name endings of the sticker formats; typing one replaces it with the chosen format's."""

APP_TITLE = "FCN Sticker Studio"
PHOTO_FILTER = "Photos ({});;All files (*)".format(" ".join(f"*{suffix}" for suffix in sorted(IMAGE_SUFFIXES)))
STATUS_SECONDS = 6


class MainWindow(QMainWindow):
    """The desktop window. ``segmenter_factory``, ``settings`` and ``deadlines`` are injectable
    (tests, scripts); the factory must be picklable: the compute process builds the segmenter
    with it."""

    segmentationShown = Signal()  # the document holds a new segmentation (and its pre-selection)
    stickerSaved = Signal(object)  # SavedSticker

    def __init__(
        self,
        segmenter_factory: SegmenterFactory = default_segmenter_factory,
        settings: AppSettings | None = None,
        parent: QWidget | None = None,
        deadlines: Deadlines | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings or AppSettings()
        self.document = Document(self)
        self.service = ComputeClient(segmenter_factory, deadlines, self)
        self.builder = StickerBuilder(self.document, self)
        self.refinement = Refinement(self.document, self.service, self)
        self.batch_dialog: BatchDialog | None = None

        self.view_panel = ViewPanel(self.document)
        self.legend = LegendWidget()
        self.sticker_panel = StickerPanel(self.document)
        self.model_control = ModelControl(self, self.service, self.settings)
        self.setCentralWidget(self.view_panel)
        self._docks = (
            self._add_dock("Classes", self.legend, "classes_dock"),
            self._add_dock("Sticker", self.sticker_panel, "sticker_dock", scroll=True),
        )
        self._create_actions()
        self._create_menus()
        self._create_toolbar()
        self._create_status_bar()
        self._restore_settings()  # before _connect, so restoring one option cannot store the others' defaults
        self._connect()
        self.setAcceptDrops(True)
        self._update_title()
        self._update_actions()
        self.model_control.start()

    # construction -----------------------------------------------------------------------------
    def _add_dock(self, title: str, widget: QWidget, name: str, *, scroll: bool = False) -> QDockWidget:
        """A right-hand dock; ``scroll`` lets a tall panel shrink with the window on small screens."""
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        if scroll:
            area = QScrollArea()
            area.setWidget(widget)
            area.setWidgetResizable(True)
            area.setFrameShape(QFrame.Shape.NoFrame)
            area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            area.setMinimumWidth(widget.sizeHint().width() + area.verticalScrollBar().sizeHint().width())
            widget = area
        dock.setWidget(widget)
        features = QDockWidget.DockWidgetFeature
        dock.setFeatures(features.DockWidgetMovable | features.DockWidgetFloatable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        return dock

    def _action(
        self, text: str, slot: Callable[[], object], shortcut: QKeySequence.StandardKey | str | None = None,
        icon: QStyle.StandardPixmap | None = None, tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(lambda _=False: slot())
        return action

    def _create_actions(self) -> None:
        pixmap = QStyle.StandardPixmap
        keys = QKeySequence.StandardKey
        self.open_action = self._action(
            "&Open photo…", self.open_photo, keys.Open, pixmap.SP_DialogOpenButton,
            "Open a photo and find the objects in it",
        )
        self.save_action = self._action(
            "&Save sticker…", self.save_sticker, keys.Save, pixmap.SP_DialogSaveButton,
            "Save the sticker shown in the preview",
        )
        self.batch_action = self._action(
            "&Batch export…", self.open_batch_dialog, "Ctrl+B", pixmap.SP_DirOpenIcon,
            "Make a sticker of every photo in a folder",
        )
        self.quit_action = self._action("&Quit", self.close, keys.Quit)
        view = self.view_panel.view
        self.fit_action = self._action("&Fit to window", view.fit, "Ctrl+0")
        self.actual_action = self._action("&Actual size (100%)", view.actual_size, "Ctrl+1")
        self.zoom_in_action = self._action("Zoom &in", lambda: view.zoom_by(1.25), keys.ZoomIn)
        self.zoom_out_action = self._action("Zoom &out", lambda: view.zoom_by(0.8), keys.ZoomOut)
        self.about_action = self._action("&About", self._about)

    def _create_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.open_action)
        self.recent_menu = RecentFilesMenu(self.settings, self)
        self.recent_menu.chosen.connect(self.open_photo)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.batch_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        view_menu = self.menuBar().addMenu("&View")
        for action in (self.fit_action, self.actual_action, self.zoom_in_action, self.zoom_out_action):
            view_menu.addAction(action)
        view_menu.addSeparator()
        for dock in self.findChildren(QDockWidget):
            view_menu.addAction(dock.toggleViewAction())
        self.menuBar().addMenu(self.model_control.menu)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self.about_action)

    def _create_toolbar(self) -> None:
        toolbar = QToolBar("Main", self)
        toolbar.setObjectName("main_toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.setIconSize(QSize(20, 20))
        toolbar.setMovable(False)
        toolbar.addAction(self.open_action)
        toolbar.addAction(self.save_action)
        toolbar.addAction(self.batch_action)
        model_button = QToolButton()
        model_button.setText("Model")
        model_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_ComputerIcon))
        model_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        model_button.setMenu(self.model_control.menu)
        model_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        model_button.setToolTip("Choose the model, load or download weights")
        toolbar.addWidget(model_button)
        self.addToolBar(toolbar)

    def _create_status_bar(self) -> None:
        self.hover_label = QLabel()
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setFixedWidth(110)
        self.busy_bar.setMaximumHeight(14)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.hide()
        self.busy_label = QLabel()
        self.model_label = QLabel("No model")
        self.zoom_label = QLabel()
        status = self.statusBar()
        status.addWidget(self.hover_label, 1)
        status.addPermanentWidget(self.busy_label)
        status.addPermanentWidget(self.busy_bar)
        status.addPermanentWidget(self.model_label)
        status.addPermanentWidget(self.zoom_label)

    def _connect(self) -> None:
        doc, service = self.document, self.service
        service.photoLoaded.connect(self._on_photo_loaded)
        service.segmented.connect(self._on_segmented)
        service.openFailed.connect(self._on_open_failed)
        self.refinement.failed.connect(self._on_refine_failed)
        service.busyChanged.connect(self._on_busy)
        service.restarted.connect(self._on_compute_restarted)
        self.model_control.modelReady.connect(self._on_model_ready)
        self.model_control.message.connect(self.show_message)
        doc.segmentationChanged.connect(self._refresh_legend)
        doc.refinedChanged.connect(self._refresh_legend)
        doc.selectionChanged.connect(lambda: self.legend.set_selection(doc.selection))
        self.legend.selectionEdited.connect(doc.select)
        self.builder.built.connect(self._on_sticker_built)
        self.builder.buildFailed.connect(self._on_sticker_failed)
        self.builder.saved.connect(self._on_saved)
        self.builder.saveFailed.connect(self._on_save_failed)
        self.sticker_panel.save_button.clicked.connect(self.save_sticker)
        self.view_panel.hoverText.connect(self.hover_label.setText)
        view = self.view_panel.view
        view.zoomChanged.connect(lambda scale: self.zoom_label.setText(f"{scale:.0%}" if view.has_photo() else ""))
        for signal in (doc.styleChanged, doc.crfChanged, doc.outputChanged):
            signal.connect(self._store_document_options)
        self.view_panel.opacity.valueChanged.connect(self.settings.set_overlay_opacity)

    def _restore_settings(self) -> None:
        settings = self.settings
        if (geometry := settings.geometry()) is not None:
            self.restoreGeometry(geometry)
        else:
            screen = self.screen().availableGeometry()
            self.resize(min(1280, int(screen.width() * 0.9)), min(820, int(screen.height() * 0.9)))
        if (state := settings.window_state()) is not None:
            self.restoreState(state)
        else:  # the sticker preview matters more than a long class list
            self.resizeDocks(list(self._docks), [130, 10_000], Qt.Orientation.Vertical)
        self.document.set_style(settings.sticker_style())
        self.document.set_crf(enabled=settings.crf_enabled(), preset=settings.crf_preset())
        self.document.set_output(target=settings.output_target())
        self.document.set_output(fmt=settings.output_format())
        self.view_panel.opacity.setValue(settings.overlay_opacity())

    def _store_document_options(self) -> None:
        doc, settings = self.document, self.settings
        settings.set_sticker_style(doc.style)
        settings.set_crf_enabled(doc.crf.enabled)
        settings.set_crf_preset(doc.crf.preset)
        settings.set_output_format(doc.output_format)
        settings.set_output_target(doc.output_target)

    # opening ----------------------------------------------------------------------------------
    def open_photo(self, path: str | Path | None = None) -> None:
        """Open ``path``, or ask for one (the slot of Open, recent files and drops)."""
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(self, "Open photo", self.settings.last_folder("open"), PHOTO_FILTER)
            if not chosen:
                return
            path = chosen
        path = Path(path)
        self.settings.set_last_folder("open", path.parent)
        self.service.open(path)
        self._update_title(opening=path.name)

    def _on_photo_loaded(self, photo: Photo, image: QImage) -> None:
        self.view_panel.prepare_photo(photo, image)
        self.document.set_photo(photo)
        if photo.path is not None:
            self.recent_menu.add(photo.path)
        self._update_title()
        self._update_actions()

    def _on_segmented(self, segmentation: Segmentation) -> None:
        if self.document.photo is None or tuple(segmentation.photo_size) != tuple(self.document.photo.size):
            return  # a re-segmentation of a photo that has been replaced since
        again = self.document.segmentation is not None  # a new model, or the compute process restarted
        self.document.set_segmentation(segmentation)  # keeps the selected classes that are still there
        if not (again and self.document.selection):
            try:
                self.document.select(resolve_classes(segmentation, AUTO))
            except EmptyMaskError:
                self.show_message("The network found only background here; click any class to use it.")
        self.segmentationShown.emit()

    def _on_open_failed(self, source: object, exc: Exception) -> None:
        self._update_title()
        if isinstance(exc, NoModelError) and (self.model_control.asking or self.service.is_running("model")):
            # The weights question on screen already says what to do (or a model is on its way);
            # a dialog on top of it would only hide it. The photo is segmented once a model is ready.
            self.show_message("The photo is open; it will be segmented once a model is loaded.")
            return
        show_explanation(self, explain(exc, "open the photo"))

    def _on_model_ready(self, model: ModelInfo) -> None:
        self.model_label.setText(f"Model: {self.model_control.active_name}")
        self._update_actions()
        if self.document.photo is not None and self.service.recovery != "reload":
            self.service.open(self.document.photo)  # the new model (or the restarted process) re-segments it

    def _on_compute_restarted(self, text: str) -> None:
        self.statusBar().showMessage(text, 3 * STATUS_SECONDS * 1000)

    def _on_refine_failed(self, exc: Exception) -> None:
        explanation = explain(exc, "refine the edges")
        text = explanation.text + "\n\nThe CRF has been switched off."
        show_explanation(self, replace(explanation, text=text, severity="warning"))

    def _refresh_legend(self) -> None:
        seg = self.document.displayed
        self.legend.set_classes(seg.classes if seg else None, shares_of(seg) if seg else {})
        self.legend.set_selection(self.document.selection)

    # sticker ----------------------------------------------------------------------------------
    def _on_sticker_built(self, sticker: object) -> None:
        doc = self.document
        if sticker is not None:
            self.sticker_panel.show_sticker(sticker, selection_names(doc))
        elif doc.photo is None:
            self.sticker_panel.show_sticker(None, "Open a photo, then click an object")
        elif doc.segmentation is None and self.service.is_running("model"):
            self.sticker_panel.show_sticker(None, "Loading the model…")
        elif doc.segmentation is None and self.service.model is None:
            self.sticker_panel.show_sticker(None, "No model loaded yet (Model menu)")
        elif doc.segmentation is None:
            self.sticker_panel.show_sticker(None, "Finding the objects…")
        elif not doc.selection:
            self.sticker_panel.show_sticker(None, "Click an object in the photo or a class in the list")
        else:
            self.sticker_panel.show_sticker(None, "Refining the edges…")
        self._update_actions()

    def _on_sticker_failed(self, exc: Exception) -> None:
        self.sticker_panel.show_sticker(None, explain(exc, "make the sticker").text.split("\n\n")[0])
        self._update_actions()

    def default_sticker_path(self) -> Path:
        """``<photo stem>.<classes>.sticker.<fmt>`` in the last save folder (else the photo's)."""
        doc = self.document
        photo_path = doc.photo.path if doc.photo is not None else None
        stem = photo_path.stem if photo_path is not None else "sticker"
        names = [doc.segmentation.classes.names[c] for c in sorted(doc.selection)] if doc.segmentation else []
        folder = self.settings.last_folder("save") or (str(photo_path.parent) if photo_path else "")
        return Path(folder) / sticker_file_name(stem, names, doc.output_format)

    def save_sticker(self) -> None:
        if self.builder.sticker is None:
            self.show_message("Nothing to save yet: click an object first.")
            return
        fmt = self.document.output_format
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Save sticker", str(self.default_sticker_path()), f"{fmt.upper()} sticker (*.{fmt})"
        )
        if not chosen:
            return
        path = Path(chosen)
        if path.suffix.lower() in STICKER_SUFFIXES:  # "me.png" typed while WEBP is chosen: not "me.png.webp"
            path = path.with_suffix(f".{fmt}")
        elif path.suffix.lower() != f".{fmt}":
            path = path.with_name(path.name + f".{fmt}")
        photo = self.document.photo
        if photo is not None and photo.path is not None and path.resolve() == photo.path.resolve():
            text = "Saving there would replace the photo itself.\n\nChoose another file name."
            show_explanation(self, Explanation("That is the photo", text, "warning"))
            return
        self.settings.set_last_folder("save", path.parent)
        self.builder.save(path, overwrite=True)  # the file dialog already asked about replacing

    def _on_saved(self, saved: SavedSticker) -> None:
        self.show_message(f"Saved {saved.path} ({saved.num_bytes / 1024:.0f} KB, {saved.fmt.upper()}).")
        self.stickerSaved.emit(saved)

    def _on_save_failed(self, path: Path, exc: Exception) -> None:
        show_explanation(self, explain(exc, f"save {path.name}"))

    # batch ------------------------------------------------------------------------------------
    def open_batch_dialog(self) -> BatchDialog | None:
        model = self.service.model
        if model is None:
            text = "Batch export needs a model.\n\nUse Model ▸ Load weights… or Model ▸ Download weights… first."
            show_explanation(self, Explanation("No model loaded", text, "warning"))
            return None
        if self.batch_dialog is not None:
            self.batch_dialog.deleteLater()
        self.batch_dialog = BatchDialog(self.service, self.settings, self.document, model.classes, self)
        self.batch_dialog.setWindowModality(Qt.WindowModality.NonModal)  # the window stays usable
        self.batch_dialog.show()
        return self.batch_dialog

    # drag and drop ----------------------------------------------------------------------------
    @staticmethod
    def _dropped_photo(event: QDragEnterEvent | QDropEvent) -> Path | None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                path = Path(url.toLocalFile())
                if path.suffix.lower() in IMAGE_SUFFIXES or path.is_file():
                    return path
        return None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_photo(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = self._dropped_photo(event)
        if path is not None:
            event.acceptProposedAction()
            self.open_photo(path)

    # small things -----------------------------------------------------------------------------
    def _on_busy(self, text: str) -> None:
        self.busy_label.setText(text)
        self.busy_bar.setVisible(bool(text))

    def _update_title(self, opening: str = "") -> None:
        """The open photo's file name, or ``opening``'s while it is being decoded (so a window
        started with a photo shows its name in the very first frame)."""
        photo = self.document.photo
        name = opening or (photo.path.name if photo is not None and photo.path is not None else "")
        self.setWindowTitle(f"{name} — {APP_TITLE}" if name else APP_TITLE)

    def _update_actions(self) -> None:
        self.save_action.setEnabled(self.builder.sticker is not None)

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, STATUS_SECONDS * 1000)

    def _about(self) -> None:
        QMessageBox.about(
            self, f"About {APP_TITLE}",
            f"<b>{APP_TITLE}</b><p>Turn a photo into a sticker with FCN semantic segmentation "
            "(Long, Shelhamer &amp; Darrell, 2015): open a photo, click the object, save.</p>",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.batch_dialog is not None and self.batch_dialog.is_running():
            self.batch_dialog.stop()
        self.settings.set_geometry(self.saveGeometry())
        self.settings.set_window_state(self.saveState())
        self._store_document_options()
        self.settings.sync()
        self.builder.shutdown()
        self.service.shutdown()
        super().closeEvent(event)
