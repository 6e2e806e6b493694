# Two commands on a fresh machine: `make run` and `make test`.
# The venv is created once; the stamp file makes the second run skip installation
# unless pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test check bench clean install-desktop

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e '.[test]'
	$(PY) -c "import torch, torchvision, pydensecrf.densecrf, PySide6.QtWidgets"
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/sticker-studio

# The launcher entry and icon for this user (freedesktop menus: GNOME, KDE, Xfce, ...). The entry
# starts this checkout's venv, which `make run` creates; uninstall by deleting the three files.
DESKTOP_DIR ?= $(HOME)/.local/share/applications
ICON_DIR ?= $(HOME)/.local/share/icons/hicolor
install-desktop:
	install -D -m 644 app/icons/fcn-sticker-studio.svg $(ICON_DIR)/scalable/apps/fcn-sticker-studio.svg
	install -D -m 644 app/icons/fcn-sticker-studio.png $(ICON_DIR)/256x256/apps/fcn-sticker-studio.png
	mkdir -p $(DESKTOP_DIR)
	sed 's|^Exec=sticker-studio|Exec=$(abspath $(VENV))/bin/sticker-studio|' resources/fcn-sticker-studio.desktop \
		> $(DESKTOP_DIR)/fcn-sticker-studio.desktop
	-update-desktop-database $(DESKTOP_DIR) 2>/dev/null
	-gtk-update-icon-cache -q -t $(ICON_DIR) 2>/dev/null
	@echo "Installed: FCN Sticker Studio is in the desktop's application menu (run 'make run' once if the venv is new)."

# The static checks first, then the suite: lint, types, the layering contracts
# (pyproject.toml [tool.mypy] and [tool.importlinter]), then the tests.
check: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: check
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest

bench: $(STAMP)
	$(PY) bench/forward.py

clean:
	rm -rf $(VENV) build *.egg-info
