# textmill: the two commands are `make dev` (start everything) and `make test` (run every test).
SHELL := /bin/bash
# install.sh puts uv here when the machine has no uv of the pinned version.
export PATH := $(CURDIR)/.local/tools/bin:$(PATH)
export UV_SYSTEM_CERTS ?= 1
STACK := uv run --frozen python deploy/local/stack.py

.PHONY: install dev up down status test test-unit lint schemas chaos bench bench-profile bench-pipeline bench-estimate bench-quality bench-load bench-fairness

install:  ## install what the local stack needs (idempotent, cached under .local/)
	@bash deploy/local/install.sh

dev: install  ## install, start Kafka, FerretDB, Redis and every service; print URL and admin key
	@$(STACK) up

up:  ## start the stack without the install step
	@$(STACK) up

down:  ## stop every process of the local stack
	@$(STACK) down

status:  ## one line per part: running, ready, pid, address
	@$(STACK) status

test: install  ## every test: unit, integration and end-to-end, starting the stack if needed
	@bash deploy/local/with-stack.sh uv run --frozen pytest -q

test-unit:  ## unit tests only (no servers needed)
	@uv run --frozen pytest -q tests/unit

lint:
	@uv run --frozen ruff check .

schemas:  ## write the JSON Schemas and the AsyncAPI document of the topics
	@uv run --frozen python -m textmill_contracts.schemas libs/contracts/generated

chaos: install  ## the chaos suite: faults on every part of the stack mid-run; prints and writes bench/results/chaos.md
	@bash deploy/local/with-stack.sh uv run --frozen python -m tests.chaos $(SCENARIOS)

bench: bench-profile bench-pipeline bench-estimate bench-load  ## every benchmark (tables printed and written to bench/results/)

bench-profile: install  ## profile of a 100k-row x 10-column file, cold and cached, via the gateway
	@bash deploy/local/with-stack.sh uv run --frozen python -m bench.profile_bench

bench-pipeline: install  ## raw chain vs pandas+VADER vs end-to-end runs: 1 process, a pool of 1, 2 worker processes, a pool of 2
	@bash deploy/local/with-stack.sh uv run --frozen python -m bench.pipeline_bench

bench-estimate: install  ## 24 runs estimated then run (sizes, text lengths, chains, 2 worker layouts), twice: estimated vs actual
	@bash deploy/local/with-stack.sh uv run --frozen python -m bench.estimate_bench

bench-load: install  ## gateway reads at 250, 500 and 1,000 req/s for 60 s each, 1 and 2 gateways (vegeta): latency, errors, CPU, peak RSS
	@bash deploy/local/with-stack.sh uv run --frozen python -m bench.load_bench

bench-fairness: install  ## a 1,000-cell run of a second tenant while a 2,000,000-cell run is under way; 100 concurrent runs with 100 stream clients
	@bash deploy/local/with-stack.sh uv run --frozen python -m bench.fairness_bench

bench-quality:  ## the chains' quality on the labelled sets (language, PII) and their cells/s before and after, in-process
	@uv run --frozen python -m bench.quality_bench
