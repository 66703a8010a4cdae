"""Whether a shard is in another worker's hands (pure: the clock is an argument)."""

from datetime import datetime, timedelta

# A shard that another worker claimed or checkpointed this recently is in that worker's
# hands: a rebalance (a worker joining or leaving the group) hands its uncommitted message
# to a new member while the holder goes on. Shorter than Kafka's session timeout (10 s),
# after which a dead member's shards are handed on, so a shard whose worker died is never
# left. One left to a holder that then fails or stops is re-published by the
# coordinator's sweep once it has not moved for a while (`reassign_stalled`).
HELD_FOR = timedelta(seconds=5)


def held_elsewhere(shard: dict, worker: str, now: datetime) -> bool:
    """Whether another worker is working on `shard` (its stored document) now."""
    holder, touched = shard.get("worker"), shard.get("updated_at")
    return holder not in (None, worker) and touched is not None and now - touched < HELD_FOR
