"""The main window: wires the document, the compute client and the widgets, and owns menus and dialogs.

Flow: Open (menu, toolbar, Ctrl+O, recent files, drag-and-drop) → the photo is decoded on a
thread here and segmented in the compute process (``app.compute``)
→ the document takes the photo and the segmentation and the largest object is pre-selected →
clicks (photo: one object, Shift: its class; or the class list) change the selection → hand edits
(``app.edit_tools``) add to it → ``Refinement`` re-runs the CRF, when on, for the selection (results
cached per photo) → the sticker builder keeps the preview current (off this thread; edge
refinement, matting included, in the compute process) → Save or Copy takes that very sticker.
Every change the person makes is a step on the undo stack (``app.undo_commands``). Nothing slow
runs on this thread, and this process never imports torch (nor pymatting and numba): the model
lives in the compute process, which is restarted (and the photo
re-segmented, the person's choices kept) if it dies or hangs.
"""

from __future__ import annotations

import functools
import html
import logging
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent, QImage, QKeySequence, QUndoStack
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
from app.edit_tools import EditTools, Tool
from app.errors import Explanation, explain, show_explanation
from app.help_dialogs import ShortcutsDialog, version_and_licence
from app.highlight import Highlighter
from app.imaging import shares_of
from app.layers import selection_names
from app.legend import LegendWidget
from app.model_control import ModelControl
from app.pack_panel import PackPanel, pack_dock
from app.recent_menu import RecentFilesMenu
from app.refinement import Refinement
from app.segmenter_factory import SegmenterFactory, default_segmenter_factory
from app.settings import AppSettings
from app.sticker_builder import StickerBuilder
from app.sticker_panel import StickerPanel
from app.undo_commands import UndoRecorder
from app.view_panel import ViewPanel
from app.wheel_guard import wheel_only_when_focused
from fcn_core import EmptyMaskError, Photo, Segmentation, Sticker
from fcn_core.compute.protocol import ModelInfo, NoModelError
from fcn_core.mask import AUTO, resolve_classes
from fcn_core.photo import IMAGE_SUFFIXES
from fcn_core.pipeline import sticker_file_name
from fcn_core.save import STICKER_FORMATS, SavedSticker

logger = logging.getLogger(__name__)

STICKER_SUFFIXES = tuple(f".{fmt}" for fmt in STICKER_FORMATS)
"""File name endings of the sticker formats; typing one replaces it with the chosen format's."""

APP_TITLE = "FCN Sticker Studio"
PHOTO_FILTER = "Photos ({});;All files (*)".format(" ".join(f"*{suffix}" for suffix in sorted(IMAGE_SUFFIXES)))
STATUS_SECONDS = 6
MOUSE_SHORTCUTS = {
    "Make the class under the pointer the sticker": "Click the photo",
    "Add or remove a class": "Ctrl+click the photo or the class list",
    "Zoom": "Mouse wheel over the photo",
    "Pan": "Drag the photo",
}
LEGEND_ROWS = 5
"""Classes the list shows without scrolling at first start: PASCAL photos rarely have more, and
more rows would push the sticker preview below the fold of an 800-pixel-high window."""


