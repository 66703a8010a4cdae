"""The coordinator's Kafka handlers over in-memory stores: a requested run is planned into
shards assigned round robin, shard progress folds into the run until it ends, cancels are
recorded, the sweep publishes again the shards of workers that went silent, and heartbeats
keep the liveness table."""

import asyncio
import csv
import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pymongo.errors import ConnectionFailure

from tests.unit.fakes import (
    FakeColumnLengths,
    FakeLiveness,
    FakePublisher,
    FakeRowIndexes,
    FakeRunRecords,
    FakeShardPaces,
    FakeShardRecords,
    FakeShardReleases,
)
from textmill_contracts.commands import AnalyzeRequested, ShardAssigned
from textmill_contracts.envelope import utc_now
from textmill_contracts.events import (
    Heartbeat,
    RunCancelled,
    RunUpdated,
    ShardCosts,
    ShardProgress,
)
from textmill_contracts.topics import TOPICS
from textmill_coordinator.domain.updates import RunRates, UpdateThrottle
from textmill_coordinator.handlers import (
    Deps,
    fold_shard_progress,
    plan_run,
    reassign_stalled,
    record_cancel,
    record_heartbeat,
    release_shards,
)
from textmill_infra.messaging import Unprocessable
from textmill_runs import LIVE_STALLS, Run, ShardPlan, shard_id, shard_rows_for
from textmill_runs.pace import ShardPace, pace_key
from textmill_storage import RunViews

TENANT = "tenant-a"
FILE = "file-1"
RUN = "run-1"
COLUMNS = ["title", "body"]
CHAINS = ["keywords", "stats"]  # 1,000 rows a shard
STALL = timedelta(seconds=30)


@pytest.fixture
def deps() -> Deps:
    runs = FakeRunRecords()
    return Deps(
        publisher=FakePublisher(),
        runs=runs,
        shards=FakeShardRecords(),
        row_indexes=FakeRowIndexes(),
        liveness=FakeLiveness(),
        throttle=UpdateThrottle(interval=0),  # every update goes out unless a test says
        rates=RunRates(),
        shard_partitions=3,
        releases=FakeShardReleases(),
        views=RunViews(runs, fresh_seconds=0.5),  # as the service runs
    )


def throttled(deps: Deps) -> Deps:
    """`deps` whose throttle lets one update of a run out an hour, and has just let RUN's."""
    throttle = UpdateThrottle(interval=3600)
    assert throttle.due(RUN, asyncio.get_running_loop().time())
    return dataclasses.replace(deps, throttle=throttle)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def reviews(tmp_path: Path, rows: int) -> Path:
    return write_csv(
        tmp_path / "reviews.csv",
        ["id", "title", "body"],
        [[str(i), f"Title {i}", f"The kettle number {i} boils fast."] for i in range(rows)],
    )


async def accepted_run(deps: Deps, *, status: str = "accepted") -> Run:
    return await deps.runs.create(
        Run(
            id=RUN,
            tenant=TENANT,
            file_id=FILE,
            columns=COLUMNS,
            chains=CHAINS,
            status=status,
            created_at=utc_now(),
        )
    )


def request(columns: list[str] = COLUMNS) -> AnalyzeRequested:
    return AnalyzeRequested(run_id=RUN, tenant=TENANT, file_id=FILE, columns=columns, chains=CHAINS)


# Two shards of 100 rows: one per column.
PLANS = [ShardPlan(0, "title", 0, 100), ShardPlan(1, "body", 0, 100)]


async def planned_run(deps: Deps) -> Run:
    """RUN as the coordinator leaves it once planned: its shards stored, queued."""
    await accepted_run(deps)
    await deps.shards.insert_plan(RUN, PLANS, CHAINS)
    await deps.runs.record_plan(RUN, PLANS)
    return await deps.runs.get(RUN)


def progress(n: int | None, cells: int, *, done: bool = False, **fields) -> ShardProgress:
    return ShardProgress(
        **{
            "run_id": RUN,
            "shard_id": shard_id(RUN, n if n is not None else 0),
            "n": n,
            "column": "title",
            "worker": "w-1",
            "offset": cells,
            "cells": cells,
            "done": done,
            **fields,
        }
    )


def updates(deps: Deps) -> list[RunUpdated]:
    return deps.publisher.messages(TOPICS.runs)


def assigned(deps: Deps) -> list[ShardAssigned]:
    return deps.publisher.messages(TOPICS.shards)


# ---- planning -------------------------------------------------------------------------------


async def test_an_accepted_run_is_planned_into_stored_shards_and_queued(deps, tmp_path):
    # Given an accepted run over two columns of a 1,250-row file, at 1,000 rows a shard
    assert shard_rows_for(CHAINS) == 1000
    deps.row_indexes.add_file(TENANT, FILE, reviews(tmp_path, 1250))
    await accepted_run(deps)

    # When its AnalyzeRequested is handled
    await plan_run(request(), deps)

    # Then each row range's columns are stored together, and the run is queued with them
    stored = [await deps.shards.get(shard_id(RUN, n)) for n in range(4)]
    assert [(s.column, s.start, s.end, s.offset) for s in stored] == [
        ("title", 0, 1000, 0),
        ("body", 0, 1000, 0),
        ("title", 1000, 1250, 1000),
        ("body", 1000, 1250, 1000),
    ]
    run = await deps.runs.get(RUN)
    assert run.status == "queued" and run.queued_at is not None
    assert {n: (s.column, s.total, s.done) for n, s in run.shards.items()} == {
        0: ("title", 1000, False),
        1: ("body", 1000, False),
        2: ("title", 250, False),
        3: ("body", 250, False),
    }


