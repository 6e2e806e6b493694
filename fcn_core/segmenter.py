"""Photo → per-class probabilities: the one place the network runs for the app (DESIGN §2, §10).

The segmenter owns a loaded model on one device. Each photo is scaled so its long side is at most
``max_side`` (default 512: PASCAL VOC images are ≤ 500 px, the distribution the weights saw; a
12-MP photo never reaches the network), normalised the way the model's *weights* expect
(``LoadedModel.normalization``: Caffe BGR or ImageNet RGB), and fed in the layout the optimised
model runs fastest with (``fast_inference.input_memory_format``) under
``torch.inference_mode``; bf16 autocast on CUDA (fp16 where the GPU has no bf16), float32 on
the CPU and MPS. Probabilities come back as float32 at the working size.

When CUDA runs out of memory the model moves to the CPU, the batch is retried there, and
``device_message`` says what happened; the segmenter stays on the CPU from then on, because a GPU
that failed once will likely fail again mid-batch. Create a new segmenter to try the GPU again.
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from fcn_core.device import choose_device
from fcn_core.models.cpu.fast_inference import input_memory_format, optimize_for_inference
from fcn_core.photo import Photo
from fcn_core.segmentation import Segmentation
from fcn_core.weights.store import LoadedModel, ProgressCallback, load_model

logger = logging.getLogger(__name__)

DEFAULT_MAX_SIDE = 512
DEFAULT_BATCH_SIZE = 8
"""Photos per forward pass in ``segment_batch``: enough to keep a GPU busy at 512 px while a
batch of FCN-8s activations stays within a few GB."""

_RESIZE_FILTER = Image.Resampling.LANCZOS
_RESIZE_REDUCING_GAP = 3.0
"""Pillow first box-reduces by an integer factor, then resamples the last ≥3× with Lanczos:
as good as Lanczos all the way (Pillow's docs) and several times faster on 12-MP photos."""

_CPU = torch.device("cpu")


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """The reduced precision used on ``device``: bf16 on CUDA (fp16 on GPUs without bf16, which
    are older than Ampere), none elsewhere (CPU and MPS run float32, DESIGN §10)."""
    if device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def working_size(photo_size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """``(height, width)`` the network sees: long side scaled to ``max_side``, never upscaled."""
    height, width = photo_size
    scale = min(1.0, max_side / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


class Segmenter:
    """A model on a device that turns photos into ``Segmentation`` values."""

    def __init__(
        self,
        loaded: LoadedModel,
        *,
        device: str | torch.device | None = None,
        max_side: int = DEFAULT_MAX_SIDE,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        if max_side < 1 or batch_size < 1:
            raise ValueError(f"max_side and batch_size must be at least 1, got {max_side} and {batch_size}")
        self.model_name = loaded.spec.name
        self.classes = loaded.classes
        self.max_side = max_side
        self.batch_size = batch_size
        self.device_message = ""
        self._normalization = loaded.normalization
        self._device = choose_device(device)
        self._autocast_dtype = autocast_dtype(self._device)
        self._model = optimize_for_inference(loaded.model, self._device)
        logger.info("segmenter: %s on %s (autocast %s), weights %s", self.model_name, self._device,
                    self._autocast_dtype, loaded.source)

    @classmethod
    def from_name(
        cls,
        model_name: str | None = None,
        weights: Path | None = None,
        *,
        allow_download: bool = False,
        progress: ProgressCallback | None = None,
        device: str | torch.device | None = None,
        max_side: int = DEFAULT_MAX_SIDE,
    ) -> Segmenter:
        """Load ``model_name``'s weights (see ``fcn_core.weights.store.load_model``: None means the
        ``weights`` file's own architecture, else the default model) and wrap them."""
        loaded = load_model(model_name, weights, allow_download=allow_download, progress=progress)
        return cls(loaded, device=device, max_side=max_side)

    @property
    def device(self) -> torch.device:
        """Where the model runs now (the CPU after a CUDA out-of-memory fallback)."""
        return self._device

    def segment(self, photo: Photo) -> Segmentation:
        """Class probabilities of one photo at its working size."""
        return self.segment_batch([photo])[0]

    def segment_batch(self, photos: Sequence[Photo]) -> list[Segmentation]:
        """Segment several photos, in order; photos with the same working size share forward
        passes. Different sizes are never padded into one batch: the network would see the
        padding, and results must not depend on which photos came along."""
        images = [self._working_image(photo) for photo in photos]
        results: dict[int, Segmentation] = {}
        for indices in self._batches(images):
            batch = torch.from_numpy(np.stack([images[i] for i in indices])).permute(0, 3, 1, 2)
            probabilities = self._run(batch).numpy()
            for index, probs in zip(indices, probabilities, strict=False):
                results[index] = Segmentation(probs, images[index], self.classes, self.model_name, photos[index].size)
        return [results[index] for index in range(len(photos))]

    def _working_image(self, photo: Photo) -> np.ndarray:
        height, width = working_size(photo.size, self.max_side)
        if (height, width) == photo.size:
            return photo.pixels
        image = Image.fromarray(photo.pixels)
        return np.asarray(image.resize((width, height), _RESIZE_FILTER, reducing_gap=_RESIZE_REDUCING_GAP))

    def _batches(self, images: Sequence[np.ndarray]) -> Iterator[list[int]]:
        """Indices of equally sized images, at most ``batch_size`` at a time."""
        by_size: dict[tuple[int, ...], list[int]] = defaultdict(list)
        for index, image in enumerate(images):
            by_size[image.shape].append(index)
        for indices in by_size.values():
            for start in range(0, len(indices), self.batch_size):
                yield indices[start : start + self.batch_size]

    def _run(self, batch: torch.Tensor) -> torch.Tensor:
        """``_infer`` with the CUDA out-of-memory fallback (module docstring)."""
        try:
            return self._infer(batch)
        except torch.cuda.OutOfMemoryError:
            if self._device.type != "cuda":
                raise
            self._fall_back_to_cpu(batch)
        return self._infer(batch)

    def _infer(self, batch: torch.Tensor) -> torch.Tensor:
        """``N×3×h×w`` uint8 RGB → ``N×C×h×w`` float32 probabilities on the CPU."""
        with torch.inference_mode(), self._autocast():
            # uint8 goes to the device (4× less to copy than float) and is normalised there, then
            # laid out as the model runs fastest (channels-last, except a plain CPU VGG FCN).
            pixels = batch.to(self._model_device(), non_blocking=True)
            inputs = self._normalization.normalize(pixels).contiguous(memory_format=input_memory_format(self._model))
            logits = self._model(inputs).float()
            if logits.shape[-2:] != inputs.shape[-2:]:
                # Models that predict at a coarser stride: upsample logits, as FCN itself does.
                logits = F.interpolate(logits, size=inputs.shape[-2:], mode="bilinear", align_corners=False)
            return torch.softmax(logits, dim=1).cpu()

    def _autocast(self) -> contextlib.AbstractContextManager[object]:
        if self._autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self._device.type, dtype=self._autocast_dtype)

    def _model_device(self) -> torch.device:
        """Inputs go where the weights are, so input and model can never be on different devices."""
        return next(self._model.parameters()).device

    def _fall_back_to_cpu(self, batch: torch.Tensor) -> None:
        count, _, height, width = batch.shape
        self._model = optimize_for_inference(self._model, _CPU)
        torch.cuda.empty_cache()
        self._device, self._autocast_dtype = _CPU, None
        self.device_message = (
            f"The GPU ran out of memory on {count} photo(s) of {width}×{height} px, so the model moved to "
            "the CPU and continues there (slower). Close other GPU programs or lower the working size "
            "(--max-side) and restart to use the GPU again."
        )
        logger.warning(self.device_message)

