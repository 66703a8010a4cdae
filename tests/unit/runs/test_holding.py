"""Whether a shard is in another worker's hands: a rebalance hands a shard's message to a
new member while its holder goes on, and the new member should leave it, unless the holder
has gone quiet long enough to be dead (Kafka hands a dead member's shards on after its
session timeout, 10 s)."""

from datetime import UTC, datetime, timedelta

import pytest

from textmill_runs import HELD_FOR, Shard, held_elsewhere
from textmill_worker.app import SHARDS

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)


def shard(worker: str | None, touched_ago: timedelta | None) -> Shard:
    return Shard(
        id="run:00001",
        run_id="run",
        n=1,
        column="review",
        start=0,
        end=3_000,
        chains=["sentiment"],
        offset=0,
        worker=worker,
        updated_at=NOW - touched_ago if touched_ago is not None else None,
    )


@pytest.mark.parametrize(
    ("doc", "held"),
    [
        (shard("worker-b", timedelta(seconds=1)), True),  # b is checkpointing it
        (shard("worker-b", HELD_FOR - timedelta(milliseconds=1)), True),
        (shard("worker-b", HELD_FOR), False),  # quiet for too long: taken over
        (shard("worker-b", timedelta(seconds=30)), False),  # re-published by the sweep
        (shard("worker-a", timedelta(seconds=1)), False),  # ours (a fixed instance id): resumed
        (shard(None, timedelta(seconds=1)), False),  # released by a stopped worker
        (shard(None, None), False),  # never claimed
        (shard("worker-b", None), False),  # claimed by a worker of before `updated_at`
    ],
)
def test_a_shard_is_left_only_to_another_worker_that_touched_it_lately(doc, held) -> None:
    assert held_elsewhere(doc, "worker-a", NOW) is held


def test_the_hold_is_shorter_than_the_workers_session_timeout() -> None:
    """A member that died is dropped from the group after its session timeout (the workers'
    subscription's, `FAST_FAILOVER`), and only then is its shard handed on: by then the
    shard has been quiet for longer than the hold."""
    assert HELD_FOR < timedelta(milliseconds=SHARDS.kwargs()["session_timeout_ms"])