async def test_each_planned_shard_is_assigned_once_round_robin_over_the_partitions(deps, tmp_path):
    # Given an accepted run that plans into four shards, three shard partitions and four
    # live workers (a slot each)
    deps.row_indexes.add_file(TENANT, FILE, reviews(tmp_path, 1250))
    await accepted_run(deps)
    for worker in ("w-1", "w-2", "w-3", "w-4"):
        deps.liveness.beat(worker)

    # When it is planned
    await plan_run(request(), deps)

    # Then one ShardAssigned per shard goes out, n % 3 choosing its partition
    sent = deps.publisher.on(TOPICS.shards)
    assert [(s.message.n, s.partition, s.key) for s in sent] == [
        (0, 0, shard_id(RUN, 0)),
        (1, 1, shard_id(RUN, 1)),
        (2, 2, shard_id(RUN, 2)),
        (3, 0, shard_id(RUN, 3)),
    ]
    first = sent[0].message
    assert (first.tenant, first.file_id, first.chains, first.attempt) == (TENANT, FILE, CHAINS, 1)
    assert (first.column, first.start, first.end, first.siblings) == ("title", 0, 1000, ["body"])


async def test_planning_publishes_the_queued_run_even_right_after_another_update(deps, tmp_path):
    # Given an accepted run whose last update went out a moment ago
    deps = throttled(deps)
    deps.row_indexes.add_file(TENANT, FILE, reviews(tmp_path, 10))
    await accepted_run(deps)

    # When it is planned
    await plan_run(request(), deps)

    # Then the update saying it is queued goes out all the same, with its cells to analyse
    [update] = updates(deps)
    assert (update.status, update.cells_done, update.cells_total) == ("queued", 0, 20)
    assert deps.publisher.on(TOPICS.runs)[0].key == RUN


async def test_a_redelivered_request_plans_nothing_again_and_releases_the_next_shard(
    deps, tmp_path
):
    # Given a run planned into four shards with one live worker, the first shard done
    deps.liveness.beat("w-1")
    deps.row_indexes.add_file(TENANT, FILE, reviews(tmp_path, 1250))
    await accepted_run(deps)
    await plan_run(request(), deps)
    deps.shards.set(shard_id(RUN, 0), done=True, offset=1000, cells=1000)
    await deps.runs.record_progress(RUN, 0, 1000, True)
    deps.publisher.sent.clear()
    # ...and a file that could no longer be read, were it read again
    deps.row_indexes.fail_with(RuntimeError("the file must not be read again"))

    # When its AnalyzeRequested comes again
    await plan_run(request(), deps)

    # Then the run is still queued with its plan, and only the next shard goes out (the
    # first was released before, and is not published again)
    assert (await deps.runs.get(RUN)).status == "queued"
    assert deps.shards.inserted == [shard_id(RUN, n) for n in range(4)]
    assert [a.n for a in assigned(deps)] == [1]
    assert [u.status for u in updates(deps)] == ["queued"]


async def test_a_request_for_an_unknown_run_is_ignored(deps, tmp_path):
    # Given a file, but no run stored for the request
    deps.row_indexes.add_file(TENANT, FILE, reviews(tmp_path, 10))

    # When the request is handled
    await plan_run(request(), deps)

    # Then nothing is planned or published
    assert deps.shards.inserted == [] and deps.row_indexes.builds == 0
    assert deps.publisher.sent == []


async def test_a_request_for_a_run_that_ended_already_is_ignored(deps, tmp_path):
    # Given a run cancelled before it was planned
    deps.row_indexes.add_file(TENANT, FILE, reviews(tmp_path, 10))
    await accepted_run(deps, status="cancelled")

    # When its request is handled
    await plan_run(request(), deps)

    # Then it stays cancelled, and nothing is planned or published
    assert (await deps.runs.get(RUN)).status == "cancelled"
    assert deps.shards.inserted == [] and deps.row_indexes.builds == 0
    assert deps.publisher.sent == []


async def test_a_run_whose_file_is_missing_fails_saying_the_file_cannot_be_read(deps):
    # Given an accepted run over a file that is not stored
    await accepted_run(deps)

    # When it is planned
    await plan_run(request(), deps)

    # Then it fails with why, and the failure is published; no shard is planned
    run = await deps.runs.get(RUN)
    assert run.status == "failed" and run.finished_at is not None
    assert run.error.startswith("the file cannot be read:") and repr(FILE) in run.error
    assert [(u.status, u.error) for u in updates(deps)] == [("failed", run.error)]
    assert deps.shards.inserted == [] and assigned(deps) == []


async def test_a_run_over_a_malformed_file_fails_with_what_the_reader_found(deps, tmp_path):
    # Given an accepted run over a CSV whose last row (row 4, the header's row 1) is ragged
    bad = tmp_path / "ragged.csv"
    bad.write_bytes(b"id,title,body\n1,a,b\n2,c,d\n3,e,f,g,h\n")
    deps.row_indexes.add_file(TENANT, FILE, bad)
    await accepted_run(deps)

    # When it is planned
    await plan_run(request(), deps)

    # Then it fails naming the row, and nothing is assigned
    run = await deps.runs.get(RUN)
    assert run.status == "failed"
    assert run.error.startswith("the file cannot be read:")
    assert "row 4 (line 4) has 5 fields" in run.error
    assert [u.status for u in updates(deps)] == ["failed"]
    assert assigned(deps) == []


