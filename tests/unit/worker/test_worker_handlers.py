"""The worker's Kafka handlers over in-memory stores and the real chains (in a thread): a
shard is analysed batch by batch into stored and published results with its checkpoint
moving, resumed from that checkpoint, left to whoever holds it, stopped by a cancel; a
quick analysis answers its requester."""

import asyncio
import dataclasses
import time
from datetime import timedelta

import pytest

from tests.unit.fakes import (
    LONG_AGO,
    FakeFence,
    FakePublisher,
    FakeResultBatches,
    FakeShardRecords,
    FakeShardRows,
)
from textmill_contracts.commands import AnalyzeTexts, ShardAssigned
from textmill_contracts.envelope import utc_now
from textmill_contracts.events import ShardProgress, TextsAnalyzed
from textmill_contracts.topics import TOPICS
from textmill_infra.messaging import Unprocessable
from textmill_runs import ShardPlan, held_elsewhere, result_batch_id, shard_id
from textmill_worker import handlers
from textmill_worker.adapters.column_languages import ColumnLanguages
from textmill_worker.adapters.compute import InProcess
from textmill_worker.domain.throughput import Throughput
from textmill_worker.handlers import Deps, analyse_shard, analyse_texts

TENANT = "tenant-a"
FILE = "file-1"
RUN = "run-1"
SHARD = shard_id(RUN, 0)
WORKER = "worker-1"
HEADER = ["id", "title", "body"]
BODY = 2  # the body column's position in the header
ROWS = [
    [str(i), f"Title {i}", text]
    for i, text in enumerate(
        [
            "The kettle boils fast.",
            "Terrible lid! It leaks.",
            "",  # a blank cell: skipped, still a cell
            "Works fine, see https://example.com for more.",
            "Five stars.",
        ]
    )
]


@pytest.fixture
async def compute():
    chains = InProcess()
    try:
        yield chains
    finally:
        chains.close()


@pytest.fixture
async def deps(compute) -> Deps:
    shards = FakeShardRecords()
    await shards.insert_plan(RUN, [ShardPlan(0, "body", 0, len(ROWS))], ["stats"])
    rows = FakeShardRows()
    rows.add_table(TENANT, FILE, HEADER, ROWS)
    return Deps(
        publisher=FakePublisher(),
        shards=shards,
        results=FakeResultBatches(),
        rows=rows,
        fence=FakeFence(),
        compute=compute,
        worker=WORKER,
        throughput=Throughput(),
        batch_rows=2,  # five rows: batches of records [0, 1], [2, 3], [4]
    )


def assignment(**fields) -> ShardAssigned:
    return ShardAssigned(
        **{
            "run_id": RUN,
            "shard_id": SHARD,
            "n": 0,
            "tenant": TENANT,
            "file_id": FILE,
            "column": "body",
            "start": 0,
            "end": len(ROWS),
            "chains": ["stats"],
            "siblings": ["title"],
            **fields,
        }
    )


def progress(deps: Deps) -> list[ShardProgress]:
    return deps.publisher.messages(TOPICS.shard_progress)


def batch_id(first: int) -> str:
    return result_batch_id(RUN, BODY, first)


# ---- a shard analysed -----------------------------------------------------------------------


async def test_a_shard_is_analysed_into_one_stored_batch_per_batch_of_rows(deps):
    # Given a shard of five rows of the body column, in batches of two

    # When it is analysed
    await analyse_shard(assignment(), deps)

    # Then every row's cell is stored once, in aligned batches of the column's position
    assert list(deps.results.batches) == [batch_id(0), batch_id(2), batch_id(4)]
    assert deps.results.records() == [0, 1, 2, 3, 4]
    cells = [c for b in deps.results.batches.values() for c in b.cells]
    assert [c["status"] for c in cells] == ["ok", "ok", "skipped", "ok", "ok"]
    assert cells[0]["chains"]["stats"]["chars"] == len(ROWS[0][BODY])
    assert cells[3]["chains"]["stats"]["has_url"] is True


class ProfiledLanguages:
    """The column languages of a profiled file, as `ProfileStore.column_languages` gives them."""

    def __init__(self, languages: dict[str, tuple[str, float]]) -> None:
        self.languages, self.reads = languages, 0

    async def column_languages(self, tenant: str, file_id: str) -> dict[str, tuple[str, float]]:
        self.reads += 1
        return self.languages


