"""The person's corrections to a mask, as data (DESIGN §2): ``MaskEdits``.

Edits are kept as a list of operations in photo coordinates, not as a painted bitmap, because the
mask under them changes: toggling the CRF, changing the clean-up or the edge method produces a new
mask, and the same edits are replayed on it, so they always win over the network and the CRF. A
list also makes undo trivial (drop the last operation) and costs nothing to store or compare.

Coordinates: ``x`` right, ``y`` down, in photo pixels; pixel ``(row, col)`` spans
``[col, col + 1) × [row, row + 1)``, so its centre is ``(col + 0.5, row + 0.5)`` (Qt's scene
coordinates over a photo at 1:1). An edit can be replayed on a mask of the whole photo or on a
patch that covers part of it at one value per ``step``×``step`` block (``MaskPatch``): a pixel
of the patch takes the edit's value at its block's centre.

Operations, applied in order:

* ``Stroke``: brush (``add``) or eraser along a polyline with a round tip of ``radius`` photo pixels.
* ``Lasso``: a closed polygon added to or cut out of the mask.
* ``ComponentEdit``: keep only, or remove, the connected piece (8-connected) under a point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Point = tuple[float, float]
_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class Stroke:
    """A brush (``add=True``) or eraser stroke through ``points`` with a round tip of ``radius``."""

    points: tuple[Point, ...]
    radius: float
    add: bool = True

    def __post_init__(self) -> None:
        if not self.points or not self.radius > 0:
            raise ValueError(f"a stroke needs at least one point and a positive radius, got {len(self.points)}, {self.radius}")


@dataclass(frozen=True)
class Lasso:
    """A polygon (closed implicitly) added to (``add=True``) or removed from the mask."""

    polygon: tuple[Point, ...]
    add: bool = True

    def __post_init__(self) -> None:
        if len(self.polygon) < 3:
            raise ValueError(f"a lasso needs at least 3 points, got {len(self.polygon)}")


@dataclass(frozen=True)
class ComponentEdit:
    """Keep only (``keep=True``) or remove the connected piece of the mask under ``point``.

    A point outside the mask changes nothing: there is no piece to keep or remove.
    """

    point: Point
    keep: bool = True


Edit = Stroke | Lasso | ComponentEdit


@dataclass(frozen=True)
class MaskEdits:
    """An ordered, immutable list of edits; ``with_edit`` and ``without_last`` make new lists."""

    edits: tuple[Edit, ...] = ()

    def __len__(self) -> int:
        return len(self.edits)

    def with_edit(self, edit: Edit) -> MaskEdits:
        return MaskEdits((*self.edits, edit))

    def without_last(self) -> MaskEdits:
        return MaskEdits(self.edits[:-1])

    def apply(self, mask: np.ndarray) -> np.ndarray:
        """Replay the edits on a photo-size boolean mask; returns a new array."""
        return self.apply_on_grid(mask, (0, 0), 1)

    def apply_on_grid(self, mask: np.ndarray, origin: tuple[int, int], step: int) -> np.ndarray:
        """Replay the edits on a patch whose pixel ``(i, j)`` is the photo block at
        ``origin + step·(i, j)`` (module doc); returns a new boolean array."""
        return self.replay_on_grid(mask, origin, step)[0]

    def replay_on_grid(self, mask: np.ndarray, origin: tuple[int, int], step: int) -> tuple[np.ndarray, np.ndarray]:
        """``apply_on_grid``'s mask, and an int8 map of what the edits decided: 1 where a brush or
        lasso last added, -1 where an eraser, a lasso or a component edit last removed, 0 where
        they left the mask alone. Edge refinement keeps the decided pixels as they are."""
        result = np.array(mask, dtype=bool, copy=True)
        decided = np.zeros(result.shape, dtype=np.int8)
        _replay(self.edits, result, decided, _Grid(origin, step, result.shape))
        return result, decided

    def added_box(self) -> tuple[int, int, int, int] | None:
        """Photo-pixel box ``(top, bottom, left, right)`` of everything the edits may add, or ``None``.

        The sticker's mask window must hold it, or a brush stroke outside the network's object
        would be cut off.
        """
        boxes = [_photo_box(edit) for edit in self.edits if not isinstance(edit, ComponentEdit) and edit.add]
        if not boxes:
            return None
        return min(b[0] for b in boxes), max(b[1] for b in boxes), min(b[2] for b in boxes), max(b[3] for b in boxes)


def _replay(edits: tuple[Edit, ...], result: np.ndarray, decided: np.ndarray, grid: _Grid) -> None:
    """Apply ``edits`` in order to ``result`` (bool) and ``decided`` (int8), in place: the one
    fold behind ``replay_on_grid`` and ``EditReplay``, so both give the same pixels."""
    for edit in edits:
        if isinstance(edit, ComponentEdit):
            before = result.copy()
            _apply_component(result, grid, edit)
            decided[before & ~result] = -1
            continue
        painted = grid.rasterize(edit)
        if painted is None:
            continue
        region, area = painted
        if edit.add:
            result[region] |= area
        else:
            result[region] &= ~area
        decided[region][area] = 1 if edit.add else -1


class EditReplay:
    """``MaskEdits.replay_on_grid`` that remembers what it replayed, so a new stroke costs one
    stroke and an undo or redo costs nothing, however many edits came before (DESIGN §10: brush
    stroke → preview and undo ≤ 100 ms on a 12-MP photo).

    It keeps the mask it was last given (the selection after clean-up, on one grid) and the
    state after each prefix of the edits it replayed there. A call with the same mask and grid
    starts from the longest kept prefix of its edits and replays only the rest; another mask or
    grid (the CRF, the clean-up or the selection changed, or another canvas) drops everything.
    The fold is ``_replay`` in both cases, so the pixels equal a full replay's. The states kept
    are bounded by ``max_bytes`` (the least recently used go first). One per thread: it is not
    locked.
    """

    def __init__(self, max_bytes: int = 32 << 20) -> None:
        self._max_bytes = max_bytes
        self._base: np.ndarray | None = None
        self._grid: _Grid | None = None
        self._states: dict[int, tuple[tuple[Edit, ...], np.ndarray, np.ndarray]] = {}
        """Prefix length → (that prefix, mask, decided), in least-recently-used order."""

    def replay_on_grid(
        self, edits: MaskEdits, mask: np.ndarray, origin: tuple[int, int], step: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """What ``edits.replay_on_grid(mask, origin, step)`` returns (new arrays the caller owns)."""
        mask = np.asarray(mask, dtype=bool)
        grid = _Grid(origin, step, mask.shape)
        if grid != self._grid or self._base is None or not np.array_equal(self._base, mask):
            self._base, self._grid, self._states = mask.copy(), grid, {}
        done, start = 0, (self._base, np.zeros(mask.shape, dtype=np.int8))
        for length in range(len(edits), 0, -1):
            kept = self._states.get(length)
            if kept is not None and kept[0] == edits.edits[:length]:
                done, start = length, (kept[1], kept[2])
                self._states[length] = self._states.pop(length)  # most recently used
                break
        result, decided = start[0].copy(), start[1].copy()
        if done < len(edits):
            _replay(edits.edits[done:], result, decided, grid)
            self._keep(edits.edits, result, decided)
        return result, decided

    def _keep(self, edits: tuple[Edit, ...], result: np.ndarray, decided: np.ndarray) -> None:
        self._states.pop(len(edits), None)
        self._states[len(edits)] = (edits, result.copy(), decided.copy())
        size = result.nbytes + decided.nbytes
        while len(self._states) > 1 and size * len(self._states) > self._max_bytes:
            del self._states[next(iter(self._states))]


def _photo_box(edit: Stroke | Lasso) -> tuple[int, int, int, int]:
    points = np.asarray(edit.points if isinstance(edit, Stroke) else edit.polygon, dtype=np.float64)
    reach = edit.radius if isinstance(edit, Stroke) else 0.0
    return (
        math.floor(points[:, 1].min() - reach),
        math.ceil(points[:, 1].max() + reach) + 1,
        math.floor(points[:, 0].min() - reach),
        math.ceil(points[:, 0].max() + reach) + 1,
    )


@dataclass(frozen=True)
class _Grid:
    """Photo coordinates → a patch's pixel coordinates in which pixel ``j``'s centre is at ``j``
    (so a photo point lands at ``(x - origin_x) / step - 0.5``)."""

    origin: tuple[int, int]
    step: int
    shape: tuple[int, ...]

    def to_grid(self, points: tuple[Point, ...]) -> np.ndarray:
        array = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        x = (array[:, 0] - self.origin[1]) / self.step - 0.5
        y = (array[:, 1] - self.origin[0]) / self.step - 0.5
        return np.column_stack([x, y])

    def pixel(self, point: Point) -> tuple[int, int] | None:
        grid = self.to_grid((point,))[0]
        row, col = round(grid[1]), round(grid[0])
        if 0 <= row < self.shape[0] and 0 <= col < self.shape[1]:
            return row, col
        return None

    def rasterize(self, edit: Stroke | Lasso) -> tuple[tuple[slice, slice], np.ndarray] | None:
        """The patch region the edit touches and its painted pixels there (``None`` if outside).

        A pixel is painted when its centre lies inside the lasso, or within the radius of the
        stroke's polyline. Only the edit's box is computed, so a short stroke on a 12-MP mask
        costs what it covers.
        """
        points = self.to_grid(edit.points if isinstance(edit, Stroke) else edit.polygon)
        radius = edit.radius / self.step if isinstance(edit, Stroke) else 0.0
        top = max(0, math.floor(points[:, 1].min() - radius))
        left = max(0, math.floor(points[:, 0].min() - radius))
        bottom = min(self.shape[0], math.ceil(points[:, 1].max() + radius) + 1)
        right = min(self.shape[1], math.ceil(points[:, 0].max() + radius) + 1)
        if top >= bottom or left >= right:
            return None
        local = points - (left, top)
        if isinstance(edit, Lasso):
            from skimage.draw import polygon2mask  # lazily: scikit-image's import pulls in scipy (0.3 s)

            area = polygon2mask((bottom - top, right - left), local[:, ::-1])
        else:
            area = _stroke_area((bottom - top, right - left), local, radius)
        return (slice(top, bottom), slice(left, right)), area


def _stroke_area(shape: tuple[int, int], points: np.ndarray, radius: float) -> np.ndarray:
    """Pixels whose centre is within ``radius`` of the polyline through ``points`` (x, y), each
    segment evaluated only over its own box."""
    area = np.zeros(shape, dtype=bool)
    starts = points if len(points) == 1 else points[:-1]
    ends = points if len(points) == 1 else points[1:]
    for (x0, y0), (x1, y1) in zip(starts, ends, strict=True):
        top, bottom = max(0, math.floor(min(y0, y1) - radius)), min(shape[0], math.ceil(max(y0, y1) + radius) + 1)
        left, right = max(0, math.floor(min(x0, x1) - radius)), min(shape[1], math.ceil(max(x0, x1) + radius) + 1)
        if top >= bottom or left >= right:
            continue
        ys, xs = np.mgrid[top:bottom, left:right]
        dx, dy = x1 - x0, y1 - y0
        length2 = dx * dx + dy * dy
        t = np.zeros(ys.shape) if length2 == 0 else np.clip(((xs - x0) * dx + (ys - y0) * dy) / length2, 0.0, 1.0)
        near = (xs - x0 - t * dx) ** 2 + (ys - y0 - t * dy) ** 2 <= radius * radius
        area[top:bottom, left:right] |= near
    return area


def _apply_component(mask: np.ndarray, grid: _Grid, edit: ComponentEdit) -> None:
    from scipy import ndimage  # lazily: scipy costs `fcn-sticker CMD --help` 0.3 s

    pixel = grid.pixel(edit.point)
    if pixel is None or not mask[pixel]:
        return
    labels, _ = ndimage.label(mask, structure=_EIGHT_CONNECTED)
    piece = labels == labels[pixel]
    if edit.keep:
        mask &= piece
    else:
        mask &= ~piece


NO_EDITS = MaskEdits()
