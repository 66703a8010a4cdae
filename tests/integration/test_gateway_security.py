"""Gateways built by the same `create_app()`, in this process, against the real Redis, store
and Kafka: rate limits low enough to reach (and shared by replicas), a revoked key refused
by another replica, CORS."""

import asyncio
import uuid
from contextlib import AsyncExitStack

import pytest
from litestar.testing import AsyncTestClient

from textmill_gateway.app import create_app
from textmill_infra.settings import Settings


def settings(**changes) -> Settings:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    return Settings(
        **{
            "admin_key": f"tm_bootstrap_{uuid.uuid4().hex}",
            "admin_tenant": tenant,
            "instance_id": f"test-{uuid.uuid4().hex[:8]}",
            **changes,
        }
    )


@pytest.fixture
async def gateways():
    """Start gateways of given settings; each a client with its bootstrap key."""
    async with AsyncExitStack() as stack:

        async def start(config: Settings) -> AsyncTestClient:
            client = await stack.enter_async_context(AsyncTestClient(create_app(config)))
            client.headers["Authorization"] = f"Bearer {config.admin_key.get_secret_value()}"
            return client

        yield start


async def test_a_spent_quota_is_429_with_retry_after_and_the_ratelimit_headers(gateways):
    # Given a gateway whose keys may read 3 times a minute
    client = await gateways(settings(rate_limit_key_reads="3/minute"))
    # When a key reads 4 times
    answers = [await client.get("/api/v2/files") for _ in range(4)]
    # Then the first 3 pass, saying what is left, and the 4th is refused with when to retry
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["ratelimit-policy"].startswith('"key-reads";q=3;w=60')
    assert answers[2].headers["ratelimit"].startswith('"key-reads";r=0;')
    refused = answers[3]
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["retry_after"] == int(refused.headers["retry-after"])
    # And writes have a budget of their own, untouched by the reads
    made = await client.post("/api/v2/keys", json={"tenant": "someone", "role": "viewer"})
    assert made.status_code == 201, made.text
    assert '"key-writes"' in made.headers["ratelimit"]


async def test_a_tenants_quota_is_shared_by_its_keys_and_by_every_replica(gateways):
    # Given two replicas sharing Redis, a tenant reads 4 times a minute in all
    config = settings(rate_limit_tenant_reads="4/minute")
    first = await gateways(config)
    second = await gateways(config.model_copy(update={"instance_id": "other-replica"}))
    other_key = (
        await first.post("/api/v2/keys", json={"tenant": config.admin_tenant, "role": "viewer"})
    ).json()["key"]
    # When two keys of the tenant read through both replicas
    statuses = [
        (await first.get("/api/v2/files")).status_code,
        (await second.get("/api/v2/files")).status_code,
        (
            await first.get("/api/v2/files", headers={"Authorization": f"Bearer {other_key}"})
        ).status_code,
        (await second.get("/api/v2/files")).status_code,
        (
            await second.get("/api/v2/files", headers={"Authorization": f"Bearer {other_key}"})
        ).status_code,
    ]
    # Then the fifth read of the tenant is refused, wherever it came
    assert statuses == [200, 200, 200, 200, 429]


async def test_a_stream_opened_spends_the_streams_quota(gateways):
    client = await gateways(settings(rate_limit_key_streams="1/minute"))
    first = await client.get("/api/v2/runs/nope/events")
    second = await client.get("/api/v2/runs/nope/events")
    assert (first.status_code, second.status_code) == (404, 429)
    assert '"key-streams";q=1;w=60' in first.headers["ratelimit-policy"]


async def test_a_key_revoked_on_one_replica_is_refused_by_another_within_seconds(gateways):
    config = settings(key_cache_seconds=1.0)
    first = await gateways(config)
    second = await gateways(config.model_copy(update={"instance_id": "other-replica"}))
    made = await first.post("/api/v2/keys", json={"tenant": config.admin_tenant, "role": "viewer"})
    key_headers = {"Authorization": f"Bearer {made.json()['key']}"}
    # Given the key in use on the second replica (and so in its cache)
    assert (await second.get("/api/v2/files", headers=key_headers)).status_code == 200
    # When the first revokes it
    assert (await first.post(f"/api/v2/keys/{made.json()['key_id']}/revoke")).status_code == 200
    # Then the second refuses it within its cache's lifetime
    for _ in range(40):
        if (await second.get("/api/v2/files", headers=key_headers)).status_code == 401:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the other replica still takes the revoked key")


async def test_cors_answers_the_origins_allowed_and_no_other(gateways):
    client = await gateways(settings(cors_origins=["https://app.example"]))
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization",
    }
    allowed = await client.options(
        "/api/v2/files", headers={"Origin": "https://app.example", **preflight}
    )
    assert allowed.status_code in (200, 204)
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "POST" in allowed.headers["access-control-allow-methods"]
    other = await client.options(
        "/api/v2/files", headers={"Origin": "https://evil.example", **preflight}
    )
    assert "access-control-allow-origin" not in other.headers
    simple = await client.get("/api/v2/files", headers={"Origin": "https://app.example"})
    assert simple.headers["access-control-allow-origin"] == "https://app.example"
    assert "ratelimit" in simple.headers["access-control-expose-headers"].lower()


async def test_without_an_allowlist_no_origin_is_answered(gateways):
    client = await gateways(settings())
    response = await client.get("/api/v2/files", headers={"Origin": "https://app.example"})
    assert response.status_code == 200 and "access-control-allow-origin" not in response.headers
