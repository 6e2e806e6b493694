"""The compute process's edge requests (``ComputeState``, no process needed): the refinement of a
mask patch over the photo kept with its segmentation, the same as ``edge_matte`` in one process;
a segmentation no longer held is named; matting is warmed up when idle after the first model loads."""

from __future__ import annotations

import numpy as np
import pytest

from app.segmenter_factory import ModelRequest
from fcn_core.compute.handlers import KEPT_SEGMENTATIONS, ComputeState
from fcn_core.compute.protocol import LoadModel, RefineEdges, Segment, SegmentationGone
from fcn_core.edges import EdgeOptions, edge_matte
from fcn_core.photo import load_photo
from fcn_core.sticker import MaskPatch
from tests.gui_stubs import StubFactory, disc_geometry, write_photo

SIZE = (90, 120)


def handle(state: ComputeState, request_id: int, payload: object) -> object:
    return state.handle(request_id, payload, lambda value: None, lambda: False, lambda: None)  # type: ignore[arg-type]


def disc_patch() -> MaskPatch:
    rows, cols = np.mgrid[0 : SIZE[0] // 2, 0 : SIZE[1] // 2]
    centre_row, centre_col, radius = disc_geometry(*SIZE)
    disc = (2 * rows + 1 - centre_row) ** 2 + (2 * cols + 1 - centre_col) ** 2 <= radius**2
    return MaskPatch(disc, (0, 0), 2)


@pytest.mark.parametrize("method", ["matting", "crf"])
def test_edges_are_refined_on_the_photo_kept_with_its_segmentation(tmp_path, method) -> None:
    state = ComputeState(StubFactory())
    state.idle()
    assert state.warm_up is None  # no model yet
    handle(state, 1, LoadModel(ModelRequest("fcn8s")))
    assert state.warm_up is None  # the server calls idle() when nothing is queued
    state.idle()
    assert state.warm_up is not None
    photo = load_photo(write_photo(tmp_path / "photo.png", SIZE))
    handle(state, 2, Segment(photo))
    options = EdgeOptions(method, band=0.06)  # type: ignore[arg-type]
    matte = handle(state, 3, RefineEdges(2, disc_patch(), options))
    expected = edge_matte(photo.pixels, disc_patch(), options)
    assert matte is not None and expected is not None
    np.testing.assert_array_equal(matte.alpha, expected.alpha)
    assert (matte.top, matte.left) == (expected.top, expected.left)
    assert (matte.foreground is None) == (method == "crf")
    state.warm_up.join(timeout=60)
    assert not state.warm_up.is_alive()


def test_a_segmentation_no_longer_held_is_refused_by_name(tmp_path) -> None:
    state = ComputeState(StubFactory())
    handle(state, 1, LoadModel(ModelRequest("fcn8s")))
    photo = load_photo(write_photo(tmp_path / "photo.png", SIZE))
    for request_id in range(2, 3 + KEPT_SEGMENTATIONS):
        handle(state, request_id, Segment(photo))
    with pytest.raises(SegmentationGone, match="segmentation 2 "):
        handle(state, 99, RefineEdges(2, disc_patch(), EdgeOptions("crf")))
    assert handle(state, 100, RefineEdges(2 + KEPT_SEGMENTATIONS, disc_patch(), EdgeOptions("crf"))) is not None
