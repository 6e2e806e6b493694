"""Evaluation over a dataset: the metrics of a model with known behaviour, the table, the JSON, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from fcn_core.classes import ClassSet
from fcn_core.cli import main
from fcn_core.models.normalization import Normalization
from fcn_core.models.registry import get_model_spec
from fcn_core.training.data import folder_dataset
from fcn_core.training.evaluate import evaluate, evaluation_report, format_table
from fcn_core.training.metrics import scores_from_confusion
from fcn_core.weights.checkpoint import save_checkpoint
from tests.sticker_helpers import confusion_matrix

CLASSES = ("background", "red", "green")
COLOURS = np.array([(0, 0, 0), (255, 0, 0), (0, 255, 0)], dtype=np.uint8)
PLAIN = Normalization("RGB", 1.0, (0.0, 0.0, 0.0))


class ColourClassifier(nn.Module):
    """Scores each pixel by its colour channels: black → 0, red → 1, green → 2 (a known 'model')."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        red, green = x[:, 0:1], x[:, 1:2]
        return torch.cat([128 - red - green, red - 128, green - 128], dim=1)


def write_colour_dataset(root: Path) -> list[np.ndarray]:
    """Three images whose colours are their classes; masks disagree with the colours in known places."""
    (root / "images" / "val").mkdir(parents=True)
    (root / "masks" / "val").mkdir(parents=True)
    (root / "classes.txt").write_text("\n".join(CLASSES))
    rng = np.random.default_rng(0)
    masks = []
    for index in range(3):
        colour_labels = rng.integers(0, 3, size=(9, 11)).astype(np.uint8)
        mask = colour_labels.copy()
        mask[index, :] = (mask[index, :] + 1) % 3  # one row per image labelled differently from its colour
        mask[-1, :4] = 255  # and some void
        Image.fromarray(COLOURS[colour_labels]).save(root / "images" / "val" / f"{index}.png")
        Image.fromarray(mask, mode="L").save(root / "masks" / "val" / f"{index}.png")
        masks.append((colour_labels, mask))
    return masks


def test_evaluate_accumulates_one_confusion_matrix(tmp_path: Path) -> None:
    pairs = write_colour_dataset(tmp_path / "colours")
    dataset = folder_dataset(tmp_path / "colours", "val")
    evaluation = evaluate(ColourClassifier(), dataset, PLAIN, torch.device("cpu"))
    expected = sum(confusion_matrix(mask, prediction, 3) for prediction, mask in pairs)
    np.testing.assert_array_equal(evaluation.confusion, expected)
    assert evaluation.num_images == 3
    assert evaluation.scores == scores_from_confusion(expected)
    assert 0.7 < evaluation.scores.pixel_accuracy < 1.0  # the relabelled rows are errors, the void is not
    limited = evaluate(ColourClassifier(), dataset, PLAIN, torch.device("cpu"), limit=1)
    np.testing.assert_array_equal(limited.confusion, confusion_matrix(pairs[0][1], pairs[0][0], 3))


def test_evaluate_refuses_a_model_with_another_class_count(tmp_path: Path) -> None:
    write_colour_dataset(tmp_path / "colours")
    dataset = folder_dataset(tmp_path / "colours", "val")
    with pytest.raises(ValueError, match="predicts 4 classes"):
        evaluate(nn.Conv2d(3, 4, 1), dataset, PLAIN, torch.device("cpu"))


def test_table_has_the_papers_columns_in_percent() -> None:
    scores = scores_from_confusion(np.array([[9, 1, 0], [2, 3, 0], [0, 0, 0]]))
    table = format_table("fcn8s", scores, CLASSES)
    header, row = table.splitlines()[:2]
    assert header.split() == ["pixel", "acc.", "mean", "acc.", "mean", "IU", "f.w.", "IU"]
    # 12/15 right; accuracies 9/10 and 3/5; IU 9/12 and 3/6; weights 10/15 and 5/15
    assert row.split() == ["fcn8s", "80.0", "75.0", "62.5", "66.7"]
    assert "green" in table and "—" in table.splitlines()[-1]  # absent class shown as a dash


