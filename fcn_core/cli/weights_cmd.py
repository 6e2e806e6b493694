"""``fcn-sticker weights {list,download,import}``: see, fetch and bring in model weights."""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from tqdm import tqdm

from fcn_core.cli.errors import handles_user_errors
from fcn_core.models.registry import all_model_specs, get_model_spec, model_names
from fcn_core.weights.sources import WeightSource

EPILOG = """examples:
  fcn-sticker weights list                              what each model can use, and what is here
  fcn-sticker weights download fcn8s                    fetch FCN-8s (original Caffe release first)
  fcn-sticker weights download fcn8s --source pytorch-fcn
  fcn-sticker weights import fcn8s-heavy-pascal.caffemodel --model fcn8s
                                                        use a file you downloaded elsewhere (offline)

Formats import understands: Caffe .caffemodel, pytorch-fcn .pth, torchvision .pth, and this
program's own .pt checkpoints. Weights are kept in the cache folder shown by `weights list`
(set FCN_STICKER_HOME to move it).
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "weights",
        description="Manage the weights the models need: list sources and what is cached, "
        "download from a model's sources, or import a file you already have.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="weights_action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="each model's weight sources and whether they are downloaded")
    listing.set_defaults(func=run_list)

    download = actions.add_parser("download", help="download a model's weights (with a progress bar)")
    download.add_argument("model", choices=model_names(), metavar="MODEL", help="model name, see `fcn-sticker models`")
    download.add_argument("--source", metavar="KEY", help="which source to use (e.g. caffe, pytorch-fcn); default: each in turn")
    download.set_defaults(func=run_download)

    importing = actions.add_parser("import", help="convert a weight file you have and keep it in the cache")
    importing.add_argument("path", type=Path, metavar="PATH", help=".caffemodel, .pth or .pt file")
    importing.add_argument("--model", choices=model_names(), metavar="MODEL",
                           help="which model the file is for (default: the one it holds, where the file tells)")
    importing.set_defaults(func=run_import)


def _size(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:.1f} MB"


def run_list(args: argparse.Namespace) -> int:
    from fcn_core.weights.store import cache_dir, cached_source_path, imported_checkpoint_path  # torch: when it runs

    print(f"cache: {cache_dir()}")
    for spec in all_model_specs():
        print(spec.name)
        imported = imported_checkpoint_path(spec.name)
        if imported.is_file():
            print(f"    imported checkpoint: {imported} ({_size(imported)}) — used first")
        for source in spec.weight_sources:
            cached = cached_source_path(source)
            state = f"downloaded: {cached} ({_size(cached)})" if cached else "not downloaded"
            print(f"    [{source.key}] {source.description}")
            print(f"        {source.url}")
            print(f"        {state}")
        if not spec.weight_sources and not imported.is_file():
            print("    no download source; import a file with `fcn-sticker weights import PATH --model NAME`")
    return 0


class _DownloadBar:
    """A tqdm bar that appears with the first byte (not for a cached file or an instant failure)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: tqdm | None = None

    def __call__(self, done: int, total: int | None) -> None:
        if self.bar is None or self.bar.n > done:  # first call, or the next source starts over
            self.close()
            self.bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=self.label, file=sys.stderr)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@handles_user_errors
def run_download(args: argparse.Namespace) -> int:
    from fcn_core.weights.store import download_weights  # torch: only when the action runs

    bar = _DownloadBar(args.model)
    try:
        path = download_weights(args.model, args.source, progress=bar)
    finally:
        bar.close()
    print(f"{args.model}: weights at {path} ({_size(path)})")
    source = _source_of(args.model, path)
    if source is not None and not _has_checksum(source):
        print(unverified_checksum_message(source, _sha256(path)))
    return 0


def _source_of(model_name: str, path: Path) -> WeightSource | None:
    from fcn_core.weights.store import source_path

    return next((s for s in get_model_spec(model_name).weight_sources if source_path(s) == path), None)


def _has_checksum(source: WeightSource) -> bool:
    return any(value is not None for value in (source.sha256, source.sha256_prefix, source.md5))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def unverified_checksum_message(source: WeightSource, sha256: str) -> str:
    """What to tell the user after fetching a file whose source publishes no checksum."""
    return (
        f"no checksum is published for {source.filename} ({source.url}); its sha256 is {sha256}, "
        "keep it to check later copies"
    )


@handles_user_errors
def run_import(args: argparse.Namespace) -> int:
    from fcn_core.weights.store import import_weights  # torch: only when the action runs

    target = import_weights(args.path, args.model)
    print(f"{target.stem}: imported {args.path} → {target} ({_size(target)}); it is used from now on")
    return 0
