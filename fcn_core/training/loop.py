"""The training loop: one iteration = one optimiser update, with validation, checkpoints and logs.

Runs alone (CUDA when present, else CPU) or as one of N processes under ``torchrun`` with
DistributedDataParallel: every rank trains on its own slice of one shuffled sample stream
(``train_data``), gradients are averaged across ranks, validation is split across ranks and the
confusion matrices summed, and rank 0 alone writes the log, the plot and the checkpoints.

Checkpoints (``checkpoint_iterNNNNNN.pt``, the project format) carry in ``extra`` everything an
exact resume needs: the run's configuration, the optimiser (and AMP scaler) state, and every
rank's generator states. Data order and augmentation are functions of (seed, iteration), so
``--resume`` continues bit for bit where an uninterrupted run would be (on CPU; cuDNN kernels on a
GPU are not all deterministic).

Ctrl-C does not kill the run mid-update (``interrupt``): the first press finishes the current
iteration, saves a checkpoint and returns (``interrupted=True``); a second press aborts at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from tqdm import tqdm

from fcn_core.interrupt import StopRequest, first_ctrl_c_stops, ignore_ctrl_c
from fcn_core.models.normalization import Normalization
from fcn_core.models.registry import get_model_spec
from fcn_core.models.vgg_fcn import VGG16FCNBase
from fcn_core.training.data import SegmentationDataset
from fcn_core.training.distributed import (
    all_reduce_sum,
    gather_objects,
    init_distributed,
    shutdown_distributed,
)
from fcn_core.training.errors import TrainingError
from fcn_core.training.evaluate import evaluate
from fcn_core.training.log import TrainingLog
from fcn_core.training.metrics import SegmentationScores
from fcn_core.training.recipes import INIT_VGG16, Recipe
from fcn_core.training.rng_state import capture_rng_state, restore_rng_state, seed_everything
from fcn_core.training.run_folder import checkpoint_path, checkpoints_in
from fcn_core.training.samples import AugmentedSamples, TrainOrder
from fcn_core.training.staging import initial_model
from fcn_core.training.step import make_optimizer, training_step
from fcn_core.training.transforms import training_transform
from fcn_core.weights.checkpoint import (
    Checkpoint,
    load_checkpoint,
    load_state_dict_checked,
    save_checkpoint,
)

logger = logging.getLogger(__name__)

LOSS_WINDOW = 20
"""Iterations averaged for the loss shown on the progress bar."""


@dataclass(frozen=True)
class TrainConfig:
    """What to train and how; stored in every checkpoint so ``--resume`` needs no other flags."""

    arch: str
    recipe: Recipe
    out_dir: Path
    init: str = INIT_VGG16
    width: float = 1.0
    seed: int = 1337
    device: str | None = None
    num_workers: int = 2
    val_limit: int | None = None
    keep_checkpoints: int = 3
    allow_download: bool = False
    progress: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "arch": self.arch, "recipe": self.recipe.to_dict(), "init": self.init, "width": self.width,
            "seed": self.seed, "val_limit": self.val_limit,
        }


@dataclass(frozen=True)
class TrainResult:
    iteration: int
    checkpoint: Path | None
    scores: SegmentationScores | None
    interrupted: bool = False


def resume_config(checkpoint: Checkpoint, **changes: Any) -> TrainConfig:
    """The configuration a checkpoint was written with, with ``changes`` (e.g. more iterations).

    ``iterations`` may change only in the recipe; everything that decides the data order, the
    model or the update rule comes from the checkpoint.
    """
    saved = (checkpoint.extra or {}).get("config")
    if saved is None:
        raise TrainingError("this checkpoint has no training state (not written by `fcn-sticker train`); use --init instead")
    recipe = Recipe.from_dict(saved["recipe"])
    iterations = changes.pop("iterations", None)
    if iterations is not None:
        recipe = replace(recipe, iterations=iterations)
    return TrainConfig(
        arch=saved["arch"], recipe=recipe, init=saved["init"], width=float(saved["width"]), seed=int(saved["seed"]),
        val_limit=saved["val_limit"], **changes,
    )


class Trainer:
    """One training run; ``run()`` trains from the start or from ``resume`` to ``recipe.iterations``."""

    def __init__(
        self,
        config: TrainConfig,
        train_set: SegmentationDataset,
        val_set: SegmentationDataset,
        *,
        resume: Path | None = None,
        on_iteration: Callable[[int, float], None] | None = None,
    ) -> None:
        if train_set.classes != val_set.classes:
            raise ValueError(f"training ({train_set.classes.name}) and validation ({val_set.classes.name}) classes differ")
        self.config = config
        self.recipe = config.recipe
        self.train_set = train_set
        self.val_set = val_set
        self.on_iteration = on_iteration
        self.context = init_distributed(config.device)
        self.device = self.context.device
        self.use_amp = self.recipe.amp and self.device.type == "cuda"
        self.amp_dtype = torch.bfloat16 if self.use_amp and torch.cuda.is_bf16_supported() else torch.float16
        self.last_scores: SegmentationScores | None = None
        self.last_metrics: dict[str, Any] = {}
        self.elapsed_before = 0.0
        self.run_started = time.perf_counter()

        seed_everything(config.seed + self.context.rank)
        checkpoint = load_checkpoint(resume) if resume is not None else None
        self.model, self.normalization, self.init_description = self._build_model(checkpoint)
        self.model.to(self.device)
        if self.device.type == "cuda":
            self.model.to(memory_format=torch.channels_last)
            torch.backends.cudnn.benchmark = self.recipe.crop_size is not None
        self.optimizer = make_optimizer(self.model, self.recipe)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp and self.amp_dtype == torch.float16)
        self.start_iteration = 0
        if checkpoint is not None:
            self._restore(checkpoint)
        self.network: nn.Module = self.model
        if self.context.is_distributed:
            device_ids = [self.device.index] if self.device.type == "cuda" else None
            self.network = DistributedDataParallel(self.model, device_ids=device_ids)
        self.log = (
            TrainingLog(config.out_dir, resume_iteration=self.start_iteration if checkpoint is not None else None)
            if self.context.is_main else None
        )

    # ---- set-up ------------------------------------------------------------------------------

    def _build_model(self, checkpoint: Checkpoint | None) -> tuple[VGG16FCNBase, Normalization, str]:
        classes = self.train_set.classes
        if checkpoint is None:
            start = initial_model(
                self.config.arch, classes.num_classes, self.config.width, self.config.init,
                caffe_input=self.config.recipe.wants_caffe_input, allow_download=self.config.allow_download,
            )
            model, normalization, description = start.model, start.normalization, start.description
        else:
            if checkpoint.classes != classes:
                raise TrainingError(f"the checkpoint was trained on {checkpoint.classes.name}, not {classes.name}")
            built = get_model_spec(checkpoint.arch).build(num_classes=classes.num_classes, width=checkpoint.width)
            if not isinstance(built, VGG16FCNBase):
                raise TrainingError(f"{checkpoint.arch} is not a VGG FCN: only the FCN family trains here")
            model = built
            load_state_dict_checked(model, checkpoint.state_dict)
            normalization = checkpoint.normalization
            description = str(checkpoint.provenance.get("init", ""))
        for layer in model.upsampling_layers():
            layer.requires_grad_(self.recipe.learn_upsampling)
        return model.train(), normalization, description

    def _restore(self, checkpoint: Checkpoint) -> None:
        extra = checkpoint.extra or {}
        dataset = extra.get("train_dataset", {})
        if dataset != self._dataset_identity():
            raise TrainingError(
                f"the checkpoint was trained on {dataset.get('name')} ({dataset.get('size')} images), but the training "
                f"set now is {self.train_set.name} ({len(self.train_set)} images); the data order would not continue"
            )
        self.optimizer.load_state_dict(extra["optimizer"])
        if extra.get("scaler"):  # empty when written without a fp16 scaler (CPU, bf16, --no-amp)
            self.scaler.load_state_dict(extra["scaler"])
        self.start_iteration = int(extra["iteration"])
        self.last_metrics = dict(checkpoint.provenance.get("metrics") or {})
        self.elapsed_before = float(extra.get("elapsed_s", 0.0))
        rng_states = extra["rng"]
        if len(rng_states) == self.context.world_size:
            restore_rng_state(rng_states[self.context.rank], self.device)
        else:
            logger.warning(
                "checkpoint written by %d process(es), resuming with %d: dropout masks will differ from an uninterrupted run",
                len(rng_states), self.context.world_size,
            )
        logger.info("resuming at iteration %d", self.start_iteration)

    def _dataset_identity(self) -> dict[str, Any]:
        return {"name": self.train_set.name, "size": len(self.train_set)}

    def _loader(self) -> DataLoader:
        transform = training_transform(
            crop_size=self.recipe.crop_size, scale_range=self.recipe.scale_range, flip=self.recipe.flip,
            normalization=self.normalization,
        )
        order = TrainOrder(
            len(self.train_set), self.recipe.batch_size, self.config.seed, self.start_iteration, self.recipe.iterations,
            self.context.rank, self.context.world_size,
        )
        self.order = order
        return DataLoader(
            AugmentedSamples(self.train_set, transform, self.config.seed),
            batch_sampler=order,
            num_workers=self.config.num_workers,
            pin_memory=self.device.type == "cuda",
            worker_init_fn=ignore_ctrl_c,
            # The loader draws its worker base seed from this generator, not the global torch one,
            # so starting a loader does not shift the dropout stream.
            generator=torch.Generator().manual_seed(self.config.seed),
        )

    # ---- the loop ----------------------------------------------------------------------------

    def run(self) -> TrainResult:
        iteration = self.start_iteration
        self.run_started = time.perf_counter()
        losses: list[float] = []
        saved: Path | None = None
        bar = tqdm(
            total=self.recipe.iterations, initial=iteration, unit="it", dynamic_ncols=True,
            disable=not (self.config.progress and self.context.is_main), desc=self.config.arch,
        )
        try:
            with first_ctrl_c_stops(_announce_stop) as stop:
                batches = iter(self._loader())
                while iteration < self.recipe.iterations:
                    if self._stop_requested(stop):
                        saved = self._save(iteration, interrupted=True)
                        return TrainResult(iteration, saved, self.last_scores, interrupted=True)
                    images, labels = next(batches)
                    loss = self._step(images, labels, iteration)
                    iteration += 1
                    losses = (losses + [loss])[-LOSS_WINDOW:]
                    bar.update(1)
                    bar.set_postfix(loss=f"{sum(losses) / len(losses):.4g}", img_s=f"{self._images_per_second(bar):.1f}")
                    if self.log is not None:
                        self.log.log_iteration(
                            iteration, self.order.epoch_of(iteration - 1), loss, self.recipe.learning_rate_at(iteration - 1),
                            self._elapsed(),
                        )
                    if self.on_iteration is not None:
                        self.on_iteration(iteration, loss)
                    final = iteration == self.recipe.iterations
                    if final or iteration % self.recipe.val_interval == 0:
                        self._validate(iteration)
                    if final or iteration % self.recipe.checkpoint_interval == 0:
                        saved = self._save(iteration, interrupted=False)
        finally:
            bar.close()
        return TrainResult(iteration, saved, self.last_scores)

    def _elapsed(self) -> float:
        """Training seconds so far, counting the runs this one resumed."""
        return self.elapsed_before + time.perf_counter() - self.run_started

    def _images_per_second(self, bar: tqdm) -> float:
        rate = bar.format_dict.get("rate") or 0.0
        return rate * self.recipe.batch_size * self.context.world_size

    def _stop_requested(self, stop: StopRequest) -> bool:
        """All ranks must stop at the same iteration, so a press seen by any rank stops every rank."""
        flag = torch.tensor([1 if stop.requested else 0], device=self.device)
        return bool(all_reduce_sum(flag, self.context).item() > 0)

    def _step(self, images: torch.Tensor, labels: torch.Tensor, iteration: int) -> float:
        base_lr = self.recipe.learning_rate_at(iteration)
        for group in self.optimizer.param_groups:
            group["lr"] = base_lr * group["lr_multiplier"]
        non_blocking = self.device.type == "cuda"
        inputs = self.normalization.normalize(images.to(self.device, non_blocking=non_blocking))
        if self.device.type == "cuda":
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        labels = labels.to(self.device, non_blocking=non_blocking)
        loss = training_step(
            self.network, self.optimizer, self.scaler, inputs, labels, self.recipe.loss_reduction,
            self.amp_dtype if self.use_amp else None,
        )
        value = float(loss)
        if not torch.isfinite(torch.tensor(value)):
            raise TrainingError(
                f"the loss became {value} at iteration {iteration + 1}: training diverged; lower the learning rate (--lr)"
            )
        return value

    def _validate(self, iteration: int) -> None:
        evaluation = evaluate(
            self.model, self.val_set, self.normalization, self.device,
            limit=self.config.val_limit, context=self.context, progress=self.config.progress,
        )
        self.last_scores = evaluation.scores
        self.last_metrics = evaluation.scores.to_dict(self.val_set.classes.names)
        if self.log is not None:
            self.log.log_validation(iteration, evaluation.scores)
            logger.info("iteration %d: val mean IU %.4f", iteration, evaluation.scores.mean_iu)

    def _save(self, iteration: int, *, interrupted: bool) -> Path | None:
        rng_states = gather_objects(capture_rng_state(self.device), self.context)
        if not self.context.is_main:
            return None
        provenance = {
            "source": "fcn-sticker train",
            "dataset": self.train_set.name,
            "val_dataset": self.val_set.name,
            "recipe": self.recipe.name,
            "iteration": iteration,
            "metrics": self.last_metrics,
            "init": self.init_description,
            "interrupted": interrupted,
            "world_size": self.context.world_size,
        }
        extra = {
            "config": self.config.to_dict(),
            "train_dataset": self._dataset_identity(),
            "iteration": iteration,
            "elapsed_s": self._elapsed(),
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict(),
            "rng": rng_states,
        }
        path = save_checkpoint(
            checkpoint_path(self.config.out_dir, iteration), self.model, arch=self.config.arch,
            classes=self.train_set.classes, normalization=self.normalization, provenance=provenance, extra=extra,
        )
        for _, old in checkpoints_in(self.config.out_dir)[: -self.config.keep_checkpoints]:
            old.unlink()
        if self.log is not None:
            self.log.plot()
        return path


def train(
    config: TrainConfig,
    train_set: SegmentationDataset,
    val_set: SegmentationDataset,
    *,
    resume: Path | None = None,
    on_iteration: Callable[[int, float], None] | None = None,
) -> TrainResult:
    """Train (or resume) and return where it ended; see ``Trainer``. Leaves the process group under torchrun."""
    trainer = Trainer(config, train_set, val_set, resume=resume, on_iteration=on_iteration)
    try:
        return trainer.run()
    finally:
        shutdown_distributed(trainer.context)


def _announce_stop() -> None:
    logger.warning("stopping after this iteration and saving a checkpoint (Ctrl-C again to abort without saving)")
