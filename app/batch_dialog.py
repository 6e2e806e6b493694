"""Batch export: a folder of photos in, one sticker per photo out, without freezing the window.

It runs ``fcn_core.batch.run_batch`` — the code path of ``fcn-sticker batch`` — in the compute
process with the model already loaded there, so what the dialog makes is exactly what the command
would. The dialog is not modal: the window's own requests go first, between the batch's photos.
Contour and clean-up come from the main window's sticker options; the dialog adds what only a
batch needs (folders, class or automatic pick, overwrite). Stopping is clean: ``run_batch`` checks
the cancel flag between photos and writes every file atomically.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.compute.client import ComputeClient
from app.document import Document
from app.errors import Explanation, explain, show_explanation
from app.form_rows import side_by_side
from app.settings import AppSettings
from app.sticker_panel import CRF_PRESET_LABELS
from fcn_core import CRF_PRESETS, TARGETS, BatchReport, ClassSet, StickerRequest
from fcn_core.compute.protocol import BatchJob
from fcn_core.mask import AUTO
from fcn_core.save import MESSENGERS, sticker_format

STATUS_TEXT = {"made": "Made", "skipped": "Skipped", "failed": "Failed"}


class FolderField(QWidget):
    """A path line edit with a Browse… button."""

    def __init__(self, title: str, start: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = title
        self.edit = QLineEdit(start)
        self.edit.setPlaceholderText("Choose a folder")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(browse)

    def path(self) -> Path | None:
        text = self.edit.text().strip()
        return Path(text).expanduser() if text else None

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self._title, self.edit.text())
        if folder:
            self.edit.setText(folder)


class BatchDialog(QDialog):
    """Set up, run, stop and review one batch export."""

    finishedReport = Signal(object)  # BatchReport, when a run ends (completed or stopped)

    def __init__(
        self, service: ComputeClient, settings: AppSettings, document: Document, classes: ClassSet,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Batch export")
        self.setMinimumWidth(620)
        self._service = service
        self._settings = settings
        self._document = document
        self._close_when_done = False
        self.report: BatchReport | None = None

        self.input = FolderField("Folder of photos", settings.last_folder("batch_input"))
        self.output = FolderField("Folder for the stickers", settings.last_folder("batch_output"))
        self.class_choice = QComboBox()
        self.class_choice.addItem("Largest object in each photo (auto)", AUTO)
        for name in classes.names[1:]:
            self.class_choice.addItem(name, name)
        self.crf_check = QCheckBox("Refine edges with a CRF")
        self.crf_check.setChecked(document.crf.enabled)
        self.crf_preset = QComboBox()
        for name in CRF_PRESETS:
            self.crf_preset.addItem(CRF_PRESET_LABELS.get(name, name), name)
        self.crf_preset.setCurrentIndex(self.crf_preset.findData(document.crf.preset))
        self.format = QComboBox()
        for target in MESSENGERS:
            for fmt in TARGETS[target].formats:
                self.format.addItem(f"{fmt.upper()} for {TARGETS[target].title}", f"{fmt}:{target}")
        self.format.setCurrentIndex(self.format.findData(f"{document.output_format}:{document.output_target}"))
        self.recursive = QCheckBox("Include sub-folders")
        self.overwrite = QCheckBox("Replace stickers that exist already")

        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.current = QLabel("Contour, stroke and clean-up are those of the main window.")
        self.current.setWordWrap(True)
        self.results = QTreeWidget()
        self.results.setHeaderLabels(["Photo", "Result", "Details"])
        self.results.setRootIsDecorated(False)
        self.results.header().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.summary = QLabel()

        self.buttons = QDialogButtonBox()
        self.start_button = self.buttons.addButton("Start", QDialogButtonBox.ButtonRole.AcceptRole)
        self.stop_button = self.buttons.addButton("Stop", QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.stop_button.setEnabled(False)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.close_button.clicked.connect(self.reject)

        form = QFormLayout()
        form.addRow("Photos from", self.input)
        form.addRow("Stickers to", self.output)
        form.addRow("Cut out", self.class_choice)
        form.addRow("Edges", side_by_side(self.crf_check, self.crf_preset, stretch_after=True))
        form.addRow("Format", side_by_side(self.format, stretch_after=True))
        form.addRow("", side_by_side(self.recursive, self.overwrite, stretch_after=True))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.current)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)

        service.batchProgress.connect(self._on_progress)
        service.batchFinished.connect(self._on_finished)
        service.batchFailed.connect(self._on_failed)

    def request(self) -> StickerRequest:
        """The pipeline request: the dialog's choices plus the main window's sticker style."""
        class_ref = self.class_choice.currentData()
        fmt, target = str(self.format.currentData()).split(":")
        return StickerRequest(
            classes=AUTO if class_ref == AUTO else (class_ref,),
            crf=self.crf_preset.currentData() if self.crf_check.isChecked() else None,
            cleanup=self._document.cleanup,
            style=self._document.style,
            fmt=sticker_format(fmt),
            target=target,
        )

    def is_running(self) -> bool:
        return self._service.is_running("batch")

    def start(self) -> None:
        input_dir, output_dir = self.input.path(), self.output.path()
        if input_dir is None or output_dir is None:
            text = "Choose a folder of photos and a folder for the stickers."
            show_explanation(self, Explanation("Choose the folders", text, "warning"))
            return
        if not input_dir.is_dir():
            text = f"{input_dir} is not a folder.\n\nChoose the folder that holds the photos."
            show_explanation(self, Explanation("No such folder", text, "warning"))
            return
        self._settings.set_last_folder("batch_input", input_dir)
        self._settings.set_last_folder("batch_output", output_dir)
        self.results.clear()
        self.summary.clear()
        self.report = None
        self.progress.setRange(0, 0)
        self.current.setText("Looking for photos…")
        self._set_running(True)
        job = BatchJob(input_dir, output_dir, self.request(), self.overwrite.isChecked(), self.recursive.isChecked())
        self._service.run_batch(job)

    def stop(self) -> None:
        if self.is_running():
            self._service.cancel("batch")
            self.stop_button.setEnabled(False)
            self.current.setText("Stopping after the current photo…")

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        for widget in (self.input, self.output, self.class_choice, self.crf_check, self.crf_preset, self.format,
                       self.recursive, self.overwrite):
            widget.setEnabled(not running)

    def _on_progress(self, done: int, total: int, path: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.current.setText(f"{done} of {total}: {Path(path).name}")

    def _on_finished(self, report: BatchReport) -> None:
        self.report = report
        self._set_running(False)
        self.progress.setRange(0, max(report.found, 1))
        self.progress.setValue(len(report.items))
        if report.cancelled:
            self.current.setText("Stopped.")
        else:
            self.current.setText("Done." if report.found else "No photos found in that folder.")
        for item in report.items:
            row = QTreeWidgetItem([item.source.name, STATUS_TEXT[item.status], item.reason or str(item.output or "")])
            row.setToolTip(0, str(item.source))
            row.setToolTip(2, item.reason or str(item.output or ""))
            if item.status == "failed":
                row.setForeground(1, Qt.GlobalColor.red)
            self.results.addTopLevelItem(row)
        self.results.resizeColumnToContents(0)
        self.summary.setText(report.summary())
        self.finishedReport.emit(report)
        if self._close_when_done:
            super().reject()

    def _on_failed(self, exc: Exception) -> None:
        self._set_running(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.current.setText("")
        show_explanation(self, explain(exc, "run the batch export"))
        if self._close_when_done:
            super().reject()

    def reject(self) -> None:
        """Closing while running stops the batch first; the dialog closes when it has stopped."""
        if self.is_running():
            self._close_when_done = True
            self.stop()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.is_running():
            event.ignore()
            self.reject()
        else:
            super().closeEvent(event)
