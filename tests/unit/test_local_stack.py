"""The local stack (deploy/local/stack.py): the choice of a worker layout's scheduling,
refusing to start a part over a port something else holds, and bounded log files."""

import importlib.util
import os
import socket
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


@pytest.fixture
def held_port():
    """A port this test process listens on, as a process the stack knows nothing of."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_the_holder_of_a_port_is_named_with_its_pid(stack, held_port) -> None:
    assert stack.port_holder(held_port).startswith(f"pid {os.getpid()} (")


def test_a_part_whose_port_is_held_by_an_unknown_process_stops_the_stack(
    stack, held_port, tmp_path, monkeypatch, capsys
) -> None:
    """Given a port held by a process the stack did not start (a gateway left over from
    an earlier run, say), when a part on that port is to start, then the stack exits naming the
    holder: the tests would otherwise talk to the other process."""
    monkeypatch.setattr(stack, "RUN", tmp_path)
    part = stack.Part(
        name="gateway",
        command=lambda: ["true"],
        ready=lambda: True,
        timeout=1,
        port=held_port,
    )
    with pytest.raises(SystemExit):
        stack.refuse_held_port(part)
    assert f"port {held_port} is held by pid {os.getpid()}" in capsys.readouterr().err


def test_a_part_whose_port_is_free_may_start(stack, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(stack, "RUN", tmp_path)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    part = stack.Part(
        name="gateway", command=lambda: ["true"], ready=lambda: True, timeout=1, port=free
    )
    stack.refuse_held_port(part)  # does not exit


def test_a_log_past_its_size_is_kept_once_and_begun_again(stack, tmp_path, monkeypatch) -> None:
    # Given a part's log past the size, and one kept from before
    monkeypatch.setattr(stack, "LOG_FILE_BYTES", 10)
    log, kept = tmp_path / "worker.log", tmp_path / "worker.log.1"
    log.write_text("the newer lines\n")
    kept.write_text("the oldest lines\n")
    # When the part starts
    stack.rotate_log(log)
    # Then its log is kept in place of the older one, and a new one will be begun
    assert kept.read_text() == "the newer lines\n" and not log.exists()


def test_a_log_within_its_size_goes_on(stack, tmp_path, monkeypatch) -> None:
    # Given a part's log within the size
    monkeypatch.setattr(stack, "LOG_FILE_BYTES", 100)
    log = tmp_path / "worker.log"
    log.write_text("a few lines\n")
    # When the part starts
    stack.rotate_log(log)
    # Then it is written on, and nothing is kept aside
    assert log.read_text() == "a few lines\n" and not (tmp_path / "worker.log.1").exists()


def test_a_port_offset_moves_every_part_of_the_stack(stack) -> None:
    # Given a second checkout's settings, offset by 1,000
    settings = stack.Settings(port_offset=1000)
    # When its parts are laid out
    ports = {part.name: part.port for part in stack.parts(settings)}
    # Then every server and service listens 1,000 above the first checkout's
    default = {part.name: part.port for part in stack.parts(stack.Settings(port_offset=0))}
    assert ports.keys() == default.keys()
    assert all(ports[name] == default[name] + 1000 for name in ports)


def test_an_address_given_outright_wins_over_the_offset() -> None:
    from textmill_infra.settings import Settings

    settings = Settings(port_offset=1000, redis_url="redis://127.0.0.1:6400/0")
    assert settings.redis_url == "redis://127.0.0.1:6400/0"
    assert settings.kafka_bootstrap == "127.0.0.1:20092"


def test_a_second_gateway_listens_on_a_port_of_its_own(stack, monkeypatch) -> None:
    # Given a stack asked for two gateway replicas
    monkeypatch.setenv("TEXTMILL_GATEWAY_REPLICAS", "2")
    settings = stack.Settings(port_offset=1000)
    # When its parts are laid out
    gateways = [part for part in stack.service_parts(settings) if part.name.startswith("gateway")]
    # Then each replica serves on its own port, 10 apart, and is told that port
    assert [part.name for part in gateways] == ["gateway", "gateway-2"]
    assert [part.port for part in gateways] == [9000, 9010]
    assert [part.env["TEXTMILL_GATEWAY_PORT"] for part in gateways] == ["9000", "9010"]


def test_a_replica_beyond_those_configured_can_be_named_for_a_fault_test(stack) -> None:
    # Given the default layout (one worker process); When worker 3 is named
    settings = stack.Settings()
    part = stack.part_named(settings, "worker-3")
    # Then it is the third worker: its own PID file, 20 ports past the first
    first = stack.part_named(settings, "worker")
    assert part.pid_file.name == "worker-3.pid"
    assert part.port == first.port + 20
    assert stack.part_named(settings, "ferretdb").name == "ferretdb"


def test_a_part_that_does_not_exist_is_refused_by_name(stack) -> None:
    with pytest.raises(SystemExit, match="no part named 'kafka-2'"):
        stack.part_named(stack.Settings(), "kafka-2")


def test_the_coordinator_count_has_its_documented_name_and_its_older_one(
    stack, monkeypatch
) -> None:
    monkeypatch.delenv("TEXTMILL_COORDINATORS", raising=False)
    monkeypatch.delenv("TEXTMILL_COORDINATOR_REPLICAS", raising=False)
    assert stack.coordinators() == 2
    monkeypatch.setenv("TEXTMILL_COORDINATORS", "3")
    assert stack.coordinators() == 3
    monkeypatch.setenv("TEXTMILL_COORDINATOR_REPLICAS", "1")
    assert stack.coordinators() == 1
