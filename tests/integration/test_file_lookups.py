"""Each service looks up a tenant's stored file in a way FerretDB answers from `_id`.

FerretDB 1.24's SQLite backend pushes a filter down to storage only when, once its dotted
keys are set aside, it is `_id` alone; anything else decodes every stored file (~170 ms
a lookup with 2,366 files). Each service's lookups are recorded off the wire here and
explained by the real server, so a filter that would scan fails the test whatever the
data held."""

import pytest
from pymongo import AsyncMongoClient, MongoClient

from tests.integration.conftest import FindFilters
from textmill_gateway.adapters.files import FileStore
from textmill_infra import blobs
from textmill_infra.clients import MONGO_OPTIONS
from textmill_profiler.adapters.files import StoredTables
from textmill_storage import RowIndexes


@pytest.fixture
def finds():
    return FindFilters("fs.files")


@pytest.fixture
def watched_sync_db(settings, scratch_db, finds):
    client = MongoClient(settings.mongo_url, event_listeners=[finds], **MONGO_OPTIONS)
    yield client[scratch_db.name]
    client.close()


@pytest.fixture
async def watched_db(settings, scratch_db, finds):
    client = AsyncMongoClient(settings.mongo_url, event_listeners=[finds], **MONGO_OPTIONS)
    yield client[scratch_db.name]
    await client.close()


@pytest.fixture
async def stored(scratch_db, tmp_path) -> str:
    path = tmp_path / "reviews.csv"
    path.write_text("id,review\n1,good\n2,bad\n")
    doc = await blobs.save_file(
        scratch_db, path, filename="reviews.csv", metadata={"tenant": "acme", "header": []}
    )
    return str(doc["_id"])


async def assert_pushed_down(db, filters: list[dict]) -> None:
    assert filters, "no lookup of fs.files was made"
    for query in filters:
        plan = await db.command("explain", {"find": "fs.files", "filter": query})
        assert plan["filterPushdown"], f"{query} scans every stored file"


async def test_the_profiler_opens_a_file_by_its_id(scratch_db, watched_sync_db, finds, stored):
    # Given a stored file of tenant acme
    files = StoredTables(watched_sync_db)
    # When the profiler opens it for its owner
    source, metadata = files.open("acme", stored)
    # Then it gets the file, and FerretDB was asked by `_id`
    assert metadata["tenant"] == "acme" and source.name == "reviews.csv"
    await assert_pushed_down(scratch_db, finds.filters)


def test_the_profiler_answers_another_tenants_file_as_missing(watched_sync_db, stored):
    # Given a stored file of tenant acme
    # When another tenant's profile asks for it
    # Then it is missing, as an absent file would be
    with pytest.raises(blobs.StoredFileMissing):
        StoredTables(watched_sync_db).open("globex", stored)


async def test_the_coordinator_finds_a_file_to_index_by_its_id(
    scratch_db, watched_sync_db, finds, stored
):
    # Given a stored file of tenant acme, with no row index
    indexes = RowIndexes(watched_sync_db)
    # When a run of another tenant names it, then a run of acme
    with pytest.raises(blobs.StoredFileMissing):
        indexes.get_or_build("globex", stored)
    _, header = indexes.get_or_build("acme", stored)
    # Then only acme's run builds the index, and FerretDB was asked by `_id`
    assert header == ["id", "review"]
    await assert_pushed_down(scratch_db, finds.filters)


async def test_the_gateway_gets_and_deletes_a_file_by_its_id(scratch_db, watched_db, finds, stored):
    # Given a stored file of tenant acme
    files = FileStore(watched_db)
    # When another tenant asks for it, its owner asks for it, then deletes it
    assert await files.get("globex", stored) is None
    assert (await files.get("acme", stored)).filename == "reviews.csv"
    assert (await files.delete("acme", stored)).id == stored
    # Then FerretDB was asked by `_id` every time
    await assert_pushed_down(scratch_db, finds.filters)


async def test_a_reader_opens_a_file_by_its_id_and_refuses_another_tenants(
    scratch_db, watched_sync_db, finds, stored
):
    # Given a stored file of tenant acme
    # When a reader (a worker's shard, an export) opens it for acme, then for another tenant,
    # then by an id that is no id
    source = blobs.open_stored_file(watched_sync_db, "acme", stored)
    with pytest.raises(blobs.StoredFileMissing):
        blobs.open_stored_file(watched_sync_db, "globex", stored)
    with pytest.raises(blobs.StoredFileMissing):
        blobs.open_stored_file(watched_sync_db, "acme", "not-an-id")
    # Then acme gets the file, the others are missing, and FerretDB was asked by `_id`
    assert source.name == "reviews.csv"
    await assert_pushed_down(scratch_db, finds.filters)
