"""A tenant's stored files against the real store (the gateway's `FileStore`): listed
newest first, each tenant its own, no longer listed once deleted; the migration that drops
the per-tenant lists of an earlier build."""

import asyncio

import pytest

from textmill_gateway.adapters.files import FileStore
from textmill_infra.migrations import migrate


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("id,review\n1,good\n2,bad\n")
    return path


async def upload(store: FileStore, path, tenant: str, name: str) -> str:
    stored = await store.save(path, filename=name, metadata={"tenant": tenant, "header": []})
    return stored.id


async def test_files_are_listed_newest_first_per_tenant_up_to_the_limit(scratch_db, csv_file):
    # Given a migrated store and files uploaded by two tenants, interleaved
    await migrate(scratch_db)
    store = FileStore(scratch_db)
    made = {"acme": [], "bob": []}
    for n in range(5):
        for tenant in made:
            made[tenant].append(await upload(store, csv_file, tenant, f"{tenant}-{n}.csv"))
    # When each tenant's files are listed, all of them and then the newest three
    acme, bob = await store.list("acme"), await store.list("bob")
    newest = await store.list("acme", limit=3)
    # Then each sees its own, newest first, with their metadata
    assert [f.id for f in acme] == made["acme"][::-1]
    assert [f.id for f in bob] == made["bob"][::-1]
    assert [f.id for f in newest] == made["acme"][::-1][:3]
    assert acme[0].filename == "acme-4.csv" and acme[0].size == csv_file.stat().st_size
    # And a tenant without files has none
    assert await store.list("nobody") == []


async def test_a_deleted_file_is_no_longer_listed(scratch_db, csv_file):
    # Given three files of one tenant
    await migrate(scratch_db)
    store = FileStore(scratch_db)
    ids = [await upload(store, csv_file, "acme", f"{n}.csv") for n in range(3)]
    # When the middle one is deleted
    await store.delete("acme", ids[1])
    # Then the others are listed
    assert [f.id for f in await store.list("acme")] == [ids[2], ids[0]]


async def test_files_uploaded_at_the_same_moment_are_each_listed_once(scratch_db, csv_file):
    # Given twelve files of one tenant uploaded concurrently
    await migrate(scratch_db)
    store = FileStore(scratch_db)
    ids = await asyncio.gather(*(upload(store, csv_file, "acme", f"{n}.csv") for n in range(12)))
    # When the tenant's files are listed
    listed = [f.id for f in await store.list("acme")]
    # Then every one of them is there, once
    assert sorted(listed) == sorted(ids)


async def test_a_file_deleted_by_its_id_in_capitals_leaves_no_row_index(scratch_db, csv_file):
    # Given a stored file with its row index
    await migrate(scratch_db)
    store = FileStore(scratch_db)
    stored = await store.save(
        csv_file, filename="a.csv", metadata={"tenant": "acme"}, row_index="{}"
    )
    # When its owner deletes it naming its id in capitals (which names the same file)
    deleted = await store.delete("acme", stored.id.upper())
    # Then it is gone with its row index, which a run's export would otherwise still find
    assert deleted.id == stored.id
    assert await scratch_db["row_indexes"].count_documents({}) == 0
    assert await store.list("acme") == []


async def test_the_per_tenant_lists_of_an_earlier_build_are_dropped_by_the_migration(scratch_db):
    # Given a store migrated up to 10 by the build whose migration 10 made a collection per
    # tenant
    for step in range(1, 11):
        await scratch_db.migrations.insert_one({"_id": step, "description": "applied"})
    await scratch_db.create_collection("tenant_files.6f1ed002ab5595859014ebf0951522d9")
    await scratch_db.create_collection("tenant_runs")
    # When the migrations run
    applied = await migrate(scratch_db)
    # Then those collections are gone, and nothing else is
    names = await scratch_db.list_collection_names()
    assert applied[0] == 11
    assert not [n for n in names if n.startswith("tenant_files.")] and "tenant_runs" in names
