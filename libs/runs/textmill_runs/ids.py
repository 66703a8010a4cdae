"""The ids of runs and of their shards."""

import uuid


def new_run_id() -> str:
    return uuid.uuid4().hex


def shard_id(run_id: str, n: int) -> str:
    """The id of the run's shard n: also its stored document's `_id`."""
    return f"{run_id}:{n:05d}"


def shard_number(run_id: str, shard: str) -> int | None:
    """n of `shard` when it is `shard_id(run_id, n)`; None for any other text. For messages
    of schema versions that do not carry the number (`ShardProgress` 1.0)."""
    prefix, _, n = shard.rpartition(":")
    return int(n) if prefix == run_id and n.isascii() and n.isdigit() else None
