"""The versioned, idempotent migrations of the database: indexes, and the few rewrites of
stored documents.

Each step runs once per database, in order; `migrations` records what ran. A step must
itself be idempotent, because two services may start at the same moment. A step creates
indexes, may drop documents of an outdated shape (`PURGES`: derived data only), and may
rewrite documents into a new shape without losing any (`REWRITES`). Steps are history:
they name collections as stored and import none of today's code, which may change after
them.
"""

import logging
from collections.abc import Awaitable, Callable

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import CollectionInvalid, DuplicateKeyError, OperationFailure

log = logging.getLogger(__name__)
NAMESPACE_EXISTS = 48

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
    (12, "the estimator's cost model and the history of completed shards, read by _id", []),
    (13, "each run's estimate at acceptance in a document of its own: run_estimates", []),
    (14, "the audit log, its counters and the v1 API's tasks, read by _id", []),
    (15, "the release of each shard to the workers, inserted once, read by _id", []),
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


async def create_collection(db: AsyncDatabase, name: str) -> None:
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
    await create_collection(db, "run_ends")


async def _tenant_runs(db: AsyncDatabase) -> None:
    """Every run stored so far entered in its tenant's list (`tenant_runs`, `<tenant>:<n>`
    in the order the runs were made, and `run_counters`). A scan of `runs`, once;
    deterministic, so services that run it at the same moment write the same entries."""
    for name in ("tenant_runs", "run_counters"):
        await create_collection(db, name)
    made: dict[str, list[tuple]] = {}
    async for run in db.runs.find({}, {"tenant": 1, "created_at": 1}):
        made.setdefault(run.get("tenant", ""), []).append((run.get("created_at"), run["_id"]))
    for tenant, runs in made.items():
        runs.sort(key=lambda r: (r[0] is not None, r[0] or 0, r[1]))
        for n, (_, run_id) in enumerate(runs, 1):
            try:
                await db.tenant_runs.insert_one({"_id": f"{tenant}:{n:012d}", "run_id": run_id})
            except DuplicateKeyError:
                pass  # entered by another service's step
        await _raise_counter(db, tenant, len(runs))


async def _raise_counter(db: AsyncDatabase, tenant: str, n: int) -> None:
    """`run_counters[tenant].n` at least `n`. Two upserts of one new `_id` at the same moment
    can both insert, and the second fails on the unique `_id`: the document is there then,
    so the step is done again as a plain update."""
    counter, raised = {"_id": tenant}, {"$max": {"n": n}}
    try:
        await db.run_counters.update_one(counter, raised, upsert=True)
    except DuplicateKeyError:
        await db.run_counters.update_one(counter, raised)


async def _no_tenant_collections(db: AsyncDatabase) -> None:
    """Drop the per-tenant file lists (`tenant_files.<digest>`) that a build's migration 10
    made (10 does nothing now): every FerretDB operation cost more with ~1,900 of them.
    Derived data only: the files are in `fs.files`."""
    for name in await db.list_collection_names():
        if name.startswith("tenant_files."):
            await db.drop_collection(name)


async def _estimator(db: AsyncDatabase) -> None:
    for name in ("estimator_models", "shard_costs"):
        await create_collection(db, name)


async def _run_estimates(db: AsyncDatabase) -> None:
    await create_collection(db, "run_estimates")


async def _audit_and_tasks(db: AsyncDatabase) -> None:
    for name in ("audit_log", "audit_counters", "tasks"):
        await create_collection(db, name)


async def _shard_releases(db: AsyncDatabase) -> None:
    await create_collection(db, "shard_releases")


# Steps that rewrite documents or create collections, run after the version's indexes and
# purges; idempotent.
REWRITES: dict[int, Callable[[AsyncDatabase], Awaitable[None]]] = {
    7: _api_keys_by_hash,
    8: _run_ends,
    9: _tenant_runs,
    11: _no_tenant_collections,
    12: _estimator,
    13: _run_estimates,
    14: _audit_and_tasks,
    15: _shard_releases,
}


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
