"""A folder of photos in, one sticker per photo out, with a per-file report (DESIGN §1.2).

Rules a user can rely on, each tested:

* Nothing is lost when a photo is bad: it is reported with the reason and the batch goes on.
* Outputs are named like ``make`` and the window name them (``pipeline.sticker_file_name``):
  ``OUTDIR/<stem>.<class>.sticker.<fmt>`` (sub-folders mirrored with ``recursive``; when two
  photos of a folder share a stem, both keep their suffix: ``a.jpg.person.sticker.png``; names are
  made unique, case-insensitively, with a counter as a last resort: ``a.jpg-2.person.sticker.png``).
  With ``auto`` the class, and so the name, is known once the network has run. Files named
  ``*.sticker.png``/``*.sticker.webp`` are stickers, never read as photos, so ``OUTDIR`` may equal
  the input folder and a rerun does not make stickers of stickers.
* A photo whose sticker already exists (with ``auto``: a sticker of any one class of the model)
  is skipped unless ``overwrite``; an output that would land on an input photo (e.g. through a
  symlink) is refused for that photo. The report gives a failed photo no output: none exists.
* Stopping (``cancel`` returning true, or ``KeyboardInterrupt``) happens between files and every
  file is written atomically, so no partial file is left and a rerun continues where it stopped.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fcn_core.mask import AUTO, BACKGROUND_INDEX, EmptyMaskError, normalize_class_refs
from fcn_core.photo import IMAGE_SUFFIXES, Photo, PhotoError, load_photo
from fcn_core.pipeline import (
    SegmenterLike,
    StickerRequest,
    is_sticker_file,
    real_path,
    same_file,
    sticker_file_name,
    sticker_from_segmentation,
)
from fcn_core.save import StickerSaveError, save_sticker

logger = logging.getLogger(__name__)

BatchStatus = Literal["made", "skipped", "failed"]
BatchProgress = Callable[[int, int, Path], None]
"""Called after each photo with (photos done, photos found, the photo's path)."""



class BatchError(RuntimeError):
    """The batch as a whole cannot run (no input folder, output folder not writable)."""


class OutputOverPhotoError(RuntimeError):
    """One photo's sticker would replace an input photo (e.g. through a symlink)."""


EXPECTED_FAILURES = (PhotoError, EmptyMaskError, StickerSaveError, OSError, OutputOverPhotoError)
"""Failures of one photo whose message is already written for the user."""


@dataclass
class BatchItem:
    """What happened to one photo; ``output`` is its sticker (made or skipped), None when it failed;
    ``classes`` are what a made sticker shows."""

    source: Path
    output: Path | None
    status: BatchStatus
    reason: str = ""
    classes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": str(self.source),
            "output": None if self.output is None else str(self.output),
            "status": self.status,
            "reason": self.reason,
            "classes": list(self.classes),
        }


