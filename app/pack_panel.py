"""The sticker pack panel: the open pack's stickers on a chat background, in order.

Drag a sticker to reorder, type its emojis, choose the one the WhatsApp tray icon is made of,
and see at once what WhatsApp's and Telegram's rules say about the pack. Export writes the
files for either messenger; Upload sends the pack to Telegram through the person's own bot.

The pack lives on disk (``fcn_core.packs``); this panel is a thin view of it. Everything that
touches the disk or the network — reading thumbnails, saving ``pack.json``, rendering a new
sticker, exporting, uploading — runs in order on one background thread, so the window never
waits and two changes never race. The bot token is only held for the one upload: it is not
stored in the settings or anywhere else.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRect, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QColor, QIntValidator, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import Explanation, explain, show_explanation
from app.form_rows import side_by_side
from app.imaging import qimage_from_array
from app.settings import AppSettings
from fcn_core import Photo, Segmentation, StickerRequest
from fcn_core.packs import model as packs
from fcn_core.packs.check import PackRuleError, quick_problems
from fcn_core.packs.emojis import default_emojis
from fcn_core.packs.encode import CannotFit
from fcn_core.packs.render import render_for_pack
from fcn_core.packs.rules import Problem, split_emojis
from fcn_core.packs.telegram import DEFAULT_API_URL, BotApi, TelegramError, upload_pack
from fcn_core.packs.whatsapp import export_whatsapp
from fcn_core.pipeline import CutOut

logger = logging.getLogger(__name__)

THUMB = 96
CELL = QSize(THUMB + 16, THUMB + 34)
EMOJI_SCALE = 1.4
"""Emojis are drawn larger than the text: they are what the person reads at a glance."""
CHAT_BACKGROUND = QColor(0xDD, 0xE6, 0xCF)
"""A chat wallpaper's colour: stickers are seen on it, not on white."""
FILE_ROLE = Qt.ItemDataRole.UserRole
EMOJI_ROLE = Qt.ItemDataRole.UserRole + 1
TRAY_ROLE = Qt.ItemDataRole.UserRole + 2
MESSENGERS = (("whatsapp", "WhatsApp"), ("telegram", "Telegram"))
TARGET_LABELS = {"telegram": "Telegram stickers", "telegram-emoji": "Telegram custom emoji", "whatsapp": "WhatsApp stickers"}


@dataclass(frozen=True)
class PackView:
    """What the panel shows, read on the background thread: the pack, the rule problems per
    messenger and a thumbnail per sticker file."""

    folder: Path
    pack: packs.Pack
    problems: dict[str, list[Problem]]
    thumbnails: dict[str, Any]  # file -> QImage (or None when it cannot be read)


def read_view(folder: Path, known: dict[str, Any]) -> PackView:
    """Runs on the background thread; thumbnails already in ``known`` are not read again."""
    pack = packs.open_pack(folder)
    problems = {messenger: quick_problems(pack, folder, messenger) for messenger, _ in MESSENGERS}
    thumbnails = {}
    for sticker in pack.stickers:
        if sticker.file in known:
            thumbnails[sticker.file] = known[sticker.file]
            continue
        try:
            with Image.open(folder / sticker.file) as image:
                picture = image.convert("RGBA")
            picture.thumbnail((THUMB, THUMB), Image.Resampling.LANCZOS)
            thumbnails[sticker.file] = qimage_from_array(np.asarray(picture))
        except (OSError, ValueError):
            thumbnails[sticker.file] = None
    return PackView(folder, pack, problems, thumbnails)


def explain_pack_error(exc: BaseException, doing: str) -> Explanation:
    """The pack's own errors in the window's words; anything else as the window explains it."""
    if isinstance(exc, PackRuleError):
        lines = "\n".join(f"• {problem}" for problem in exc.problems)
        return Explanation(f"Could not {doing}", f"{lines}\n\nFix these in the pack panel, then try again.", "warning")
    if isinstance(exc, TelegramError | packs.PackError | CannotFit):
        return Explanation(f"Could not {doing}", str(exc), "warning")
    return explain(exc, doing)