async def test_the_language_chain_takes_the_columns_language_in_its_profile_as_prior(deps):
    # Given a file whose profile says its body column is English, and a shard asking for
    # the language chain over it (its batches of two are too short for a prior of their own)
    profiled = ProfiledLanguages({"body": ("en", 0.97)})
    deps = dataclasses.replace(deps, languages=ColumnLanguages(profiled))

    # When it is analysed
    await analyse_shard(assignment(chains=["language"]), deps)

    # Then every cell with text was judged with English as the prior, read once
    cells = [c for b in deps.results.batches.values() for c in b.cells if c["status"] == "ok"]
    assert {c["chains"]["language"]["prior"] for c in cells} == {"en"}
    assert profiled.reads == 1


async def test_without_a_profile_a_short_batch_has_no_prior(deps):
    deps = dataclasses.replace(deps, languages=ColumnLanguages(ProfiledLanguages({})))
    await analyse_shard(assignment(chains=["language"]), deps)
    cells = [c for b in deps.results.batches.values() for c in b.cells if c["status"] == "ok"]
    assert {c["chains"]["language"]["prior"] for c in cells} == {None}


async def test_every_stored_batch_is_published_as_a_result_batch(deps):
    # Given a shard of five rows in batches of two

    # When it is analysed
    await analyse_shard(assignment(), deps)

    # Then one ResultBatch per stored batch goes out on the results topic, keyed by run
    sent = deps.publisher.on(TOPICS.results)
    assert [(s.method, s.key, s.schema_name) for s in sent] == [
        ("publish_json", RUN, "results.stored")
    ] * 3
    batches = deps.publisher.result_batches(TOPICS.results)
    assert [[cell.record for cell in b.results] for b in batches] == [[0, 1], [2, 3], [4]]
    assert {(b.run_id, b.tenant, b.shard_id, b.column, b.worker) for b in batches} == {
        (RUN, TENANT, SHARD, "body", WORKER)
    }
    stored = [c for b in deps.results.batches.values() for c in b.cells]
    published = [c.model_dump() for b in batches for c in b.results]
    assert published == stored


async def test_a_finished_shard_reports_done_with_a_cell_per_row(deps):
    # Given a shard of five rows claimed by no one

    # When this worker analyses it as its second attempt
    await analyse_shard(assignment(attempt=2), deps)

    # Then its last progress says done with five cells, and its record says the same
    last = progress(deps)[-1]
    assert (last.done, last.cells, last.offset, last.n, last.failed) == (True, 5, 5, 0, None)
    assert (last.worker, last.column) == (WORKER, "body")
    assert deps.publisher.on(TOPICS.shard_progress)[-1].key == RUN
    shard = await deps.shards.get(SHARD)
    assert (shard.done, shard.offset, shard.cells) == (True, 5, 5)
    assert (shard.worker, shard.attempt) == (WORKER, 2)


async def test_a_finished_shard_says_when_it_began_and_what_it_cost(deps):
    # When this worker analyses a shard of five rows
    before = utc_now()
    await analyse_shard(assignment(), deps)
    # Then every progress says when the shard began here, and the last one its costs
    events = progress(deps)
    assert {event.started_at for event in events} == {events[0].started_at}
    assert before <= events[0].started_at <= utc_now()
    costs = events[-1].costs
    assert costs is not None and costs.rows == 5 and costs.cells <= 5
    assert costs.chars > 0 and set(costs.chain_seconds) == {"stats"}
    assert costs.chain_processes == deps.compute.processes and costs.seconds >= 0
    assert all(event.costs is None for event in events[:-1])
    # And the worker's throughput counts the cells it analysed
    assert deps.throughput.cells_per_s(time.monotonic()) == costs.cells / 10.0


async def test_checkpoints_and_progress_follow_the_stored_batches(deps, monkeypatch):
    # Given a worker that checkpoints and reports after every batch
    monkeypatch.setattr(handlers, "CHECKPOINT_SECONDS", 0)
    monkeypatch.setattr(handlers, "PROGRESS_SECONDS", 0)

    # When it analyses a shard of three batches
    await analyse_shard(assignment(), deps)

    # Then the checkpoint moves past each batch in turn, the last one done
    assert deps.shards.checkpoints == [
        (SHARD, 2, 2, False),
        (SHARD, 4, 4, False),
        (SHARD, 5, 5, True),
    ]
    assert [(p.offset, p.cells, p.done) for p in progress(deps)] == [
        (2, 2, False),
        (4, 4, False),
        (5, 5, True),
    ]


async def test_the_rows_of_a_shard_are_read_once_with_its_siblings_and_closed(deps):
    # Given a shard whose run also analyses the title column

    # When it is analysed
    await analyse_shard(assignment(), deps)

    # Then its rows were opened once from its start and closed after the last batch
    assert deps.rows.opened == [{"column": "body", "start": 0, "end": 5, "offset": 0}]
    assert all(rows.closed for rows in deps.rows.handed)


