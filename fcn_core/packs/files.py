"""Whole-or-nothing writes of bytes and text, the only way the pack modules write files."""

from __future__ import annotations

from pathlib import Path

from fcn_core.atomic_file import write_atomically


def write_bytes(path: Path, data: bytes) -> Path:
    def write(temporary: Path) -> None:
        temporary.write_bytes(data)

    return write_atomically(path, write)


def write_text(path: Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))
