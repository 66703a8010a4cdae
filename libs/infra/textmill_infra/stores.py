"""MongoDB (through PyMongo's async API) and Redis clients, and the versioned index migrations.

Only features that FerretDB and MongoDB share are used: no multi-document
transactions, no change streams. Idempotency comes from unique indexes and upserts.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import redis.asyncio as aioredis
from pymongo import ASCENDING, AsyncMongoClient, MongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import CollectionInvalid, DuplicateKeyError, OperationFailure

from textmill_infra.settings import Settings

T, R = TypeVar("T"), TypeVar("R")


async def in_windows(items: Sequence[T], call: Callable[[T], Awaitable[R]], window: int) -> list[R]:
    """`call(item)` for every item, `window` of them in flight at once; results in order.
    FerretDB's SQLite backend pushes only `_id` filters down, so one `_id` operation per
    document, several at a time, is how to read or delete many documents without a scan."""
    results: list[R] = []
    for start in range(0, len(items), window):
        results += await asyncio.gather(*(call(item) for item in items[start : start + window]))
    return results


async def find_by_ids(collection: AsyncCollection, ids: Sequence, window: int) -> list[dict | None]:
    """The document of each `_id` (None where there is none), in order, `window` lookups in
    flight at once."""
    return await in_windows(ids, lambda i: collection.find_one({"_id": i}), window)


log = logging.getLogger(__name__)
NAMESPACE_EXISTS = 48

# Each step runs once per database, in order; `migrations` records what ran. A step
# must itself be idempotent, because two services may start at the same moment. A step
# creates indexes, may drop documents of an outdated shape (`PURGES`: derived data only),
# and may rewrite documents into a new shape without losing any (`REWRITES`).
MIGRATIONS: list[tuple[int, str, list[tuple[str, list[tuple[str, int]], dict]]]] = [
    (
        1,
        "api keys, files, profiles",
        [
            ("api_keys", [("key_hash", ASCENDING)], {"unique": True}),
            ("api_keys", [("tenant", ASCENDING)], {}),
            ("fs.files", [("metadata.tenant", ASCENDING), ("uploadDate", ASCENDING)], {}),
            (
                "profiles",
                [("tenant", ASCENDING), ("file_id", ASCENDING), ("profiler_version", ASCENDING)],
                {"unique": True},
            ),
        ],
    ),
    (
        2,
        "file chunks: GridFS's own index, and the collection exists before any upload",
        [("fs.chunks", [("files_id", ASCENDING), ("n", ASCENDING)], {"unique": True})],
    ),
    (3, "profiles keyed by _id = tenant:file:version (purges the older layout)", []),
    (
        4,
        "analysis runs: runs, shards, row indexes",
        [
            ("runs", [("tenant", ASCENDING), ("created_at", ASCENDING)], {}),
            ("shards", [("run_id", ASCENDING)], {}),
            ("row_indexes", [("file_id", ASCENDING)], {}),
        ],
    ),
    (5, "run results in aligned batches", [("results", [("run_id", ASCENDING)], {})]),
    (
        6,
        "the registry of runs under way, read by the coordinator's sweep (oldest first)",
        [("active_runs", [("since", ASCENDING)], {})],
    ),
    (7, "api keys keyed by _id = their hash (FerretDB scanned for key_hash)", []),
    (8, "the claims of runs' final statuses, read by _id only (no index of their own)", []),
    (9, "each tenant's runs in order, read by _id: tenant_runs and run_counters", []),
    (10, "each tenant's files in a collection of its own (undone by 11)", []),
    (11, "no collection per tenant: the tenant_files.<digest> of migration 10 dropped", []),
]
PURGES: dict[int, list[tuple[str, dict]]] = {
    3: [("profiles", {"_id": {"$type": "objectId"}})],
}


async def _api_keys_by_hash(db: AsyncDatabase) -> None:
    """Each key stored again under `_id` = its hash, then the old document deleted. The
    unique index on `key_hash` goes first (`_id` is unique now), so that both copies may
    exist for a moment: a step cut short, or run by two services at once, loses nothing."""
    if "key_hash_1" in await db.api_keys.index_information():
        try:
            await db.api_keys.drop_index("key_hash_1")
        except OperationFailure:
            if "key_hash_1" in await db.api_keys.index_information():
                raise  # not another service having dropped it first
    async for doc in db.api_keys.find({"_id": {"$type": "objectId"}}):
        try:
            await db.api_keys.insert_one({**doc, "_id": doc["key_hash"]})
        except DuplicateKeyError:
            pass  # copied already
        await db.api_keys.delete_one({"_id": doc["_id"]})


async def _create(db: AsyncDatabase, name: str) -> None:
    """Create collection `name` unless it exists: before its first document, because the
    local stack indexes each table's `_id` lookups when it starts (`deploy/local/stack.py`)."""
    try:
        await db.create_collection(name)
    except CollectionInvalid:
        pass  # there already
    except OperationFailure as exc:
        if exc.code != NAMESPACE_EXISTS:
            raise  # not another service having created it a moment before


async def _run_ends(db: AsyncDatabase) -> None:
    from textmill_infra.runs import RUN_ENDS  # runs.py imports this module

    await _create(db, RUN_ENDS)


async def _tenant_runs(db: AsyncDatabase) -> None:
    """Every run stored so far entered in its tenant's list (`TenantRuns`)."""
    from textmill_infra.runs import RUN_COUNTERS, TENANT_RUNS, TenantRuns

    for name in (TENANT_RUNS, RUN_COUNTERS):
        await _create(db, name)
    await TenantRuns(db).backfill()


async def _no_tenant_collections(db: AsyncDatabase) -> None:
    """Drop the per-tenant file lists that migration 10 of a build of 2026-11-22 made
    (`tenant_files.<digest>`; 10 does nothing now):
    FerretDB's every operation cost ~17 % more CPU with ~1,900 of them. Derived data only:
    the files are in `fs.files`. A store that never had them has nothing to drop."""
    for name in await db.list_collection_names():
        if name.startswith("tenant_files."):
            await db.drop_collection(name)


# Steps that rewrite documents or create collections, run after the version's indexes and
# purges; idempotent.
REWRITES: dict[int, Callable[[AsyncDatabase], Awaitable[None]]] = {
    7: _api_keys_by_hash,
    8: _run_ends,
    9: _tenant_runs,
    11: _no_tenant_collections,
}


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


async def migrate(db: AsyncDatabase) -> list[int]:
    """Apply the migrations this database has not seen; returns their versions."""
    done = {doc["_id"] async for doc in db.migrations.find({}, {"_id": 1})}
    applied = []
    for version, description, indexes in MIGRATIONS:
        if version in done:
            continue
        for collection, keys, options in indexes:
            await db[collection].create_index(keys, **options)
        for collection, query in PURGES.get(version, []):
            await db[collection].delete_many(query)
        if rewrite := REWRITES.get(version):
            await rewrite(db)
        try:
            await db.migrations.insert_one({"_id": version, "description": description})
        except DuplicateKeyError:
            continue  # another service applied it at the same moment: same indexes, done
        applied.append(version)
        log.info("migration applied", extra={"version": version, "description": description})
    return applied


def make_redis(settings: Settings) -> aioredis.Redis:
    return aioredis.from_url(
        settings.redis_url, socket_connect_timeout=5, socket_timeout=5, health_check_interval=30
    )
