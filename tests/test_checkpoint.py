"""Project checkpoints: round trip, checked loading with readable errors, and refusal of
files that would run code when opened."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from fcn_core.classes import VOC_CLASSES, ClassSet
from fcn_core.models.normalization import CAFFE_BGR, IMAGENET_RGB
from fcn_core.models.vgg_fcn import FCN8s
from fcn_core.weights.checkpoint import load_checkpoint, load_state_dict_checked, safe_torch_load, save_checkpoint
from fcn_core.weights.errors import WeightsError
from fcn_core.weights.formats import read_weights_file

WIDTH = 1 / 16


def _model(num_classes: int = 21, seed: int = 0) -> FCN8s:
    torch.manual_seed(seed)
    return FCN8s(num_classes=num_classes, width=WIDTH).eval()


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    classes = ClassSet("pets", ("background", "cat", "dog"))
    model = _model(num_classes=3)
    provenance = {"source": "training", "dataset": "pets", "recipe": "fcn32s→16s→8s", "iteration": 1200,
                  "metrics": {"mean_iu": 0.61, "pixel_accuracy": 0.9}}
    extra = {"optimizer": {"state": {0: {"momentum_buffer": torch.ones(2)}}, "lr": 1e-4}}
    path = save_checkpoint(tmp_path / "sub" / "pets.pt", model, arch="fcn8s", classes=classes,
                           normalization=IMAGENET_RGB, provenance=provenance, extra=extra)
    checkpoint = load_checkpoint(path)
    assert checkpoint.arch == "fcn8s"
    assert checkpoint.classes == classes
    assert checkpoint.normalization == IMAGENET_RGB
    assert checkpoint.width == WIDTH
    assert {k: v for k, v in checkpoint.provenance.items() if k != "created"} == provenance
    assert checkpoint.provenance["created"].startswith("20")
    assert torch.equal(checkpoint.extra["optimizer"]["state"][0]["momentum_buffer"], torch.ones(2))
    expected = model.state_dict()
    assert checkpoint.state_dict.keys() == expected.keys()
    assert all(torch.equal(checkpoint.state_dict[key], expected[key]) for key in expected)
    assert [p.name for p in path.parent.iterdir()] == ["pets.pt"]  # no temp file left


def test_unsafe_extra_is_refused_before_writing(tmp_path: Path) -> None:
    target = tmp_path / "x.pt"
    with pytest.raises(WeightsError, match=r"extra\['mean'\] holds a ndarray"):
        save_checkpoint(target, _model(), arch="fcn8s", classes=VOC_CLASSES, normalization=CAFFE_BGR,
                        provenance={"source": "test"}, extra={"mean": np.zeros(3)})
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_checked_load_names_first_mismatching_layer_and_shapes() -> None:
    source = _model(num_classes=21).state_dict()
    with pytest.raises(WeightsError, match=r"layer 'score_fr.weight' has shape \[21, 256, 1, 1\] in the weights "
                                           r"but \[10, 256, 1, 1\] in the model \(8 more mismatching: score_fr.bias"):
        load_state_dict_checked(_model(num_classes=10), source)


def test_checked_load_names_missing_and_unexpected_layers() -> None:
    model = _model()
    state = model.state_dict()
    missing = {k: v for k, v in state.items() if k != "fc7.bias"}
    with pytest.raises(WeightsError, match=r"lack layer 'fc7.bias' \(the model expects shape \[256\]\)"):
        load_state_dict_checked(model, missing)
    with pytest.raises(WeightsError, match=r"have layer 'bogus.weight' \(shape \[2\]\)"):
        load_state_dict_checked(model, {**state, "bogus.weight": torch.zeros(2)})


def test_checked_load_copies_values() -> None:
    target, source = _model(seed=1), _model(seed=2)
    load_state_dict_checked(target, source.state_dict())
    assert torch.equal(target.conv1_1.weight, source.conv1_1.weight)


class _RunsShellCommand:
    """Unpickling this calls ``os.system`` — what a malicious weights file does."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_raw_malicious_pickle_is_refused_and_nothing_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    path.write_bytes(pickle.dumps({"conv1_1.weight": _RunsShellCommand(marker)}, protocol=2))
    with pytest.raises(WeightsError, match="refused to load .*evil.pth.*can run code") as raised:
        safe_torch_load(path)
    assert not marker.exists()
    # Issue #12 item 7: the object is named; PyTorch's advice to load it unsafely is not passed on.
    message = str(raised.value)
    assert "it holds a posix.system" in message or "it holds a os.system" in message
    assert "add_safe_globals" not in message and "\x1b" not in message and "trust the source" not in message


def test_malicious_object_inside_torch_zip_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"arch": "fcn8s", "state_dict": {}, "provenance": _RunsShellCommand(marker)}, path)
    with pytest.raises(WeightsError, match="refused to load"):
        load_checkpoint(path)
    assert not marker.exists()


@pytest.mark.parametrize("content", [b"", b"not a torch file at all", b"PK\x03\x04truncated zip"])
def test_corrupt_files_are_weights_errors(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.pt"
    path.write_bytes(content)
    with pytest.raises(WeightsError, match="broken.pt"):
        load_checkpoint(path)


def test_truncated_checkpoint_is_a_weights_error(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "full.pt", _model(), arch="fcn8s", classes=VOC_CLASSES,
                           normalization=CAFFE_BGR, provenance={"source": "test"})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightsError, match="full.pt"):
        load_checkpoint(path)


def test_bare_state_dict_is_not_a_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "bare.pth"
    torch.save(_model().state_dict(), path)
    with pytest.raises(WeightsError, match="not an FCN Sticker Studio checkpoint"):
        load_checkpoint(path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="nowhere.pt does not exist"):
        load_checkpoint(tmp_path / "nowhere.pt")


@pytest.mark.parametrize("cut", [0.5, 0.99])
def test_damaged_weights_file_is_explained_in_plain_words(tmp_path: Path, cut: float) -> None:
    """Issue #12 item 7: no 'internal miniz error' or PytorchStreamReader in what the user reads."""
    path = save_checkpoint(tmp_path / "full.pt", _model(), arch="fcn8s", classes=VOC_CLASSES,
                           normalization=CAFFE_BGR, provenance={"source": "test"})
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(WeightsError) as raised:
        load_checkpoint(path)
    message = str(raised.value)
    assert "full.pt" in message and "incomplete" in message and "cut short" in message
    assert not [word for word in ("miniz", "PytorchStreamReader", "zip archive", "central directory") if word in message]


def test_a_file_that_is_no_weights_at_all_says_so(tmp_path: Path) -> None:
    path = tmp_path / "notes.pth"
    path.write_bytes(b"these are my notes, not weights\n" * 10)
    with pytest.raises(WeightsError) as raised:
        read_weights_file(path)
    message = str(raised.value)
    assert "notes.pth" in message and "not a weights file" in message and "wire type" not in message
