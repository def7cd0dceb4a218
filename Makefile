# minigrad developer tasks. `make help` lists them.
PY   := .venv/bin/python
PIP  := .venv/bin/pip
RUFF := .venv/bin/ruff

.DEFAULT_GOAL := help
.PHONY: help test lint format demo lesson bench gallery wheel-check clean distclean

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

# The pictures and numbers of docs/ come from these runs (seed 0); `make lesson` redraws them all.
DOC_PICTURES := \
	reverse_task/attention_cross.png:reverse_cross_attention.png \
	reverse_task/attention_cross_grad.png:reverse_cross_attention_grad.png \
	reverse_task/attention_enc_self.png:reverse_enc_self_attention.png \
	reverse_task/attention_dec_self.png:reverse_dec_self_attention.png \
	reverse_task/attention_dec_self_grad.png:reverse_dec_self_attention_grad.png \
	reverse_task/gradient_flow.png:reverse_gradient_flow.png \
	reverse_task/graph_head.png:reverse_graph_head.png \
	reverse_task/metrics.json:reverse_task.json \
	sort_task/attention.png:sort_attention.png \
	sort_task/metrics.json:sort_task.json \
	attention_study/gradient_path.png:study_gradient_path.png \
	attention_study/residual_gradients.png:study_residual_gradients.png \
	attention_study/metrics.json:attention_study.json \
	illustrated/positional_encoding.png:lesson_positional_encoding.png \
	illustrated/graph_positional.png:lesson_graph_positional.png \
	illustrated/qkv.png:lesson_qkv.png \
	illustrated/scaling.png:lesson_scaling.png \
	illustrated/multihead.png:lesson_multihead.png \
	illustrated/layer_norm.png:lesson_layer_norm.png \
	illustrated/decoding_step.png:lesson_decoding_step.png \
	illustrated/lesson.json:lesson.json

lesson: .venv/.demos-stamp ## Run the demos behind docs/ and copy their pictures and numbers into docs/img
	$(PY) -m demos.reverse_task
	$(PY) -m demos.sort_task
	$(PY) -m demos.attention_study
	$(PY) -m demos.illustrated
	@for pair in $(DOC_PICTURES); do cp runs/$${pair%%:*} docs/img/$${pair##*:}; done

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