async def test_a_run_asking_for_columns_the_file_lacks_fails_naming_them(deps, tmp_path):
    # Given an accepted run over two columns the file does not have, and one it has
    deps.row_indexes.add_file(TENANT, FILE, reviews(tmp_path, 10))
    await accepted_run(deps)

    # When it is planned
    await plan_run(request(["summary", "title", "notes"]), deps)

    # Then it fails naming both, with no shard stored
    run = await deps.runs.get(RUN)
    assert run.status == "failed"
    assert run.error == "no column named 'summary', 'notes'"
    assert deps.shards.inserted == [] and assigned(deps) == []
    assert [u.error for u in updates(deps)] == [run.error]


async def test_a_run_over_a_file_with_no_rows_completes_at_once(deps, tmp_path):
    # Given an accepted run over a file with a header only
    deps.row_indexes.add_file(TENANT, FILE, write_csv(tmp_path / "empty.csv", COLUMNS, []))
    await accepted_run(deps)

    # When it is planned
    await plan_run(request(), deps)

    # Then it is completed with nothing to analyse, and no shard goes out
    run = await deps.runs.get(RUN)
    assert run.status == "completed" and run.finished_at is not None and run.shards == {}
    assert assigned(deps) == []
    [update] = updates(deps)
    assert (update.status, update.cells_total, update.eta_seconds) == ("completed", 0, 0.0)


async def test_a_store_that_is_away_while_planning_is_left_to_redelivery(deps):
    # Given an accepted run, and the row index store away
    await accepted_run(deps)
    deps.row_indexes.fail_with(ConnectionFailure("no primary"))

    # When it is planned, the failure reaches the consumer, which does not commit
    with pytest.raises(ConnectionFailure):
        await plan_run(request(), deps)

    # Then the run is still accepted for the redelivered request, and nothing went out
    assert (await deps.runs.get(RUN)).status == "accepted"
    assert deps.publisher.sent == []


async def test_a_planning_error_of_no_known_kind_fails_the_run_naming_its_type(deps):
    # Given an accepted run whose planning hits a bug
    await accepted_run(deps)
    deps.row_indexes.fail_with(RuntimeError("a reader bug"))

    # When it is planned
    await plan_run(request(), deps)

    # Then the run fails (it would on every redelivery), naming the error's type only
    run = await deps.runs.get(RUN)
    assert (run.status, run.error) == ("failed", "the run could not be planned (RuntimeError)")
    assert [u.status for u in updates(deps)] == ["failed"]


# ---- shards sized from measured pace --------------------------------------------------------


def paced(deps: Deps) -> Deps:
    """`deps` that size shards from measured pace, over the files of its row indexes."""
    return dataclasses.replace(
        deps, paces=FakeShardPaces(), column_lengths=FakeColumnLengths(deps.row_indexes)
    )


# "Title 7" (7 characters) up to "Title 2499": titles in the 8-15 bucket; bodies in 32-63.
TITLE_KEY, BODY_KEY = pace_key(CHAINS, 9.5), pace_key(CHAINS, 34)


async def test_a_run_is_planned_from_the_measured_pace_of_its_slowest_column(deps, tmp_path):
    # Given these chains measured at 10,000 cells/s on titles and 2,000 on bodies (planned:
    # 1,165, so shards of 1,000 rows)
    deps = paced(deps)
    deps.paces.paces[TITLE_KEY] = ShardPace(1 / 10_000)
    deps.paces.paces[BODY_KEY] = ShardPace(1 / 2_000)
    deps.row_indexes.add_file(TENANT, FILE, reviews(tmp_path, 7500))
    await accepted_run(deps)

    # When the run is planned
    await plan_run(request(), deps)

    # Then its row ranges hold the 3,000 rows that bodies take 1.5 s over, for both columns
    run = await deps.runs.get(RUN)
    assert [(s.column, s.total) for s in run.shards.values()] == [
        ("title", 3000),
        ("body", 3000),
    ] * 2 + [("title", 1500), ("body", 1500)]


async def test_a_pace_of_other_texts_or_chains_leaves_the_planned_speed(deps, tmp_path):
    # Given paces measured for 2 KB texts of these chains and for the bodies' length of others
    deps = paced(deps)
    deps.paces.paces[pace_key(CHAINS, 2_000)] = ShardPace(1 / 5_000)
    deps.paces.paces[pace_key(["sentiment"], 34)] = ShardPace(1 / 5_000)
    deps.row_indexes.add_file(TENANT, FILE, reviews(tmp_path, 7500))
    await accepted_run(deps)

    # When the run is planned, its shards are the chains' planned 1,000 rows
    await plan_run(request(), deps)
    assert (await deps.runs.get(RUN)).shards[0].total == shard_rows_for(CHAINS) == 1000


