"""Training recipes: the paper's reference solver and a modern one.

``reference`` is the Caffe solver of the FCN release (``voc-fcn*/solver.prototxt`` and the nets'
``param`` blocks) for batch size 1:

- SGD, momentum 0.99, weight decay 5e-4, fixed learning rate, loss *summed* over pixels
  (``SoftmaxWithLoss`` with ``normalize: false``) — hence the tiny rates:
  1e-10 (FCN-32s), 1e-12 (FCN-16s), 1e-14 (FCN-8s). FCN-8s-at-once also uses 1e-10
  (``voc-fcn8s-atonce/solver.prototxt``), for 300,000 iterations instead of 100,000.
- every bias has ``lr_mult: 2, decay_mult: 0``: twice the rate, no weight decay;
- the deconvolutions have ``lr_mult: 0``: bilinear upsampling stays frozen;
- whole images, one per batch, no augmentation (the paper found jittering did not help);
- validation and snapshots every 4,000 iterations (``solve.py``).

Caffe's momentum update ``v = m·v + lr·(g + wd·w)`` equals PyTorch's SGD
``v = m·v + (g + wd·w); w -= lr·v`` whenever the rate is fixed, so the reference runs unchanged.

``modern`` trades fidelity for speed on today's hardware: loss averaged over valid pixels, batches
of random crops with scale/flip augmentation, SGD (momentum 0.9) or Adam with polynomial decay
``(1 - t/T)^0.9``, mixed precision on CUDA.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

INIT_VGG16 = "vgg16"
INIT_SCRATCH = "scratch"
PAPER_PREDECESSOR: dict[str, str] = {"fcn32s": INIT_VGG16, "fcn8s-atonce": INIT_VGG16, "fcn16s": "fcn32s", "fcn8s": "fcn16s"}
"""What each net of the family is initialised from in the paper."""

REFERENCE_LEARNING_RATES: dict[str, float] = {"fcn32s": 1e-10, "fcn16s": 1e-12, "fcn8s": 1e-14, "fcn8s-atonce": 1e-10}
REFERENCE_ITERATIONS: dict[str, int] = {"fcn32s": 100_000, "fcn16s": 100_000, "fcn8s": 100_000, "fcn8s-atonce": 300_000}
REFERENCE_INTERVAL = 4_000

MODERN_LEARNING_RATES: dict[str, float] = {"sgd": 1e-3, "adam": 1e-4}
MODERN_WEIGHT_DECAY: dict[str, float] = {"sgd": 5e-4, "adam": 0.0}

RECIPE_NAMES = ("reference", "modern")
OPTIMIZERS = ("sgd", "adam")


@dataclass(frozen=True)
class Recipe:
    """Everything about *how* to train, independent of the data and the architecture's weights.

    ``momentum`` is SGD's momentum or Adam's beta1. ``crop_size`` None means whole images (then
    ``batch_size`` must be 1, since images differ in size). ``amp`` is honoured on CUDA only.
    """

    name: str
    optimizer: Literal["sgd", "adam"]
    learning_rate: float
    momentum: float
    weight_decay: float
    bias_lr_multiplier: float
    bias_weight_decay: bool
    loss_reduction: Literal["sum", "mean"]
    lr_schedule: Literal["fixed", "poly"]
    batch_size: int
    crop_size: int | None
    scale_range: tuple[float, float] | None
    flip: bool
    amp: bool
    iterations: int
    val_interval: int
    checkpoint_interval: int
    learn_upsampling: bool = False
    poly_power: float = 0.9

    @property
    def wants_caffe_input(self) -> bool:
        """Whether a VGG16 start must take Caffe's BGR 0–255 input: the reference learning rates
        (1e-10 … 1e-14 on a summed loss) were tuned for it; the modern ones for normalised input."""
        return self.name == "reference"

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.batch_size < 1 or self.iterations < 1 or self.val_interval < 1 or self.checkpoint_interval < 1:
            raise ValueError("batch size, iterations and intervals must be at least 1")
        if self.crop_size is None and self.batch_size != 1:
            raise ValueError("batches of more than one image need a crop size (whole images differ in size)")
        if self.crop_size is not None and self.crop_size < 1:
            raise ValueError(f"crop size must be positive, got {self.crop_size}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning rate must be positive, got {self.learning_rate}")

    def learning_rate_at(self, iteration: int) -> float:
        """The base rate for the update that follows ``iteration`` completed updates."""
        if self.lr_schedule == "fixed":
            return self.learning_rate
        return self.learning_rate * (1.0 - min(iteration, self.iterations) / self.iterations) ** self.poly_power

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["scale_range"] = list(self.scale_range) if self.scale_range else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recipe:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        if values.get("scale_range") is not None:
            values["scale_range"] = tuple(values["scale_range"])
        return cls(**values)


def reference_recipe(arch: str) -> Recipe:
    """The FCN release's solver for ``arch`` (one of the VGG16 FCNs)."""
    if arch not in REFERENCE_LEARNING_RATES:
        raise ValueError(f"the reference recipe exists for {', '.join(REFERENCE_LEARNING_RATES)}, not {arch!r}")
    return Recipe(
        name="reference",
        optimizer="sgd",
        learning_rate=REFERENCE_LEARNING_RATES[arch],
        momentum=0.99,
        weight_decay=5e-4,
        bias_lr_multiplier=2.0,
        bias_weight_decay=False,
        loss_reduction="sum",
        lr_schedule="fixed",
        batch_size=1,
        crop_size=None,
        scale_range=None,
        flip=False,
        amp=False,
        iterations=REFERENCE_ITERATIONS[arch],
        val_interval=REFERENCE_INTERVAL,
        checkpoint_interval=REFERENCE_INTERVAL,
    )


def modern_recipe(optimizer: Literal["sgd", "adam"] = "sgd") -> Recipe:
    """Mean loss, crops of 320 px at scale 0.5–2 with flips, batches of 8, poly decay, AMP on CUDA."""
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    return Recipe(
        name="modern",
        optimizer=optimizer,
        learning_rate=MODERN_LEARNING_RATES[optimizer],
        momentum=0.9,
        weight_decay=MODERN_WEIGHT_DECAY[optimizer],
        bias_lr_multiplier=1.0,
        bias_weight_decay=False,
        loss_reduction="mean",
        lr_schedule="poly",
        batch_size=8,
        crop_size=320,
        scale_range=(0.5, 2.0),
        flip=True,
        amp=True,
        iterations=20_000,
        val_interval=2_000,
        checkpoint_interval=2_000,
    )


def make_recipe(name: str, arch: str, *, optimizer: Literal["sgd", "adam"] | None = None, **overrides: Any) -> Recipe:
    """A named recipe with the given fields replaced."""
    if name == "reference":
        if optimizer not in (None, "sgd"):
            raise ValueError("the reference recipe is SGD; use --recipe modern for Adam")
        recipe = reference_recipe(arch)
    elif name == "modern":
        recipe = modern_recipe(optimizer or "sgd")
    else:
        raise ValueError(f"unknown recipe {name!r}; choose from {', '.join(RECIPE_NAMES)}")
    return replace(recipe, **overrides)
