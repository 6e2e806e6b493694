"""Time ``fcn-sticker --help`` and every ``fcn-sticker CMD --help`` (DESIGN §10: ≤ 0.5 s; issue 8:
≤ 80 MB): wall time (median and max of N runs, each a fresh process) and peak RSS, and whether
torch, torchvision or matplotlib got imported (they must not be).

Run: ``.venv/bin/python bench/cli_help.py [--repeats 5]``. The installed entry point is timed, as a
user runs it.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from fcn_core.cli import COMMANDS

HEAVY_PROBE = (
    "import contextlib, io, json, sys\n"
    "from fcn_core.cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
    "    main(json.loads(sys.argv[1]))\n"
    "print(json.dumps([m for m in ('torch', 'torchvision', 'matplotlib') if m in sys.modules]), file=sys.stderr)\n"
)


def entry_point() -> str:
    found = shutil.which("fcn-sticker", path=str(Path(sys.executable).parent))
    if found is None:
        raise SystemExit("fcn-sticker is not installed beside this Python (make test installs it)")
    return found


def wall_seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True)
    return time.perf_counter() - start


def peak_rss_mb(command: list[str]) -> float:
    """Peak RSS of one run in MB, measured by GNU time."""
    result = subprocess.run(["/usr/bin/time", "-f", "%M", *command], capture_output=True, text=True, check=True)
    return int(result.stderr.strip().splitlines()[-1]) / 1024


def heavy_modules(words: list[str]) -> list[str]:
    result = subprocess.run([sys.executable, "-c", HEAVY_PROBE, json.dumps(words)], capture_output=True, text=True)
    return json.loads(result.stderr.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    program = entry_point()
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    print(f"CPU: {cpu}; Python {platform.python_version()}; {args.repeats} runs each\n")
    print("| command | median | max | peak RSS | heavy modules |")
    print("|---|---|---|---|---|")
    for words in [["--help"], *([command.name, "--help"] for command in COMMANDS)]:
        times = [wall_seconds([program, *words]) for _ in range(args.repeats)]
        rss = peak_rss_mb([program, *words])
        heavy = ", ".join(heavy_modules(words)) or "none"
        print(f"| fcn-sticker {' '.join(words)} | {statistics.median(times):.2f} s | {max(times):.2f} s | "
              f"{rss:.0f} MB | {heavy} |")


if __name__ == "__main__":
    main()
