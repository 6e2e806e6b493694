"""Two CPU processes with the gloo backend train as one (DistributedDataParallel), as under torchrun."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from fcn_core.training.log import read_log
from fcn_core.weights.checkpoint import load_checkpoint
from tests.train_helpers import ddp_worker, free_port, write_synthetic_folder

WORLD_SIZE = 2


@pytest.mark.slow
def test_two_ranks_end_with_identical_weights_and_rank0_writes(tmp_path: Path) -> None:
    data = write_synthetic_folder(tmp_path / "shapes", {"train": 6, "val": 2}, size=32)
    out = tmp_path / "run"
    out.mkdir()
    mp.spawn(ddp_worker, args=(WORLD_SIZE, free_port(), str(data), str(out)), nprocs=WORLD_SIZE, join=True)

    weights = [torch.load(out / f"rank{rank}_weights.pt", weights_only=True) for rank in range(WORLD_SIZE)]
    checkpoint = load_checkpoint(out / "checkpoint_iter000002.pt")
    assert checkpoint.provenance["world_size"] == WORLD_SIZE
    assert len(checkpoint.extra["rng"]) == WORLD_SIZE  # every rank's generators, for an exact resume
    changed = False
    for name, tensor in weights[0].items():
        assert torch.equal(weights[1][name], tensor), f"ranks disagree on {name}"
        assert torch.equal(checkpoint.state_dict[name], tensor), name
        changed |= name.startswith("score") and bool(tensor.any())  # score layers start at zero
    assert changed, "two updates should have moved the score layers"
    rows = read_log(out / "log.csv")  # one log, written by rank 0 alone
    assert [row.iteration for row in rows if "loss" in row.values] == [1, 2]
    assert sorted(p.name for p in out.glob("*.pt")) == ["checkpoint_iter000002.pt", "rank0_weights.pt", "rank1_weights.pt"]


def test_choose_device_explains_a_missing_or_unknown_device(monkeypatch: pytest.MonkeyPatch) -> None:
    from fcn_core.device import DeviceUnavailableError, choose_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceUnavailableError, match="no CUDA device is available; use --device cpu"):
        choose_device("cuda:1")
    with pytest.raises(DeviceUnavailableError, match="unknown device 'gpu'"):
        choose_device("gpu")
    assert choose_device(None) == torch.device("cpu")
