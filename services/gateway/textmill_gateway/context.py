"""The gateway's dependencies, built once by `create_app()` and handed to every route."""

from dataclasses import dataclass
from pathlib import Path

from pymongo.synchronous.database import Database

from textmill_gateway.adapters.files import FileStore
from textmill_gateway.adapters.keys import ApiKeyStore
from textmill_gateway.adapters.metrics import StreamMetrics
from textmill_gateway.adapters.streams import RunStreams
from textmill_infra.messaging import Publisher
from textmill_infra.models import available_models
from textmill_infra.replies import ReplyWaiter
from textmill_infra.service import ServiceRuntime
from textmill_storage import CancelFence, ResultBatches, RunRecords


@dataclass(frozen=True, kw_only=True)
class Gateway:
    runtime: ServiceRuntime
    publisher: Publisher
    files: FileStore
    keys: ApiKeyStore
    replies: ReplyWaiter
    upload_dir: Path
    runs: RunRecords
    results: ResultBatches
    streams: RunStreams
    fence: CancelFence
    sync_db: Database  # for the synchronous tabular readers, used from threads (exports)
    stream_metrics: StreamMetrics
    models_dir: Path | None = None  # `model:<name>` chains: the names found there are accepted

    def models(self) -> list[str]:
        """The models a run may name now (read each time: a model added needs no restart)."""
        return available_models(self.models_dir)