async def test_a_shard_resumes_from_its_checkpoint_writing_only_the_rest(deps):
    # Given a shard whose first batch was stored and checkpointed by a worker that died
    deps.shards.set(SHARD, offset=2, cells=2, worker="worker-gone", updated_at=LONG_AGO)

    # When it is assigned again
    await analyse_shard(assignment(attempt=2), deps)

    # Then the rows are read from the checkpoint, and only the rest is stored and published
    assert deps.rows.opened[0]["offset"] == 2
    assert deps.shards.resumed_from == {SHARD: 2}
    assert list(deps.results.batches) == [batch_id(2), batch_id(4)]
    published = deps.publisher.result_batches(TOPICS.results)
    assert [[cell.record for cell in b.results] for b in published] == [[2, 3], [4]]
    last = progress(deps)[-1]
    assert (last.done, last.cells) == (True, 5)


async def test_a_shard_redone_from_its_start_rewrites_nothing_and_publishes_again(deps):
    # Given a shard analysed whole once, whose checkpoint then read as its start again
    await analyse_shard(assignment(), deps)
    stored = dict(deps.results.batches)
    deps.shards.set(SHARD, offset=0, cells=0, done=False, updated_at=LONG_AGO)

    # When it is analysed again
    await analyse_shard(assignment(), deps)

    # Then every rewrite is refused and the stored batches are as they were, but the
    # batches go out again for consumers that may have missed them (they dedupe)
    assert deps.results.refused == [batch_id(0), batch_id(2), batch_id(4)]
    assert deps.results.batches == stored
    assert len(deps.publisher.on(TOPICS.results)) == 6
    assert progress(deps)[-1].done


async def test_a_done_shard_only_reports_done_again(deps):
    # Given a shard already done
    deps.shards.set(SHARD, done=True, offset=5, cells=5, worker="worker-2", updated_at=utc_now())

    # When it is assigned again
    await analyse_shard(assignment(), deps)

    # Then the worker tells the coordinator it is done, and does nothing else
    [sent] = deps.publisher.sent
    assert sent.topic == TOPICS.shard_progress
    assert (sent.message.done, sent.message.cells, sent.message.offset) == (True, 5, 5)
    assert deps.rows.opened == [] and deps.results.batches == {}
    assert (await deps.shards.get(SHARD)).worker == "worker-2"


async def test_a_shard_another_worker_holds_is_left_to_it(deps):
    # Given a shard another worker claimed a moment ago
    await deps.shards.claim(SHARD, "worker-2", 1, 0)

    # When this worker is handed it too (a rebalance)
    await analyse_shard(assignment(), deps)

    # Then it leaves it: nothing read, stored or published, and the claim stays the other's
    assert deps.rows.opened == [] and deps.results.batches == {}
    assert deps.publisher.sent == []
    assert (await deps.shards.get(SHARD)).worker == "worker-2"


async def test_a_shard_another_worker_left_untouched_long_enough_is_taken_over(deps):
    # Given a shard another worker claimed, then did not touch for longer than it holds one
    deps.shards.set(SHARD, worker="worker-2", updated_at=utc_now() - timedelta(minutes=5))

    # When this worker is handed it
    await analyse_shard(assignment(attempt=2), deps)

    # Then it claims and analyses it
    shard = await deps.shards.get(SHARD)
    assert (shard.worker, shard.done) == (WORKER, True)
    assert deps.results.records() == [0, 1, 2, 3, 4]


async def test_a_shard_of_a_run_cancelled_before_it_starts_writes_nothing(deps):
    # Given a run whose cancel fence is closed
    deps.fence.cancel(RUN)

    # When one of its shards is handed out
    await analyse_shard(assignment(), deps)

    # Then it is neither claimed nor read, and nothing is stored or published
    assert (await deps.shards.get(SHARD)).worker is None
    assert deps.rows.opened == [] and deps.results.batches == {}
    assert deps.publisher.sent == []


async def test_a_cancel_mid_shard_stops_the_writes_and_reports_the_cells_stored(deps):
    # Given a run whose cancel lands once the shard's first batch is stored
    deps.fence.cancel_after(RUN, 1)

    # When the shard is analysed
    await analyse_shard(assignment(), deps)

    # Then nothing is written after the cancel, and no writer is left in the fence
    assert list(deps.results.batches) == [batch_id(0)]
    assert deps.fence.writers[RUN] == 0
    published = deps.publisher.result_batches(TOPICS.results)
    assert [[cell.record for cell in b.results] for b in published] == [[0, 1]]
    # ...and its last progress counts the two cells stored, the shard not done
    last = progress(deps)[-1]
    assert (last.cells, last.offset, last.done, last.failed) == (2, 2, False, None)
    assert not (await deps.shards.get(SHARD)).done
    assert all(rows.closed for rows in deps.rows.handed)


