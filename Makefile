# minigrad developer tasks. `make help` lists them.
PY   := .venv/bin/python
PIP  := .venv/bin/pip
RUFF := .venv/bin/ruff

.DEFAULT_GOAL := help
.PHONY: help test lint format demo bench gallery wheel-check clean distclean

help: ## List targets
	@grep -E '^[a-zA-Z_.-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

.venv: ## Create the virtual environment
	python3 -m venv .venv
	$(PIP) install -q -U pip

# Stamps: reinstall only when the packaging files change.
.venv/.dev-stamp: setup.cfg pyproject.toml | .venv
	$(PIP) install -q -e ".[dev]"
	touch $@

.venv/.demos-stamp: setup.cfg pyproject.toml | .venv
	$(PIP) install -q -e ".[dev,demos]"
	touch $@

test: .venv/.demos-stamp ## Run the test suite (with the demos' smoke tests) (pytest's exit 5, no tests collected, fails too)
	$(PY) -m pytest

lint: .venv/.dev-stamp ## Check lint and formatting with ruff
	$(RUFF) check . && $(RUFF) format --check .

format: .venv/.dev-stamp ## Apply ruff fixes and formatting
	$(RUFF) check --fix . && $(RUFF) format .

demo: .venv/.demos-stamp ## Train the reverse-task demo (installs graphviz via apt when root)
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz) \
	      || echo "warning: could not install graphviz; graphs will not be rendered"; \
	  else \
	    echo "note: graphviz 'dot' not found; graphs will not be rendered"; \
	  fi; }
	$(PY) -m demos.reverse_task

bench: .venv/.dev-stamp ## Run the benchmarks
	$(PY) -m bench.run

wheel-check: .venv/.dev-stamp ## Build the wheel, install it into a fresh venv, import every module, train
	bash .ci/wheel_check

gallery: .venv/.dev-stamp ## Render graph images into docs/img
	$(PY) -m minigrad.viz --out docs/img

clean: ## Remove caches and build output (keeps .venv)
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache .hypothesis
	find . -path ./.venv -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean ## Also remove .venv
	rm -rf .venv
