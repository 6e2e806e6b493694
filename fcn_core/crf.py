"""Dense-CRF refinement of a segmentation (DESIGN §5).

A fully connected CRF (Krähenbühl & Koltun, via ``pydensecrf``) sharpens the blurry class
boundaries an FCN produces: the unary term is the network's ``-log p`` and two pairwise terms pull
nearby pixels (Gaussian, position only) and nearby pixels of similar colour (bilateral) towards the
same label. It runs at the working size on the image the network saw, so its cost does not depend
on the photo's resolution.

Two modes:

* ``"full"`` refines all ``C`` classes at once (what the segmentation view shows).
* ``"binary"`` refines "chosen classes vs the rest" as a 2-label CRF: that is all a sticker needs,
  and mean-field cost grows with the number of labels, so it is much faster. The refined
  foreground mass is written back as a ``C``-class distribution: each chosen class gets a share of
  the foreground in proportion to its original probability, each other class a share of the
  background likewise (a pixel whose chosen classes all had zero probability splits the mass
  evenly). This keeps the argmax among the chosen classes (and among the rest) as the network had
  it, so label maps, legends and class shares stay meaningful after a binary refinement.

Building the pairwise kernels (the permutohedral lattices) costs about twice as much as the five
mean-field steps, and depends only on the image, the parameters and the number of labels, not on
the probabilities. ``CRFKernels`` holds them so that an interactive caller (the GUI, picking one
class after another on the same photo) builds them once and pays only the inference per request.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pydensecrf.densecrf as dcrf

from fcn_core.segmentation import Segmentation

logger = logging.getLogger(__name__)

CRFMode = Literal["full", "binary"]
CRF_MODES: tuple[str, ...] = ("full", "binary")


@dataclass(frozen=True)
class CRFParams:
    """Kernel widths (pixels for ``sxy``, intensity levels for ``srgb``) and label compatibilities.

    ``compat`` is the Potts weight of a kernel; ``min_probability`` clips the network's
    probabilities before ``-log`` so a confident zero does not become an infinite unary that no
    pairwise evidence can overturn.
    """

    gaussian_sxy: float
    gaussian_compat: float
    bilateral_sxy: float
    bilateral_srgb: float
    bilateral_compat: float
    iterations: int = 5
    min_probability: float = 1e-5

    def __post_init__(self) -> None:
        if not isinstance(self.iterations, int) or self.iterations < 1:
            raise ValueError(f"CRF iterations must be a whole number ≥ 1, got {self.iterations!r}")
        if not 0.0 < self.min_probability < 1.0:
            raise ValueError(f"CRF min_probability must be in (0, 1), got {self.min_probability!r}")
        for name in ("gaussian_sxy", "bilateral_sxy", "bilateral_srgb"):
            if not getattr(self, name) > 0:
                raise ValueError(f"CRF {name} must be positive, got {getattr(self, name)!r}")
        for name in ("gaussian_compat", "bilateral_compat"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"CRF {name} must not be negative, got {getattr(self, name)!r}")


CRF_PRESETS: dict[str, CRFParams] = {
    # DeepLab's published cross-validated values (Chen et al.): a tight Gaussian and a wide,
    # colour-selective bilateral kernel. Raises IoU on coarse FCN outputs, hence the default.
    "deeplab": CRFParams(gaussian_sxy=1, gaussian_compat=3, bilateral_sxy=67, bilateral_srgb=3, bilateral_compat=4),
    # The values of the original sticker write-up; strong smoothing that can swallow thin parts.
    "original": CRFParams(gaussian_sxy=10, gaussian_compat=3, bilateral_sxy=50, bilateral_srgb=20, bilateral_compat=10),
}
DEFAULT_CRF_PRESET = "deeplab"


def resolve_crf_params(params: CRFParams | str) -> tuple[CRFParams, str]:
    """Return the parameters and the name used in ``refined_by`` ("custom" for unnamed values)."""
    if isinstance(params, str):
        if params not in CRF_PRESETS:
            raise ValueError(f"unknown CRF preset {params!r}; presets: {', '.join(CRF_PRESETS)}")
        return CRF_PRESETS[params], params
    for name, preset in CRF_PRESETS.items():
        if preset == params:
            return params, name
    return params, "custom"


class CRFKernels:
    """A dense CRF with its pairwise kernels built for one image, parameter set and label count.

    ``marginals`` can be called again and again with new probabilities; each call only sets the
    unary and runs mean field (the result equals a freshly built CRF's exactly).
    """

    def __init__(self, image: np.ndarray, params: CRFParams, num_labels: int) -> None:
        height, width = image.shape[:2]
        self.image_shape = image.shape
        self.params = params
        self.num_labels = num_labels
        # pydensecrf keeps a pointer to nothing it is given, but needs C-contiguous writable input.
        rgb = np.array(image, dtype=np.uint8, order="C", copy=True)
        self._crf = dcrf.DenseCRF2D(width, height, num_labels)
        self._crf.addPairwiseGaussian(sxy=params.gaussian_sxy, compat=params.gaussian_compat)
        self._crf.addPairwiseBilateral(
            sxy=params.bilateral_sxy, srgb=params.bilateral_srgb, rgbim=rgb, compat=params.bilateral_compat
        )

    def fits(self, image: np.ndarray, params: CRFParams, num_labels: int) -> bool:
        """Whether these kernels serve a request (same image size, parameters and label count).

        The caller is responsible for it being the same image: kernels are keyed by the caller
        (e.g. per segmentation), since comparing pixels on every call would cost what it saves.
        """
        return image.shape == self.image_shape and params == self.params and num_labels == self.num_labels

    def marginals(self, probabilities: np.ndarray) -> np.ndarray:
        """Run ``params.iterations`` mean-field steps; returns float32 ``L×h×w`` marginals.

        The unary is ``-log`` of the clipped probabilities, C-contiguous float32 ``L×(h·w)`` as
        pydensecrf reads raw buffers.
        """
        num_labels, height, width = probabilities.shape
        if num_labels != self.num_labels or (height, width) != self.image_shape[:2]:
            raise ValueError(
                f"CRF kernels were built for {self.num_labels} labels at {self.image_shape[:2]}, "
                f"got {num_labels} at {(height, width)}"
            )
        clipped = np.clip(probabilities, self.params.min_probability, 1.0)
        self._crf.setUnaryEnergy(np.ascontiguousarray(-np.log(clipped).reshape(num_labels, -1), dtype=np.float32))
        marginals = np.asarray(self._crf.inference(self.params.iterations), dtype=np.float32)
        return marginals.reshape(num_labels, height, width)


def refine_crf(
    seg: Segmentation,
    params: CRFParams | str = DEFAULT_CRF_PRESET,
    *,
    mode: CRFMode = "full",
    target_classes: Sequence[int] = (),
    kernels: CRFKernels | None = None,
) -> Segmentation:
    """Refine ``seg`` with a dense CRF; ``refined_by`` becomes ``"crf:<preset>:<mode>"``.

    ``target_classes`` are the chosen classes of binary mode (required there, ignored in full mode
    so a caller can pass its selection either way). ``kernels`` are prebuilt ``CRFKernels`` for
    this segmentation's image (see ``crf_kernels_for``); without them they are built here.
    """
    crf_params, preset_name = resolve_crf_params(params)
    if mode not in CRF_MODES:
        raise ValueError(f"unknown CRF mode {mode!r}; modes: {', '.join(CRF_MODES)}")
    probabilities = seg.probabilities
    num_labels = probabilities.shape[0] if mode == "full" else 2
    if kernels is None or not kernels.fits(seg.image, crf_params, num_labels):
        kernels = CRFKernels(seg.image, crf_params, num_labels)
    if mode == "full":
        refined = kernels.marginals(probabilities)
    else:
        targets = _target_mask(seg, target_classes)
        foreground = probabilities[targets].sum(axis=0)
        background = probabilities[~targets].sum(axis=0)
        refined_two = kernels.marginals(np.stack([background, foreground]))
        refined = _share_out(probabilities, targets, refined_two[1], refined_two[0])
    logger.debug("CRF %s/%s on %s×%s, %d labels", preset_name, mode, *seg.working_size, probabilities.shape[0])
    return seg.with_probabilities(refined, refined_by=f"crf:{preset_name}:{mode}")


def crf_kernels_for(seg: Segmentation, params: CRFParams | str = DEFAULT_CRF_PRESET, *, mode: CRFMode = "binary") -> CRFKernels:
    """Prebuild the kernels ``refine_crf`` needs for ``seg`` in ``mode`` (e.g. while the user looks
    at the overlay, so the CRF toggle then costs only the mean-field steps)."""
    crf_params, _ = resolve_crf_params(params)
    return CRFKernels(seg.image, crf_params, seg.probabilities.shape[0] if mode == "full" else 2)


def _target_mask(seg: Segmentation, target_classes: Sequence[int]) -> np.ndarray:
    """Boolean per-class vector of the chosen classes, checked for a usable binary split."""
    num_classes = seg.classes.num_classes
    if len(target_classes) == 0:
        raise ValueError("binary CRF needs target_classes (the classes of the sticker)")
    targets = np.zeros(num_classes, dtype=bool)
    for class_id in target_classes:
        if not 0 <= int(class_id) < num_classes:
            raise ValueError(f"target class {class_id} is out of range 0..{num_classes - 1} for {seg.classes.name}")
        targets[int(class_id)] = True
    if targets.all():
        raise ValueError("binary CRF needs at least one class outside target_classes")
    return targets


def _share_out(
    probabilities: np.ndarray, targets: np.ndarray, foreground: np.ndarray, background: np.ndarray
) -> np.ndarray:
    """Split refined foreground/background mass over the classes of each side (see module doc)."""
    result = np.empty_like(probabilities, dtype=np.float32)
    for side, mass in ((targets, foreground), (~targets, background)):
        original = probabilities[side]
        total = original.sum(axis=0, keepdims=True)
        even = np.full_like(original, 1.0 / original.shape[0])
        share = np.divide(original, total, out=even, where=total > 0)
        result[side] = share * mass
    return result
