"""Credentials: API keys and JWTs, keys listed, revoked and rotated, refusals audited."""

import time

import jwt
import pytest

from tests.e2e.conftest import assert_problem, new_tenant_client, upload
from tests.e2e.data import reviews_csv
from tests.e2e.tokens import claims, signed


@pytest.mark.parametrize("alg", ["HS256", "RS256", "ES256"])
def test_a_jwt_acts_for_the_tenant_and_role_its_claims_name(alice, anonymous, alg):
    # Given a tenant with a file, and a token naming that tenant, signed with each key kind
    file_id = upload(alice, "r.csv", reviews_csv(5)).json()["id"]
    token = signed(claims(alice.tenant, "viewer"), alg)
    headers = {"Authorization": f"Bearer {token}"}
    # When the token is used
    listed = anonymous.get("/api/v2/files", headers=headers)
    # Then it sees the tenant's files, and is held to its role
    assert listed.status_code == 200, listed.text
    assert [f["id"] for f in listed.json()["items"]] == [file_id]
    refused = anonymous.post(
        "/api/v2/files", files={"file": ("r.csv", reviews_csv(5))}, headers=headers
    )
    assert_problem(refused, 403, "forbidden")


@pytest.mark.parametrize(
    ("token", "why"),
    [
        (lambda t: signed(claims(t, exp=int(time.time()) - 600)), "expired"),
        (lambda t: signed(claims(t, iss="https://someone-else.example")), "issuer"),
        (lambda t: signed(claims(t, aud="another-api")), "udience"),
        (lambda t: signed(claims(t), key="not-the-secret-" * 4), "ignature"),
        (lambda t: jwt.encode(claims(t), None, algorithm="none"), "none"),
        (lambda t: signed(claims(t, role="root")), "role"),
    ],
    ids=["expired", "wrong-issuer", "wrong-audience", "wrong-signature", "alg-none", "no-role"],
)
def test_a_jwt_that_is_not_valid_is_401(alice, anonymous, token, why):
    response = anonymous.get(
        "/api/v2/files", headers={"Authorization": f"Bearer {token(alice.tenant)}"}
    )
    assert why in assert_problem(response, 401, "unauthorized")["detail"]


def test_keys_are_listed_with_their_times_and_never_their_secret(admin):
    # Given a tenant's admin, which made a key and used it
    with new_tenant_client(admin, role="admin") as owner:
        made = owner.post("/api/v2/keys", json={"tenant": owner.tenant, "role": "viewer"}).json()
        with new_tenant_client(admin, role="viewer", tenant=owner.tenant):
            pass
        listed = owner.get("/api/v2/keys").json()["items"]
    # Then every key of the tenant is listed, newest first, without a secret or a hash
    ids = [key["key_id"] for key in listed]
    assert made["key_id"] in ids and owner.key_id in ids and len(ids) == 3
    assert all("key" not in key and "key_hash" not in key for key in listed)
    mine = next(key for key in listed if key["key_id"] == owner.key_id)
    assert mine["created_at"] and mine["last_used_at"] and mine["active"]


def test_a_revoked_key_is_refused_within_seconds(admin):
    with new_tenant_client(admin, role="admin") as owner:
        with new_tenant_client(admin, role="analyst", tenant=owner.tenant) as user:
            assert user.get("/api/v2/files").status_code == 200
            # When its admin revokes it
            revoked = owner.post(f"/api/v2/keys/{user.key_id}/revoke")
            assert revoked.status_code == 200 and revoked.json()["revoked_at"]
            # Then it is refused within the key cache's 5 seconds
            deadline = time.monotonic() + 8
            while (answer := user.get("/api/v2/files")).status_code == 200:
                assert time.monotonic() < deadline, "the revoked key still works"
                time.sleep(0.25)
            assert "revoked" in assert_problem(answer, 401, "unauthorized")["detail"]
            # And the refusal is in the tenant's audit log
            entries = owner.get("/api/v2/audit", params={"limit": 20}).json()["items"]
    actions = [(e["action"], e["actor"]) for e in entries]
    assert ("login.refused", user.key_id) in actions
    assert ("key.revoked", owner.key_id) in actions


def test_a_rotated_key_gives_way_to_its_successor(admin):
    with new_tenant_client(admin, role="admin") as owner:
        with new_tenant_client(admin, role="analyst", tenant=owner.tenant) as user:
            # When the key is rotated with a grace period, then without one
            kept = owner.post(f"/api/v2/keys/{user.key_id}/rotate", json={"grace_seconds": 600})
            assert kept.status_code == 201, kept.text
            assert kept.json()["rotated_from"] == user.key_id
            assert kept.json()["role"] == "analyst" and kept.json()["key"].startswith("tm_")
            # Then during the grace both work
            assert user.get("/api/v2/files").status_code == 200
            fresh = {"Authorization": f"Bearer {kept.json()['key']}"}
            assert user.get("/api/v2/files", headers=fresh).status_code == 200
            # And a rotation without grace ends the old key at once (on this replica)
            second = owner.post(f"/api/v2/keys/{kept.json()['key_id']}/rotate")
            assert second.status_code == 201
            deadline = time.monotonic() + 8
            while user.get("/api/v2/files", headers=fresh).status_code == 200:
                assert time.monotonic() < deadline
                time.sleep(0.25)


def test_the_bootstrap_key_is_managed_by_its_setting(admin):
    assert_problem(admin.post("/api/v2/keys/bootstrap/revoke"), 409, "key_managed")
    assert_problem(admin.post("/api/v2/keys/bootstrap/rotate"), 409, "key_managed")
    assert admin.get("/api/v2/files").status_code == 200


def test_the_audit_log_says_who_did_what_when_with_the_request_id(admin):
    with new_tenant_client(admin, role="admin") as owner:
        file_id = upload(owner, "r.csv", reviews_csv(5)).json()["id"]
        started = owner.post(
            "/api/v2/analyze",
            json={"file_id": file_id, "columns": ["body"]},
            headers={"x-request-id": "req-audit-1"},
        )
        assert started.status_code == 202
        run_id = started.json()["run_id"]
        owner.post(f"/api/v2/runs/{run_id}/cancel")
        owner.delete(f"/api/v2/files/{file_id}")
        page = owner.get("/api/v2/audit", params={"limit": 2}).json()
        rest = owner.get("/api/v2/audit", params={"cursor": page["next_cursor"]}).json()
    entries = page["items"] + rest["items"]
    assert [e["action"] for e in entries][:4] == [
        "file.deleted",
        "run.cancelled",
        "run.started",
        "file.uploaded",
    ]
    started_entry = entries[2]
    assert started_entry["target"] == run_id and started_entry["request_id"] == "req-audit-1"
    assert all(e["tenant"] == owner.tenant and e["actor"] == owner.key_id for e in entries[:4])
    assert all(e["at"] for e in entries)


def test_only_admins_read_the_audit_log(alice):
    assert_problem(alice.get("/api/v2/audit"), 403, "forbidden")
