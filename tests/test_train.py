"""Training: recipes, staged initialisation, data order, exact resume, and an end-to-end run that learns."""

from __future__ import annotations

import json
import os
import signal
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from fcn_core.classes import VOC_CLASSES
from fcn_core.cli import main
from fcn_core.models.bilinear import bilinear_kernel_2d
from fcn_core.models.normalization import IMAGENET_RGB
from fcn_core.models.vgg_fcn import FCN8s, FCN16s, FCN32s
from fcn_core.training.data import folder_dataset
from fcn_core.training.log import last_validation, read_log
from fcn_core.training.loop import TrainConfig, resume_config, train
from fcn_core.training.recipes import make_recipe, reference_recipe
from fcn_core.training.run_folder import latest_checkpoint
from fcn_core.training.samples import TrainOrder
from fcn_core.training.staging import initial_model, transplant
from fcn_core.training.step import make_optimizer, segmentation_loss
from fcn_core.weights.checkpoint import load_checkpoint, save_checkpoint
from fcn_core.weights.errors import WeightsError
from tests.train_helpers import small_recipe, write_synthetic_folder

TINY = 1 / 16


# ---- recipes -------------------------------------------------------------------------------


def test_reference_recipe_is_the_caffe_solver() -> None:
    rates = {arch: reference_recipe(arch).learning_rate for arch in ("fcn32s", "fcn16s", "fcn8s", "fcn8s-atonce")}
    assert rates == {"fcn32s": 1e-10, "fcn16s": 1e-12, "fcn8s": 1e-14, "fcn8s-atonce": 1e-10}
    recipe = reference_recipe("fcn32s")
    assert (recipe.optimizer, recipe.momentum, recipe.weight_decay, recipe.loss_reduction) == ("sgd", 0.99, 5e-4, "sum")
    assert (recipe.batch_size, recipe.crop_size, recipe.bias_lr_multiplier, recipe.bias_weight_decay) == (1, None, 2.0, False)
    assert (recipe.iterations, reference_recipe("fcn8s-atonce").iterations) == (100_000, 300_000)
    assert recipe.learning_rate_at(99_999) == 1e-10 and not recipe.learn_upsampling


def test_modern_recipe_decays_polynomially() -> None:
    recipe = make_recipe("modern", "fcn8s", optimizer="adam", iterations=100)
    assert recipe.learning_rate_at(0) == 1e-4
    assert recipe.learning_rate_at(50) == pytest.approx(1e-4 * 0.5**0.9)
    assert recipe.learning_rate_at(100) == 0.0


def test_whole_images_need_batch_size_one() -> None:
    with pytest.raises(ValueError, match="crop size"):
        make_recipe("modern", "fcn8s", crop_size=None)


def test_one_reference_update_is_caffes() -> None:
    """Caffe: v = m·v + lr·lr_mult·(g + wd·decay_mult·w); w -= v. Biases: lr ×2, no decay; deconvs frozen."""
    torch.manual_seed(0)
    model = FCN32s(num_classes=3, width=TINY)
    for layer in model.upsampling_layers():
        layer.requires_grad_(False)
    recipe = replace(reference_recipe("fcn32s"), learning_rate=1e-3)
    optimizer = make_optimizer(model, recipe)
    for group in optimizer.param_groups:
        group["lr"] = recipe.learning_rate * group["lr_multiplier"]
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    inputs, labels = torch.randn(1, 3, 20, 20), torch.randint(0, 3, (1, 20, 20))
    labels[0, :3] = 255
    model.train()
    torch.manual_seed(1)
    segmentation_loss(model(inputs), labels, "sum").backward()
    grads = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
    optimizer.step()
    assert "upscore.weight" not in grads
    assert torch.equal(model.upscore.weight, before["upscore.weight"])
    for name, parameter in model.named_parameters():
        if name == "upscore.weight":
            continue
        if name.endswith(".bias"):
            expected = before[name] - 2e-3 * grads[name]
        else:
            expected = before[name] - 1e-3 * (grads[name] + 5e-4 * before[name])
        torch.testing.assert_close(parameter.detach(), expected, msg=name)


