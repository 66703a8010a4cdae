"""Index migrations against the real Mongo-compatible server."""

import asyncio

import pytest
from pymongo.errors import DuplicateKeyError

from textmill_infra.migrations import MIGRATIONS, migrate
from textmill_storage.collections import RUN_ENDS


async def test_migrations_apply_once_and_then_do_nothing(scratch_db):
    # Given a fresh database
    # When migrations run twice
    first = await migrate(scratch_db)
    second = await migrate(scratch_db)
    # Then every step ran the first time, none the second
    assert first == [version for version, _, _ in MIGRATIONS]
    assert second == []


async def test_concurrent_migrations_do_not_fail(scratch_db):
    # Given several services starting at the same moment
    results = await asyncio.gather(*(migrate(scratch_db) for _ in range(4)))
    # Then each step is recorded once and nobody failed
    assert sorted(v for result in results for v in result) == [v for v, _, _ in MIGRATIONS]
    assert await scratch_db.migrations.count_documents({}) == len(MIGRATIONS)


async def test_the_run_ends_collection_exists_before_any_run_ends(scratch_db):
    # Given a fresh database
    # When migrations run, twice
    await migrate(scratch_db)
    await scratch_db.migrations.delete_one({"_id": 8})
    await migrate(scratch_db)
    # Then the collection of run ends exists (the local stack indexes every collection's
    # `_id` lookups when it starts, so it must be there before the first claim)
    assert RUN_ENDS in await scratch_db.list_collection_names()


async def test_api_key_hashes_are_unique(scratch_db):
    # Given the migrated database and a stored key, under its hash
    await migrate(scratch_db)
    await scratch_db.api_keys.insert_one({"_id": "abc", "key_hash": "abc", "tenant": "t"})
    # When the same hash is inserted again
    # Then the store refuses it
    with pytest.raises(DuplicateKeyError):
        await scratch_db.api_keys.insert_one({"_id": "abc", "key_hash": "abc", "tenant": "u"})


OLD_KEYS = [
    {"key_hash": "h1", "key_id": "k1", "tenant": "t", "role": "admin"},
    {"key_hash": "h2", "key_id": "k2", "tenant": "u", "role": "user", "revoked": True},
]


async def migrate_up_to(db, version: int) -> None:
    """Apply the steps before `version` only, as a database made by an older release."""
    for step, description, indexes in MIGRATIONS:
        if step >= version:
            break
        for collection, keys, options in indexes:
            await db[collection].create_index(keys, **options)
        await db.migrations.insert_one({"_id": step, "description": description})


async def test_keys_stored_by_an_older_release_move_under_their_hash(scratch_db):
    # Given keys stored by a release that kept them under an ObjectId
    await migrate_up_to(scratch_db, 7)
    await scratch_db.api_keys.insert_many([dict(key) for key in OLD_KEYS])
    # ... one of them already copied by a step cut short (which dropped the index first)
    await scratch_db.api_keys.drop_index("key_hash_1")
    await scratch_db.api_keys.insert_one({**OLD_KEYS[0], "_id": "h1"})
    # When the migrations run, by two services at once
    await asyncio.gather(migrate(scratch_db), migrate(scratch_db))
    # Then each key is one document under its hash, every field kept, revoked ones too
    stored = await scratch_db.api_keys.find({}).sort("_id").to_list()
    assert stored == [{**key, "_id": key["key_hash"]} for key in OLD_KEYS]
    assert "key_hash_1" not in await scratch_db.api_keys.index_information()


@pytest.mark.parametrize("collection", ["fs.chunks", "fs.files", "profiles", "api_keys"])
async def test_id_lookups_use_an_index_on_the_local_stack(mongo, settings, collection):
    # Given the stack's database, prepared by `stack.py up`
    db = mongo[settings.mongo_db]
    # When the server explains an `_id` lookup
    plan = await db.command("explain", {"find": collection, "filter": {"_id": "x:00000000"}})
    # Then it is an index search, not a scan of the table (FerretDB's SQLite plan is text;
    # MongoDB's is an IDHACK/IXSCAN stage)
    text = str(plan["queryPlanner"])
    assert "USING INDEX" in text or "IDHACK" in text or "IXSCAN" in text, text