async def test_a_shard_whose_rows_cannot_be_read_reports_that_it_failed(deps):
    # Given a shard of a file whose rows the worker cannot find
    command = assignment(file_id="file-gone")

    # When it is analysed
    await analyse_shard(command, deps)

    # Then it reports a failure saying why, and stores nothing
    [failed] = progress(deps)
    assert failed.failed.startswith("LookupError: ") and "file-gone" in failed.failed
    assert (failed.done, failed.cells) == (False, 0)
    assert deps.results.batches == {}


async def test_a_shard_with_an_unknown_chain_reports_that_it_failed_before_reading(deps):
    # Given a shard asking for a chain this worker does not have
    command = assignment(chains=["stats", "telepathy"])

    # When it is analysed
    await analyse_shard(command, deps)

    # Then it fails naming the chain, without reading a row
    [failed] = progress(deps)
    assert failed.failed.startswith("UnknownChain: ") and "telepathy" in failed.failed
    assert deps.rows.opened == [] and deps.results.batches == {}


async def test_a_shard_missing_from_the_store_is_skipped(deps):
    # Given an assignment of a shard that is not stored (its run was deleted)
    command = assignment(shard_id=shard_id(RUN, 9), n=9)

    # When it is handled, Then nothing is read or published
    await analyse_shard(command, deps)
    assert deps.rows.opened == [] and deps.publisher.sent == []


class Stuck:
    """Chains that never finish a batch: a worker told to stop meanwhile."""

    depth, processes = 2, 0

    async def cells(
        self, chains: list[str], records: list[int], texts: list, column_language=None
    ) -> tuple:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def analyse(self, chains: list[str], texts: list) -> tuple:
        raise AssertionError("no quick analysis here")


async def test_a_worker_stopped_mid_shard_releases_it_for_the_next_one(deps):
    # Given a worker whose chains are stuck on the shard's first batch
    deps = dataclasses.replace(deps, compute=Stuck())
    task = asyncio.create_task(analyse_shard(assignment(), deps))
    for _ in range(100):
        await asyncio.sleep(0.01)
        if deps.rows.opened and (await deps.shards.get(SHARD)).worker == WORKER:
            break

    # When it is stopped (a drain past its grace)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    # Then the shard reads as untouched since long ago: the next worker takes it at once
    shard = await deps.shards.get(SHARD)
    assert shard.updated_at == LONG_AGO
    assert not held_elsewhere(shard, "worker-2", utc_now())
    assert deps.results.batches == {} and all(rows.closed for rows in deps.rows.handed)


# ---- quick analyses -------------------------------------------------------------------------


async def test_a_quick_analysis_replies_one_result_per_text_in_order(deps):
    # Given three texts, the second blank
    command = AnalyzeTexts(
        correlation_id="corr-1",
        reply_to="textmill.replies.gateway-1",
        texts=["Hello there.", "  ", "Two sentences. Here they are!"],
        chains=["stats"],
    )

    # When they are analysed
    await analyse_texts(command, deps)

    # Then one reply goes to the requester's topic with its correlation id
    [sent] = deps.publisher.sent
    assert (sent.method, sent.topic, sent.correlation_id) == (
        "reply",
        "textmill.replies.gateway-1",
        "corr-1",
    )
    answer: TextsAnalyzed = sent.message
    assert answer.correlation_id == "corr-1"
    # ...with a result per text, numbered in the order asked
    assert [(r.record, r.status) for r in answer.results] == [
        (0, "ok"),
        (1, "skipped"),
        (2, "ok"),
    ]
    assert answer.results[0].chains["stats"]["chars"] == len("Hello there.")
    assert answer.results[2].chains["stats"]["sentences"] == 2
    # ...and the layout whose pace the chains' seconds were measured at
    assert answer.chain_processes == deps.compute.processes


async def test_a_quick_analysis_with_an_unknown_chain_is_unprocessable(deps):
    # Given texts asked of a chain that does not exist
    command = AnalyzeTexts(
        correlation_id="corr-2", reply_to="textmill.replies.gateway-1", texts=["hi"], chains=["x"]
    )

    # When handled, Then it is refused as unprocessable, and no reply goes out
    with pytest.raises(Unprocessable, match="unknown chain"):
        await analyse_texts(command, deps)
    assert deps.publisher.sent == []