async def test_a_run_planned_before_keeps_its_stored_shards_size_whatever_the_pace_says(
    deps, tmp_path
):
    # Given a run whose shards of 2,000 rows were stored before its planner stopped, and a
    # pace measured since that would give 3,000
    deps = paced(deps)
    deps.row_indexes.add_file(TENANT, FILE, reviews(tmp_path, 2500))
    await accepted_run(deps)
    stored = [ShardPlan(0, "title", 0, 2000), ShardPlan(1, "body", 0, 2000)]
    await deps.shards.insert_plan(RUN, stored, CHAINS)
    deps.paces.paces[BODY_KEY] = deps.paces.paces[TITLE_KEY] = ShardPace(1 / 2_000)

    # When the redelivered request plans it
    await plan_run(request(), deps)

    # Then the run's plan is the stored one: shard n is the same rows in the store and the run
    run = await deps.runs.get(RUN)
    assert [(s.column, s.total) for s in run.shards.values()] == [
        ("title", 2000),
        ("body", 2000),
        ("title", 500),
        ("body", 500),
    ]


async def test_a_replica_planning_after_another_stored_the_first_shard_plans_the_same_shards(
    deps, tmp_path
):
    # Given another replica, handed the same request in a rebalance, that stored the run's
    # first shard of 2,000 rows (at the pace it read) and no other yet
    deps = paced(deps)
    deps.row_indexes.add_file(TENANT, FILE, reviews(tmp_path, 2500))
    await accepted_run(deps)
    await deps.shards.insert_plan(RUN, [ShardPlan(0, "title", 0, 2000)], CHAINS)
    # ...and this replica reads paces that give 3,000
    deps.paces.paces[BODY_KEY] = deps.paces.paces[TITLE_KEY] = ShardPace(1 / 2_000)

    # When this replica plans it
    await plan_run(request(), deps)

    # Then every stored shard and the run's plan follow the first stored shard's size
    stored = [await deps.shards.get(shard_id(RUN, n)) for n in range(4)]
    assert [(s.column, s.start, s.end) for s in stored] == [
        ("title", 0, 2000),
        ("body", 0, 2000),
        ("title", 2000, 2500),
        ("body", 2000, 2500),
    ]
    assert [s.total for s in (await deps.runs.get(RUN)).shards.values()] == [2000, 2000, 500, 500]


async def test_a_fault_in_measuring_the_columns_plans_from_the_chains_speed(deps, tmp_path):
    # Given a pace for the bodies, but sampling the file fails
    deps = paced(deps)
    deps.paces.paces[BODY_KEY] = ShardPace(1 / 2_000)
    deps.column_lengths.failure = RuntimeError("a reader bug")
    deps.row_indexes.add_file(TENANT, FILE, reviews(tmp_path, 2500))
    await accepted_run(deps)

    # When the run is planned, it is, at the chains' planned speed
    await plan_run(request(), deps)
    run = await deps.runs.get(RUN)
    assert run.status == "queued" and run.shards[0].total == 1000


def costs(cells: int, chars: int, seconds: float) -> ShardCosts:
    return ShardCosts(
        seconds=seconds,
        cells=cells,
        rows=cells,
        chars=chars,
        chars_squared=float(chars * chars / max(cells, 1)),
        chain_seconds={"keywords": seconds * 0.8, "stats": seconds * 0.1},
        chain_processes=1,
    )


async def test_a_completed_full_shard_teaches_the_pace_of_its_chains_on_its_texts(deps):
    # Given a run planned in two row ranges of 100 and 50 rows
    deps = paced(deps)
    await accepted_run(deps)
    plans = [*PLANS, ShardPlan(2, "title", 100, 150), ShardPlan(3, "body", 100, 150)]
    await deps.shards.insert_plan(RUN, plans, CHAINS)
    await deps.runs.record_plan(RUN, plans)

    # When its first title shard completes, 100 cells of 9.5 characters in 0.5 s, and its
    # last, cut one, 50 cells in 0.5 s
    await fold_shard_progress(progress(0, 100, done=True, costs=costs(100, 950, 0.5)), deps)
    last = progress(2, 50, done=True, costs=costs(50, 475, 0.5), shard_id=shard_id(RUN, 2))
    await fold_shard_progress(last, deps)
    # ...while its first body shard is still going
    going = progress(1, 50, costs=costs(50, 1700, 0.5), shard_id=shard_id(RUN, 1), column="body")
    await fold_shard_progress(going, deps)

    # Then titles of these chains have the first shard's pace, 200 cells/s; bodies none
    assert deps.paces.paces[TITLE_KEY] == ShardPace(0.5 / 100, 1)
    assert BODY_KEY not in deps.paces.paces

    # And the first shard's last message, redelivered twice as slow, is not counted again
    again = progress(0, 100, done=True, costs=costs(100, 950, 1.0))
    await fold_shard_progress(again, deps)
    assert deps.paces.paces[TITLE_KEY] == ShardPace(0.5 / 100, 1)


async def test_a_run_of_one_row_range_teaches_no_pace(deps):
    # Given a run whose file is smaller than one shard: one range, cut by the file's end
    deps = paced(deps)
    await planned_run(deps)

    # When its title shard completes, Then no pace is kept: it says mostly its fixed costs
    await fold_shard_progress(progress(0, 100, done=True, costs=costs(100, 950, 0.5)), deps)
    assert deps.paces.paces == {}


# ---- shard progress -------------------------------------------------------------------------