def writable_folder(folder: Path) -> bool:
    """An existing folder this user may create files in (what a save dialog should start in)."""
    return folder.is_dir() and os.access(folder, os.W_OK)


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
        self.builder = StickerBuilder(self.document, self.service, self)
        self.refinement = Refinement(self.document, self.service, self)
        self.batch_dialog: BatchDialog | None = None
        self._opened_while_model_loads = False

        self.view_panel = ViewPanel(self.document)
        self.legend = LegendWidget()
        self.sticker_panel = StickerPanel(self.document)
        self.model_control = ModelControl(self, self.service, self.settings)
        self.undo_stack = QUndoStack(self)
        self.undo_recorder = UndoRecorder(self.document, self.undo_stack, self)
        self.edit_tools = EditTools(self.document, self.view_panel.view, self)
        self.highlighter = Highlighter(self.document, self.view_panel.view, self)
        self.document.confirm_drop_edits = self._confirm_drop_edits
        self.setCentralWidget(self.view_panel)
        self._docks = (
            self._add_dock("Classes", self.legend, "classes_dock"),
            self._add_dock("Sticker", self.sticker_panel, "sticker_dock", scroll=True),
        )
        self.pack_panel = PackPanel(self.settings)
        self.pack_dock = pack_dock(self, self.pack_panel)
        self._create_actions()
        self._create_menus()
        self._create_toolbar()
        self._create_status_bar()
        with self.undo_recorder.baseline():  # restored options are not a step to undo
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
            wheel_only_when_focused(widget)  # the wheel scrolls the panel, not the field under the pointer
            widget = area
        dock.setWidget(widget)
        features = QDockWidget.DockWidgetFeature
        dock.setFeatures(features.DockWidgetMovable | features.DockWidgetFloatable | features.DockWidgetClosable)
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
        self.add_to_pack_action = self._action(
            "Add to &pack", self.add_to_pack, "Ctrl+Shift+S", pixmap.SP_FileDialogNewFolder,
            "Add the sticker to the sticker pack (rendered for the pack's messenger)",
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
        self.zoom_in_action.setShortcuts([QKeySequence(keys.ZoomIn), QKeySequence("Ctrl+=")])  # "+" needs Shift
        self.zoom_out_action = self._action("Zoom &out", lambda: view.zoom_by(0.8), keys.ZoomOut)
        self.about_action = self._action("&About", self._about)
        self.shortcuts_action = self._action("&Keyboard shortcuts", self.show_shortcuts, keys.HelpContents)
        self.reset_layout_action = self._action(
            "&Reset layout", self.reset_layout, tip="Put the Classes and Sticker panels back where they started"
        )
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.copy_action = self._action("&Copy sticker", self.copy_sticker, keys.Copy, tip="Copy the sticker (PNG with alpha)")
        self.smaller_brush_action = self._action("Smaller brush", self.edit_tools.shrink, "[")
        self.larger_brush_action = self._action("Larger brush", self.edit_tools.grow, "]")
        self.tool_actions: dict[Tool, QAction] = {}
        group = QActionGroup(self)
        for tool in Tool:
            action = self._action(tool.label, functools.partial(self.edit_tools.set_tool, tool), tool.shortcut)
            action.setCheckable(True)
            action.setChecked(tool == Tool.SELECT)
            group.addAction(action)
            self.tool_actions[tool] = action
        self.dim_action = self._action("&Dim the rest", lambda: self.highlighter.set_dim(self.dim_action.isChecked()))
        self.dim_action.setCheckable(True)
        self.dim_action.setChecked(self.highlighter.dim)

    def _create_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.open_action)
        self.recent_menu = RecentFilesMenu(self.settings, self)
        self.recent_menu.chosen.connect(self.open_photo)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.add_to_pack_action)
        file_menu.addAction(self.batch_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = self.menuBar().addMenu("&Edit")
        for action in (self.undo_action, self.redo_action, self.copy_action):
            edit_menu.addAction(action)
        edit_menu.addSeparator()
        for action in self.tool_actions.values():
            edit_menu.addAction(action)
        edit_menu.addAction(self.smaller_brush_action)
        edit_menu.addAction(self.larger_brush_action)
        view_menu = self.view_menu = self.menuBar().addMenu("&View")
        for action in (self.fit_action, self.actual_action, self.zoom_in_action, self.zoom_out_action):
            view_menu.addAction(action)
        view_menu.addAction(self.dim_action)
        view_menu.addSeparator()
        for dock in (*self._docks, self.pack_dock):
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addAction(self.reset_layout_action)
        self.menuBar().addMenu(self.model_control.menu)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)

    def _create_toolbar(self) -> None:
        toolbar = QToolBar("Main", self)
        toolbar.setObjectName("main_toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.setIconSize(QSize(20, 20))
        toolbar.setMovable(False)
        toolbar.addAction(self.open_action)
        toolbar.addAction(self.save_action)
        toolbar.addAction(self.add_to_pack_action)
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
        tools = QToolBar("Edit tools", self)
        tools.setObjectName("edit_toolbar")
        tools.setMovable(False)
        for action in self.tool_actions.values():
            tools.addAction(action)
        tools.addSeparator()
        tools.addAction(self.undo_action)
        tools.addAction(self.redo_action)
        self.addToolBarBreak()
        self.addToolBar(tools)

    def _create_status_bar(self) -> None:
        self.hover_label = QLabel()  # permanent: a status message must not hide the readout under the cursor
        self.hover_label.setMinimumWidth(self.hover_label.fontMetrics().horizontalAdvance("diningtable · 100%  at (0000, 0000)"))
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
        status.addPermanentWidget(self.hover_label)
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
        service.modelFailed.connect(self._refresh_preview)  # no model is coming: say so, not 'Loading…'
        self.model_control.modelReady.connect(self._on_model_ready)
        self.model_control.message.connect(self.show_message)
        doc.segmentationChanged.connect(self._refresh_legend)
        doc.refinedChanged.connect(self._update_legend_shares)
        doc.crfChanged.connect(self._update_legend_shares)
        doc.selectionChanged.connect(lambda: self.legend.set_selection(doc.selection))
        self.legend.selectionEdited.connect(doc.select)
        self.builder.built.connect(self._on_sticker_built)
        self.builder.buildFailed.connect(self._on_sticker_failed)
        self.builder.saved.connect(self._on_saved)
        self.builder.saveFailed.connect(self._on_save_failed)
        self.sticker_panel.save_button.clicked.connect(self.save_sticker)
        self.pack_panel.message.connect(self.show_message)
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
        else:  # sized once the window has its real height: resizeDocks before show() is not kept
            QTimer.singleShot(0, self._size_docks)
        self.document.set_style(settings.sticker_style())
        self.document.set_cleanup(settings.mask_cleanup())
        self.document.set_crf(enabled=settings.crf_enabled(), preset=settings.crf_preset())
        self.document.set_output(target=settings.output_target())
        self.document.set_output(fmt=settings.output_format())
        self.view_panel.opacity.setValue(settings.overlay_opacity())

    def _size_docks(self) -> None:
        """Room for ``LEGEND_ROWS`` classes; the Sticker panel (options and preview) gets the rest."""
        legend_height = self.legend.height_for_rows(LEGEND_ROWS)
        self.resizeDocks([self._docks[0]], [legend_height], Qt.Orientation.Vertical)

    def reset_layout(self) -> None:
        """Both panels docked on the right, shown, at their first-start sizes; the pack panel docked
        at the bottom and hidden, as at first start."""
        for dock in self._docks:
            dock.setFloating(False)
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            dock.show()
        self.pack_dock.setFloating(False)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.pack_dock)
        self.pack_dock.hide()
        self._size_docks()

    def _store_document_options(self) -> None:
        doc, settings = self.document, self.settings
        settings.set_sticker_style(doc.style)
        settings.set_mask_cleanup(doc.cleanup)
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
        # A photo opened while a model loads (`sticker-studio photo.jpg`) waits for it; if that load
        # fails, its own dialog says so, and a second "no model" dialog on top would only repeat it.
        self._opened_while_model_loads = self.model_control.loading is not None
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
        with self.undo_recorder.baseline():  # the pre-selection is not the person's step
            self.document.set_segmentation(segmentation)  # keeps the selected classes that are still there
            if not (again and self.document.selection):
                try:
                    self.document.select(resolve_classes(segmentation, AUTO))
                except EmptyMaskError:
                    self.show_message("The network found only background here; click any class to use it.")
        self.segmentationShown.emit()

    def _on_open_failed(self, source: object, exc: Exception) -> None:
        self._update_title()
        loading = self._opened_while_model_loads or self.service.is_running("model")
        if isinstance(exc, NoModelError) and (self.model_control.asking or loading):
            # The weights question on screen, or the load under way (whose own dialog says what went
            # wrong if it fails), already says what to do; a second dialog would only repeat it.
            # The photo is segmented as soon as a model is ready.
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
        """A new segmentation: the rows in the network's order, kept while this photo is open."""
        seg = self.document.segmentation
        self.legend.set_classes(seg.classes if seg else None, shares_of(seg) if seg else {})
        self.legend.set_selection(self.document.selection)

    def _update_legend_shares(self) -> None:
        if (seg := self.document.displayed) is not None:
            self.legend.update_shares(shares_of(seg))

    # sticker ----------------------------------------------------------------------------------
    def _on_sticker_built(self, sticker: Sticker | None) -> None:
        doc = self.document
        if sticker is not None:
            self.sticker_panel.show_sticker(sticker, selection_names(doc))
        elif self.builder.updating and self.sticker_panel.shows_sticker():
            self.sticker_panel.show_updating("refining the edges…" if doc.crf_pending else "updating…")
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

    def _refresh_preview(self) -> None:
        """Re-say what the preview shows when something other than the document changed."""
        self._on_sticker_built(self.builder.sticker)

    def _on_sticker_failed(self, exc: Exception) -> None:
        self.sticker_panel.show_sticker(None, explain(exc, "make the sticker").text.split("\n\n")[0])
        self._update_actions()

    def default_sticker_path(self) -> Path:
        """``<photo stem>.<classes>.sticker.<fmt>`` in the first folder that takes files: the last
        one saved to, the photo's, the home folder (never one where the last save failed)."""
        doc = self.document
        photo_path = doc.photo.path if doc.photo is not None else None
        stem = photo_path.stem if photo_path is not None else "sticker"
        names = [doc.segmentation.classes.names[c] for c in sorted(doc.selection)] if doc.segmentation else []
        candidates = (self.settings.last_folder("save"), photo_path.parent if photo_path else "", Path.home())
        folder = next((Path(c) for c in candidates if c and writable_folder(Path(c))), Path.home())
        return folder / sticker_file_name(stem, names, doc.output_format)

    def save_sticker(self) -> None:
        if self.builder.sticker is None and not self.builder.updating:
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
        self.builder.save(path, overwrite=True)  # the file dialog already asked about replacing

    def add_to_pack(self) -> None:
        """Render the previewed selection for the open pack's messenger and add it."""
        doc, request = self.document, self.builder.request()
        if self.builder.sticker is None or request is None or doc.photo is None or doc.displayed is None:
            self.show_message("Nothing to add yet: click an object first.")
            return
        self.pack_dock.show()
        self.pack_dock.raise_()
        crf = doc.crf.preset if doc.crf.enabled else None  # the displayed segmentation is already refined
        if not self.pack_panel.add_sticker(doc.photo, doc.displayed, request, crf=crf, refined=self.builder.refined):
            self.pack_panel.ask_new_pack()

    def copy_sticker(self) -> None:
        """Ctrl+C: the previewed sticker onto the clipboard, alpha kept."""
        if self.sticker_panel.preview.copy():
            self.show_message("Sticker copied")

    def _confirm_drop_edits(self) -> bool:
        answer = QMessageBox.question(
            self, "Drop your edits?",
            "Choosing other classes starts a new mask, and your brush and lasso edits would be dropped.\n\n"
            "Drop them and change the selection? (Ctrl+Z brings them back.)",
        )
        return answer == QMessageBox.StandardButton.Yes

    def _on_saved(self, saved: SavedSticker) -> None:
        self.settings.set_last_folder("save", saved.path.parent)  # only a folder that took the file
        self.show_message(f"Saved {saved.path} ({saved.num_bytes / 1024:.0f} KB, {saved.fmt.upper()}).")
        self.stickerSaved.emit(saved)

    def _on_save_failed(self, path: Path, exc: Exception) -> None:
        explanation = explain(exc, f"save {path.name}")
        if not writable_folder(path.parent):
            text = f"{explanation.text}\n\nChoose another folder: the next Save starts in {self.default_sticker_path().parent}."
            explanation = replace(explanation, text=text)
        show_explanation(self, explanation)

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
        self.save_action.setEnabled(self.sticker_panel.save_button.isEnabled())
        self.add_to_pack_action.setEnabled(self.builder.sticker is not None)

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, STATUS_SECONDS * 1000)

    def shortcut_rows(self) -> dict[str, str]:
        """Every action of the window that has keys (so new actions list themselves), then the mouse."""
        rows = {}
        for action in self.findChildren(QAction):
            if action.shortcuts():
                name = action.text().replace("&", "").rstrip("…")
                rows[name] = ", ".join(key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts())
        return rows | MOUSE_SHORTCUTS

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self.shortcut_rows(), self).show()

    def _about(self) -> None:
        version, licence = version_and_licence()
        QMessageBox.about(
            self, f"About {APP_TITLE}",
            f"<b>{APP_TITLE}</b> {html.escape(version)}<p>Turn a photo into a sticker with FCN semantic "
            "segmentation (Long, Shelhamer &amp; Darrell, 2015): open a photo, click the object, save.</p>"
            f"<p>Licence: {html.escape(licence)}.</p>",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.batch_dialog is not None and self.batch_dialog.is_running():
            self.batch_dialog.stop()
        self.settings.set_geometry(self.saveGeometry())
        self.settings.set_window_state(self.saveState())
        self._store_document_options()
        self.settings.sync()
        self.builder.shutdown()
        self.pack_panel.shutdown()
        self.service.shutdown()
        super().closeEvent(event)
