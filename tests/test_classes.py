from __future__ import annotations

import pytest

from fcn_core.classes import ADE20K_CLASSES, VOC_CLASSES, voc_colormap


def test_voc_colormap_known_entries() -> None:
    palette = voc_colormap()
    assert palette.shape == (256, 3)
    assert palette[0].tolist() == [0, 0, 0]
    assert palette[1].tolist() == [128, 0, 0]
    assert palette[15].tolist() == [192, 128, 128]  # person
    assert palette[255].tolist() == [224, 224, 192]  # void


def test_class_sets() -> None:
    assert VOC_CLASSES.num_classes == 21 and VOC_CLASSES.names[-1] == "tvmonitor"
    assert ADE20K_CLASSES.num_classes == 151 and ADE20K_CLASSES.names[0] == "other"
    assert VOC_CLASSES.index_of("Person") == 15 and VOC_CLASSES.index_of("15") == 15
    with pytest.raises(KeyError, match="known: background"):
        VOC_CLASSES.index_of("unicorn")