async def test_the_first_progress_moves_a_queued_run_to_running_with_its_start(deps):
    # Given a planned, queued run
    await planned_run(deps)

    # When a worker reports its first cells
    await fold_shard_progress(progress(0, 40), deps)

    # Then the run is running since now, and its progress says so
    run = await deps.runs.get(RUN)
    assert run.status == "running" and run.started_at is not None
    assert run.shards[0].cells == 40
    [update] = updates(deps)
    assert (update.status, update.cells_done, update.cells_total) == ("running", 40, 200)
    assert update.started_at == run.started_at
    assert update.columns["title"].done == 40 and update.columns["body"].done == 0


async def test_progress_folds_monotonically_so_a_late_older_event_changes_nothing(deps):
    # Given a run whose first shard reported 60 cells, then done
    await planned_run(deps)
    await fold_shard_progress(progress(0, 60), deps)
    await fold_shard_progress(progress(0, 100, done=True), deps)

    # When an older event of that shard arrives late
    await fold_shard_progress(progress(0, 40), deps)

    # Then the shard still has its 100 cells and is still done
    run = await deps.runs.get(RUN)
    assert (run.shards[0].cells, run.shards[0].done) == (100, True)
    assert updates(deps)[-1].cells_done == 100


async def test_the_last_shard_done_completes_the_run_with_a_final_update(deps):
    # Given a running run with one of its two shards done
    await planned_run(deps)
    await fold_shard_progress(progress(0, 100, done=True), deps)
    assert (await deps.runs.get(RUN)).status == "running"

    # When the other one is done
    await fold_shard_progress(progress(1, 100, done=True, column="body"), deps)

    # Then the run is completed, and the final update says so, with every cell done
    run = await deps.runs.get(RUN)
    assert run.status == "completed" and run.finished_at is not None
    final = updates(deps)[-1]
    assert (final.status, final.cells_done, final.cells_total) == ("completed", 200, 200)
    assert final.finished_at == run.finished_at and final.eta_seconds == 0.0


async def test_a_failed_shard_fails_the_run_with_why(deps):
    # Given a running run
    await planned_run(deps)
    await fold_shard_progress(progress(0, 10), deps)

    # When a worker reports that its shard cannot be analysed
    await fold_shard_progress(progress(1, 0, failed="LookupError: the file is gone"), deps)

    # Then the run fails, naming the shard and the reason, and the failure is published
    run = await deps.runs.get(RUN)
    assert run.status == "failed"
    assert run.error == f"shard {shard_id(RUN, 1)} failed: LookupError: the file is gone"
    assert (updates(deps)[-1].status, updates(deps)[-1].error) == ("failed", run.error)


@pytest.mark.parametrize(
    ("n", "shard"),
    [
        (7, shard_id(RUN, 7)),  # a number past the plan
        (None, "run-1:not-a-number"),  # a 1.0 event whose id names no shard
        (None, shard_id("run-2", 0)),  # another run's shard
    ],
    ids=["past-the-plan", "no-number", "another-run"],
)
async def test_a_progress_event_naming_no_shard_of_its_run_is_unprocessable(deps, n, shard):
    # Given a planned run of shards 0 and 1
    await planned_run(deps)

    # When an event names a shard it does not have, it is refused as unprocessable
    with pytest.raises(Unprocessable, match="is no shard of run"):
        await fold_shard_progress(progress(n, 50, shard_id=shard), deps)

    # Then nothing of it was folded into the run
    run = await deps.runs.get(RUN)
    assert run.status == "queued" and set(run.shards) == {0, 1}
    assert updates(deps) == []


async def test_a_progress_event_whose_number_disagrees_with_its_shard_id_is_unprocessable(deps):
    # Given a planned run of shards 0 and 1
    await planned_run(deps)

    # When an event says n=1 of the id of shard 0, it is refused
    with pytest.raises(Unprocessable):
        await fold_shard_progress(progress(1, 50, shard_id=shard_id(RUN, 0)), deps)

    # Then neither shard moved
    run = await deps.runs.get(RUN)
    assert (run.shards[0].cells, run.shards[1].cells) == (0, 0)


async def test_a_progress_event_of_a_run_that_is_gone_is_ignored(deps):
    # Given no run stored

    # When a shard's progress arrives for it
    await fold_shard_progress(progress(0, 40), deps)

    # Then nothing happens
    assert deps.publisher.sent == []


async def test_progress_of_a_run_that_ended_publishes_nothing(deps):
    # Given a planned run, cancelled meanwhile
    await planned_run(deps)
    await deps.runs.move(RUN, "cancelled", finished_at=utc_now())

    # When a shard's progress arrives
    await fold_shard_progress(progress(0, 40), deps)

    # Then it stays cancelled and no update goes out
    assert (await deps.runs.get(RUN)).status == "cancelled"
    assert updates(deps) == []


async def test_a_progress_event_without_a_number_is_folded_by_its_shard_id(deps):
    # Given a planned run
    await planned_run(deps)

    # When a ShardProgress 1.0 (no `n`) reports shard 1
    event = progress(None, 30, shard_id=shard_id(RUN, 1), column="body", schema_version="1.0")
    await fold_shard_progress(event, deps)

    # Then shard 1 is the one folded
    run = await deps.runs.get(RUN)
    assert (run.shards[0].cells, run.shards[1].cells) == (0, 30)


