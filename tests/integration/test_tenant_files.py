"""A tenant's files, newest first, against the real store: listed as they are uploaded
(the gateway's `FileStore.save`), unlisted as they are deleted, read from the tenant's own
list, and backfilled by the migration for files stored before lists existed."""

import asyncio

import pytest

from textmill_gateway.adapters.files import FileStore
from textmill_infra import blobs
from textmill_infra.stores import migrate
from textmill_infra.tenant_files import TenantFiles, listing_name


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
    # Then the others are listed, and its entry is gone from the tenant's list
    assert [f.id for f in await store.list("acme")] == [ids[2], ids[0]]
    assert await scratch_db[listing_name("acme")].count_documents({}) == 2


async def test_files_uploaded_at_the_same_moment_are_each_listed_once(scratch_db, csv_file):
    # Given twelve files of one tenant uploaded concurrently
    await migrate(scratch_db)
    store = FileStore(scratch_db)
    ids = await asyncio.gather(*(upload(store, csv_file, "acme", f"{n}.csv") for n in range(12)))
    # When the tenant's files are listed
    listed = [f.id for f in await store.list("acme")]
    # Then every one of them is there, once
    assert sorted(listed) == sorted(ids)


async def test_an_upload_that_cannot_be_listed_fails_and_leaves_no_file(
    scratch_db, csv_file, monkeypatch
):
    # Given a store whose list cannot be written to (the store went away mid-upload)
    await migrate(scratch_db)
    store = FileStore(scratch_db)

    async def refused(self, doc):
        raise ConnectionError("store unreachable")

    monkeypatch.setattr(TenantFiles, "enter", refused)
    # When a file is uploaded, with its row index
    with pytest.raises(ConnectionError):
        await store.save(csv_file, filename="a.csv", metadata={"tenant": "acme"}, row_index="{}")
    # Then nothing of it is left: no file, no chunk, no row index
    for collection in ("fs.files", "fs.chunks", "row_indexes"):
        assert await scratch_db[collection].count_documents({}) == 0, collection


async def test_a_delete_cut_short_leaves_the_file_unlisted_and_deletable(
    scratch_db, csv_file, monkeypatch
):
    # Given a file whose delete stops after it is unlisted (the store went away)
    await migrate(scratch_db)
    store = FileStore(scratch_db)
    file_id = await upload(store, csv_file, "acme", "a.csv")
    deleting = blobs.delete_file

    async def refused(db, doc):
        raise ConnectionError("store unreachable")

    monkeypatch.setattr(blobs, "delete_file", refused)
    with pytest.raises(ConnectionError):
        await store.delete("acme", file_id)
    # When its owner lists files, then deletes it again
    listed = await store.list("acme")
    monkeypatch.setattr(blobs, "delete_file", deleting)
    deleted = await store.delete("acme", file_id)
    # Then it was never listed as there, and the second delete removes it
    assert listed == []
    assert deleted.id == file_id and await store.get("acme", file_id) is None
    assert await scratch_db["fs.chunks"].count_documents({}) == 0


async def test_files_stored_before_the_lists_existed_are_listed_by_the_migration(
    scratch_db, csv_file
):
    # Given files stored by an older release, which listed none
    older = [
        await blobs.save_file(scratch_db, csv_file, filename=f"{n}.csv", metadata={"tenant": t})
        for n, t in enumerate(["acme", "bob", "acme"])
    ]
    await blobs.save_file(scratch_db, csv_file, filename="std.csv", metadata={})  # no tenant
    # When the migrations run, by two services at once
    await asyncio.gather(migrate(scratch_db), migrate(scratch_db))
    # Then each tenant lists its own files, newest first, once
    listed = TenantFiles(scratch_db)
    assert [d["_id"] for d in await listed.newest("acme", 10)] == [
        older[2]["_id"],
        older[0]["_id"],
    ]
    assert [d["_id"] for d in await listed.newest("bob", 10)] == [older[1]["_id"]]


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
