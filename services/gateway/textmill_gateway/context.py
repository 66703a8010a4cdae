"""The gateway's dependencies, built once by `create_app()` and handed to every route."""

from dataclasses import dataclass
from pathlib import Path

import redis.asyncio as aioredis
from pymongo.asynchronous.database import AsyncDatabase

from textmill_gateway.adapters.files import FileStore
from textmill_gateway.adapters.keys import ApiKeyStore
from textmill_gateway.replies import ReplyWaiter
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
