# nnapprox: two commands on a fresh machine with python3 and make: `make demo`, `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.stamp-$(shell cksum pyproject.toml | cut -d' ' -f1)
BENCH_STAMP := $(VENV)/.stamp-bench-$(shell cksum pyproject.toml | cut -d' ' -f1)
export MPLBACKEND ?= Agg

.PHONY: venv demo test test-fast test-slurm bench reproduce report clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,parallel,slurm]"
	rm -f $(VENV)/.stamp-*
	touch $@

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install -q -e ".[bench]"
	touch $@

demo: $(STAMP)
	$(PY) -m nnapprox.demo

test: $(STAMP)
	$(PY) -m pytest -q -m "not slurm"

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow and not slurm"

test-slurm: $(STAMP)
	$(PY) -m pytest -q -m slurm

bench: $(BENCH_STAMP)
	$(PY) -m nnapprox.bench

clean:
	rm -rf $(VENV) outputs multirun results/runs .pytest_cache
