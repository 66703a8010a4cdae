"""What a run is: ids, status transitions, the shard plan and its sizing, progress with rate
and ETA, the result-batch layout and codec, who holds a shard and when it has stalled.

Pure: plain functions and typed objects (`Run`, `Shard`, `RunProgress`), no I/O library
(a test imports this package in a fresh interpreter and checks).
"""

from textmill_runs.batches import (
    RESULT_BATCH,
    RESULT_CODEC,
    batch_start,
    batch_starts,
    pack_cells,
    result_batch_id,
    result_part_id,
    unpack_cells,
)
from textmill_runs.holding import HELD_FOR, LIVE_STALLS, held_elsewhere, release_lost, stalled
from textmill_runs.ids import new_run_id, shard_id, shard_number
from textmill_runs.model import Run, Shard, ShardState
from textmill_runs.plan import ShardPlan, plan_shards, shard_rows_for
from textmill_runs.progress import RecentRate, RunProgress, blended_eta, fold_progress
from textmill_runs.status import (
    ACTIVE,
    DEFAULT_PRIORITY,
    PRIORITIES,
    UNDER_WAY,
    Priority,
    is_terminal,
    moves_from,
)

__all__ = [
    "ACTIVE",
    "DEFAULT_PRIORITY",
    "HELD_FOR",
    "LIVE_STALLS",
    "PRIORITIES",
    "RESULT_BATCH",
    "RESULT_CODEC",
    "UNDER_WAY",
    "Priority",
    "RecentRate",
    "Run",
    "RunProgress",
    "Shard",
    "ShardPlan",
    "ShardState",
    "batch_start",
    "batch_starts",
    "blended_eta",
    "fold_progress",
    "held_elsewhere",
    "is_terminal",
    "moves_from",
    "new_run_id",
    "pack_cells",
    "plan_shards",
    "release_lost",
    "result_batch_id",
    "result_part_id",
    "shard_id",
    "shard_number",
    "shard_rows_for",
    "stalled",
    "unpack_cells",
]
