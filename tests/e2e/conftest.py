"""End-to-end fixtures: HTTP clients of the running gateway, one per tenant."""

import uuid
from collections.abc import Iterator

import httpx
import pytest

from textmill_infra.settings import Settings

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def gateway_url(local_stack) -> str:
    return f"http://127.0.0.1:{Settings().gateway_port}"


def _client(base: str, key: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=base, headers=headers, timeout=60)


@pytest.fixture(scope="session")
def admin(gateway_url, admin_key) -> Iterator[httpx.Client]:
    with _client(gateway_url, admin_key) as client:
        yield client


def new_tenant_client(
    admin: httpx.Client, role: str = "analyst", tenant: str | None = None
) -> httpx.Client:
    """A client with a new key of `role`, for a new tenant (or `tenant`)."""
    tenant = tenant or f"t-{uuid.uuid4().hex[:10]}"
    created = admin.post("/api/v2/keys", json={"tenant": tenant, "role": role})
    assert created.status_code == 201, created.text
    client = _client(str(admin.base_url), created.json()["key"])
    client.tenant, client.key_id = tenant, created.json()["key_id"]  # type: ignore[attr-defined]
    return client


@pytest.fixture(scope="module")
def client(admin) -> Iterator[httpx.Client]:
    """A tenant of the module's own, for tests that share one run."""
    with new_tenant_client(admin) as client:
        yield client


@pytest.fixture
def alice(admin) -> Iterator[httpx.Client]:
    with new_tenant_client(admin) as client:
        yield client


@pytest.fixture
def bob(admin) -> Iterator[httpx.Client]:
    with new_tenant_client(admin) as client:
        yield client


@pytest.fixture
def anonymous(gateway_url) -> Iterator[httpx.Client]:
    with _client(gateway_url, None) as client:
        yield client


def upload(
    client: httpx.Client, name: str, content: bytes, content_type: str = "text/csv"
) -> httpx.Response:
    return client.post("/api/v2/files", files={"file": (name, content, content_type)})


def assert_problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert body["detail"]
    assert body["correlation_id"] == response.headers["x-request-id"]
    return body
