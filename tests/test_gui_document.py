"""The document model: what it accepts, what it drops, and which signals say so."""

from __future__ import annotations

import numpy as np
import pytest

from app.document import Document, ViewMode
from fcn_core.crf import refine_crf
from fcn_core.photo import photo_from_array
from tests.gui_helpers import PERSON, SOFA, disc_segmentation


@pytest.fixture
def document(qapp):
    doc = Document()
    photo = photo_from_array(np.full((40, 60, 3), 120, dtype=np.uint8))
    doc.set_photo(photo)
    doc.set_segmentation(disc_segmentation(photo))
    return doc


def test_a_segmentation_of_another_photo_is_refused(document):
    other = photo_from_array(np.zeros((30, 30, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="another photo"):
        document.set_segmentation(disc_segmentation(other))


def test_toggle_adds_and_removes(qtbot, document):
    with qtbot.waitSignal(document.selectionChanged):
        document.select({PERSON})
    document.toggle(SOFA)
    assert document.selection == {PERSON, SOFA}
    document.toggle(PERSON)
    assert document.selection == {SOFA}
    with qtbot.assertNotEmitted(document.selectionChanged):
        document.select({SOFA})


def test_refined_result_is_only_used_for_the_selection_it_was_made_for(document):
    document.select({PERSON})
    assert document.crf_key() is None  # CRF off: nothing to refine
    document.set_crf(enabled=True)
    key = document.crf_key()
    assert key == ("deeplab", (PERSON,)) and document.crf_pending
    refined = refine_crf(document.segmentation, "deeplab", mode="binary", target_classes=[PERSON])
    assert not document.set_refined(refined, ("deeplab", (SOFA,)))
    assert document.set_refined(refined, key)
    assert document.displayed is refined and not document.crf_pending
    document.select({SOFA})
    assert document.displayed is document.segmentation and document.crf_pending
    document.set_crf(enabled=False)
    assert document.displayed is document.segmentation and not document.crf_pending


def test_new_photo_clears_everything_computed_from_the_old_one(document):
    document.select({PERSON})
    document.set_photo(photo_from_array(np.zeros((10, 10, 3), dtype=np.uint8)))
    assert document.segmentation is None and document.refined is None
    assert document.selection == frozenset()
    assert document.displayed is None


def test_target_and_format_stay_compatible(document):
    document.set_output(target="whatsapp")
    assert (document.output_format, document.output_target) == ("webp", "whatsapp")
    document.set_output(fmt="png")
    assert (document.output_format, document.output_target) == ("png", "telegram")
    document.set_output(fmt="webp")
    assert (document.output_format, document.output_target) == ("webp", "telegram")


def test_view_mode_accepts_its_values(document):
    document.set_view_mode("probability")
    assert document.view_mode is ViewMode.PROBABILITY
    with pytest.raises(ValueError):
        document.set_view_mode("sideways")