@dataclass
class BatchReport:
    """The per-file outcome of a batch; ``found`` photos were found, ``items`` are those handled
    before the batch ended (all of them unless ``cancelled``), sorted by the photo's path."""

    items: list[BatchItem] = field(default_factory=list)
    input_dir: Path | None = None
    output_dir: Path | None = None
    found: int = 0
    cancelled: bool = False

    def _count(self, status: BatchStatus) -> int:
        return Counter(item.status for item in self.items)[status]

    @property
    def made(self) -> int:
        return self._count("made")

    @property
    def skipped(self) -> int:
        return self._count("skipped")

    @property
    def failed(self) -> int:
        return self._count("failed")

    @property
    def failures(self) -> list[BatchItem]:
        return [item for item in self.items if item.status == "failed"]

    def summary(self) -> str:
        """One line for people: ``16 made, 0 skipped, 4 failed (stopped after 20 of 20)``."""
        line = f"{self.made} made, {self.skipped} skipped, {self.failed} failed"
        if self.cancelled:
            line += f" (stopped after {len(self.items)} of {self.found} photos; run again to continue)"
        return line

    def to_dict(self) -> dict[str, Any]:
        return {
            "input_dir": None if self.input_dir is None else str(self.input_dir),
            "output_dir": None if self.output_dir is None else str(self.output_dir),
            "found": self.found,
            "made": self.made,
            "skipped": self.skipped,
            "failed": self.failed,
            "cancelled": self.cancelled,
            "items": [item.to_dict() for item in self.items],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def check_input_dir(input_dir: Path) -> Path:
    """``input_dir`` as a Path; :class:`BatchError` when it is not a folder (callers check this
    before slow set-up such as loading a model)."""
    input_dir = Path(input_dir)
    if not input_dir.is_dir():
        raise BatchError(f"{input_dir} is not a folder")
    return input_dir


def find_photos(input_dir: Path, *, recursive: bool = False, exclude: Path | None = None) -> list[Path]:
    """Photos in ``input_dir`` (sorted), by suffix; hidden files, stickers and the ``exclude``
    folder (the output folder when it lies inside the input) are left out."""
    input_dir = check_input_dir(input_dir)
    candidates = input_dir.rglob("*") if recursive else input_dir.iterdir()
    excluded = None if exclude is None or same_file(exclude, input_dir) else real_path(exclude)
    photos = []
    for path in candidates:
        relative = path.relative_to(input_dir)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if excluded is not None and excluded in real_path(path).parents:
            continue
        if path.suffix.lower() in IMAGE_SUFFIXES and not is_sticker_file(path) and _file_or_broken_link(path):
            photos.append(path)
    return sorted(photos)


def _file_or_broken_link(path: Path) -> bool:
    """A file, or a link that leads nowhere (missing target, loop): those are reported as failed
    photos rather than skipped in silence. Folders, pipes and devices are never photos."""
    return path.is_file() or (path.is_symlink() and not path.exists())


def plan_outputs(photos: Sequence[Path], input_dir: Path, output_dir: Path) -> dict[Path, Path]:
    """Map each photo to its own sticker stem: the sticker's path before ``.<class>.sticker.<fmt>``
    (see ``sticker_output`` and the module doc for the naming rule).

    Stems are unique within an output folder, compared case-insensitively (``a.jpg``, ``a.png``
    and ``a.jpg.png`` give ``a.jpg``, ``a.png`` and ``a.jpg.png``, never one stem for two
    photos), and depend only on the set of photos, so a rerun maps each photo to the same file.
    A class slug holds no dot, so two stems never give one sticker name.
    """
    photos = sorted(photos)
    # 0: the stem; 1: the full file name; n >= 2: the full file name and "-n".
    levels = dict.fromkeys(photos, 0)

    def name(photo: Path) -> str:
        level = levels[photo]
        return photo.stem if level == 0 else photo.name if level == 1 else f"{photo.name}-{level}"

    while True:
        groups: dict[tuple[Path, str], list[Path]] = {}
        for photo in photos:
            groups.setdefault((photo.parent, name(photo).lower()), []).append(photo)
        collisions = [group for group in groups.values() if len(group) > 1]
        if not collisions:
            break
        for group in collisions:
            if any(levels[photo] == 0 for photo in group):
                for photo in group:  # photos sharing a stem all keep their suffix
                    if levels[photo] == 0:
                        levels[photo] = 1
            else:
                for photo in group[1:]:  # the first (in path order) keeps its name
                    levels[photo] += 1
    return {photo: output_dir / photo.parent.relative_to(input_dir) / name(photo) for photo in photos}


def sticker_output(stem: Path, class_names: Sequence[str], fmt: str) -> Path:
    """The sticker file of a planned ``stem`` (``plan_outputs``) for these classes."""
    return stem.with_name(sticker_file_name(stem.name, class_names, fmt))


def _existing_sticker(stem: Path, choices: Sequence[Sequence[str]], fmt: str) -> Path | None:
    """The first sticker of ``stem`` already on disk, for any of the possible class choices."""
    return next((path for names in choices if (path := sticker_output(stem, names, fmt)).exists()), None)


def _class_choices(segmenter: SegmenterLike, request: StickerRequest) -> list[tuple[str, ...]]:
    """The class names a sticker of this request can be named after: the requested ones, or
    (``auto``) any one non-background class of the model."""
    refs = normalize_class_refs(request.classes)
    names = segmenter.classes.names
    if refs == AUTO:
        return [(name,) for index, name in enumerate(names) if index != BACKGROUND_INDEX]
    chosen = dict.fromkeys(names[segmenter.classes.index_of(ref)] for ref in refs)  # as resolve_classes: no repeats
    return [tuple(chosen)]


def _prepare_output_dir(output_dir: Path) -> None:
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"cannot create the output folder {output_dir}: {exc.strerror or exc}") from exc
    if not output_dir.is_dir():
        raise BatchError(f"the output folder {output_dir} is not a folder")


_Load = tuple[Path, Path, Future[Photo]]
"""A photo's path, its sticker's stem (``plan_outputs``), and the photo being decoded."""


