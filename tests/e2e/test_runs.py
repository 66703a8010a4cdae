"""Analysis runs end to end: a 10,000-row file with two text columns and two chains, through
the gateway, coordinator and workers of the running stack."""

import csv
import io
from collections import Counter

import pytest

from tests.e2e.data import reviews_csv
from tests.e2e.runs import all_results, read_stream, start_run, wait_for, ws_url

ROWS = 10_000
COLUMNS = ["title", "body"]
CHAINS = ["sentiment", "pii"]


@pytest.fixture(scope="module")
def run_id(client) -> str:
    return start_run(client, reviews_csv(ROWS, seed=11), COLUMNS, CHAINS)


@pytest.fixture(scope="module")
def streamed(client, run_id) -> list[dict]:
    """The whole stream, read by a client that disconnects halfway and reconnects."""
    first, ended = read_stream(ws_url(client, run_id), stop_after_results=20)
    assert not ended
    rest, ended = read_stream(ws_url(client, run_id, from_seq=first[-1]["seq"]))
    assert ended
    return first + rest


def cells_of(messages: list[dict]) -> list[tuple[str, int]]:
    return [
        (m["data"]["column"], r["record"])
        for m in messages
        if m["type"] == "results"
        for r in m["data"]["results"]
    ]


def test_the_run_completes(client, run_id, streamed):
    # Given the run, followed to its end on the stream
    # When its status is read
    run = wait_for(client, run_id, {"completed", "failed", "cancelled"})
    # Then it completed every cell of both columns
    assert run["status"] == "completed", run
    assert run["cells_done"] == run["cells_total"] == ROWS * len(COLUMNS)
    assert run["progress"] == {c: {"done": ROWS, "total": ROWS} for c in COLUMNS}


def test_a_reconnecting_client_gets_every_cell_exactly_once(streamed):
    # Given a stream read in two connections, the second from the first's last seq
    # Then the sequence numbers run on without a gap or a repeat
    seqs = [m["seq"] for m in streamed]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    # And every (column, row) arrived exactly once
    cells = cells_of(streamed)
    assert len(cells) == len(set(cells)) == ROWS * len(COLUMNS)
    assert streamed[-1]["data"]["status"] == "completed"


def test_the_store_holds_exactly_one_result_per_cell(client, run_id, streamed):
    # Given the completed run
    # When every page of its results is read
    items = all_results(client, run_id)
    # Then each (column, row) is there once, with both chains and their versions
    keys = Counter((r["column"], r["record"]) for r in items)
    assert len(keys) == ROWS * len(COLUMNS) and max(keys.values()) == 1
    ok = [r for r in items if r["status"] == "ok"]
    assert ok and all(set(r["chains"]) == set(CHAINS) for r in ok)
    assert all(r["chains"]["sentiment"]["version"] for r in ok)


def test_results_filter_by_column(client, run_id, streamed):
    page = client.get(f"/api/v2/runs/{run_id}/results", params={"column": "body", "limit": 50})
    assert page.status_code == 200
    assert {r["column"] for r in page.json()["items"]} == {"body"}
    assert len(page.json()["items"]) == 50


def test_the_export_has_every_row_with_its_results(client, run_id, streamed):
    # When the run is exported as CSV
    response = client.get(f"/api/v2/runs/{run_id}/export", params={"format": "csv"})
    # Then every original row is there once, with the result columns filled
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == ROWS
    assert all(row["body.status"] for row in rows)
    assert {row["body.sentiment.label"] for row in rows} <= {"positive", "negative", "neutral", ""}
    assert sum(1 for row in rows if row["body.sentiment.label"]) > ROWS * 0.9


def test_the_summary_counts_every_cell(client, run_id, streamed):
    summary = client.get(f"/api/v2/runs/{run_id}/summary").json()
    body = summary["columns"]["body"]
    assert body["cells"] == ROWS
    assert sum(body["sentiment"]["labels"].values()) == body["status"]["ok"]


def test_the_run_is_listed_as_its_own_page_shows_it(client, run_id, streamed):
    # Given the completed run
    # When the tenant's runs are listed
    listed = client.get("/api/v2/runs").json()["items"]
    # Then it is there, with the progress its own page shows (every cell done)
    mine = next(run for run in listed if run["run_id"] == run_id)
    own = client.get(f"/api/v2/runs/{run_id}").json()
    assert mine["cells_done"] == mine["cells_total"] == ROWS * len(COLUMNS)
    assert (
        mine["progress"] == own["progress"] == {c: {"done": ROWS, "total": ROWS} for c in COLUMNS}
    )


def test_another_tenant_cannot_see_the_run(bob, run_id):
    assert bob.get(f"/api/v2/runs/{run_id}").status_code == 404
    assert bob.get(f"/api/v2/runs/{run_id}/results").status_code == 404
