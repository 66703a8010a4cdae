"""The faults, one function a scenario: each acts on the stack while its run goes on and
returns what it did (when, and any checks of its own). The runner does the rest."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pymongo import MongoClient

from tests.chaos import parts
from tests.chaos.watch import RunWatch, stored_cells
from textmill_infra.settings import Settings
from textmill_runs import RESULT_BATCH, batch_starts, result_batch_id, shard_id

SERVER_DOWN = 10.0  # seconds a killed server stays down
DRAIN_GRACE = 20.0  # the services' graceful shutdown (textmill_infra.service.serve)


@dataclass
class Faults:
    """What a scenario did: when each fault struck, when each server was back, its checks."""

    at: list[float] = field(default_factory=list)
    back: list[float] = field(default_factory=list)
    checks: dict[str, str | None] = field(default_factory=dict)  # name -> None or what failed
    notes: list[str] = field(default_factory=list)
    expect: str = "completed"


class Store:
    """Direct reads of the run's shards and result batches, for checks the API does not show."""

    def __init__(self) -> None:
        settings = Settings()
        self.db = MongoClient(settings.mongo_url, serverSelectionTimeoutMS=60_000)[
            settings.mongo_db
        ]

    def shards(self, run_id: str) -> list[dict]:
        planned = (self.db.runs.find_one({"_id": run_id}, {"shards": 1}) or {}).get("shards", {})
        found = (self.db.shards.find_one({"_id": shard_id(run_id, int(n))}) for n in planned)
        return [doc for doc in found if doc is not None]

    def planned(self, run_id: str) -> int:
        return len((self.db.runs.find_one({"_id": run_id}, {"shards": 1}) or {}).get("shards", {}))

    def stored_shards(self, run_id: str) -> int:
        """Shard documents of the run, found by a scan of their ids (not the plan)."""
        prefix = shard_id(run_id, 0).rsplit(":", 1)[0]
        return self.db.shards.count_documents({"_id": {"$regex": f"^{prefix}:"}})

    def stored_until(self, run_id: str, shard: dict) -> int:
        """The first record past the shard's stored batches, from its checkpoint on."""
        stored = shard["offset"]
        for first in batch_starts(shard["offset"], shard["end"]):
            if self.db.results.find_one({"_id": result_batch_id(run_id, 0, first)}, {"_id": 1}):
                stored = min(first + RESULT_BATCH, shard["end"])
            else:
                break
        return stored


def checkpointed(store: Store, run_id: str) -> int:
    """Cells the run's shards have checkpointed. The API's progress travels through Kafka and
    the coordinator and lags behind (by most of a 200,000-cell run on a loaded machine), so
    a fault meant to land mid-run waits on this."""
    return sum(
        doc["end"] - doc["start"] if doc["done"] else doc["offset"] - doc["start"]
        for doc in store.shards(run_id)
    )


def wait_stored(watch: RunWatch, store: Store, fraction: float, timeout: float = 300) -> int:
    """Wait until `fraction` of the run's cells are checkpointed; how many are then."""
    deadline = time.monotonic() + timeout
    while (done := checkpointed(store, watch.run_id)) < fraction * watch.cells:
        if watch.status in {"completed", "failed", "cancelled"}:
            raise AssertionError(f"the run ended ({watch.status}) before {fraction:.0%}")
        if time.monotonic() > deadline:
            raise AssertionError(f"the run did not reach {fraction:.0%} in {timeout}s")
        time.sleep(0.05)
    return done


