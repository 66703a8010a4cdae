"""The gateway's dependencies, built once by `create_app()` and handed to every route."""

from dataclasses import dataclass
from pathlib import Path

import redis.asyncio as aioredis
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.synchronous.database import Database

from textmill_gateway.adapters.files import FileStore
from textmill_gateway.adapters.keys import ApiKeyStore
from textmill_gateway.adapters.runs import RunStore
from textmill_gateway.adapters.streams import RunStreams
from textmill_gateway.replies import ReplyWaiter
from textmill_infra.runs import RunGate
from textmill_infra.service import ServiceRuntime


@dataclass
class Gateway:
    runtime: ServiceRuntime
    db: AsyncDatabase
    redis: aioredis.Redis
    files: FileStore
    keys: ApiKeyStore
    replies: ReplyWaiter
    upload_dir: Path
    runs: RunStore
    streams: RunStreams
    gate: RunGate
    sync_db: Database  # for the synchronous tabular readers, used from threads (exports)