def test_loss_sums_or_averages_over_valid_pixels_only() -> None:
    logits = torch.randn(2, 4, 5, 5)
    labels = torch.randint(0, 4, (2, 5, 5))
    labels[0] = 255
    per_pixel = torch.nn.functional.cross_entropy(logits, labels, ignore_index=255, reduction="none")
    assert segmentation_loss(logits, labels, "sum").item() == pytest.approx(per_pixel.sum().item(), rel=1e-5)
    assert segmentation_loss(logits, labels, "mean").item() == pytest.approx(per_pixel.sum().item() / 25, rel=1e-5)
    assert segmentation_loss(logits, torch.full_like(labels, 255), "mean").item() == 0.0


# ---- data order ----------------------------------------------------------------------------


def test_train_order_covers_each_epoch_once_and_splits_ranks() -> None:
    single = TrainOrder(10, batch_size=2, seed=3, start=0, stop=10)
    stream = [key for batch in single for key in batch]
    assert [position for _, position in stream] == list(range(20))
    for epoch in (0, 1):
        assert sorted(index for index, _ in stream[epoch * 10 : epoch * 10 + 10]) == list(range(10))
    assert [index for index, _ in stream[:10]] != [index for index, _ in stream[10:]]  # reshuffled
    ranks = [TrainOrder(10, 1, 3, 0, 10, rank=r, world_size=2) for r in (0, 1)]
    interleaved = [key for pair in zip(*ranks, strict=False) for batch in pair for key in batch]
    assert interleaved == stream


def test_train_order_resumes_mid_epoch() -> None:
    full = list(TrainOrder(7, 3, seed=1, start=0, stop=6))
    assert list(TrainOrder(7, 3, seed=1, start=4, stop=6)) == full[4:]
    assert full != list(TrainOrder(7, 3, seed=2, start=0, stop=6))


# ---- staged initialisation -----------------------------------------------------------------


def trained_like(model: torch.nn.Module) -> torch.nn.Module:
    """Give every parameter a distinctive non-zero value, as training would."""
    with torch.no_grad():
        for index, parameter in enumerate(model.parameters()):
            parameter.copy_(torch.randn_like(parameter) + index)
    return model


def test_fcn16s_from_fcn32s_copies_shared_layers_and_zeroes_the_new_score(tmp_path: Path) -> None:
    fcn32s = trained_like(FCN32s(num_classes=5, width=TINY))
    path = save_checkpoint(
        tmp_path / "fcn32s.pt", fcn32s, arch="fcn32s", classes=VOC_CLASSES, normalization=IMAGENET_RGB, provenance={}
    )
    start = initial_model("fcn16s", 5, TINY, str(path))
    model = start.model
    assert start.normalization == IMAGENET_RGB  # the predecessor's input convention carries over
    for name, tensor in fcn32s.state_dict().items():
        if not name.startswith("upscore"):
            assert torch.equal(model.state_dict()[name], tensor), name
    assert not model.score_pool4.weight.any() and not model.score_pool4.bias.any()
    kernel = torch.from_numpy(bilinear_kernel_2d(32)).float()
    assert torch.equal(model.upscore16.weight[2, 2], kernel) and not model.upscore16.weight[2, 3].any()


def test_fcn8s_from_fcn16s_keeps_pool4_and_starts_the_same_as_its_predecessor() -> None:
    fcn16s = trained_like(FCN16s(num_classes=3, width=TINY)).eval()
    fcn8s = FCN8s(num_classes=3, width=TINY).eval()
    fresh = transplant(fcn8s, fcn16s.state_dict())
    assert set(fresh) == {"score_pool3", "upscore_pool4", "upscore8"}
    assert torch.equal(fcn8s.score_pool4.weight, fcn16s.score_pool4.weight)
    assert not fcn8s.score_pool3.weight.any()


def test_transplant_refuses_another_width() -> None:
    with pytest.raises(WeightsError, match="conv1_1.weight"):
        transplant(FCN16s(num_classes=3, width=TINY), FCN32s(num_classes=3, width=1 / 8).state_dict())


def test_another_class_count_restarts_only_the_class_layers() -> None:
    source = trained_like(FCN32s(num_classes=21, width=TINY))
    target = FCN32s(num_classes=4, width=TINY)
    assert set(transplant(target, source.state_dict())) == {"score_fr", "upscore"}
    assert torch.equal(target.fc7.weight, source.fc7.weight) and not target.score_fr.weight.any()


