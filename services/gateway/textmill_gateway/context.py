"""The gateway's dependencies, built once by `create_app()` and handed to every route."""

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from pymongo.synchronous.database import Database

from textmill_gateway.adapters.audit import AuditLog
from textmill_gateway.adapters.files import FileStore
from textmill_gateway.adapters.keys import ApiKeyStore
from textmill_gateway.adapters.large_runs import LargeRuns
from textmill_gateway.adapters.metrics import StreamMetrics
from textmill_gateway.adapters.rate_limits import RateLimits
from textmill_gateway.adapters.stats import StatsReader
from textmill_gateway.adapters.streams import RunStreams
from textmill_gateway.adapters.tasks import TaskStore
from textmill_gateway.domain.tokens import TokenVerifier
from textmill_infra.messaging import Publisher
from textmill_infra.models import available_models
from textmill_infra.replies import ReplyWaiter
from textmill_infra.service import ServiceRuntime
from textmill_storage import CancelFence, ProfileCache, ResultBatches, RunRecords


@dataclass(frozen=True, kw_only=True)
class Gateway:
    runtime: ServiceRuntime
    publisher: Publisher
    files: FileStore
    keys: ApiKeyStore
    replies: ReplyWaiter
    upload_dir: Path
    runs: RunRecords
    large_runs: LargeRuns  # run status reads of large runs: kept a second
    results: ResultBatches
    streams: RunStreams
    fence: CancelFence
    sync_db: Database  # for the synchronous tabular readers, used from threads (exports)
    stream_metrics: StreamMetrics
    limits: RateLimits
    audit: AuditLog
    tasks: TaskStore
    stats: StatsReader
    profiles: ProfileCache  # its hits are answered here; a miss is the profiler's
    tokens: TokenVerifier | None = None  # None: no JWT configured
    # The v1 text tasks' quick analyses under way, cancelled at shutdown.
    background: set[asyncio.Task] = field(default_factory=set)
    models_dir: Path | None = None  # `model:<name>` chains: the names found there are accepted

    def models(self) -> list[str]:
        """The models a run may name now (read each time: a model added needs no restart)."""
        return available_models(self.models_dir)
