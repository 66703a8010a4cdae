"""The OWASP API Security Top 10 as tests, over every route the gateway serves: object-level
authorization (another tenant's id is 404 on every id-bearing route), authentication (no,
invalid, expired or revoked credentials are 401), function-level authorization (a role too
low is 403), resource consumption (413, 429: see also test_gateway_in_process), and mass
assignment (an unknown body field is 400)."""

import re
import shutil
import time

import httpx
import pytest
from websockets.sync.client import connect

from tests.e2e.conftest import assert_problem, new_tenant_client, upload
from tests.e2e.data import reviews_csv
from tests.e2e.runs import wait_for, ws_url
from tests.e2e.tokens import claims, signed
from textmill_gateway.app import create_app
from textmill_infra.settings import Settings

ANY_ID = "0123456789abcdef01234567"


def _routes() -> list[tuple[str, str, str]]:
    """(method, path, role) of every route behind the principal gate, read off the app."""
    app = create_app(Settings())
    shutil.rmtree(app.state.gateway.upload_dir, ignore_errors=True)
    found = []
    for path, methods in app.route_handler_method_map.items():
        for method, handler in methods.items():
            if method != "OPTIONS" and "principal" in handler.resolve_dependencies():
                found.append(
                    (method, re.sub(r":\w+\}", "}", path), handler.opt.get("role", "viewer"))
                )
    return sorted(found)


ROUTES = _routes()
BODIES = {
    "/api/v2/analyze": {"file_id": ANY_ID, "columns": ["body"]},
    "/api/v2/estimate": {"file_id": ANY_ID, "columns": ["body"]},
    "/api/v2/profile": {"file_id": ANY_ID},
    "/api/v2/analyze/text": {"texts": ["fine"]},
    "/api/v2/keys": {"tenant": "x", "role": "viewer"},
    "/api/v1/tasks/text": {"text": "fine"},
}


def call(client: httpx.Client, method: str, path: str, **ids: str) -> httpx.Response:
    url = re.sub(r"\{(\w+)\}", lambda m: ids.get(m[1], ANY_ID), path)
    body = BODIES.get(path)
    if path in ("/api/v2/files", "/api/v1/tasks/file") and method == "POST":
        return client.post(url, files={"file": ("r.csv", reviews_csv(3), "text/csv")})
    return client.request(method, url, json=body if method == "POST" else None)


def test_the_inventory_holds_every_route():
    paths = {path for _, path, _ in ROUTES}
    assert {
        "/api/v2/files/{file_id}",
        "/api/v2/keys/{key_id}/revoke",
        "/api/v1/tasks/{task_id}",
    } <= paths
    assert len(ROUTES) >= 24


# -- API2: broken authentication ------------------------------------------------------------


@pytest.fixture(scope="module")
def revoked_key(admin) -> str:
    with new_tenant_client(admin, role="admin") as owner:
        with new_tenant_client(admin, role="admin", tenant=owner.tenant) as victim:
            key = victim.headers["authorization"].split(" ", 1)[1]
            assert owner.post(f"/api/v2/keys/{victim.key_id}/revoke").status_code == 200
    time.sleep(Settings().key_cache_seconds + 0.5)  # every replica's cache has let it go
    return key


CREDENTIALS = {
    "none": lambda key: {},
    "unknown-key": lambda key: {"Authorization": "Bearer tm_nope_nope"},
    "garbage": lambda key: {"X-API-Key": "x" * 300},
    "expired-jwt": lambda key: {
        "Authorization": f"Bearer {signed(claims('acme', 'admin', exp=int(time.time()) - 600))}"
    },
    "revoked-key": lambda key: {"Authorization": f"Bearer {key}"},
}


@pytest.mark.parametrize("credentials", sorted(CREDENTIALS))
def test_every_route_refuses_missing_or_bad_credentials(anonymous, revoked_key, credentials):
    headers = CREDENTIALS[credentials](revoked_key)
    for method, path, _ in ROUTES:
        response = anonymous.request(
            method, re.sub(r"\{\w+\}", ANY_ID, path), headers=headers, json=BODIES.get(path)
        )
        assert response.status_code == 401, f"{method} {path}: {response.text}"
        assert response.headers["www-authenticate"] == "Bearer"


