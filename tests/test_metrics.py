"""The paper's metrics against confusion matrices worked out by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from fcn_core.training.metrics import confusion_counts, scores_from_confusion
from tests.sticker_helpers import confusion_matrix


def test_confusion_matrix_counts_rows_as_truth_and_skips_void() -> None:
    labels = np.array([[0, 0, 1], [1, 2, 255]], dtype=np.uint8)
    predictions = np.array([[0, 1, 1], [1, 0, 2]])
    expected = np.array(
        [
            [1, 1, 0],  # truth 0: once right, once called 1
            [0, 2, 0],  # truth 1: twice right
            [1, 0, 0],  # truth 2: called 0; the void pixel predicted 2 is not counted anywhere
        ]
    )
    np.testing.assert_array_equal(confusion_matrix(labels, predictions, 3), expected)


def test_confusion_counts_stay_on_the_tensors_device_and_add_up_over_images() -> None:
    first = (torch.tensor([0, 1, 1]), torch.tensor([0, 1, 0]))
    second = (torch.tensor([2, 2, 255]), torch.tensor([2, 1, 1]))
    total = confusion_counts(*first, 3) + confusion_counts(*second, 3)
    joined = confusion_counts(torch.cat([first[0], second[0]]), torch.cat([first[1], second[1]]), 3)
    assert total.dtype == torch.int64 and total.device == first[0].device
    assert torch.equal(total, joined)
    assert int(total.sum()) == 5


def test_prediction_outside_the_class_range_is_an_error() -> None:
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix(np.array([0, 1]), np.array([0, 3]), 3)


def test_mismatched_sizes_are_an_error() -> None:
    with pytest.raises(ValueError, match="differ"):
        confusion_matrix(np.zeros(4, np.uint8), np.zeros(5, np.int64), 2)


# Rows = truth, columns = prediction. Class 2 is predicted once but never present; class 3 never
# appears at all.
HIST = np.array(
    [
        [5, 1, 0, 0],
        [2, 4, 1, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
    ]
)


def test_four_metrics_by_hand() -> None:
    scores = scores_from_confusion(HIST)
    assert scores.pixel_accuracy == pytest.approx(9 / 13)
    # accuracy per class: 5/6, 4/7; classes 2 and 3 have no ground truth → NaN, left out of the mean
    assert scores.mean_accuracy == pytest.approx((5 / 6 + 4 / 7) / 2)
    # IU: 5/(6+7-5), 4/(7+5-4), 0/(0+1-0) = 0 (predicted but absent counts as 0), class 3 NaN
    assert scores.per_class_iu[:3] == pytest.approx((5 / 8, 4 / 8, 0.0))
    assert math.isnan(scores.per_class_iu[3])
    assert scores.mean_iu == pytest.approx((5 / 8 + 4 / 8 + 0.0) / 3)
    # frequency-weighted: ground-truth shares 6/13 and 7/13
    assert scores.frequency_weighted_iu == pytest.approx(6 / 13 * 5 / 8 + 7 / 13 * 4 / 8)
    assert math.isnan(scores.per_class_accuracy[2]) and math.isnan(scores.per_class_accuracy[3])


def test_perfect_prediction_scores_one() -> None:
    scores = scores_from_confusion(np.diag([3, 0, 7]))
    assert (scores.pixel_accuracy, scores.mean_accuracy, scores.mean_iu, scores.frequency_weighted_iu) == (1, 1, 1, 1)
    assert math.isnan(scores.per_class_iu[1])


def test_empty_matrix_has_no_scores() -> None:
    scores = scores_from_confusion(np.zeros((2, 2), dtype=np.int64))
    assert all(math.isnan(v) for v in (scores.pixel_accuracy, scores.mean_accuracy, scores.mean_iu, scores.frequency_weighted_iu))


def test_non_square_matrix_is_refused() -> None:
    with pytest.raises(ValueError, match="square"):
        scores_from_confusion(np.zeros((2, 3)))


def test_json_report_names_classes_and_writes_absent_as_null() -> None:
    data = scores_from_confusion(HIST).to_dict(("bg", "a", "b", "c"))
    text = json.dumps(data, allow_nan=False)  # would raise on a NaN
    assert json.loads(text)["per_class_iu"] == {"bg": pytest.approx(5 / 8), "a": 0.5, "b": 0.0, "c": None}
    with pytest.raises(ValueError, match="class names"):
        scores_from_confusion(HIST).to_dict(("bg",))