def test_scratch_and_vgg16_initialisation() -> None:
    start = initial_model("fcn8s-atonce", 4, TINY, "scratch")
    assert not start.model.score_fr.weight.any() and not start.model.score_pool3.weight.any()
    assert start.model.conv1_1.weight.std() > 0 and not start.model.conv1_1.bias.any()
    with pytest.raises(ValueError, match="width 1.0"):
        initial_model("fcn32s", 4, TINY, "vgg16")
    with pytest.raises(ValueError, match="VGG16 FCN family"):
        initial_model("fcn_resnet50", 4, 1.0, "scratch")


# ---- runs ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_folder(tmp_path_factory.mktemp("shapes"), {"train": 64, "val": 16, "tiny": 8, "tinyval": 3})


def tiny_config(out_dir: Path, **changes: object) -> TrainConfig:
    recipe = small_recipe(iterations=6, crop_size=32, batch_size=2, val_interval=3, checkpoint_interval=100)
    return TrainConfig(
        arch="fcn8s", recipe=recipe, out_dir=out_dir, init="scratch", width=TINY, num_workers=0, progress=False,
        device="cpu", **changes,  # type: ignore[arg-type]
    )


def test_ctrl_c_saves_and_resume_continues_exactly(shapes: Path, tmp_path: Path) -> None:
    train_set, val_set = folder_dataset(shapes, "tiny"), folder_dataset(shapes, "tinyval")
    straight = train(tiny_config(tmp_path / "straight"), train_set, val_set)
    assert straight.iteration == 6 and not straight.interrupted

    def press_ctrl_c(iteration: int, loss: float) -> None:
        if iteration == 4:
            os.kill(os.getpid(), signal.SIGINT)

    stopped = train(tiny_config(tmp_path / "split"), train_set, val_set, on_iteration=press_ctrl_c)
    assert stopped.interrupted and stopped.iteration == 4
    checkpoint = load_checkpoint(stopped.checkpoint)
    assert checkpoint.provenance["interrupted"] and checkpoint.provenance["iteration"] == 4
    with open(tmp_path / "split" / "log.csv", "a") as log:  # a row the dead run wrote after its checkpoint
        log.write("5,0,9.9,0.001,1.0,,,,\n")

    resumed = train(
        resume_config(checkpoint, out_dir=tmp_path / "split", device="cpu", num_workers=0, progress=False),
        train_set, val_set, resume=latest_checkpoint(tmp_path / "split"),
    )
    assert resumed.iteration == 6
    final_straight = load_checkpoint(straight.checkpoint)
    final_resumed = load_checkpoint(resumed.checkpoint)
    for name, tensor in final_straight.state_dict.items():
        assert torch.equal(final_resumed.state_dict[name], tensor), name
    def rows(run: str) -> list[tuple[int, float | None, float | None]]:
        return [(r.iteration, r.values.get("loss"), r.values.get("val_mean_iu")) for r in read_log(tmp_path / run / "log.csv")]

    assert rows("split") == rows("straight")
    assert [r[0] for r in rows("split") if r[1] is not None] == [1, 2, 3, 4, 5, 6]


