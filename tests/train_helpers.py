"""A synthetic segmentation task for training tests: coloured shapes on textured backgrounds.

Three shape classes (disc, square, triangle), each with its own hue jittered per image, on a
background of random stripes and noise, written in the folder format (images/, masks/,
classes.txt). Small enough for CPU training in seconds, hard enough that an untrained or broken
net scores far below a trained one (predicting all background scores about 0.2 mean IU).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from fcn_core.training.recipes import Recipe, make_recipe

CLASS_NAMES = ("background", "disc", "square", "triangle")
CLASS_COLOURS = {1: (210, 50, 50), 2: (50, 190, 70), 3: (60, 90, 220)}


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    rows, cols = np.mgrid[:size, :size].astype(np.float64)
    angle = rng.uniform(0, np.pi)
    period = rng.uniform(4, 14)
    stripes = np.sin((rows * np.cos(angle) + cols * np.sin(angle)) * 2 * np.pi / period)
    base = rng.uniform(80, 160) + rng.uniform(-15, 15, size=3)
    texture = base + 35 * stripes[..., None] + rng.normal(0, 12, size=(size, size, 3))
    return np.clip(texture, 0, 255).astype(np.uint8)


def _draw_shape(draw: ImageDraw.ImageDraw, kind: int, box: tuple[int, int, int, int], fill: int | tuple[int, ...]) -> None:
    left, top, right, bottom = box
    if kind == 1:
        draw.ellipse(box, fill=fill)
    elif kind == 2:
        draw.rectangle(box, fill=fill)
    else:
        draw.polygon([((left + right) // 2, top), (right, bottom), (left, bottom)], fill=fill)


def synthetic_sample(rng: np.random.Generator, size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """One image (``size×size×3`` uint8) and its label map with 1–3 shapes."""
    image = Image.fromarray(_background(rng, size))
    mask = Image.new("L", (size, size), 0)
    image_draw, mask_draw = ImageDraw.Draw(image), ImageDraw.Draw(mask)
    for _ in range(int(rng.integers(1, 4))):
        kind = int(rng.integers(1, 4))
        extent = int(rng.integers(size // 4, size // 2))
        left, top = (int(v) for v in rng.integers(0, size - extent, size=2))
        box = (left, top, left + extent, top + extent)
        colour = tuple(int(np.clip(c + rng.integers(-25, 26), 0, 255)) for c in CLASS_COLOURS[kind])
        _draw_shape(image_draw, kind, box, colour)
        _draw_shape(mask_draw, kind, box, kind)
    return np.asarray(image), np.asarray(mask)


def write_synthetic_folder(root: Path, splits: dict[str, int], *, size: int = 64, seed: int = 0) -> Path:
    """Folder-format dataset under ``root`` with one sub-folder per split (``{"train": 48, "val": 12}``)."""
    rng = np.random.default_rng(seed)
    for split, count in splits.items():
        (root / "images" / split).mkdir(parents=True)
        (root / "masks" / split).mkdir(parents=True)
        for index in range(count):
            image, mask = synthetic_sample(rng, size)
            Image.fromarray(image).save(root / "images" / split / f"{split}_{index:03d}.png")
            Image.fromarray(mask, mode="L").save(root / "masks" / split / f"{split}_{index:03d}.png")
    (root / "classes.txt").write_text("\n".join(CLASS_NAMES) + "\n", encoding="utf-8")
    return root


def small_recipe(**changes: object) -> Recipe:
    """The modern recipe cut down for CPU tests (Adam, small crops and batches); tests adjust it further."""
    settings: dict[str, object] = {
        "learning_rate": 1e-3, "batch_size": 4, "crop_size": 48, "scale_range": (0.75, 1.25), "iterations": 6,
        "val_interval": 1000, "checkpoint_interval": 1000,
    }
    settings.update(changes)
    return make_recipe("modern", "fcn8s", optimizer="adam", **settings)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def set_distributed_env(rank: int, world_size: int, port: int) -> None:
    """What ``torchrun`` would set for this process."""
    os.environ.update(
        {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": str(rank), "LOCAL_RANK": str(rank),
         "WORLD_SIZE": str(world_size)}
    )


def ddp_worker(rank: int, world_size: int, port: int, data_root: str, out_dir: str) -> None:
    """One rank of a 2-process CPU run (what ``torchrun`` would start): train, then save this rank's weights."""
    import torch

    from fcn_core.training.data import folder_dataset
    from fcn_core.training.distributed import shutdown_distributed
    from fcn_core.training.loop import TrainConfig, Trainer

    torch.set_num_threads(1)
    set_distributed_env(rank, world_size, port)
    config = TrainConfig(
        arch="fcn8s", recipe=small_recipe(iterations=2, crop_size=32, batch_size=1, val_interval=2, checkpoint_interval=2),
        out_dir=Path(out_dir), init="scratch", width=1 / 16, num_workers=0, progress=False, device="cpu",
    )
    trainer = Trainer(config, folder_dataset(Path(data_root), "train"), folder_dataset(Path(data_root), "val"))
    try:
        trainer.run()
        torch.save(trainer.model.state_dict(), Path(out_dir) / f"rank{rank}_weights.pt")
    finally:
        shutdown_distributed(trainer.context)
