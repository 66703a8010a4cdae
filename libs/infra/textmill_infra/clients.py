"""MongoDB (PyMongo's async API, and its sync one for readers in threads) and Redis clients.

Only what FerretDB and MongoDB share is used: no multi-document transactions, no change
streams; idempotency comes from unique `_id`s and upserts. FerretDB's SQLite backend pushes
only `{_id: x}` filters down (docs/ferretdb.md), hence the `_id` helpers here.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import redis.asyncio as aioredis
from pymongo import AsyncMongoClient, MongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from textmill_infra.settings import Settings

T, R = TypeVar("T"), TypeVar("R")

MONGO_OPTIONS = {
    "serverSelectionTimeoutMS": 5_000,
    "connectTimeoutMS": 5_000,
    "tz_aware": True,
    "retryWrites": True,
}


def make_mongo(settings: Settings) -> AsyncMongoClient:
    return AsyncMongoClient(settings.mongo_url, **MONGO_OPTIONS)


def make_sync_mongo(settings: Settings) -> MongoClient:
    """For code that runs in worker threads (file readers are synchronous)."""
    return MongoClient(settings.mongo_url, **MONGO_OPTIONS)


def database(client: AsyncMongoClient, settings: Settings) -> AsyncDatabase:
    return client[settings.mongo_db]


def make_redis(settings: Settings, *, max_connections: int | None = None) -> aioredis.Redis:
    """A Redis client; its pool opens up to `max_connections` (redis-py's 100 if None)."""
    return aioredis.from_url(
        settings.redis_url,
        socket_connect_timeout=5,
        socket_timeout=5,
        health_check_interval=30,
        max_connections=max_connections,
    )


async def in_windows(items: Sequence[T], call: Callable[[T], Awaitable[R]], window: int) -> list[R]:
    """`call(item)` for every item, `window` of them in flight at once; results in order: how
    to read or delete many documents by `_id` without a scan."""
    results: list[R] = []
    for start in range(0, len(items), window):
        results += await asyncio.gather(*(call(item) for item in items[start : start + window]))
    return results


async def find_by_ids(collection: AsyncCollection, ids: Sequence, window: int) -> list[dict | None]:
    """The document of each `_id` (None where there is none), in order, `window` lookups in
    flight at once."""
    return await in_windows(ids, lambda i: collection.find_one({"_id": i}), window)
