"""`POST /api/v2/estimate` against the running stack: a run's time, interval, cells, tokens
and cost before it starts, refused as `/analyze` refuses; the estimate kept on the run and
compared with what the run took; the live rate measured from the run's own start."""

import math
import time
from datetime import datetime

import pytest

from tests.e2e.conftest import assert_problem, upload
from tests.e2e.data import reviews_csv
from tests.e2e.runs import read_stream, wait_for, ws_url

# 200 rows: small enough that the estimator reads every row, so its cells are exact.
ROWS = 200


@pytest.fixture(scope="module")
def file_id(client) -> str:
    stored = upload(client, "reviews.csv", reviews_csv(ROWS))
    assert stored.status_code == 201, stored.text
    return stored.json()["id"]


def test_an_estimate_gives_time_with_its_interval_cells_tokens_and_cost(client, file_id):
    # When a run of two chains over the body column is estimated
    body = {"file_id": file_id, "selected_columns": ["body"], "chains": ["sentiment", "pii"]}
    answer = client.post("/api/v2/estimate", json=body)
    # Then the answer has a time inside its interval, at a stated level
    assert answer.status_code == 200, answer.text
    made = answer.json()
    assert 0 <= made["confidence_lower"] < made["estimated_seconds"] < made["confidence_upper"]
    assumptions = made["assumptions"]
    assert 0 < assumptions["confidence_level"] < 1
    # And its cells are the non-empty cells, every row being sampled
    assert made["cells"] == ROWS and assumptions["sample_rows"] == ROWS
    # And its cost is its tokens at each chain's price, by the rule it states
    prices = assumptions["price_per_1k_tokens"]
    assert set(prices) == {"sentiment", "pii"}
    assert made["estimated_cost"] == pytest.approx(made["tokens"] / 1000 * sum(prices.values()))
    assert "characters ÷ 4" in assumptions["token_rule"]
    # And it says what it assumed: workers, their chain processes, the chains' speeds
    assert assumptions["workers_alive"] >= 1 and assumptions["chain_processes"] >= 1
    assert set(assumptions["cells_per_second"]) == {"sentiment", "pii"}
    assert assumptions["source"] in {"history", "calibration", "defaults"}
    assert assumptions["shards"] == 1


def test_tokens_follow_the_rule_over_the_files_cells(client, file_id):
    made = client.post(
        "/api/v2/estimate", json={"file_id": file_id, "columns": ["title"], "chains": ["stats"]}
    ).json()
    # Every title is analysed: ⌈characters ÷ 4⌉ each, which the estimate averages
    assert made["cells"] == ROWS
    assert ROWS <= made["tokens"] <= math.ceil(made["tokens"] * 1.2)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"columns": ["nope", "body"], "chains": ["sentiment"]}, 422, "unknown_column"),
        ({"columns": [], "chains": ["sentiment"]}, 422, "empty_selection"),
        ({"columns": ["body"], "chains": ["sentiment", "astrology"]}, 422, "unknown_chain"),
        ({"columns": ["body"], "chains": "sentiment"}, 400, "invalid_request"),
    ],
)
def test_an_estimate_is_refused_as_a_run_would_be(client, file_id, body, status, code):
    problem = assert_problem(
        client.post("/api/v2/estimate", json={"file_id": file_id, **body}), status, code
    )
    if code in {"unknown_column", "unknown_chain"}:
        assert problem["available"]


def test_another_tenants_file_or_no_file_is_not_found(client, bob, file_id):
    for asker, ident in [(bob, file_id), (client, "0" * 24), (client, "not-an-id")]:
        body = {"file_id": ident, "columns": ["body"], "chains": ["sentiment"]}
        assert_problem(asker.post("/api/v2/estimate", json=body), 404, "file_not_found")


def test_a_run_keeps_its_estimate_and_shows_it_beside_what_it_took(client, file_id):
    # Given a run started on the file
    body = {"file_id": file_id, "columns": ["body", "title"], "chains": ["sentiment"]}
    run_id = client.post("/api/v2/analyze", json=body).json()["run_id"]
    # When it has completed
    run = wait_for(client, run_id, {"completed"})
    # Then it shows the estimate made as it was accepted, and the time it took against it
    estimate = run["estimate"]
    assert estimate is not None and estimate["cells"] == 2 * ROWS
    created, finished = (datetime.fromisoformat(run[k]) for k in ("created_at", "finished_at"))
    assert run["actual_seconds"] == pytest.approx((finished - created).total_seconds(), abs=1e-3)
    assert run["estimate_error"] == pytest.approx(
        run["actual_seconds"] / estimate["estimated_seconds"] - 1, abs=1e-3
    )


def test_once_runs_have_completed_the_estimate_comes_from_their_shards(client, file_id):
    # Given a completed run of the stats chain
    body = {"file_id": file_id, "columns": ["body"], "chains": ["stats"]}
    wait_for(client, client.post("/api/v2/analyze", json=body).json()["run_id"], {"completed"})
    # When the same run is estimated (once the estimator has folded the shard in)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assumptions = client.post("/api/v2/estimate", json=body).json()["assumptions"]
        if assumptions["history_shards"] >= 1:
            break
        time.sleep(0.5)
    # Then its costs come from the history of completed shards
    assert assumptions["source"] == "history" and assumptions["history_shards"] >= 1


def test_a_runs_start_is_its_first_shards_and_its_rate_is_measured_from_there(client, file_id):
    # Given a completed run, and its stream read back from the start
    body = {"file_id": file_id, "columns": ["body", "title"], "chains": ["stats"]}
    run_id = client.post("/api/v2/analyze", json=body).json()["run_id"]
    run = wait_for(client, run_id, {"completed"})
    messages, ended = read_stream(ws_url(client, run_id))
    first_published = min(
        datetime.fromisoformat(m["data"]["occurred_at"]) for m in messages if m["type"] == "results"
    )
    created, started, finished = (
        datetime.fromisoformat(run[k]) for k in ("created_at", "started_at", "finished_at")
    )
    # Then the run started when its first shard began: after it was accepted and before the
    # first results were published (not when the coordinator heard of them)
    assert ended and created <= started <= first_published <= finished
    # And its rate is its cells over its own time from that start, and nothing is left
    elapsed = (finished - started).total_seconds()
    assert run["rate_cells_per_s"] == pytest.approx(run["cells_done"] / elapsed, rel=0.25)
    assert run["eta_seconds"] is None
