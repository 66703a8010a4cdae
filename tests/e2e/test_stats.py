"""`GET /api/v2/stats`: an admin's counts and bytes per tenant, runs by status, shards
queued, workers alive; its own tenant's for a tenant's admin, every tenant's for the
operator's; a problem document for anyone else."""

from tests.e2e.conftest import assert_problem, new_tenant_client
from tests.e2e.data import reviews_csv
from tests.e2e.runs import start_run, wait_for


def test_the_operator_sees_each_tenants_files_runs_and_bytes(admin):
    # Given a tenant with one file and one completed run of 40 cells
    content = reviews_csv(rows=40)
    with new_tenant_client(admin) as owner:
        run_id = start_run(owner, content, ["body"], ["sentiment"])
        wait_for(owner, run_id, {"completed"})
        # When the operator's admin reads the stats
        answer = admin.get("/api/v2/stats")
    # Then the tenant's row counts its file with its bytes and its run with its cells
    assert answer.status_code == 200, answer.text
    body = answer.json()
    row = next(t for t in body["tenants"] if t["tenant"] == owner.tenant)
    assert row == {
        "tenant": owner.tenant,
        "files": 1,
        "file_bytes": len(content),
        "runs": 1,
        "cells": 40,
        "cells_done": 40,
    }
    # And the whole store's runs by status count it, and the stack's worker is alive
    assert body["runs_by_status"]["completed"] >= 1
    assert body["workers_alive"] >= 1
    assert body["shards_queued"] >= 0 and body["shards_running"] >= 0


def test_a_tenants_admin_sees_its_own_tenant_alone(admin, alice):
    # Given a tenant with a file, and an admin key of that tenant
    assert alice.post(
        "/api/v2/files", files={"file": ("r.csv", reviews_csv(rows=5), "text/csv")}
    ).is_success
    with new_tenant_client(admin, role="admin", tenant=alice.tenant) as own_admin:
        # When its admin reads the stats
        body = own_admin.get("/api/v2/stats").json()
    # Then only its own tenant is there
    assert [t["tenant"] for t in body["tenants"]] == [alice.tenant]
    assert body["tenants"][0]["files"] == 1


def test_only_admins_read_the_stats(alice, anonymous):
    assert_problem(alice.get("/api/v2/stats"), 403, "forbidden")
    assert_problem(anonymous.get("/api/v2/stats"), 401, "unauthorized")
