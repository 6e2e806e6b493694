"""Weight resolution: explicit files of every format, the cache, downloads (local server),
imports, and the errors for missing, mismatched or unsafe weights."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from torchvision.models import segmentation

from fcn_core.classes import VOC_CLASSES, ClassSet
from fcn_core.models import registry
from fcn_core.models.normalization import CAFFE_BGR, IMAGENET_RGB
from fcn_core.models.registry import get_model_spec
from fcn_core.models.vgg_fcn import FCN8s, FCN16s
from fcn_core.weights.checkpoint import load_checkpoint, save_checkpoint
from fcn_core.weights.errors import AmbiguousWeightsError
from fcn_core.weights.sources import WeightSource
from fcn_core.weights.store import (
    DownloadError,
    WeightsError,
    WeightsNotFoundError,
    cache_dir,
    download_weights,
    import_weights,
    imported_checkpoint_path,
    load_model,
    random_model,
    source_path,
)
from tests.weights_helpers import LocalServer, Route, caffemodel_from_state_dict, local_http_server

WIDTH = 1 / 16


def _fcn8s_state(seed: int = 0, num_classes: int = 21) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    return FCN8s(num_classes=num_classes, width=WIDTH).state_dict()


def _pytorch_fcn_file(path: Path, seed: int = 0) -> tuple[Path, dict[str, torch.Tensor]]:
    """A bare state dict in Caffe naming, as pytorch-fcn's ``*_from_caffe.pth`` files are."""
    state = _fcn8s_state(seed)
    torch.save(state, path)
    return path, state


