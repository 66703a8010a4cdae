"""Who holds a shard, and when a shard has stalled. Pure: the clock is an argument."""

from datetime import datetime, timedelta

from textmill_runs.model import Shard

# A shard that another worker claimed or checkpointed this recently is in that worker's
# hands: a rebalance hands its uncommitted message to a new member while the holder goes
# on. Shorter than the workers' session timeout (6 s, `textmill_infra.kafka.FAST_FAILOVER`),
# after which a dead member's shards are handed on, so a shard whose worker died is never
# left.
HELD_FOR = timedelta(seconds=5)
# How many stalls a shard of a worker that still heartbeats may go without moving: a
# batch of slow chains over long texts can take many seconds.
LIVE_STALLS = 4


def held_elsewhere(shard: Shard, worker: str, now: datetime) -> bool:
    """Whether another worker is working on `shard` now."""
    touched = shard.updated_at
    return shard.worker not in (None, worker) and touched is not None and now - touched < HELD_FOR


def stalled(shard: Shard, alive: set[str], stall: timedelta, now: datetime) -> bool:
    """Whether the sweep should publish `shard` again: claimed, not done, and not moved for
    `stall` while its worker is gone, or `LIVE_STALLS` times that while it heartbeats. A
    shard published again waits as long again before the next time."""
    if shard.done or shard.worker is None or shard.updated_at is None:
        return False  # never claimed: its message is still on its way
    touched = max(shard.updated_at, shard.republished_at or shard.updated_at)
    return now - touched >= (LIVE_STALLS * stall if shard.worker in alive else stall)


def release_lost(
    shard: Shard, released_at: datetime | None, published: bool, stall: timedelta, now: datetime
) -> bool:
    """Whether the sweep should publish again a shard released to the workers that none has
    claimed: after `stall` when its release was never marked published (the coordinator
    that recorded it stopped before publishing: the two are back to back), and after
    `LIVE_STALLS` times that when it was (its message waits behind a shard or two, so it
    was lost). A shard published again waits the longer time before the next."""
    if shard.done or shard.worker is not None or released_at is None:
        return False
    touched = max(released_at, shard.republished_at or released_at)
    unpublished = not published and shard.republished_at is None
    return now - touched >= (stall if unpublished else LIVE_STALLS * stall)
