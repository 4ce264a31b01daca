# Everything runs from a project-local virtual environment that `make` builds on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Debian packages the tests drive for real: tmux (prompts on a real terminal), and a Secret
# Service on a private D-Bus (gnome-keyring, dbus) read back with secret-tool (libsecret-tools),
# openssl to make a certificate for the https sandbox, and zsh and fish for TAB completion.
SYSTEM_PACKAGES := tmux dbus gnome-keyring libsecret-tools openssl zsh fish

.PHONY: setup system-packages test lint demo bench generate mutate clean

setup: $(STAMP)

system-packages:
	@missing=""; for package in $(SYSTEM_PACKAGES); do \
		dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "iggy-cli needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff format --check iggy_cli tests benchmarks
	$(BIN)/ruff check iggy_cli tests benchmarks
	$(BIN)/mypy

# The Secret Service tier runs on its own, verbosely, so its tests show by name in CI's log.
test: lint system-packages
	$(BIN)/pytest -m "not secret_service"
	$(BIN)/pytest -m secret_service -v

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

# Start-up figures (not part of the test suite): builds a wheel, installs it without -e into a
# venv cached under benchmarks/.venvs/, times it there, writes benchmarks/last-run.json.
bench: $(STAMP)
	$(BIN)/python benchmarks/startup.py --imports

# What the start-up fast path serves without the app: help pages, the command tree for TAB
# completion (iggy_cli/cli/spec_data.py), and the bash, zsh and fish scripts in completions/.
# A test fails when these drift from the code.
generate: $(STAMP)
	$(BIN)/python -m iggy_cli.cli.spec

# Mutation testing (not part of `make test` or CI; it takes long): mutmut mutates the modules
# listed in pyproject.toml [tool.mutmut] and runs the fast in-process tests against each
# mutant. `make mutate MUTANTS='iggy_cli.secrets.redaction*'` runs one module's mutants. Results stay
# in mutants/ (`.venv/bin/mutmut results`, `.venv/bin/mutmut show NAME`).
MUTANTS ?=
mutate: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[mutate]'
	$(BIN)/mutmut run --max-children 2 $(MUTANTS)
	$(BIN)/python scripts/mutation_scores.py

clean:
	rm -rf $(VENV) build *.egg-info mutants