def _assert_weights(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> None:
    loaded = model.state_dict()
    assert loaded.keys() == state.keys()
    for key, value in state.items():
        assert torch.equal(loaded[key], value), key


def test_cache_dir_follows_env_and_defaults_to_user_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FCN_STICKER_HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home"
    monkeypatch.delenv("FCN_STICKER_HOME")
    assert cache_dir().name == "fcn-sticker-studio" and cache_dir().is_absolute()


def test_torchvision_files_live_in_torch_hub_dir(tmp_path: Path) -> None:
    source = get_model_spec("fcn_resnet50").weight_sources[0]
    assert source_path(source) == Path(os.environ["TORCH_HOME"]) / "hub" / "checkpoints" / "fcn_resnet50_coco-1167a1af.pth"
    caffe_source = get_model_spec("fcn8s").weight_sources[0]
    assert source_path(caffe_source) == cache_dir() / "downloads" / "fcn8s-heavy-pascal.caffemodel"


def test_no_weights_is_an_actionable_error() -> None:
    with pytest.raises(WeightsNotFoundError) as raised:
        load_model("fcn8s")
    message = str(raised.value)
    assert "fcn-sticker weights download fcn8s" in message
    assert "fcn-sticker weights import PATH --model fcn8s" in message and "Load weights…" in message


def test_unknown_model_lists_names() -> None:
    with pytest.raises(WeightsError, match="unknown model 'fcn9s'.*fcn8s"):
        load_model("fcn9s")


def test_explicit_pytorch_fcn_file(tmp_path: Path) -> None:
    path, state = _pytorch_fcn_file(tmp_path / "fcn8s_from_caffe.pth")
    loaded = load_model("fcn8s", path)
    _assert_weights(loaded.model, state)
    assert not loaded.model.training
    assert loaded.normalization == CAFFE_BGR and loaded.classes == VOC_CLASSES
    assert loaded.source == str(path) and loaded.spec.name == "fcn8s"


def test_pytorch_fcn_file_fits_atonce_too(tmp_path: Path) -> None:
    path, state = _pytorch_fcn_file(tmp_path / "w.pth")
    loaded = load_model("fcn8s-atonce", path)
    assert loaded.model.pool4_scale == 0.01
    _assert_weights(loaded.model, state)


def test_an_ambiguous_file_names_its_candidates_also_after_crossing_to_the_window(tmp_path: Path) -> None:
    """The window asks which model such a file holds (#12 item 5): it needs the candidates, and
    the error reaches it pickled from the compute process."""
    path, _ = _pytorch_fcn_file(tmp_path / "w.pth")
    with pytest.raises(AmbiguousWeightsError) as raised:
        import_weights(path)
    crossed = pickle.loads(pickle.dumps(raised.value))
    assert isinstance(crossed, AmbiguousWeightsError) and str(crossed) == str(raised.value)
    assert crossed.candidates == ("fcn8s", "fcn8s-atonce")
    assert not imported_checkpoint_path("fcn8s").exists()


def _published_as(monkeypatch: pytest.MonkeyPatch, model_name: str, path: Path) -> None:
    """Make ``path`` the file that ``model_name``'s pytorch-fcn source publishes (its md5 in the registry)."""
    spec = get_model_spec(model_name)
    source = dataclasses.replace(spec.weight_sources[-1], md5=hashlib.md5(path.read_bytes()).hexdigest())
    monkeypatch.setitem(registry._REGISTRY, model_name, dataclasses.replace(spec, weight_sources=(source,)))


def test_published_atonce_file_is_told_from_fcn8s_by_its_checksum(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #12 item 2: same keys as FCN-8s, but the file is the published at-once release."""
    path, state = _pytorch_fcn_file(tmp_path / "fcn8s-atonce_from_caffe.pth")
    _published_as(monkeypatch, "fcn8s-atonce", path)
    with pytest.raises(WeightsError, match="for fcn8s-atonce, not fcn8s; load it with --model fcn8s-atonce"):
        load_model("fcn8s", path)
    loaded = load_model(None, path)
    assert loaded.spec.name == "fcn8s-atonce" and loaded.model.pool4_scale == 0.01
    _assert_weights(loaded.model, state)


def test_published_fcn8s_file_is_never_loaded_as_atonce(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = _pytorch_fcn_file(tmp_path / "fcn8s_from_caffe.pth")
    _published_as(monkeypatch, "fcn8s", path)
    with pytest.raises(WeightsError, match="load it with --model fcn8s$"):
        load_model("fcn8s-atonce", path)
    assert load_model(None, path).spec.name == "fcn8s"


@pytest.mark.parametrize(
    ("arch", "model_name", "other"), [("FCN8sAtOnce", "fcn8s-atonce", "fcn8s"), ("FCN8s", "fcn8s", "fcn8s-atonce")]
)
def test_pytorch_fcn_training_checkpoint_names_its_architecture(tmp_path: Path, arch: str, model_name: str, other: str) -> None:
    path = tmp_path / "checkpoint.pth.tar"
    torch.save({"arch": arch, "iteration": 10, "model_state_dict": _fcn8s_state(2)}, path)
    assert load_model(None, path).spec.name == model_name
    with pytest.raises(WeightsError, match=f"not {other}; load it with --model {model_name}"):
        load_model(other, path)


def test_training_checkpoint_whose_arch_contradicts_its_layers_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.pth.tar"
    torch.save({"arch": "FCN16s", "model_state_dict": _fcn8s_state(2)}, path)
    with pytest.raises(WeightsError, match="says it is FCN16s"):
        load_model(None, path)


def test_unidentified_fcn8s_file_is_refused_until_the_model_is_named(tmp_path: Path) -> None:
    """A bare FCN-8s-family state dict with an unknown checksum fits both nets: no guess."""
    path, state = _pytorch_fcn_file(tmp_path / "mine.pth")
    with pytest.raises(WeightsError, match="cannot tell whether .* fcn8s or fcn8s-atonce.*--model fcn8s or --model fcn8s-atonce"):
        load_model(None, path)
    _assert_weights(load_model("fcn8s-atonce", path).model, state)  # named by the user: loaded as told


def test_pytorch_fcn_training_checkpoint(tmp_path: Path) -> None:
    state = _fcn8s_state(1)
    path = tmp_path / "checkpoint.pth.tar"
    torch.save({"epoch": 3, "iteration": 9000, "arch": "FCN8s", "optim_state_dict": {}, "model_state_dict": state,
                "best_mean_iu": 0.62}, path)
    _assert_weights(load_model("fcn8s", path).model, state)


def test_wrong_architecture_names_the_right_one(tmp_path: Path) -> None:
    torch.manual_seed(0)
    path = tmp_path / "fcn16s.pth"
    torch.save(FCN16s(width=WIDTH).state_dict(), path)
    with pytest.raises(WeightsError, match="pytorch-fcn weights for fcn16s, not fcn8s; load it with --model fcn16s"):
        load_model("fcn8s", path)


def test_class_count_mismatch_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "ten.pth"
    torch.save(_fcn8s_state(num_classes=10), path)
    with pytest.raises(WeightsError, match="scores 10 classes but fcn8s uses PASCAL VOC \\(21\\)"):
        load_model("fcn8s", path)


def test_project_checkpoint_carries_its_classes_and_normalization(tmp_path: Path) -> None:
    torch.manual_seed(2)
    model = FCN8s(num_classes=3, width=WIDTH)
    classes = ClassSet("pets", ("background", "cat", "dog"))
    path = save_checkpoint(tmp_path / "pets.pt", model, arch="fcn8s", classes=classes, normalization=IMAGENET_RGB,
                           provenance={"source": "training"})
    loaded = load_model("fcn8s", path)
    assert loaded.classes == classes and loaded.normalization == IMAGENET_RGB
    _assert_weights(loaded.model, model.state_dict())
    with pytest.raises(WeightsError, match="checkpoint weights for fcn8s, not fcn16s"):
        load_model("fcn16s", path)


def test_torchvision_state_dict_drops_aux_head(tmp_path: Path) -> None:
    torch.manual_seed(3)
    net = segmentation.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=21)
    state = net.state_dict()
    # torchvision's COCO checkpoints of the FCN/DeepLab heads carry an auxiliary classifier
    # that our LogitsOnly models leave out.
    path = tmp_path / "lraspp_mobilenet_v3_large-d234d4ea.pth"
    torch.save({**state, "aux_classifier.4.weight": torch.zeros(21, 10, 1, 1)}, path)
    loaded = load_model("lraspp_mobilenet_v3_large", path)
    assert loaded.normalization == IMAGENET_RGB
    inner = loaded.model.model.state_dict()
    assert inner.keys() == state.keys() and all(torch.equal(inner[key], state[key]) for key in inner)
    with pytest.raises(WeightsError, match="torchvision weights for lraspp_mobilenet_v3_large, not deeplabv3_mobilenet"):
        load_model("deeplabv3_mobilenet_v3_large", path)


@pytest.mark.parametrize(
    ("keys", "arch"),
    [
        (["backbone.layer3.5.conv1.weight", "classifier.4.weight"], "fcn_resnet50"),
        ([f"backbone.layer3.{i}.conv1.weight" for i in range(23)] + ["classifier.4.weight"], "fcn_resnet101"),
        (["backbone.layer3.5.conv1.weight", "classifier.0.convs.0.0.weight", "classifier.4.weight"], "deeplabv3_resnet50"),
        (["backbone.0.0.weight", "classifier.0.convs.0.0.weight", "classifier.4.weight"], "deeplabv3_mobilenet_v3_large"),
    ],
)
def test_torchvision_architecture_is_read_from_keys(tmp_path: Path, keys: list[str], arch: str) -> None:
    path = tmp_path / "tv.pth"
    blocks = [f"backbone.layer3.{i}.conv1.weight" for i in range(6)] if "layer3.5" in keys[0] else []
    torch.save({key: torch.zeros(21, 1) for key in keys + blocks}, path)
    with pytest.raises(WeightsError, match=f"torchvision weights for {arch}, not lraspp_mobilenet_v3_large"):
        load_model("lraspp_mobilenet_v3_large", path)


def test_imagenet_vgg16_is_not_a_segmentation_model(tmp_path: Path) -> None:
    path = tmp_path / "vgg16.pth"
    torch.save({"features.0.weight": torch.zeros(1), "classifier.0.weight": torch.zeros(1)}, path)
    with pytest.raises(WeightsError, match="ImageNet VGG16 classifier, not a segmentation model"):
        load_model("fcn8s", path)


def test_unrecognised_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "other.pth"
    torch.save({"encoder.weight": torch.zeros(1)}, path)
    with pytest.raises(WeightsError, match="unrecognised weights \\(layers encoder.weight"):
        load_model("fcn8s", path)
    with pytest.raises(WeightsError, match="absent.pth does not exist"):
        load_model("fcn8s", tmp_path / "absent.pth")


def test_malicious_explicit_file_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "fcn8s.pth"
    path.write_bytes(pickle.dumps(Payload(), protocol=2))
    with pytest.raises(WeightsError, match="refused to load"):
        load_model("fcn8s", path)
    assert not marker.exists()


def test_import_stores_a_checkpoint_that_loading_finds(tmp_path: Path) -> None:
    path, state = _pytorch_fcn_file(tmp_path / "w.pth")
    target = import_weights(path, "fcn8s")
    assert target == imported_checkpoint_path("fcn8s") and target.parent == cache_dir() / "checkpoints"
    checkpoint = load_checkpoint(target)
    assert checkpoint.provenance["format"] == "pytorch-fcn"
    assert checkpoint.provenance["imported_from"] == str(path.resolve())
    path.unlink()  # the original is no longer needed
    loaded = load_model("fcn8s")
    assert loaded.source == str(target) and loaded.normalization == CAFFE_BGR
    _assert_weights(loaded.model, state)


def test_import_caffemodel(tmp_path: Path) -> None:
    state = _fcn8s_state(4)
    path = tmp_path / "fcn8s-heavy-pascal.caffemodel"
    path.write_bytes(caffemodel_from_state_dict(state, v1=True, legacy_dims=True))
    import_weights(path, "fcn8s")
    _assert_weights(load_model("fcn8s").model, state)


def test_failed_import_leaves_cache_untouched(tmp_path: Path) -> None:
    path = tmp_path / "ten.pth"
    torch.save(_fcn8s_state(num_classes=10), path)
    with pytest.raises(WeightsError):
        import_weights(path, "fcn8s")
    assert not imported_checkpoint_path("fcn8s").exists()


def test_corrupt_cached_file_is_reported_not_skipped(tmp_path: Path) -> None:
    target = imported_checkpoint_path("fcn8s")
    target.parent.mkdir(parents=True)
    target.write_bytes(b"PK\x03\x04 damaged")
    with pytest.raises(WeightsError, match="cached file .*fcn8s.pt is unusable"):
        load_model("fcn8s", allow_download=True)


def test_random_model_is_explicit() -> None:
    loaded = random_model("fcn8s", width=WIDTH)
    assert loaded.source == "random init" and isinstance(loaded.model, FCN8s) and loaded.model.width == WIDTH


# --- downloads (local server) ---------------------------------------------------------------


@pytest.fixture
def served_fcn8s(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[LocalServer, dict[str, torch.Tensor]]]:
    """fcn8s's sources replaced by a 404 source and a working pytorch-fcn file with its md5."""
    path, state = _pytorch_fcn_file(tmp_path / "served.pth", seed=5)
    body = path.read_bytes()
    with local_http_server() as server:
        server.routes["/fcn8s_from_caffe.pth"] = Route(body)
        broken = WeightSource("caffe", server.url("/gone.caffemodel"), "fcn8s-heavy-pascal.caffemodel", "caffemodel",
                              CAFFE_BGR, "test: missing")
        working = WeightSource("pytorch-fcn", server.url("/fcn8s_from_caffe.pth"), "fcn8s_from_caffe.pth",
                               "pytorch-fcn", CAFFE_BGR, "test: served", md5=hashlib.md5(body).hexdigest())
        spec = dataclasses.replace(get_model_spec("fcn8s"), weight_sources=(broken, working))
        monkeypatch.setitem(registry._REGISTRY, "fcn8s", spec)
        yield server, state


def test_download_when_allowed_then_cache(served_fcn8s) -> None:
    server, state = served_fcn8s
    with pytest.raises(WeightsNotFoundError):
        load_model("fcn8s")
    seen: list[int] = []
    loaded = load_model("fcn8s", allow_download=True, progress=lambda done, total: seen.append(done))
    _assert_weights(loaded.model, state)
    assert seen and seen[-1] > 0
    assert loaded.source == str(cache_dir() / "downloads" / "fcn8s_from_caffe.pth")
    del server.routes["/fcn8s_from_caffe.pth"]  # now only the cache can serve it
    assert load_model("fcn8s").source == loaded.source


def test_download_of_named_source_failure_lists_it(served_fcn8s) -> None:
    with pytest.raises(DownloadError, match="HTTP 404") as raised:
        download_weights("fcn8s", "caffe")
    assert "fcn-sticker weights import PATH --model fcn8s" in str(raised.value)
    assert not (cache_dir() / "downloads" / "fcn8s-heavy-pascal.caffemodel").exists()


def test_every_source_failing_lists_each(served_fcn8s) -> None:
    server, _ = served_fcn8s
    del server.routes["/fcn8s_from_caffe.pth"]
    with pytest.raises(DownloadError, match=r"every source of fcn8s failed:\n\[caffe\].*404.*\n\[pytorch-fcn\].*404"):
        download_weights("fcn8s")


def test_unknown_source_key(served_fcn8s) -> None:
    with pytest.raises(WeightsError, match="no weight source 'mirror' \\(sources: caffe, pytorch-fcn\\)"):
        download_weights("fcn8s", "mirror")


# --- real weights (only where FCN_STICKER_REAL_WEIGHTS names a folder holding them) -----------

REAL_WEIGHTS = os.environ.get("FCN_STICKER_REAL_WEIGHTS")
needs_real_weights = pytest.mark.skipif(
    not REAL_WEIGHTS, reason="FCN_STICKER_REAL_WEIGHTS is not set (a folder with the downloaded weight files)"
)


def _real_file(filename: str) -> Path:
    path = Path(REAL_WEIGHTS or "") / filename
    if not path.is_file():
        pytest.skip(f"{filename} is not in {REAL_WEIGHTS}")
    return path


@pytest.mark.real_weights
@needs_real_weights
@pytest.mark.parametrize(
    "source", [s for spec in registry.all_model_specs() for s in spec.weight_sources if s.md5], ids=lambda s: s.filename
)
def test_real_files_match_published_md5(source: WeightSource) -> None:
    digest = hashlib.md5(usedforsecurity=False)
    with open(_real_file(source.filename), "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    assert digest.hexdigest() == source.md5


@pytest.mark.real_weights
@needs_real_weights
@pytest.mark.parametrize("model_name", ["fcn8s", "fcn16s", "fcn32s", "fcn8s-atonce"])
def test_real_caffe_release_equals_pytorch_fcn_copy(model_name: str) -> None:
    """pytorch-fcn's files are plain copies of the Caffe releases: our reader must agree exactly."""
    caffe_source, pytorch_source = get_model_spec(model_name).weight_sources
    from_caffe = load_model(model_name, _real_file(caffe_source.filename))
    from_pytorch = load_model(model_name, _real_file(pytorch_source.filename))
    _assert_weights(from_caffe.model, from_pytorch.model.state_dict())