def test_report_is_valid_json_with_meta_and_matrix(tmp_path: Path) -> None:
    write_colour_dataset(tmp_path / "colours")
    dataset = folder_dataset(tmp_path / "colours", "val")
    evaluation = evaluate(ColourClassifier(), dataset, PLAIN, torch.device("cpu"))
    report = evaluation_report(evaluation, dataset.classes, {"model": "colour"})
    decoded = json.loads(json.dumps(report, allow_nan=False))
    assert decoded["model"] == "colour" and decoded["classes"] == list(CLASSES)
    assert decoded["confusion_matrix"] == evaluation.confusion.tolist()
    assert decoded["mean_iu"] == pytest.approx(evaluation.scores.mean_iu)


@pytest.mark.parametrize(("arch", "width"), [("fcn32s", 1 / 16), ("lraspp_mobilenet_v3_large", 1.0)])
def test_eval_command_scores_a_checkpoint_of_any_registry_model(
    tmp_path: Path, arch: str, width: float, capsys: pytest.CaptureFixture[str]
) -> None:
    write_colour_dataset(tmp_path / "colours")
    dataset = folder_dataset(tmp_path / "colours", "val")
    spec = get_model_spec(arch)
    torch.manual_seed(0)
    model = spec.build(num_classes=3, width=width)
    checkpoint = save_checkpoint(
        tmp_path / f"{arch}.pt", model, arch=arch, classes=ClassSet("colours", CLASSES),
        normalization=spec.normalization, provenance={"source": "test"},
    )
    report_path = tmp_path / "report.json"
    code = main(["eval", "--weights", str(checkpoint), "--dataset", "folder", "--data", str(tmp_path / "colours"),
                 "--json", str(report_path), "--no-progress", "--device", "cpu"])
    assert code == 0
    expected = evaluate(model, dataset, spec.normalization, torch.device("cpu"))
    report = json.loads(report_path.read_text())
    assert report["model"] == arch and report["num_images"] == 3
    assert report["confusion_matrix"] == expected.confusion.tolist()
    assert f"{100 * expected.scores.pixel_accuracy:5.1f}".strip() in capsys.readouterr().out


def test_eval_command_explains_missing_weights(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_colour_dataset(tmp_path / "colours")
    code = main(["eval", "--model", "fcn8s", "--dataset", "folder", "--data", str(tmp_path / "colours"), "--no-progress"])
    assert code == 2
    assert "fcn-sticker weights download fcn8s" in capsys.readouterr().err


def _colour_checkpoint(tmp_path: Path, names: tuple[str, ...]) -> Path:
    spec = get_model_spec("fcn32s")
    return save_checkpoint(
        tmp_path / "fcn32s.pt", spec.build(num_classes=len(names), width=1 / 16), arch="fcn32s",
        classes=ClassSet("other", names), normalization=spec.normalization, provenance={"source": "test"},
    )


def test_eval_command_refuses_a_checkpoint_with_other_class_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_colour_dataset(tmp_path / "colours")
    checkpoint = _colour_checkpoint(tmp_path, ("background", "red", "blue"))
    code = main(["eval", "--weights", str(checkpoint), "--dataset", "folder", "--data", str(tmp_path / "colours"),
                 "--json", str(tmp_path / "r.json"), "--no-progress", "--device", "cpu"])
    assert code == 2
    err = capsys.readouterr().err
    assert "other classes" in err and "'blue' vs 'green'" in err
    assert not (tmp_path / "r.json").exists()


def test_eval_command_without_cuda_says_to_use_the_cpu(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    write_colour_dataset(tmp_path / "colours")
    code = main(["eval", "--weights", str(_colour_checkpoint(tmp_path, CLASSES)), "--dataset", "folder",
                 "--data", str(tmp_path / "colours"), "--no-progress", "--device", "cuda"])
    assert code == 2
    err = capsys.readouterr().err
    assert "no CUDA device is available" in err and "--device cpu" in err


def test_eval_without_model_refuses_an_ambiguous_weights_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue #12 item 2: `eval --weights FILE` without --model must not pick fcn8s for a file that fits fcn8s-atonce too."""
    write_colour_dataset(tmp_path / "colours")
    weights = tmp_path / "fcn8s_family.pth"
    torch.save(get_model_spec("fcn8s").build(num_classes=3, width=1 / 16).state_dict(), weights)
    code = main(["eval", "--weights", str(weights), "--dataset", "folder", "--data", str(tmp_path / "colours"),
                 "--json", str(tmp_path / "r.json"), "--no-progress", "--device", "cpu"])
    assert code == 2
    assert "--model fcn8s or --model fcn8s-atonce" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()
