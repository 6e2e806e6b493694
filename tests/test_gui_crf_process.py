"""The window's CRF in its child process: same result as in-process, kernels reused per segmentation."""

from __future__ import annotations

import numpy as np

from app import crf_process
from fcn_core.crf import refine_crf
from fcn_core.photo import photo_from_array
from tests.gui_stubs import PERSON, SOFA, disc_segmentation


def make_segmentation(seed: int):
    pixels = np.random.default_rng(seed).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    return disc_segmentation(photo_from_array(pixels))


def test_child_result_equals_the_in_process_crf():
    seg = make_segmentation(0)
    refined = crf_process.refine_binary(seg, "deeplab", [PERSON])
    expected = refine_crf(seg, "deeplab", mode="binary", target_classes=[PERSON])
    assert refined.refined_by == "crf:deeplab:binary"
    np.testing.assert_allclose(refined.probabilities, expected.probabilities, atol=1e-6)


def test_kernels_are_kept_for_the_latest_segmentation_only(monkeypatch):
    monkeypatch.setattr(crf_process, "_child_kernels", {})
    first, second = make_segmentation(1), make_segmentation(2)
    crf_process._refine_in_child(1, first, "deeplab", (PERSON,))
    kernels = crf_process._child_kernels[(1, "deeplab")]
    crf_process._refine_in_child(1, first, "deeplab", (SOFA,))
    assert crf_process._child_kernels[(1, "deeplab")] is kernels  # another class: same kernels
    crf_process._refine_in_child(1, first, "original", (SOFA,))
    assert set(crf_process._child_kernels) == {(1, "deeplab"), (1, "original")}
    crf_process._refine_in_child(2, second, "deeplab", (SOFA,))
    assert set(crf_process._child_kernels) == {(2, "deeplab")}  # a new photo drops the old kernels
    assert crf_process._key_of(first) == crf_process._key_of(first) != crf_process._key_of(second)


def test_prepared_kernels_are_the_ones_the_refinement_uses(monkeypatch):
    monkeypatch.setattr(crf_process, "_child_kernels", {})
    seg = make_segmentation(3)
    crf_process._prepare_in_child(7, seg, "deeplab")
    prepared = crf_process._child_kernels[(7, "deeplab")]
    refined = crf_process._refine_in_child(7, seg, "deeplab", (PERSON,))
    assert crf_process._child_kernels[(7, "deeplab")] is prepared
    expected = refine_crf(seg, "deeplab", mode="binary", target_classes=[PERSON])
    np.testing.assert_array_equal(refined.probabilities, expected.probabilities)


def test_a_new_segmentation_in_the_window_prepares_its_kernels(qtbot, monkeypatch):
    from PySide6.QtCore import QObject, Signal

    from app.document import Document
    from app.refinement import Refinement

    class IdleService(QObject):
        """Only what Refinement talks to; no CRF is requested while the CRF is off."""

        refined = Signal(object, object)
        refineFailed = Signal(object)

        def cancel_refine(self) -> None:
            pass

        def refine(self, segmentation, key) -> None:
            raise AssertionError("the CRF is off: nothing should be refined")

    prepared: list[tuple[object, str]] = []
    monkeypatch.setattr(crf_process, "prepare", lambda seg, preset: prepared.append((seg, preset)))
    document = Document()
    refinement = Refinement(document, IdleService())
    seg = make_segmentation(4)
    document.set_photo(photo_from_array(np.asarray(seg.image)))
    document.set_crf(preset="original")
    document.set_segmentation(seg)
    assert prepared == [(seg, "original")]
    assert refinement is not None