def held_shard(store: Store, run_id: str, *, part_way: bool, timeout: float = 120) -> dict:
    """A shard a worker holds, not done: with a checkpoint past its start (`part_way`), or
    with none yet."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for doc in store.shards(run_id):
            if doc["done"] or not doc.get("worker"):
                continue
            if (doc["offset"] > doc["start"]) == part_way:
                return doc
        time.sleep(0.02)
    raise AssertionError("no shard was seen held in that state")


def kill_worker_three_times(watch: RunWatch, store: Store) -> Faults:
    faults = Faults()
    mark = 0.15
    for _ in range(3):
        reached = wait_stored(watch, store, mark)
        faults.at.append(parts.kill("worker"))
        parts.start("worker")
        mark = (reached / watch.cells) + 0.2
    return faults


def kill_worker_before_first_batch(watch: RunWatch, store: Store) -> Faults:
    faults = Faults()
    shard = held_shard(store, watch.run_id, part_way=False)
    faults.at.append(parts.kill(parts.part_of_worker(shard["worker"])))
    landed = not store.db.results.find_one(
        {"_id": result_batch_id(watch.run_id, 0, shard["start"])}, {"_id": 1}
    )
    faults.notes.append("killed before its first batch" if landed else "first batch beat the kill")
    parts.start("worker")
    return faults


def two_workers_one_killed_for_good(watch: RunWatch, store: Store) -> Faults:
    faults = Faults()
    wait_stored(watch, store, 0.3)
    faults.at.append(parts.kill("worker"))
    return faults  # worker-2 finishes; the runner restores the layout afterwards


def sigterm_mid_shard(watch: RunWatch, store: Store) -> Faults:
    faults = Faults()
    shard = held_shard(store, watch.run_id, part_way=True)
    part = parts.part_of_worker(shard["worker"])
    pid = parts.terminate(part)
    faults.at.append(time.monotonic())
    while parts.alive(pid) and time.monotonic() - faults.at[0] < DRAIN_GRACE + 10:
        time.sleep(0.05)
    stopped = time.monotonic() - faults.at[0]
    faults.checks["stopped within its grace"] = (
        None if stopped <= DRAIN_GRACE else f"still running {stopped:.1f}s after SIGTERM"
    )
    faults.notes.append(f"drained in {stopped:.1f}s")
    held = store.db.shards.find_one({"_id": shard["_id"]})
    stored = store.stored_until(watch.run_id, held)
    watch.wait_end()
    after = store.db.shards.find_one({"_id": shard["_id"]})
    resumed = after.get("resumed_from") or after["start"]
    redone = max(0, stored - resumed) // RESULT_BATCH if not held["done"] else 0
    faults.checks["at most one batch redone"] = None if redone <= 1 else f"{redone} batches redone"
    faults.notes.append(f"{redone} batch(es) redone")
    return faults


def kill_server(name: str) -> Callable[[RunWatch, Store], Faults]:
    def scenario(watch: RunWatch, store: Store) -> Faults:
        faults = Faults()
        wait_stored(watch, store, 0.3)
        faults.at.append(parts.kill(name))
        time.sleep(SERVER_DOWN)
        faults.back.append(parts.start(name))
        return faults

    scenario.__name__ = f"kill_{name}"
    return scenario


def coordinator_of(run_id: str) -> str:
    """The coordinator replica that planned the run, from its log."""
    for name in ("coordinator", "coordinator-2"):
        log = parts.ROOT / ".local" / "logs" / f"{name}.log"
        if any(run_id in line and "run planned" in line for line in log.open(errors="replace")):
            return name
    raise LookupError(f"no coordinator logged planning {run_id}")


def kill_working_coordinator(watch: RunWatch, store: Store) -> Faults:
    faults = Faults()
    wait_stored(watch, store, 0.3)
    name = coordinator_of(watch.run_id)
    faults.notes.append(f"killed {name}, the planner")
    faults.at.append(parts.kill(name))
    watch.wait_end()
    planned, stored = store.planned(watch.run_id), store.stored_shards(watch.run_id)
    faults.checks["planned once"] = (
        None if planned == stored else f"{stored} shards stored for a plan of {planned}"
    )
    last = watch.samples[-1].done
    faults.checks["progress counted once"] = (
        None if last == watch.cells else f"{last} cells done of {watch.cells}"
    )
    parts.start(name)
    return faults


def kill_gateway(watch: RunWatch, store: Store) -> Faults:
    faults = Faults()
    wait_stored(watch, store, 0.3)
    before = watch.stream.connections
    faults.at.append(parts.kill("gateway"))
    faults.back.append(parts.start("gateway"))
    watch.wait_end()
    faults.checks["the stream client resumed"] = (
        None if watch.stream.connections > before else "the client never reconnected"
    )
    return faults


def cancel_mid_run(watch: RunWatch, store: Store) -> Faults:
    faults = Faults(expect="cancelled")
    wait_stored(watch, store, 0.3)
    faults.at.append(time.monotonic())
    answer = watch.client.post(f"/api/v2/runs/{watch.run_id}/cancel")
    acknowledged = time.monotonic()
    faults.checks["cancel acknowledged"] = (
        None if answer.status_code == 200 else f"{answer.status_code} {answer.text[:200]}"
    )
    watch.wait_end()
    took = watch.finished - faults.at[0]
    faults.checks["cancelled within 5 s"] = None if took <= 5 else f"cancelled after {took:.1f}s"
    first = sum(stored_cells(watch.client, watch.run_id).values())
    time.sleep(3)
    later = sum(stored_cells(watch.client, watch.run_id).values())
    faults.checks["nothing stored after the cancel"] = (
        None if later == first else f"{later - first} cells stored after it"
    )
    faults.notes.append(f"acknowledged in {acknowledged - faults.at[0]:.2f}s; {first} cells stored")
    return faults


def worker_churn(watch: RunWatch, store: Store) -> Faults:
    """One worker killed and another started every `CHURN_EVERY` s while the run lasts (up to
    `CHURN_FOR` s); the two worker slots take turns."""
    faults = Faults()
    slots, turn = ["worker", "worker-2"], 0
    began = time.monotonic()
    while watch.status not in {"completed", "failed", "cancelled"}:
        if time.monotonic() - began > CHURN_FOR:
            break
        time.sleep(CHURN_EVERY)
        if watch.status in {"completed", "failed", "cancelled"}:
            break
        faults.at.append(parts.kill(slots[turn % 2]))
        parts.start(slots[(turn + 1) % 2])
        turn += 1
    if faults.at:
        faults.notes.append(f"{len(faults.at)} kills")
    return faults


CHURN_EVERY, CHURN_FOR = 20.0, 180.0


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    act: Callable[[RunWatch, Store], Faults]
    workers: int = 1  # worker processes the scenario starts with
    rows: int = 0  # 0: the suite's default size
    chain: str = ""  # "": the suite's own (sentiment); a slower one makes a run last longer


SCENARIOS = [
    Scenario("worker-x3", "kill -9 the worker 3 times, each after +20 %", kill_worker_three_times),
    Scenario(
        "worker-first-batch",
        "kill -9 the worker between a shard and its first batch",
        kill_worker_before_first_batch,
    ),
    Scenario(
        "worker-for-good",
        "2 workers, one killed for good",
        two_workers_one_killed_for_good,
        workers=2,
    ),
    Scenario("worker-sigterm", "SIGTERM a worker mid-shard (drain)", sigterm_mid_shard, workers=2),
    Scenario("kafka", "kill -9 Kafka, back 10 s later", kill_server("kafka")),
    Scenario("store", "kill -9 FerretDB, back 10 s later", kill_server("ferretdb")),
    Scenario("redis", "kill -9 Redis, back 10 s later", kill_server("redis")),
    Scenario(
        "coordinator", "kill -9 the coordinator that planned the run", kill_working_coordinator
    ),
    Scenario("gateway", "kill -9 the gateway under stream clients", kill_gateway),
    Scenario("cancel", "cancel mid-run", cancel_mid_run),
    Scenario(
        "worker-churn",
        "a worker killed and another started every 20 s, 3 min",
        worker_churn,
        workers=2,
        chain="keywords",  # about 3 minutes of work for 2 workers: the churn lasts them
    ),
]


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None