async def test_progress_updates_within_the_interval_are_dropped_but_status_changes_go_out(deps):
    # Given a planned run whose updates go out at most once an hour
    await planned_run(deps)
    deps = dataclasses.replace(deps, throttle=UpdateThrottle(interval=3600))

    # When its shards report in quick succession until both are done
    await fold_shard_progress(progress(0, 40), deps)
    await fold_shard_progress(progress(0, 80), deps)
    await fold_shard_progress(progress(0, 100, done=True), deps)
    await fold_shard_progress(progress(1, 100, done=True, column="body"), deps)

    # Then the first update goes out, the next two are dropped, and the completion goes out
    assert [(u.status, u.cells_done) for u in updates(deps)] == [
        ("running", 40),
        ("completed", 200),
    ]


async def test_the_move_to_running_goes_out_even_right_after_the_plans_update(deps, tmp_path):
    # Given a run just planned, its queued update just published
    deps = dataclasses.replace(deps, throttle=UpdateThrottle(interval=3600))
    deps.row_indexes.add_file(TENANT, FILE, reviews(tmp_path, 10))
    await accepted_run(deps)
    await plan_run(request(), deps)

    # When the first progress of one of its shards arrives a moment later
    await fold_shard_progress(progress(0, 5), deps)

    # Then the run's move to running is published
    assert [u.status for u in updates(deps)] == ["queued", "running"]


# ---- cancels --------------------------------------------------------------------------------


async def test_a_cancel_moves_an_active_run_to_cancelled_and_publishes_it(deps):
    # Given a running run whose last update went out a moment ago
    await planned_run(deps)
    await fold_shard_progress(progress(0, 40), deps)
    deps = throttled(deps)

    # When its cancel is recorded
    await record_cancel(RunCancelled(run_id=RUN, tenant=TENANT), deps)

    # Then it is cancelled, and that goes out at once, with the cells it had
    run = await deps.runs.get(RUN)
    assert run.status == "cancelled" and run.finished_at is not None
    [update] = updates(deps)[1:]
    assert (update.status, update.cells_done, update.eta_seconds) == ("cancelled", 40, 0.0)


async def test_a_cancel_of_a_run_that_ended_changes_nothing(deps):
    # Given a run that completed
    await planned_run(deps)
    await fold_shard_progress(progress(0, 100, done=True), deps)
    await fold_shard_progress(progress(1, 100, done=True, column="body"), deps)
    completed = await deps.runs.get(RUN)
    assert completed.status == "completed"

    # When a cancel of it arrives late
    await record_cancel(RunCancelled(run_id=RUN, tenant=TENANT), deps)

    # Then it is still completed as it was, and no update says otherwise
    assert await deps.runs.get(RUN) == completed
    assert {u.status for u in updates(deps)[2:]} <= {"completed"}


async def test_a_cancel_of_a_run_that_is_gone_publishes_nothing(deps):
    # Given no run stored

    # When a cancel arrives for it
    await record_cancel(RunCancelled(run_id=RUN, tenant=TENANT), deps)

    # Then nothing goes out
    assert deps.publisher.sent == []


# ---- releasing shards in waves ---------------------------------------------------------------


async def other_tenants_run(
    deps: Deps, run_id: str, tenant: str, plans: list[ShardPlan], priority: str = "normal"
) -> None:
    """A queued run of `tenant` planned into `plans`."""
    await deps.runs.create(
        Run(
            id=run_id,
            tenant=tenant,
            file_id=FILE,
            columns=["title"],
            chains=CHAINS,
            status="accepted",
            created_at=utc_now(),
            priority=priority,
        )
    )
    await deps.shards.insert_plan(run_id, plans, CHAINS)
    await deps.runs.record_plan(run_id, plans)


async def test_one_live_worker_gets_one_shard_and_the_next_as_it_nears_its_end(deps, tmp_path):
    # Given one live worker and a run planned into four shards of 1,000 cells
    deps.liveness.beat("w-1")
    deps.row_indexes.add_file(TENANT, FILE, reviews(tmp_path, 1250))
    await accepted_run(deps)
    await plan_run(request(), deps)
    assert [a.n for a in assigned(deps)] == [0]

    # When its first shard is half done, Then no other shard goes out
    await fold_shard_progress(progress(0, 500), deps)
    assert not deps.release_due.is_set()
    assert await release_shards(deps) == 0

    # When it is three quarters done, Then a release is due, and the next shard goes out
    await fold_shard_progress(progress(0, 750), deps)
    assert deps.release_due.is_set()
    assert await release_shards(deps) == 1
    assert [a.n for a in assigned(deps)] == [0, 1]


async def test_a_freed_slots_shard_goes_to_the_partition_of_the_worker_that_freed_it(
    deps, tmp_path
):
    # Given two live workers (partitions 0 and 1 reach one each), each with a shard of a
    # four-shard run
    deps.liveness.beat("w-1")
    deps.liveness.beat("w-2")
    deps.row_indexes.add_file(TENANT, FILE, reviews(tmp_path, 2500))
    await accepted_run(deps)
    await plan_run(request(), deps)
    assert [(s.message.n, s.partition) for s in deps.publisher.on(TOPICS.shards)] == [
        (0, 0),
        (1, 1),
    ]

    # When shard 1 is three quarters done while shard 0 is a tenth done
    await fold_shard_progress(progress(0, 200), deps)
    await fold_shard_progress(progress(1, 1500), deps)
    assert await release_shards(deps) == 1

    # Then shard 2 goes to partition 1, whose worker is about to be free, not to 2 mod 3
    # (a partition of the worker still busy with shard 0)
    assert [(s.message.n, s.partition) for s in deps.publisher.on(TOPICS.shards)][-1] == (2, 1)
    assert deps.releases.partitions[shard_id(RUN, 2)] == 1


