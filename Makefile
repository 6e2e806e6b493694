# Two commands on a fresh machine: `make run` and `make test`.
# The venv is created once; the stamp file makes the second run skip installation
# unless pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test check bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e '.[test]'
	$(PY) -c "import torch, torchvision, pydensecrf.densecrf, PySide6.QtWidgets"
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/sticker-studio

# The static checks first (seconds), then the suite: lint, the layering contracts
# (pyproject.toml [tool.importlinter]), then the tests.
check: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

test: check
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest

bench: $(STAMP)
	$(PY) bench/forward.py

clean:
	rm -rf $(VENV) build *.egg-info