# -- API5: broken function-level authorization ----------------------------------------------


@pytest.mark.parametrize(("role", "below"), [("analyst", "viewer"), ("admin", "analyst")])
def test_a_role_too_low_is_403_on_every_route_that_needs_more(admin, role, below):
    guarded = [(method, path) for method, path, needs in ROUTES if needs == role]
    assert guarded, f"no route needs {role}"
    with new_tenant_client(admin, role=below) as client:
        for method, path in guarded:
            assert_problem(call(client, method, path), 403, "forbidden")


# -- API1: broken object-level authorization ------------------------------------------------


@pytest.fixture(scope="module")
def alices_things(admin) -> dict:
    """A tenant's file, run, v1 task and key, with its admin."""
    with new_tenant_client(admin, role="admin") as alice:
        file_id = upload(alice, "r.csv", reviews_csv(20, seed=2)).json()["id"]
        run_id = alice.post(
            "/api/v2/analyze", json={"file_id": file_id, "columns": ["body"]}
        ).json()["run_id"]
        wait_for(alice, run_id, {"completed"})
        task_id = alice.post("/api/v1/tasks/text", json={"text": "fine"}).json()["task_id"]
        key_id = alice.post("/api/v2/keys", json={"tenant": alice.tenant, "role": "viewer"}).json()[
            "key_id"
        ]
        yield {
            "file_id": file_id,
            "run_id": run_id,
            "task_id": task_id,
            "key_id": key_id,
            "alice": alice,
        }


def test_another_tenants_id_is_404_on_every_id_bearing_route(admin, alices_things):
    ids = {k: v for k, v in alices_things.items() if k != "alice"}
    with new_tenant_client(admin, role="admin") as bob:
        checked = set()
        for method, path, _ in ROUTES:
            if "{" not in path:
                continue
            response = call(bob, method, path, **ids)
            assert response.status_code == 404, f"{method} {path}: {response.text}"
            assert response.json()["code"].endswith("_not_found")
            checked.add(path)
        # And the routes that take an id in their body
        for path in ("/api/v2/profile", "/api/v2/estimate", "/api/v2/analyze"):
            response = bob.post(path, json={**BODIES[path], "file_id": ids["file_id"]})
            assert_problem(response, 404, "file_not_found")
        # And the websocket
        with connect(ws_url(bob, ids["run_id"]), open_timeout=10) as socket:
            message = socket.recv(timeout=10)
        assert '"run_not_found"' in message
    assert {p for _, p, _ in ROUTES if "{" in p} == checked
    # While the owner still reaches every one of them
    alice = alices_things["alice"]
    assert alice.get(f"/api/v2/runs/{ids['run_id']}/summary").status_code == 200
    assert alice.get(f"/api/v1/tasks/{ids['task_id']}").status_code == 200


# -- API3/6: mass assignment and unknown fields ---------------------------------------------


@pytest.mark.parametrize("path", sorted(BODIES))
def test_an_unknown_top_level_field_is_400_naming_it(admin, path):
    body = {**BODIES[path], "chain": ["pii"], "tenant_override": "x"}
    code = "01" if path.startswith("/api/v1/") else "invalid_request"  # v1's invalid input
    problem = assert_problem(admin.post(path, json=body), 400, code)
    assert "'chain'" in problem["detail"] and "'tenant_override'" in problem["detail"]


def test_a_typo_of_chains_no_longer_starts_a_run(alice):
    file_id = upload(alice, "r.csv", reviews_csv(5)).json()["id"]
    response = alice.post(
        "/api/v2/analyze", json={"file_id": file_id, "columns": ["body"], "chain": ["pii"]}
    )
    assert assert_problem(response, 400, "invalid_request")["detail"] == "unknown field 'chain'"
    assert alice.get("/api/v2/runs").json()["items"] == []
