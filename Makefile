# Two commands: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PROFILE ?=

.PHONY: run test test-engine lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
ifeq ($(PROFILE),)
	$(BIN)/mlperf-tui
else
	$(BIN)/mlperf-tui run $(PROFILE) --headless
endif

test: $(VENV)/.installed-test browser
	$(BIN)/python -m pytest -q

# the headless browser that opens the HTML report of `mlperf-tui compare` in a test
# (tests/e2e/test_compare_report.py): Debian's chromium, installed when it is missing and we
# are root; otherwise (or when the install fails) that test skips and says why
.PHONY: browser
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing Debian's chromium (the browser test of the HTML report)"; \
			( apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq --no-install-recommends chromium >/dev/null ) || \
				echo "warning: chromium could not be installed: the browser test will skip"; \
		else \
			echo "no /usr/bin/chromium: the browser test will skip (to run it: sudo apt-get install --no-install-recommends chromium)"; \
		fi; \
	fi

# the LLM runs against a real serving engine (llama.cpp's server on the tiny stand-in): a few
# minutes of their own, so `make test` stays under ten; .ci/run runs both
test-engine: $(VENV)/.installed-engine
	$(BIN)/python -m pytest -q -m 'engine and not slow'

# `make engine`: the real serving engine of the LLM end-to-end tests (llama-cpp-python[server]),
# built once from its source distribution (about 5 minutes on 2 cores) into a wheel cache
# outside .venv, so `make clean` keeps it and every later install takes seconds. The build
# leaves out what the tests never load (the multimodal library, HTTPS downloads) and targets
# any x86-64 CPU (GGML_NATIVE=OFF), so a cached wheel also runs on another machine.
ENGINE_VERSION := 0.3.36
ENGINE_WHEELS ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/mlperf-tui/wheels
ENGINE_CMAKE_ARGS ?= -DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF -DLLAMA_OPENSSL=OFF
ENGINE_JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: engine
engine: $(VENV)/.installed-engine

$(VENV)/.installed-engine: pyproject.toml | $(BIN)/python
	@if ! ls $(ENGINE_WHEELS)/llama_cpp_python-$(ENGINE_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "building llama-cpp-python $(ENGINE_VERSION) once, into $(ENGINE_WHEELS)"; \
		rm -rf $(ENGINE_WHEELS)/.build && mkdir -p $(ENGINE_WHEELS)/.build && \
		CMAKE_ARGS="$(ENGINE_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$(ENGINE_JOBS) \
			$(BIN)/python -m pip wheel --no-deps --no-binary llama-cpp-python \
			-w $(ENGINE_WHEELS)/.build 'llama-cpp-python==$(ENGINE_VERSION)' && \
		mv $(ENGINE_WHEELS)/.build/llama_cpp_python-*.whl $(ENGINE_WHEELS)/ && \
		rm -rf $(ENGINE_WHEELS)/.build; \
	fi
	$(BIN)/python -m pip install --quiet --find-links $(ENGINE_WHEELS) -e '.[test,engine]'
	touch $(VENV)/.installed $(VENV)/.installed-test $@

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict mlperf_tui harness
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build *.egg-info