async def test_another_tenants_run_gets_the_next_slot_before_a_large_runs_remaining_shards(
    deps, tmp_path
):
    # Given one live worker busy with the first of four shards of tenant A's run
    deps.liveness.beat("w-1")
    deps.row_indexes.add_file(TENANT, FILE, reviews(tmp_path, 2500))
    await accepted_run(deps)
    await plan_run(request(), deps)
    # ...and tenant B's run of one shard, queued after it
    await other_tenants_run(deps, "run-b", "tenant-b", [ShardPlan(0, "title", 0, 100)])
    assert await release_shards(deps) == 0  # the slot is taken

    # When A's shard is done, and then B's
    await fold_shard_progress(progress(0, 2000, done=True), deps)
    await release_shards(deps)
    b_done = progress(0, 100, done=True, run_id="run-b", shard_id=shard_id("run-b", 0))
    await fold_shard_progress(b_done, deps)
    await release_shards(deps)

    # Then B's shard went out before A's second one
    assert [(a.run_id, a.n) for a in assigned(deps)] == [(RUN, 0), ("run-b", 0), (RUN, 1)]


async def test_a_high_priority_run_goes_before_a_normal_one_of_a_tenant_served_less(deps):
    # Given one live worker, a normal run of tenant B and a high one of tenant A, both queued
    deps.liveness.beat("w-1")
    await other_tenants_run(deps, "run-b", "tenant-b", [ShardPlan(0, "title", 0, 100)])
    await other_tenants_run(deps, RUN, TENANT, [ShardPlan(0, "title", 0, 100)], "high")

    # When shards are released, Then A's high run's shard goes first
    assert await release_shards(deps) == 1
    assert [(a.run_id, a.n) for a in assigned(deps)] == [(RUN, 0)]


async def test_a_shard_the_other_replica_released_is_not_published_again(deps):
    # Given a planned run whose first shard the other replica released (recorded first)
    deps.liveness.beat("w-1")
    deps.liveness.beat("w-2")
    await planned_run(deps)
    assert await deps.releases.claim(shard_id(RUN, 0), RUN, "coordinator-2")

    # When this replica releases, Then only the other shard goes out from here
    assert await release_shards(deps) == 1
    assert [a.n for a in assigned(deps)] == [1]


async def test_the_sweep_publishes_again_a_released_shard_no_worker_claimed_for_long(deps):
    # Given a running run whose shard 0 was released and published long ago, never claimed
    await planned_run(deps)
    await deps.runs.move(RUN, "running", started_at=utc_now())
    assert await deps.releases.claim(shard_id(RUN, 0), RUN, "coordinator-gone")
    await deps.releases.mark_published(shard_id(RUN, 0))
    deps.releases.at[shard_id(RUN, 0)] = utc_now() - LIVE_STALLS * STALL - timedelta(seconds=1)

    # When the sweep runs, Then that shard alone goes out again, as its next attempt
    assert await reassign_stalled(deps, STALL) == 1
    [sent] = assigned(deps)
    assert (sent.n, sent.attempt) == (0, 2)

    # When it runs again at once, Then the shard waits as long again
    assert await reassign_stalled(deps, STALL) == 0


async def test_a_release_recorded_and_never_published_goes_out_again_after_one_stall(deps):
    # Given a running run whose shard 0 a replica recorded as released, then stopped before
    # publishing it (never marked published), a stall and a second ago
    await planned_run(deps)
    await deps.runs.move(RUN, "running", started_at=utc_now())
    assert await deps.releases.claim(shard_id(RUN, 0), RUN, "coordinator-gone")
    deps.releases.at[shard_id(RUN, 0)] = utc_now() - STALL - timedelta(seconds=1)

    # When the sweep runs, Then it goes out again at once, not after LIVE_STALLS stalls
    assert await reassign_stalled(deps, STALL) == 1
    assert [(a.n, a.attempt) for a in assigned(deps)] == [(0, 2)]


async def test_a_published_release_waits_behind_other_shards_before_going_out_again(deps):
    # Given a running run whose shard 0 a release round published, a stall and a second ago
    deps.liveness.beat("w-1")
    await planned_run(deps)
    await deps.runs.move(RUN, "running", started_at=utc_now())
    assert await release_shards(deps) == 1
    assert deps.releases.published == {shard_id(RUN, 0)}
    deps.releases.at[shard_id(RUN, 0)] = utc_now() - STALL - timedelta(seconds=1)

    # When the sweep runs, Then nothing goes out again: its message waits behind others
    assert await reassign_stalled(deps, STALL) == 0


# ---- the sweep ------------------------------------------------------------------------------


async def running_run_claimed(deps: Deps, *, worker: str, idle: timedelta) -> None:
    """RUN running, its shard 0 claimed by `worker` and untouched for `idle`; shard 1
    never claimed."""
    await planned_run(deps)
    await deps.runs.move(RUN, "running", started_at=utc_now())
    deps.shards.set(shard_id(RUN, 0), worker=worker, updated_at=utc_now() - idle)


