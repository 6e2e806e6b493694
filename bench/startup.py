"""Start-up and memory of the real window (DESIGN §10: on screen ≤ 1 s, window process ≤ 300 MB,
one copy of the model in the whole program).

Launches ``bench/startup_probe.py`` (the window as ``sticker-studio PHOTO`` starts it) under the
X display in ``$DISPLAY`` (e.g. ``Xvfb :94``) with its own settings folder whose fcn8s weights
file is a full-width **random-weights** FCN-8s checkpoint written here once, and a real PASCAL VOC
photo. Per run it reports, from the moment before the process is launched:

- window mapped: when ``xdotool search --onlyvisible`` (polled every 20 ms) finds the window,
  and when the window's own first Expose event arrived;
- first overlay: when the photo's segmentation reached the document;
- RSS of the window process and of each of its child processes, right after the first overlay
  and again 3 s later (the peak of a forward may still be resident).

Run: ``Xvfb :94 & DISPLAY=:94 .venv/bin/python bench/startup.py`` (``--runs 3``). To measure another
checkout's code, pass ``--code ../main``: the probe then imports that ``app``/``fcn_core``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VOC = ROOT.parent / "shared" / "voc_dev" / "JPEGImages"
TITLE = "FCN Sticker Studio"
SETTLE_S = 3.0
MAP_POLL_S = 0.02


def write_random_checkpoint(path: Path) -> Path:
    """A full-width FCN-8s with its own random initialisation, as a project checkpoint; also makes
    this machine's CPU-path choice once (``path_choice``, cached under ``$FCN_STICKER_HOME``), so
    the runs time an ordinary start, not the first one ever on this machine."""
    import torch

    from fcn_core.weights.checkpoint import save_checkpoint
    from fcn_core.weights.store import random_model

    torch.manual_seed(0)
    loaded = random_model("fcn8s")
    save_checkpoint(path, loaded.model, arch="fcn8s", classes=loaded.classes,
                    normalization=loaded.normalization, provenance={"note": "random weights for bench/startup.py"})
    try:
        from fcn_core.models.cpu import path_choice  # noqa: F401 - only to know the checkout has it
    except ImportError:  # a checkout from before the per-machine choice: nothing to prime
        return path
    from fcn_core.models.cpu.allocator import keep_freed_memory
    from fcn_core.models.cpu.fast_inference import optimize_for_inference

    keep_freed_memory()  # timed as the compute process runs it: with the malloc tuning
    optimize_for_inference(loaded.model, torch.device("cpu"))
    return path


def write_settings(config_home: Path, checkpoint: Path) -> None:
    """The settings file QSettings reads on Linux for the app's organisation and name."""
    folder = config_home / TITLE
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{TITLE}.conf").write_text(f"[model]\nname=fcn8s\nweights\\fcn8s={checkpoint}\n")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def descendants(pid: int) -> list[int]:
    """Child processes, recursively (from /proc/*/stat parent ids)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, IndexError):
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def memory(pid: int) -> dict[str, float]:
    usage = {"window": rss_mb(pid)}
    for index, child in enumerate(descendants(pid)):
        usage[f"child{index}"] = rss_mb(child)
    return usage


def one_run(photo: Path, code: Path, env: dict[str, str]) -> dict[str, object]:
    mapped: list[float] = []

    def watch_map() -> None:
        """Poll every ``MAP_POLL_S`` (``xdotool search --sync`` polls only every 0.5 s)."""
        deadline = time.time() + 120
        while time.time() < deadline:
            found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", TITLE],
                                   capture_output=True, check=False, env=env, timeout=10)
            if found.returncode == 0 and found.stdout.strip():
                mapped.append(time.time())
                return
            time.sleep(MAP_POLL_S)

    watcher = threading.Thread(target=watch_map, daemon=True)
    launch = time.time()
    watcher.start()
    probe = subprocess.Popen(
        [env["PYTHON"], str(ROOT / "bench" / "startup_probe.py"), str(photo)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={**env, "PYTHONPATH": str(code)}, cwd=code,
    )
    assert probe.stdout is not None and probe.stdin is not None
    events: dict[str, float] = {}
    for line in probe.stdout:
        name, stamp = line.split()
        events[name] = float(stamp)
        if name == "overlay":
            break
    at_overlay = memory(probe.pid)
    time.sleep(SETTLE_S)
    settled = memory(probe.pid)
    closing = time.time()
    probe.stdin.write("close\n")
    probe.stdin.flush()
    probe.wait(60)
    closed = time.time() - closing
    watcher.join(10)
    return {
        "mapped": (mapped[0] - launch) if mapped else float("nan"),
        "shown": events.get("shown", float("nan")) - launch,
        "overlay": events.get("overlay", float("nan")) - launch,
        "rss_at_overlay": at_overlay,
        "rss_settled": settled,
        "close": closed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--photo", type=Path, default=None, help="default: the first PASCAL VOC photo in ../shared")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose app/fcn_core the window runs")
    args = parser.parse_args()
    photo = args.photo or next(iter(sorted(VOC.glob("*.jpg"))), None)
    if photo is None:
        parser.error(f"no photo given and none in {VOC}")
    if "DISPLAY" not in os.environ or not shutil.which("xdotool"):
        parser.error("needs an X display in $DISPLAY (e.g. Xvfb :94) and xdotool")
    sys.path.insert(0, str(args.code.resolve()))  # this script, too, uses the measured checkout's fcn_core
    with tempfile.TemporaryDirectory(prefix="startup-bench-") as temp:
        home = Path(temp)
        os.environ["FCN_STICKER_HOME"] = str(home / "cache")
        checkpoint = write_random_checkpoint(home / "fcn8s-random.pt")
        env = {**os.environ, "XDG_CONFIG_HOME": str(home / "config"), "PYTHON": os.environ.get("PYTHON", sys.executable)}
        env.pop("QT_QPA_PLATFORM", None)
        print(f"code {args.code.resolve()}, photo {photo.name}, load average {os.getloadavg()[0]:.2f}")
        results = []
        for run in range(args.runs):
            write_settings(home / "config", checkpoint)
            result = one_run(photo, args.code.resolve(), env)
            results.append(result)
            print(f"run {run + 1}: window mapped {result['mapped']:.2f} s (first expose {result['shown']:.2f} s), "
                  f"first overlay {result['overlay']:.2f} s, close {result['close']:.2f} s")
            for label in ("rss_at_overlay", "rss_settled"):
                usage = result[label]
                assert isinstance(usage, dict)
                parts = ", ".join(f"{name} {mb:.0f} MB" for name, mb in usage.items())
                print(f"    RSS {label.removeprefix('rss_').replace('_', ' ')}: {parts}; total {sum(usage.values()):.0f} MB")
        for key in ("mapped", "shown", "overlay"):
            values = [float(result[key]) for result in results]  # type: ignore[arg-type]
            print(f"median {key}: {statistics.median(values):.2f} s")
        print(f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
