"""Shared test set-up: offscreen Qt, a private weights cache, small models."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest


@pytest.fixture(autouse=True)
def private_weights_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never read or write the user's real weight cache from a test."""
    home = tmp_path_factory.mktemp("fcn_sticker_home")
    monkeypatch.setenv("FCN_STICKER_HOME", str(home))
    monkeypatch.setenv("TORCH_HOME", str(home / "torch"))


@pytest.fixture(autouse=True)
def fast_cpu_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast CPU forward (after its self-check) without the once-per-machine timing, which
    every test's private cache would repeat; ``test_cpu_path_choice`` tests the choice itself."""
    monkeypatch.setenv("FCN_STICKER_CPU_PATH", "fast")
