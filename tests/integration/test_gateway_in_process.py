"""A gateway built by the same `create_app()`, in this process, against the real servers:
limits and timeouts that the running stack's defaults do not let us reach cheaply."""

import uuid

import pytest
from litestar.testing import AsyncTestClient

from textmill_gateway.app import create_app
from textmill_gateway.errors import status_of
from textmill_infra.replies import ReplyTimeout
from textmill_infra.settings import Settings


@pytest.fixture
async def small_gateway(settings):
    key = f"tm_test_{uuid.uuid4().hex}"
    app = create_app(
        Settings(
            max_upload_bytes=2_000,
            admin_key=key,
            admin_tenant=f"t-{uuid.uuid4().hex[:8]}",
            instance_id=f"test-{uuid.uuid4().hex[:8]}",
            reply_timeout_seconds=1.0,
        )
    )
    async with AsyncTestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {key}"
        yield client, app


async def test_upload_over_the_limit_is_too_large_and_leaves_nothing(small_gateway):
    client, app = small_gateway
    # Given a file just over the configured limit
    content = b"text\n" + b"x" * 2_100 + b"\n"
    # When it is uploaded
    response = await client.post("/api/v2/files", files={"file": ("big.csv", content, "text/csv")})
    # Then the answer is 413 and neither GridFS nor the upload folder keeps anything
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "file_too_large"
    assert (await client.get("/api/v2/files")).json()["items"] == []
    assert list(app.state.gateway.upload_dir.iterdir()) == []


async def test_upload_under_the_limit_is_stored(small_gateway):
    client, _ = small_gateway
    response = await client.post(
        "/api/v2/files", files={"file": ("ok.csv", b"a,b\n1,2\n", "text/csv")}
    )
    assert response.status_code == 201, response.text


async def test_request_without_a_reply_times_out_with_a_clear_error(small_gateway):
    _, app = small_gateway
    waiter = app.state.gateway.replies

    async def publish_nothing(correlation_id: str, reply_to: str) -> None:
        return None

    # When nobody answers within the reply timeout
    with pytest.raises(ReplyTimeout) as raised:
        await waiter.request(publish_nothing, what="profiler")
    # Then the caller gets a 504 that names what did not answer
    assert raised.value.code == "upstream_timeout" and status_of(raised.value.code) == 504
    assert "profiler" in str(raised.value)


async def test_upload_with_more_cells_than_the_limit_is_too_large(settings):
    key = f"tm_test_{uuid.uuid4().hex}"
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    app = create_app(
        Settings(max_cells=10, admin_key=key, admin_tenant=tenant, instance_id=f"test-{tenant}")
    )
    async with AsyncTestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {key}"
        content = b"a,b,c\n" + b"1,2,3\n" * 4
        response = await client.post("/api/v2/files", files={"file": ("c.csv", content)})
        assert response.status_code == 413, response.text
        assert response.json()["code"] == "too_large"
        assert (await client.get("/api/v2/files")).json()["items"] == []
