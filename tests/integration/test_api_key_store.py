"""The gateway's API key store against the real Mongo-compatible server."""

import asyncio

import pytest

from textmill_contracts.envelope import utc_now
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
    principal = (await keys.find("h1")).principal
    # Then it is one document under its hash, and gives its tenant and role
    assert principal is not None and (principal.key_id, principal.tenant, principal.role) == (
        "k1",
        "acme",
        "admin",
    )
    assert await scratch_db.api_keys.count_documents({}) == 1
    assert (await scratch_db.api_keys.find_one({}))["_id"] == "h1"


async def test_a_revoked_key_is_found_unusable_and_an_unknown_one_not_at_all(keys, scratch_db):
    # Given a key revoked by an older release (a flag, no time) and one revoked now
    await keys.add(key_id="k2", key_hash="h2", tenant="acme", role="viewer")
    await scratch_db.api_keys.update_one({"_id": "h2"}, {"$set": {"revoked": True}})
    await keys.add(key_id="k3", key_hash="h3", tenant="acme", role="viewer")
    await keys.revoke(await keys.find("h3"))
    # Then each is found (its tenant goes in the audit log) but is not usable
    for key_hash in ("h2", "h3"):
        found = await keys.find(key_hash)
        assert found.tenant == "acme" and found.revoked_at is not None
        assert not found.usable(utc_now())
    # And a hash never registered finds nothing
    assert await keys.find("never-registered") is None


async def test_a_key_used_records_when_and_lists_without_its_hash(keys):
    await keys.add(key_id="k4", key_hash="h4", tenant="globex", role="analyst")
    used = await keys.find("h4")
    listed = await keys.page("globex", 10, None)
    assert [k.key_id for k in listed] == ["k4"]
    # (stored to the millisecond)
    assert abs((listed[0].last_used_at - used.last_used_at).total_seconds()) < 0.001
    view = listed[0].as_view()
    assert "h4" not in str(view) and view["active"] is True


async def test_requests_that_miss_the_cache_together_share_one_lookup(scratch_db):
    # Given a key, and a store that counts the commands it sends
    await migrate(scratch_db)
    keys = ApiKeyStore(scratch_db, ttl_seconds=5)
    await keys.add(key_id="k5", key_hash="h5", tenant="acme", role="analyst")
    sent: list[str] = []
    real = keys._keys

    class Counted:
        def __getattr__(self, name):
            sent.append(name)
            return getattr(real, name)

    keys._keys = Counted()
    # When 20 requests present it at the same moment, none cached yet
    found = await asyncio.gather(*(keys.find("h5") for _ in range(20)))
    # Then every request has the key, from one read of the store and one write of its use
    assert {key.key_id for key in found} == {"k5"}
    assert sent == ["find_one", "update_one"]
