# Everything runs from a project-local virtual environment that `make` builds on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Debian packages the tests drive for real: tmux (prompts on a real terminal), and a Secret
# Service on a private D-Bus (gnome-keyring, dbus) read back with secret-tool (libsecret-tools),
# openssl to make a certificate for the https sandbox, and zsh and fish for TAB completion.
SYSTEM_PACKAGES := tmux dbus gnome-keyring libsecret-tools openssl zsh fish

# Iggy's own Rust CLI, the test peer of tests/test_rust_cli.py (marker rust_cli): the newest
# stable iggy-cli on crates.io that builds with the machine's Rust 1.95 (0.14.0, which shipped
# with Iggy 0.9.0), pinned and built with --locked, once, into a cache outside the clone; a run
# that finds that version there builds nothing. It needs no Debian package to build (its TLS
# library builds with gcc) and, at run time, the Secret Service installed above.
RUST_CLI_VERSION := 0.14.0
RUST_CLI_ROOT    ?= $(HOME)/.cache/iggy-cli-peer/$(RUST_CLI_VERSION)
RUST_CLI         := $(RUST_CLI_ROOT)/bin/iggy
CARGO            ?= $(shell command -v cargo || echo $(HOME)/.cargo/bin/cargo)

.PHONY: setup system-packages rust-cli test test-live lint demo bench generate mutate clean

setup: $(STAMP)

system-packages:
	@missing=""; for package in $(SYSTEM_PACKAGES); do \
		dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

rust-cli:
	@if [ "$$("$(RUST_CLI)" --version 2>/dev/null)" = "iggy-cli $(RUST_CLI_VERSION)" ]; then \
		echo "iggy-cli $(RUST_CLI_VERSION) is installed at $(RUST_CLI)"; \
	else \
		echo "building iggy-cli $(RUST_CLI_VERSION) into $(RUST_CLI_ROOT)"; \
		"$(CARGO)" install --locked --quiet --version $(RUST_CLI_VERSION) \
			--root "$(RUST_CLI_ROOT)" iggy-cli; \
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

# The Secret Service tier and the Rust CLI tier run on their own, verbosely, so their tests
# show by name in CI's log. The live contract test is not here: it needs a real server.
test: lint system-packages rust-cli
	$(BIN)/pytest -m "not secret_service and not rust_cli and not live"
	$(BIN)/pytest -m secret_service -v
	IGGY_RUST_CLI="$(RUST_CLI)" $(BIN)/pytest -m rust_cli -v

# The contract test against a real Iggy server (tests/test_live.py): IGGY_URL, IGGY_USERNAME and
# IGGY_PASSWORD name it and its user; it leaves that user's token list as it found it.
# One process (-n 0): the tests compare the user's token list before and after, so they must not
# run beside each other.
test-live: $(STAMP)
	IGGY_LIVE=1 $(BIN)/pytest -n 0 -m live -v tests/test_live.py

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
