# Two commands do all the set-up: `make run` (the main job on the sample factory) and
# `make test` (the test suite). Both create the virtualenv on first use.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
SAMPLE ?= layouts/electronics_assembly.yaml

.PHONY: run test bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	$(PY) -c "from optimizer import jobshop_tabu; jobshop_tabu.warm_up()"  # numba compiles the tabu search once
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/factory-twin optimize $(SAMPLE)

# two test processes, a test file's tests in one of them (module fixtures are built once): the
# suite is mostly one-core work (Chromium, servers, single-threaded solvers), and on the 2-core
# CI machine it took 415 s instead of 640 s (README, Development)
test: $(VENV)/.installed
	$(PY) -m pytest -q -n 2 --dist loadfile

bench: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[dev,bench]"  # PyJobShop, for benchmarks/fjsp_bench.py
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache runs artifacts