class _Relay(QObject):
    """Carries a background job's progress and result to the GUI thread (queued signals)."""

    progress = Signal(int, int, str)
    finished = Signal(object, object)  # result, exception


class StickerDelegate(QStyledItemDelegate):
    """A sticker over the chat background with its emojis under it; the tray sticker is marked."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        painter.save()
        rect: QRect = option.rect
        if option.state & QStyle.StateFlag.State_Selected:
            painter.setPen(QColor(40, 120, 220))
            painter.setBrush(QColor(40, 120, 220, 50))
            painter.drawRoundedRect(rect.adjusted(2, 2, -2, -2), 8, 8)
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            left = rect.x() + (rect.width() - pixmap.width()) // 2
            painter.drawPixmap(left, rect.y() + 6 + (THUMB - pixmap.height()) // 2, pixmap)
        painter.setPen(QColor(30, 30, 30))
        text = index.data(EMOJI_ROLE) or "no emoji"
        if index.data(TRAY_ROLE):
            text = f"{text} · tray"
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * EMOJI_SCALE)
        painter.setFont(font)
        painter.drawText(QRect(rect.x(), rect.y() + THUMB + 6, rect.width(), 26), Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return CELL


class StickerList(QListWidget):
    """The stickers left to right in pack order; dragging one reorders the pack."""

    orderChanged = Signal(list)  # the files in the new order

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setSpacing(4)
        self.setUniformItemSizes(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setItemDelegate(StickerDelegate(self))
        self.setMinimumHeight(CELL.height() + 12)
        self.setStyleSheet(f"QListWidget {{ background: {CHAT_BACKGROUND.name()}; border-radius: 6px; }}")
        self.model().rowsMoved.connect(lambda *_: self.orderChanged.emit(self.files()))

    def files(self) -> list[str]:
        return [self.item(row).data(FILE_ROLE) for row in range(self.count())]


class PackPanel(QWidget):
    """The open pack (none at first). ``changed`` fires after the view has been refreshed from disk."""

    changed = Signal()
    stickerAdded = Signal(object)  # the Pack after the addition
    exported = Signal(str, object)  # messenger, the export result
    uploaded = Signal(object)  # UploadResult
    failed = Signal(str, object)  # what was being done, the exception
    message = Signal(str)

    def __init__(self, settings: AppSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.folder: Path | None = None
        self.pack: packs.Pack | None = None
        self.problems: dict[str, list[Problem]] = {}
        self._thumbnails: dict[str, Any] = {}
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # one queue: changes reach the disk in the order they were made
        self._busy = 0
        self._build()
        self._show_view(None)

    # construction -----------------------------------------------------------------------------
    def _build(self) -> None:
        self.name_label = QLabel()
        self.name_label.setWordWrap(True)
        self.new_button = QPushButton("New pack…")
        self.open_button = QPushButton("Open pack…")
        self.new_button.clicked.connect(self.ask_new_pack)
        self.open_button.clicked.connect(self.ask_open_pack)
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("Pack title")
        self.publisher_edit = QLineEdit()
        self.publisher_edit.setPlaceholderText("Publisher (your name)")
        self.title_edit.editingFinished.connect(self._details_edited)
        self.publisher_edit.editingFinished.connect(self._details_edited)

        self.list = StickerList()
        self.list.orderChanged.connect(self._reordered)
        self.list.currentRowChanged.connect(self._show_selected)
        self.emoji_edit = QLineEdit()
        self.emoji_edit.setPlaceholderText("1–3 emojis, e.g. 😺😻")
        self.emoji_edit.setToolTip("The emojis this sticker answers to (WhatsApp: 1–3, Telegram: 1–20)")
        self.emoji_edit.editingFinished.connect(self._emojis_edited)
        font = self.emoji_edit.font()
        font.setPointSizeF(font.pointSizeF() * EMOJI_SCALE)
        self.emoji_edit.setFont(font)
        self.tray_button = QPushButton("Tray icon")
        self.tray_button.setToolTip("Make WhatsApp's tray icon (96×96) from this sticker")
        self.tray_button.clicked.connect(self._tray_chosen)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Take the sticker out of the pack (its file is kept in removed/)")
        self.remove_button.clicked.connect(self._remove_chosen)

        self.validation = QLabel()
        self.validation.setWordWrap(True)
        self.validation.setTextFormat(Qt.TextFormat.RichText)
        self.export_whatsapp_button = QPushButton("Export for WhatsApp…")
        self.export_telegram_button = QPushButton("Export for Telegram…")
        self.upload_button = QPushButton("Upload to Telegram…")
        self.export_whatsapp_button.clicked.connect(lambda: self.ask_export("whatsapp"))
        self.export_telegram_button.clicked.connect(lambda: self.ask_export("telegram"))
        self.upload_button.clicked.connect(self.ask_upload)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(side_by_side(self.name_label, self.new_button, self.open_button))
        layout.addWidget(side_by_side(self.title_edit, self.publisher_edit))
        layout.addWidget(self.list, 1)
        layout.addWidget(side_by_side(QLabel("Emoji:"), self.emoji_edit, self.tray_button, self.remove_button))
        layout.addWidget(self.validation)
        layout.addWidget(side_by_side(self.export_whatsapp_button, self.export_telegram_button, self.upload_button))
        layout.addWidget(self.progress)

    # background jobs ----------------------------------------------------------------------------
    def _run(self, doing: str, job: Callable[[Callable[[int, int, str], None]], Any],
             done: Callable[[Any], None] | None = None, *, show_progress: bool = False, reread: bool = True) -> None:
        """Run ``job(progress)`` on the panel's thread; ``done(result)`` on the GUI thread after it.
        A failure is explained in a dialog, then (``reread``) the pack is read again, so the
        panel shows what is really on disk."""
        relay = _Relay(self)
        self._busy += 1
        if show_progress:
            self.progress.setRange(0, 0)
            self.progress.setFormat(f"{doing}…")
            self.progress.show()
            relay.progress.connect(self._on_progress)

        def finished(result: object, exc: object) -> None:
            self._busy -= 1
            relay.deleteLater()
            if show_progress:
                self.progress.hide()
            if isinstance(exc, BaseException):
                logger.info("%s failed: %s", doing, exc)
                self.failed.emit(doing, exc)
                show_explanation(self, explain_pack_error(exc, doing))
                if reread:
                    self.refresh()
                else:  # the pack itself cannot be read: show none rather than a stale one
                    self.folder = None
                    self._show_view(None)
            elif done is not None:
                done(result)

        relay.finished.connect(finished)

        def work() -> None:
            try:
                result = job(relay.progress.emit)
            except Exception as exc:
                relay.finished.emit(None, exc)
            else:
                relay.finished.emit(result, None)

        self._pool.start(work)

    def _on_progress(self, done: int, total: int, text: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        if text:
            self.progress.setFormat(f"{text} (%v/%m)")

    def is_busy(self) -> bool:
        return self._busy > 0

    def shutdown(self) -> None:
        """Wait for the running job (a half-done export or pack.json must not be cut off)."""
        self._pool.waitForDone()

    # the view -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the pack from disk (in the background) and show it."""
        if self.folder is None:
            return
        folder, known = self.folder, dict(self._thumbnails)
        self._run("read the pack", lambda progress: read_view(folder, known), self._show_view, reread=False)

    def _change(self, doing: str, change: Callable[[Path], object], after: Callable[[PackView], None] | None = None) -> None:
        """Apply ``change(folder)`` to the pack on disk, then show the result (and call ``after``)."""
        if self.folder is None:
            return
        folder, known = self.folder, dict(self._thumbnails)

        def job(progress: Callable[[int, int, str], None]) -> PackView:
            change(folder)
            return read_view(folder, known)

        def done(view: PackView) -> None:
            self._show_view(view)
            if after is not None:
                after(view)

        self._run(doing, job, done)

    def _show_view(self, view: PackView | None) -> None:
        if view is not None and view.folder != self.folder:
            return  # another pack was opened meanwhile
        self.pack = None if view is None else view.pack
        self.problems = {} if view is None else view.problems
        if view is not None:
            self._thumbnails = view.thumbnails
        has_pack = self.pack is not None
        for widget in (self.title_edit, self.publisher_edit, self.list, self.export_whatsapp_button,
                       self.export_telegram_button, self.upload_button):
            widget.setEnabled(has_pack)
        if self.pack is None:
            self.name_label.setText("No pack open: make a new one, or open a pack folder.")
            self.list.clear()
            self.validation.setText("")
            self._show_selected(-1)
            return
        pack = self.pack
        self.name_label.setText(f"<b>{html.escape(pack.title)}</b> — {TARGET_LABELS[pack.target]}, "
                                f"{len(pack.stickers)} sticker{'s' if len(pack.stickers) != 1 else ''}")
        for edit, value in ((self.title_edit, pack.title), (self.publisher_edit, pack.publisher)):
            if not edit.hasFocus():
                edit.setText(value)
        selected = self.list.currentItem().data(FILE_ROLE) if self.list.currentItem() is not None else None
        self.list.blockSignals(True)
        self.list.clear()
        tray = pack.tray_sticker
        for sticker in pack.stickers:
            item = QListWidgetItem()
            thumbnail = self._thumbnails.get(sticker.file)
            if thumbnail is not None:
                item.setData(Qt.ItemDataRole.DecorationRole, QPixmap.fromImage(thumbnail))
            item.setData(FILE_ROLE, sticker.file)
            item.setData(EMOJI_ROLE, "".join(sticker.emojis))
            item.setData(TRAY_ROLE, sticker is tray)
            item.setToolTip(self._tooltip(sticker))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsDragEnabled)
            self.list.addItem(item)
            if sticker.file == selected:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self._show_selected(self.list.currentRow())
        self.validation.setText(self._validation_html())
        self.changed.emit()

    @staticmethod
    def _tooltip(sticker: packs.PackSticker) -> str:
        if sticker.source is None or sticker.source.photo is None:
            return sticker.file
        return f"{sticker.file}\nfrom {Path(sticker.source.photo).name} ({', '.join(sticker.source.classes)})"

    def _validation_html(self) -> str:
        parts = []
        for messenger, title in MESSENGERS:
            problems = self.problems.get(messenger, [])
            if not problems:
                parts.append(f"<span style='color:#1a7f37'>✔ {title}: ready</span>")
                continue
            items = "".join(f"<li>{html.escape(str(problem))}</li>" for problem in problems)
            parts.append(f"<span style='color:#b42318'>✖ {title}: {len(problems)} to fix</span><ul style='margin:0'>{items}</ul>")
        return "<br>".join(parts)

    def _show_selected(self, row: int) -> None:
        sticker = self.pack.stickers[row] if self.pack is not None and 0 <= row < len(self.pack.stickers) else None
        for widget in (self.emoji_edit, self.tray_button, self.remove_button):
            widget.setEnabled(sticker is not None)
        if not self.emoji_edit.hasFocus():
            self.emoji_edit.setText("" if sticker is None else "".join(sticker.emojis))

    # editing ------------------------------------------------------------------------------------
    def _selected_index(self) -> int | None:
        row = self.list.currentRow()
        return row if self.pack is not None and 0 <= row < len(self.pack.stickers) else None

    def _reordered(self, files: list[str]) -> None:
        self._change("reorder the stickers", lambda folder: packs.reorder(folder, files))

    def _emojis_edited(self) -> None:
        index = self._selected_index()
        if index is None or self.pack is None:
            return
        emojis = split_emojis(self.emoji_edit.text())
        if emojis != self.pack.stickers[index].emojis:
            self._change("set the emojis", lambda folder: packs.set_emojis(folder, index, emojis))

    def _tray_chosen(self) -> None:
        index = self._selected_index()
        if index is not None:
            self._change("choose the tray icon", lambda folder: packs.set_tray(folder, index))

    def _remove_chosen(self) -> None:
        index = self._selected_index()
        if index is not None:
            self._change("remove the sticker", lambda folder: packs.remove_sticker(folder, index))

    def _details_edited(self) -> None:
        if self.pack is None:
            return
        title, publisher = self.title_edit.text().strip(), self.publisher_edit.text().strip()
        if title and (title, publisher) != (self.pack.title, self.pack.publisher):
            self._change("rename the pack", lambda folder: packs.set_details(folder, title=title, publisher=publisher))

    # opening and making packs -------------------------------------------------------------------
    def open_pack(self, folder: str | Path) -> None:
        """Show the pack in ``folder`` (read in the background)."""
        self.folder = Path(folder)
        self._thumbnails = {}
        self.refresh()

    def new_pack(self, folder: str | Path, title: str, publisher: str, target: str) -> None:
        self.folder = Path(folder)
        self._thumbnails = {}
        self._change("make the pack", lambda where: packs.create_pack(where, title, publisher, target=target))

    def ask_open_pack(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Open sticker pack", self._start_folder())
        if chosen:
            self.open_pack(chosen)

    def ask_new_pack(self) -> None:
        dialog = NewPackDialog(self._start_folder(), self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.new_pack(dialog.folder(), dialog.title_edit.text().strip(), dialog.publisher_edit.text().strip(),
                          dialog.target_combo.currentData())

    def _start_folder(self) -> str:
        return self._settings.last_folder("save") if self._settings is not None else ""

    # adding -------------------------------------------------------------------------------------
    def add_sticker(self, photo: Photo, segmentation: Segmentation, request: StickerRequest, crf: str | None = None,
                    emojis: tuple[str, ...] | None = None, refined: CutOut | None = None) -> bool:
        """Render the selection for the pack's messenger and add it (in the background). ``crf``
        is the preset the segmentation was refined with, recorded so the sticker can be made again;
        ``refined`` the preview's edge-refined cut (matting and the CRF band run in the compute
        process, never here). False (and a new-pack prompt) when no pack is open."""
        if self.pack is None or self.folder is None:
            self.message.emit("Make or open a sticker pack first (the pack panel), then add the sticker.")
            return False
        pack = self.pack

        def add(folder: Path) -> packs.Pack:
            sticker, source = render_for_pack(pack, photo, segmentation, request, refined)
            return packs.add_sticker(folder, sticker.rgba, emojis or default_emojis(sticker.class_names),
                                     replace(source, crf=crf))

        def added(view: PackView) -> None:
            self.list.setCurrentRow(self.list.count() - 1)
            self.stickerAdded.emit(view.pack)
            self.message.emit(f"Added to the pack “{view.pack.title}” as sticker {len(view.pack.stickers)}.")

        self._change("add the sticker to the pack", add, added)
        return True

    # export and upload --------------------------------------------------------------------------
    def export(self, messenger: str, out: str | Path) -> None:
        if self.folder is None:
            return
        folder, out = self.folder, Path(out)

        def job(progress: Callable[[int, int, str], None]) -> object:
            pack = packs.open_pack(folder)
            if messenger == "whatsapp":
                return export_whatsapp(pack, folder, out, lambda done, total: progress(done, total, "exporting"))
            from fcn_core.packs.telegram import export_telegram

            return export_telegram(pack, folder, out, lambda done, total: progress(done, total, "exporting"))

        def done(result: object) -> None:
            self.exported.emit(messenger, result)
            self.message.emit(f"Exported for {dict(MESSENGERS)[messenger]} into {out}.")

        self._run(f"export for {dict(MESSENGERS)[messenger]}", job, done, show_progress=True)

    def ask_export(self, messenger: str) -> None:
        chosen = QFileDialog.getExistingDirectory(self, f"Export for {dict(MESSENGERS)[messenger]} into", self._start_folder())
        if chosen:
            self.export(messenger, chosen)

    def upload(self, token: str, user_id: int, *, name: str | None = None, add: bool = False,
               api_url: str = DEFAULT_API_URL) -> None:
        """Upload the pack to Telegram in the background, with progress; the token lives only in this job."""
        if self.folder is None:
            return
        folder = self.folder

        def job(progress: Callable[[int, int, str], None]) -> object:
            api = BotApi(token, api_url=api_url)
            return upload_pack(packs.open_pack(folder), folder, api, user_id, name=name or None, add=add, progress=progress)

        def done(result: Any) -> None:
            self.uploaded.emit(result)
            self.message.emit(f"Uploaded: {result.link}")

        self._run("upload to Telegram", job, done, show_progress=True)

    def ask_upload(self) -> None:
        dialog = UploadDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.upload(dialog.token_edit.text().strip(), int(dialog.user_edit.text()), name=dialog.name_edit.text().strip(),
                        add=dialog.add_check.isChecked())


class NewPackDialog(QDialog):
    """Title, publisher, messenger and folder of a new pack."""

    def __init__(self, start_folder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New sticker pack")
        self.title_edit = QLineEdit()
        self.publisher_edit = QLineEdit()
        self.target_combo = QComboBox()
        for target, label in TARGET_LABELS.items():
            self.target_combo.addItem(label, target)
        self.folder_edit = QLineEdit(str(Path(start_folder or Path.home()) / "my-sticker-pack"))
        browse = QPushButton("…")
        browse.clicked.connect(self._browse)
        form = QFormLayout(self)
        form.addRow("Title", self.title_edit)
        form.addRow("Publisher", self.publisher_edit)
        form.addRow("For", self.target_combo)
        form.addRow("Folder", side_by_side(self.folder_edit, browse))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def folder(self) -> Path:
        return Path(self.folder_edit.text().strip())

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Folder for the pack", self.folder_edit.text())
        if chosen:
            self.folder_edit.setText(chosen)

    def _accept(self) -> None:
        if self.title_edit.text().strip() and self.folder_edit.text().strip():
            self.accept()


class UploadDialog(QDialog):
    """The bot token and user id for one upload; nothing typed here is remembered."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Upload to Telegram")
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText("123456789:AAH… from @BotFather")
        self.user_edit = QLineEdit()
        self.user_edit.setValidator(QIntValidator(1, 2**31 - 1, self))
        self.user_edit.setPlaceholderText("your user id (@userinfobot tells it)")
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("optional: name ending in _by_<your bot>")
        self.add_check = QCheckBox("Add to this existing set")
        form = QFormLayout(self)
        form.addRow(QLabel("Your own bot makes the set for you; the token is used for this upload only."))
        form.addRow("Bot token", self.token_edit)
        form.addRow("User id", self.user_edit)
        form.addRow("Set name", self.name_edit)
        form.addRow(self.add_check)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _accept(self) -> None:
        if self.token_edit.text().strip() and self.user_edit.hasAcceptableInput():
            self.accept()


def pack_dock(window: QMainWindow, panel: PackPanel) -> QDockWidget:
    """The panel in a dock along the bottom of ``window`` (stickers read left to right, like a chat).
    Hidden until a sticker is added to a pack or View ▸ Sticker pack shows it: it takes half the
    window's height, which a person making one sticker does not need."""
    dock = QDockWidget("Sticker pack", window)
    dock.setObjectName("pack_dock")
    dock.setWidget(panel)
    features = QDockWidget.DockWidgetFeature
    dock.setFeatures(features.DockWidgetMovable | features.DockWidgetFloatable | features.DockWidgetClosable)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    dock.hide()
    return dock
