"""The stored form of what a run is (`textmill_runs`): runs, shards, result batches and row
indexes in MongoDB, the cancel fence and the shards' paces in Redis, and files' profiles
(written by the profiler, their column languages read by workers) with their cache in Redis
(filled by the profiler, its hits answered by the gateway). Shared by the services, which
never import each other; every read gives back the typed objects of `textmill_runs`."""

from textmill_storage.cancel_fence import CancelFence
from textmill_storage.profile_cache import CacheStats, ProfileCache
from textmill_storage.profiles import ProfileStore
from textmill_storage.result_batches import ResultBatches
from textmill_storage.row_indexes import RowIndexes
from textmill_storage.run_records import RunRecords
from textmill_storage.run_statuses import RunStatuses
from textmill_storage.run_views import RunViews
from textmill_storage.shard_paces import ShardPaces
from textmill_storage.shard_records import ShardRecords
from textmill_storage.shard_releases import Release, ShardReleases
from textmill_storage.tenant_runs import TenantRuns

__all__ = [
    "CacheStats",
    "CancelFence",
    "ProfileCache",
    "ProfileStore",
    "Release",
    "ResultBatches",
    "RowIndexes",
    "RunRecords",
    "RunStatuses",
    "RunViews",
    "ShardPaces",
    "ShardRecords",
    "ShardReleases",
    "TenantRuns",
]