async def test_the_sweep_republishes_a_claimed_shard_stalled_while_its_worker_is_gone(deps):
    # Given a shard claimed by a worker that stopped beating, untouched for over a stall
    await running_run_claimed(deps, worker="w-gone", idle=STALL + timedelta(seconds=1))

    # When the sweep runs
    count = await reassign_stalled(deps, STALL)

    # Then that shard alone is published again, as its next attempt, on its partition
    assert count == 1
    [sent] = deps.publisher.on(TOPICS.shards)
    assert (sent.message.shard_id, sent.message.attempt, sent.partition) == (
        shard_id(RUN, 0),
        2,
        0,
    )
    shard = await deps.shards.get(shard_id(RUN, 0))
    assert shard.attempt == 2 and shard.republished_at is not None


async def test_the_sweep_waits_for_a_shard_stalled_less_than_a_stall(deps):
    # Given a shard of a gone worker, untouched for less than a stall
    await running_run_claimed(deps, worker="w-gone", idle=STALL - timedelta(seconds=5))

    # When the sweep runs, Then it publishes nothing
    assert await reassign_stalled(deps, STALL) == 0
    assert assigned(deps) == []


async def test_the_sweep_gives_the_shard_of_a_live_worker_several_stalls(deps):
    # Given a shard of a worker that still beats, untouched for two stalls
    deps.liveness.beat("w-alive")
    await running_run_claimed(deps, worker="w-alive", idle=2 * STALL)

    # When the sweep runs, Then the shard is left to it
    assert await reassign_stalled(deps, STALL) == 0

    # Given it is then untouched for longer than LIVE_STALLS stalls
    deps.shards.set(
        shard_id(RUN, 0), updated_at=utc_now() - LIVE_STALLS * STALL - timedelta(seconds=1)
    )

    # When the sweep runs again, Then it is published again
    assert await reassign_stalled(deps, STALL) == 1
    assert [a.n for a in assigned(deps)] == [0]


async def test_the_sweep_never_republishes_a_shard_no_worker_claimed(deps):
    # Given a running run whose shards were never claimed (their messages still on the way)
    await planned_run(deps)
    await deps.runs.move(RUN, "running", started_at=utc_now())

    # When the sweep runs with no patience at all, Then nothing is published
    assert await reassign_stalled(deps, timedelta(0)) == 0
    assert assigned(deps) == []


async def test_a_republished_shard_waits_a_stall_again_before_the_next_time(deps):
    # Given a stalled shard the sweep has just published again
    await running_run_claimed(deps, worker="w-gone", idle=2 * STALL)
    assert await reassign_stalled(deps, STALL) == 1

    # When the sweep runs again at once, Then it waits
    assert await reassign_stalled(deps, STALL) == 0
    assert (await deps.shards.get(shard_id(RUN, 0))).attempt == 2


async def test_the_sweep_leaves_the_shards_of_a_run_that_ended(deps):
    # Given a stalled shard of a run cancelled since
    await running_run_claimed(deps, worker="w-gone", idle=2 * STALL)
    await deps.runs.move(RUN, "cancelled", finished_at=utc_now())

    # When the sweep runs, Then nothing is published
    assert await reassign_stalled(deps, STALL) == 0
    assert assigned(deps) == []


# ---- heartbeats -----------------------------------------------------------------------------


STARTED = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # when w-1's process started


def beat(sequence: int, status: str = "ready", started_at: datetime = STARTED) -> Heartbeat:
    return Heartbeat(
        service="worker",
        instance_id="w-1",
        started_at=started_at,
        sequence=sequence,
        status=status,
        capacity=4,
    )


async def test_a_newer_heartbeat_is_recorded(deps):
    # Given an instance last seen at sequence 5
    await record_heartbeat(beat(5), deps)

    # When its beat 6 arrives, draining
    await record_heartbeat(beat(6, "draining"), deps)

    # Then the table holds beat 6
    seen = await deps.liveness.get("w-1")
    assert (seen.last_sequence, seen.status, seen.capacity, seen.service) == (
        6,
        "draining",
        4,
        "worker",
    )


@pytest.mark.parametrize("sequence", [5, 3], ids=["repeated", "older"])
async def test_a_repeated_or_older_heartbeat_is_not_recorded(deps, sequence):
    # Given an instance last seen at sequence 5, ready
    await record_heartbeat(beat(5), deps)
    before = await deps.liveness.get("w-1")

    # When a beat with a sequence not after it arrives
    await record_heartbeat(beat(sequence, "draining"), deps)

    # Then the table still holds beat 5 as it was
    assert await deps.liveness.get("w-1") == before


async def test_a_restarted_process_under_the_same_instance_id_is_seen_at_its_first_beat(deps):
    # Given an instance last seen at sequence 50
    await record_heartbeat(beat(50), deps)

    # When its process restarts under the same id and sends beat 0
    await record_heartbeat(beat(0, started_at=STARTED + timedelta(minutes=5)), deps)

    # Then the table holds the new process's beat 0 (by sequence alone it was dropped)
    seen = await deps.liveness.get("w-1")
    assert (seen.last_sequence, seen.started_at) == (0, STARTED + timedelta(minutes=5))

    # And a late beat of the former process is not recorded
    await record_heartbeat(beat(51), deps)
    assert (await deps.liveness.get("w-1")).last_sequence == 0