def _chunks(items: Sequence[tuple[Path, Path]], size: int) -> Iterator[list[tuple[Path, Path]]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _failure_reason(exc: Exception) -> str:
    if isinstance(exc, PhotoError):
        return exc.reason  # the item already names the file
    if isinstance(exc, EXPECTED_FAILURES):
        return str(exc)
    # A bug must not lose the rest of the batch; it is reported with its type, never hidden.
    logger.exception("unexpected error")
    return f"unexpected {type(exc).__name__}: {exc}"


def run_batch(
    segmenter: SegmenterLike,
    input_dir: Path,
    output_dir: Path,
    request: StickerRequest,
    *,
    overwrite: bool = False,
    recursive: bool = False,
    progress: BatchProgress | None = None,
    cancel: Callable[[], bool] | None = None,
    batch_size: int = 1,
    loader_threads: int = 2,
) -> BatchReport:
    """Make a sticker of every photo in ``input_dir`` into ``output_dir``.

    ``batch_size`` photos go through the network together (worth it on a GPU); the next photos are
    decoded on ``loader_threads`` threads while the network runs. Raises :class:`BatchError` when the
    batch cannot start and ``KeyError`` for a class the model does not have.
    """
    if batch_size < 1 or loader_threads < 1:
        raise ValueError(f"batch_size and loader_threads must be at least 1, got {batch_size}, {loader_threads}")
    input_dir, output_dir = Path(input_dir), Path(output_dir)
    choices = _class_choices(segmenter, request)  # a KeyError for an unknown class, before any work
    photos = find_photos(input_dir, recursive=recursive, exclude=output_dir)
    _prepare_output_dir(output_dir)
    stems = plan_outputs(photos, input_dir, output_dir)
    report = BatchReport(input_dir=input_dir, output_dir=output_dir, found=len(photos))
    inputs = {real_path(photo) for photo in photos}

    def record(item: BatchItem) -> None:
        report.items.append(item)
        if item.status == "failed":
            # INFO, not WARNING: the caller reports failures (the CLI prints one line for each).
            logger.info("%s: %s", item.source, item.reason)
        if progress is not None:
            progress(len(report.items), report.found, item.source)

    todo: list[tuple[Path, Path]] = []
    for photo in photos:
        existing = None if overwrite else _existing_sticker(stems[photo], choices, request.fmt)
        if existing is not None and real_path(existing) not in inputs:
            record(BatchItem(photo, existing, "skipped", "sticker exists (use overwrite to remake it)"))
        else:
            todo.append((photo, stems[photo]))

    pool = ThreadPoolExecutor(max_workers=loader_threads, thread_name_prefix="photo-loader")
    try:
        chunks = _chunks(todo, batch_size)
        pending: list[list[_Load]] = []

        def prefetch() -> None:
            """Keep ``loader_threads`` chunks decoding ahead: enough to hide decoding behind the
            network, few enough that decoded photos do not pile up in memory."""
            while len(pending) < loader_threads and (chunk := next(chunks, None)) is not None:
                pending.append([(photo, output, pool.submit(load_photo, photo)) for photo, output in chunk])

        prefetch()
        while pending:
            if cancel is not None and cancel():
                report.cancelled = True
                break
            loads = pending.pop(0)
            prefetch()
            _process_chunk(segmenter, loads, request, overwrite, inputs, record)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    report.items.sort(key=lambda item: item.source)  # handled out of order (skips first, chunks)
    logger.info("batch %s → %s: %s", input_dir, output_dir, report.summary())
    return report


def _process_chunk(
    segmenter: SegmenterLike,
    loads: list[_Load],
    request: StickerRequest,
    overwrite: bool,
    inputs: set[Path],
    record: Callable[[BatchItem], None],
) -> None:
    """Segment the photos of one chunk together, then cut and save each sticker (a chunk is
    finished even when cancel is asked for meanwhile: its network work is already done)."""
    loaded: list[tuple[Path, Path, Photo]] = []
    for source, stem, future in loads:
        try:
            loaded.append((source, stem, future.result()))
        except Exception as exc:
            record(BatchItem(source, None, "failed", _failure_reason(exc)))
    if not loaded:
        return
    try:
        segmentations = segmenter.segment_batch([photo for _, _, photo in loaded])
    except Exception as exc:
        reason = _failure_reason(exc)
        for source, _, _ in loaded:
            record(BatchItem(source, None, "failed", reason))
        return
    for (source, stem, photo), seg in zip(loaded, segmentations, strict=True):
        try:
            sticker, _ = sticker_from_segmentation(photo, seg, request)
            output = sticker_output(stem, sticker.class_names, request.fmt)
            if real_path(output) in inputs:
                raise OutputOverPhotoError(f"refusing to write the sticker {output} over an input photo")
            output.parent.mkdir(parents=True, exist_ok=True)
            save_sticker(sticker, output, fmt=request.fmt, target=request.target, overwrite=overwrite)
        except Exception as exc:
            record(BatchItem(source, None, "failed", _failure_reason(exc)))
        else:
            record(BatchItem(source, output, "made", classes=sticker.class_names))
