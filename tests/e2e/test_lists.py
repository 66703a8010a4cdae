"""Lists honour `limit` and go on by cursor: runs, files, keys, the audit log."""

import pytest

from tests.e2e.conftest import assert_problem, new_tenant_client, upload
from tests.e2e.data import reviews_csv


def walk(client, path: str, limit: int) -> list[list[str]]:
    """The ids of every page of a list, `limit` a page."""
    pages, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = client.get(path, params=params)
        assert page.status_code == 200, page.text
        items = page.json()["items"]
        assert len(items) <= limit
        pages.append([i.get("id") or i.get("run_id") or i.get("key_id") for i in items])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return pages


def test_files_and_runs_come_limit_at_a_time_newest_first_to_the_end(alice):
    # Given five files and five runs
    files = [upload(alice, f"r{n}.csv", reviews_csv(3, seed=n)).json()["id"] for n in range(5)]
    runs = [
        alice.post("/api/v2/analyze", json={"file_id": f, "columns": ["title"]}).json()["run_id"]
        for f in files
    ]
    # When they are listed two at a time
    # Then every one comes once, newest first, in pages of two at most
    assert walk(alice, "/api/v2/files", 2) == [files[::-1][i : i + 2] for i in (0, 2, 4)]
    assert walk(alice, "/api/v2/runs", 2) == [runs[::-1][i : i + 2] for i in (0, 2, 4)]


def test_keys_and_the_audit_log_are_paged_too(admin):
    with new_tenant_client(admin, role="admin") as owner:
        for _ in range(3):
            owner.post("/api/v2/keys", json={"tenant": owner.tenant, "role": "viewer"})
        keys = walk(owner, "/api/v2/keys", 2)
        audit = walk(owner, "/api/v2/audit", 2)
    assert [len(page) for page in keys] == [2, 2]
    assert [len(page) for page in audit] == [2, 2]  # the 4 keys made


@pytest.mark.parametrize("path", ["/api/v2/files", "/api/v2/runs", "/api/v2/keys", "/api/v2/audit"])
@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"cursor": "not-one"}])
def test_a_limit_out_of_bounds_or_a_cursor_not_of_the_list_is_400(admin, path, params):
    assert_problem(admin.get(path, params=params), 400, "invalid_request")


def test_a_cursor_far_past_the_end_answers_at_once(alice):
    upload(alice, "r.csv", reviews_csv(3))
    page = alice.get("/api/v2/runs", params={"cursor": "999999999999"})
    assert page.status_code == 200 and page.json() == {"items": [], "next_cursor": None}
