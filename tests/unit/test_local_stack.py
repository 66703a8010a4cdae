"""The local stack's choice of a worker layout's scheduling (deploy/local/stack.py)."""

import importlib.util
from pathlib import Path

import pytest

STACK_PY = Path(__file__).resolve().parents[2] / "deploy" / "local" / "stack.py"


@pytest.fixture(scope="module")
def stack():
    spec = importlib.util.spec_from_file_location("local_stack", STACK_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("processes", "pool", "idle"),
    [
        ("1", 2, "1"),  # a pool of one process per core
        ("2", 0, "1"),  # a worker process per core, chains in a thread of each
        ("4", 0, "1"),
        ("1", 1, "0"),  # one chain process: a core stays free
        ("1", 0, "0"),
    ],
)
def test_chains_go_idle_only_when_they_would_fill_every_core(
    stack, monkeypatch, processes: str, pool: int, idle: str
) -> None:
    # Given a 2-core machine and a worker layout
    monkeypatch.setattr(stack.os, "cpu_count", lambda: 2)
    monkeypatch.setenv("TEXTMILL_WORKER_PROCESSES", processes)
    # Then its chains run under SCHED_IDLE only when they take every core
    assert stack.idle_chains(pool) == idle


def test_a_layout_asked_for_in_the_environment_wins(stack, monkeypatch) -> None:
    # Given a machine where the chains would leave a core free, and idle chains asked for
    monkeypatch.setattr(stack.os, "cpu_count", lambda: 8)
    monkeypatch.setenv("TEXTMILL_WORKER_PROCESSES", "1")
    monkeypatch.setenv("TEXTMILL_WORKER_POOL", "1")
    monkeypatch.setenv("TEXTMILL_WORKER_IDLE_CHAINS", "1")
    # When the worker's part is made
    part = stack.service_part(stack.Settings(), "worker")
    # Then the worker gets what was asked for
    assert part.env["TEXTMILL_WORKER_IDLE_CHAINS"] == "1"
    assert part.env["TEXTMILL_WORKER_POOL"] == "1"


def test_without_a_choice_the_worker_gets_the_layout_rule(stack, monkeypatch) -> None:
    # Given a 2-core machine, one worker with a pool of one process, idle chains not set
    monkeypatch.setattr(stack.os, "cpu_count", lambda: 2)
    monkeypatch.setenv("TEXTMILL_WORKER_PROCESSES", "1")
    monkeypatch.setenv("TEXTMILL_WORKER_POOL", "1")
    monkeypatch.delenv("TEXTMILL_WORKER_IDLE_CHAINS", raising=False)
    # When the worker's part is made
    part = stack.service_part(stack.Settings(), "worker")
    # Then its chain process keeps the normal policy: a core is left for the rest
    assert part.env["TEXTMILL_WORKER_IDLE_CHAINS"] == "0"
