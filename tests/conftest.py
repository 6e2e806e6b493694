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