def test_resume_from_the_command_line_extends_a_run_on_the_same_data_only(
    shapes: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    train(tiny_config(out), folder_dataset(shapes, "tiny"), folder_dataset(shapes, "tinyval"))
    data = [
        "--dataset", "folder", "--data", str(shapes), "--val-split", "tinyval",
        "--no-progress", "--device", "cpu", "--workers", "0",
    ]
    assert main(["train", "--resume", str(out), "--lr", "0.1", "--train-split", "tiny", *data]) == 2
    assert "only --iterations may grow" in capsys.readouterr().err
    assert main(["train", "--resume", str(out), "--iterations", "8", "--train-split", "val", *data]) == 2
    assert "data order would not continue" in capsys.readouterr().err
    assert main(["train", "--resume", str(out), "--iterations", "8", "--train-split", "tiny", *data]) == 0
    assert [row.iteration for row in read_log(out / "log.csv") if "loss" in row.values] == list(range(1, 9))
    assert load_checkpoint(latest_checkpoint(out)).provenance["iteration"] == 8


def test_train_command_explains_a_missing_predecessor(shapes: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--arch", "fcn16s", "--dataset", "folder", "--data", str(shapes), "--out", str(tmp_path / "o")])
    assert code == 2
    assert "fcn16s starts from a trained fcn32s" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--keep-checkpoints", "0"], "--keep-checkpoints must be at least 1"),
        (["--val-limit", "0"], "--val-limit must be at least 1"),
        (["--width", "0"], "--width must be above 0 and at most 1"),
        (["--width", "-0.5"], "--width must be above 0 and at most 1"),
        (["--width", "1.5"], "--width must be above 0 and at most 1"),
    ],
)
def test_train_command_refuses_bad_numbers(
    shapes: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    code = main(["train", "--arch", "fcn8s", "--init", "scratch", "--dataset", "folder", "--data", str(shapes),
                 "--out", str(tmp_path / "o"), "--device", "cpu", *options])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_resume_with_zero_iterations_is_a_usage_error(shapes: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    train(tiny_config(out, keep_checkpoints=1), folder_dataset(shapes, "tiny"), folder_dataset(shapes, "tinyval"))
    code = main(["train", "--resume", str(out), "--iterations", "0", "--dataset", "folder", "--data", str(shapes),
                 "--train-split", "tiny", "--val-split", "tinyval", "--device", "cpu"])
    assert code == 2
    assert "--iterations must be at least 1" in capsys.readouterr().err


def test_train_command_without_cuda_says_to_use_the_cpu(
    shapes: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    code = main(["train", "--arch", "fcn8s", "--init", "scratch", "--width", str(TINY), "--dataset", "folder",
                 "--data", str(shapes), "--train-split", "tiny", "--val-split", "tinyval", "--out", str(tmp_path / "o"),
                 "--device", "cuda", "--workers", "0", "--no-progress"])
    assert code == 2
    err = capsys.readouterr().err
    assert "no CUDA device is available" in err and "--device cpu" in err and "Traceback" not in err


LEARN_WIDTH = 1 / 8
LEARN_ITERATIONS = 100
LEARNED_MEAN_IU = 0.45
"""Measured 0.590 (pixel accuracy 0.910) on this machine's CPU; asserted with headroom for other
CPUs and thread counts, whose float rounding changes the trajectory slightly."""


@pytest.mark.slow
def test_training_learns_and_eval_reports_the_logged_score(shapes: Path, tmp_path: Path) -> None:
    """A 1/8-width FCN-8s trained from scratch on CPU with the modern recipe learns the shapes.

    Predicting the prior (all background) scores 0.20 mean IU; the run reaches 0.59 after
    LEARN_ITERATIONS updates (about 10 s on two idle cores). Then ``eval`` on the saved checkpoint must print the very
    number the training log recorded for the same validation set.
    """
    out = tmp_path / "run"
    common = ["--dataset", "folder", "--data", str(shapes), "--no-progress", "--device", "cpu"]
    code = main([
        "train", "--arch", "fcn8s", "--init", "scratch", "--width", str(LEARN_WIDTH), "--recipe", "modern",
        "--optimizer", "adam", "--lr", "3e-3", "--iterations", str(LEARN_ITERATIONS), "--batch-size", "2",
        "--crop-size", "64", "--scale-range", "1", "1", "--val-interval", str(LEARN_ITERATIONS),
        "--checkpoint-interval", str(LEARN_ITERATIONS), "--workers", "0", "--out", str(out), *common,
    ])
    assert code == 0
    logged = last_validation(read_log(out / "log.csv"))
    assert logged is not None and logged["val_mean_iu"] >= LEARNED_MEAN_IU
    assert (out / "curves.png").stat().st_size > 0
    report = tmp_path / "eval.json"
    assert main(["eval", "--weights", str(out), "--json", str(report), *common]) == 0
    assert json.loads(report.read_text())["mean_iu"] == pytest.approx(logged["val_mean_iu"], abs=1e-12)
    assert np.isfinite(logged["val_pixel_accuracy"])
