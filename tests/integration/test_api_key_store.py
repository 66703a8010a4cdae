"""The gateway's API key store against the real Mongo-compatible server."""

import pytest

from textmill_gateway.adapters.keys import ApiKeyStore
from textmill_infra.migrations import migrate


@pytest.fixture
async def keys(scratch_db) -> ApiKeyStore:
    await migrate(scratch_db)
    return ApiKeyStore(scratch_db, ttl_seconds=0)


async def test_a_key_is_found_by_its_hash_and_stored_once(keys, scratch_db):
    # Given a key registered twice (the bootstrap key, at each gateway start)
    for _ in range(2):
        await keys.add(key_id="k1", key_hash="h1", tenant="acme", role="admin")
    # When it is looked up
    principal = await keys.find("h1")
    # Then it is one document under its hash, and gives its tenant and role
    assert principal is not None and (principal.key_id, principal.tenant, principal.role) == (
        "k1",
        "acme",
        "admin",
    )
    assert await scratch_db.api_keys.count_documents({}) == 1
    assert (await scratch_db.api_keys.find_one({}))["_id"] == "h1"


async def test_unknown_and_revoked_keys_are_not_found(keys, scratch_db):
    # Given a revoked key
    await keys.add(key_id="k2", key_hash="h2", tenant="acme", role="user")
    await scratch_db.api_keys.update_one({"_id": "h2"}, {"$set": {"revoked": True}})
    # Then neither it nor a hash never registered finds a principal
    assert await keys.find("h2") is None
    assert await keys.find("never-registered") is None
