# FasterAPI developer commands. `make run` and `make test` do all the set-up themselves.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
export VIRTUAL_ENV := $(abspath $(VENV))
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: help venv build run test test-rust test-python test-py313 test-cluster lint fmt bench fuzz clean compat compat-floor services

# Python 3.13, for what only 3.12+ does (eager_start tasks); pyenv has it on our machines.
PY313   := $(shell pyenv root 2>/dev/null)/versions/3.13.0/bin/python3.13
VENV313 := .venv313

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.deps: requirements-dev.txt | $(PY)
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.deps  ## create the virtualenv with the dev dependencies

build: venv  ## build the Rust core (release) and install FasterAPI into the virtualenv
	$(VENV)/bin/maturin develop --release -q

run: build  ## start the example app on http://127.0.0.1:8000 (docs at /docs)
	cd examples && ../$(VENV)/bin/fasterapi run items_app:app --host 127.0.0.1 --port 8000

test-rust:  ## cargo test for the pure-Rust crate
	cargo test -p fasterapi-core

test-python: build services  ## pytest for the package
	$(PY) -m pytest -q

# The services the tests start themselves on loopback ports (tests/support/services.py),
# installed with apt-get where they are missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)

services:  ## install what the tests start themselves: redis-server, PostgreSQL, nginx, chromium
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo "installing redis-server (tests/test_ratelimit.py starts one)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq redis-server >/dev/null; }
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || { \
	  echo "installing postgresql (tests/test_example_app.py starts one)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq postgresql >/dev/null; }
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  echo "installing nginx (tests/test_cluster.py starts one)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nginx >/dev/null; }
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium (tests/test_docs_browser.py drives it headless)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# The example app scaled out with real parts: PostgreSQL, Redis, nginx and 3 instances of
# `fasterapi run --workers 2`, an instance stopped mid-run (tests/test_cluster.py).
test-cluster: build services  ## the scale-out test: no write lost or doubled, the rate limit and cache shared
	FASTERAPI_CLUSTER=1 $(PY) -m pytest -q -p no:cacheprovider tests/test_cluster.py

$(VENV313)/.deps: requirements-dev.txt
	$(PY313) -m venv $(VENV313)
	$(VENV313)/bin/python -m pip install -q --upgrade pip
	$(VENV313)/bin/python -m pip install -q -r requirements-dev.txt
	touch $@

build-py313:  ## build FasterAPI for Python 3.13 in .venv313 (says so plainly where 3.13 is missing)
	@if [ ! -x "$(PY313)" ]; then \
	  echo "Python 3.13 is not installed ($(PY313) is missing): skipping the Python 3.13 build"; \
	else \
	  $(MAKE) --no-print-directory $(VENV313)/.deps && \
	  VIRTUAL_ENV=$(abspath $(VENV313)) CARGO_TARGET_DIR=target/py313 \
	    $(VENV313)/bin/maturin develop --release -q; \
	fi

test-py313: build-py313 services  ## the whole suite again on Python 3.13 (eager_start tasks, sub-interpreters)
	@if [ ! -x "$(PY313)" ]; then \
	  echo "Python 3.13 is not installed ($(PY313) is missing): skipping the Python 3.13 tests"; \
	else \
	  $(VENV313)/bin/python -m pytest -q -p no:cacheprovider; \
	fi

test: test-rust test-python test-py313  ## every test

# FastAPI's own test suite runs in a virtualenv of its own (its test dependencies include
# Starlette and plugins that our tests must not see), on the FasterAPI built into .venv.
VENVC := .venv-compat

$(VENVC)/.deps: requirements-dev.txt compat/requirements.txt
	$(PYTHON) -m venv $(VENVC)
	$(VENVC)/bin/python -m pip install -q --upgrade pip
	$(VENVC)/bin/python -m pip install -q -r requirements-dev.txt -r compat/requirements.txt
	$(VENVC)/bin/python -m pip uninstall -q -y fastapi 2>/dev/null || true
	# (with brotli or zstandard installed, httpx asks for `br` or `zstd` too, and FastAPI's
	# suite, whose 4,971 passes were counted without them, echoes its request headers in a few
	# snapshots)
	$(VENVC)/bin/python -m pip uninstall -q -y brotli zstandard 2>/dev/null || true
	echo "$(abspath python)" > $$($(VENVC)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/fasterapi-dev.pth
	touch $@

compat: build $(VENVC)/.deps  ## FastAPI 0.165's test suite on the drop-in mode; fails below compat/floor.txt
	$(VENVC)/bin/python compat/run.py

compat-floor: build $(VENVC)/.deps  ## run compat and record a higher pass count as the floor
	$(VENVC)/bin/python compat/run.py --raise-floor

lint: build  ## clippy, rustfmt --check, ruff, mypy, and stubtest of _core.pyi against the built core
	cargo clippy --all-targets -- -D warnings
	cargo fmt --all -- --check
	$(VENV)/bin/ruff check python tests examples benchmarks
	$(VENV)/bin/ruff format --check python tests examples benchmarks
	$(VENV)/bin/mypy python/FasterAPI
	$(VENV)/bin/python -m mypy.stubtest FasterAPI._core

fmt: venv  ## format Rust and Python
	cargo fmt --all
	$(VENV)/bin/ruff format python tests examples benchmarks

# `make fuzz`: each parser's property tests with many cases, each cargo-fuzz (libFuzzer) target
# for FUZZ_SECONDS, then the socket-level fuzzer for FUZZ_REQUESTS requests on each path.
# (`make test` runs the same property tests and a bounded socket fuzz in seconds.)
FUZZ_CASES    ?= 1000000
FUZZ_SECONDS  ?= 300
FUZZ_REQUESTS ?= 10000000
FUZZ_TARGETS  := head chunked urlencoded multipart multipart_stream ws router

fuzz: build  ## long fuzzing runs (property tests, cargo-fuzz targets, real sockets)
	PROPTEST_CASES=$(FUZZ_CASES) cargo test -p fasterapi-core --release --test fuzz
	for target in $(FUZZ_TARGETS); do \
	  crates/fasterapi-core/fuzz/run.sh $$target $(FUZZ_SECONDS) || exit 1; done
	cd benchmarks && python3 fuzz_server.py --py $(abspath $(PY)) --requests $(FUZZ_REQUESTS)
	cd benchmarks && python3 fuzz_server.py --py $(abspath $(PY)) --requests $(FUZZ_REQUESTS) \
	  --app wrapped --port 8217

bench: build build-py313  ## run the benchmarks and rewrite benchmarks/RESULTS.md
	$(MAKE) -C benchmarks all PY=$(abspath $(PY)) PY313=$(abspath $(VENV313))/bin/python

# The wheel (for $(PYTHON): one wheel per CPython version, see pyproject.toml), the abi3 wheel
# (cp311-abi3, any CPython from 3.11; installed and served on 3.11 and 3.13 too) and the sdist
# as a release ships them, built by maturin into $(DIST) (the wheel from the sdist); then
# tests/test_packaging.py checks their files and metadata, installs the wheel into a clean
# virtualenv with no Rust toolchain on PATH and serves the example app from it (a few requests,
# the Swagger UI's assets, SIGTERM), and installs "<sdist>[all]", building it from source.
DIST := target/release-check

.PHONY: release-check
release-check: venv  ## build the wheel and sdist into target/release-check and test installing them
	rm -rf $(DIST)
	$(VENV)/bin/maturin build --release --sdist -i $(PYTHON) -o $(DIST)
	CARGO_TARGET_DIR=target/abi3 $(VENV)/bin/maturin build --release --features abi3 \
	  -i $(PYTHON) -o $(DIST)
	FASTERAPI_DIST=$(abspath $(DIST)) FASTERAPI_SDIST_CHECK=1 \
	  $(PY) -m pytest -q -p no:cacheprovider -rs tests/test_packaging.py

clean:
	rm -rf target $(VENV) $(VENV313) $(VENVC)
