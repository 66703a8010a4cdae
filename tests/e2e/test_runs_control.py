"""Runs: live SSE answers, cancel, quick analysis and bad requests, against the running stack."""

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import redis
from pymongo import MongoClient
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.e2e.conftest import assert_problem, new_tenant_client, upload
from tests.e2e.data import reviews_csv
from tests.e2e.runs import all_results, read_stream, start_run, wait_for, ws_url
from textmill_infra.settings import Settings


def sse_messages(response: httpx.Response) -> list[dict]:
    events, data, event_id = [], None, None
    for line in response.iter_lines():
        if line.startswith("data:"):
            data = line[5:].strip()
        elif line.startswith("id:"):
            event_id = int(line[3:].strip())
        elif line == "" and data is not None:
            events.append({**json.loads(data), "event_id": event_id})
            data = None
    return events


def test_accepting_an_event_stream_makes_the_response_the_runs_stream(alice):
    # Given a small file
    stored = upload(alice, "small.csv", reviews_csv(300, seed=3)).json()
    body = {"file_id": stored["id"], "columns": ["body"], "chains": ["sentiment", "stats"]}
    # When the run is started asking for text/event-stream
    with alice.stream(
        "POST", "/api/v2/analyze", json=body, headers={"Accept": "text/event-stream"}
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_messages(response)
    # Then the response carries every result and ends with the completed run
    records = [r["record"] for e in events if e["type"] == "results" for r in e["data"]["results"]]
    assert sorted(records) == list(range(300))
    assert events[-1]["type"] == "run" and events[-1]["data"]["status"] == "completed"
    assert [e["event_id"] for e in events] == [e["seq"] for e in events]


def test_sse_replays_after_last_event_id(alice):
    run_id = start_run(alice, reviews_csv(300, seed=4), ["body"], ["stats"])
    wait_for(alice, run_id, {"completed"})
    with alice.stream("GET", f"/api/v2/runs/{run_id}/events") as response:
        everything = sse_messages(response)
    with alice.stream(
        "GET", f"/api/v2/runs/{run_id}/events", headers={"Last-Event-ID": "1"}
    ) as response:
        after_first = sse_messages(response)
    assert [e["seq"] for e in after_first] == [e["seq"] for e in everything[1:]]


def test_cancel_stops_the_run_and_nothing_is_written_after(alice):
    # Given a run long enough to be cancelled midway (keywords is the slowest chain)
    run_id = start_run(alice, reviews_csv(20_000, seed=5), ["body"], ["keywords"])
    wait_for(alice, run_id, {"running"}, timeout=120)
    # When it is cancelled
    cancelled = alice.post(f"/api/v2/runs/{run_id}/cancel")
    # Then the cancel is acknowledged, and no result is written after it
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    stored = len(all_results(alice, run_id))
    time.sleep(4)
    assert len(all_results(alice, run_id)) == stored < 20_000
    wait_for(alice, run_id, {"cancelled"}, timeout=10)
    # And its figures come to the cells it stored, not those reported before the cancel:
    # a worker says what it stored since its last report when it next finds the fence
    # closed, after the batch it was analysing (seconds of keywords on a loaded machine)
    run = figures_settled(alice, run_id, stored)
    assert run["cells_done"] == run["progress"]["body"]["done"] == stored
    # And a second cancel is refused
    assert_problem(alice.post(f"/api/v2/runs/{run_id}/cancel"), 409, "run_finished")


def figures_settled(client, run_id: str, cells: int, timeout: float = 60) -> dict:
    """The run once its figures count `cells`, or as it is at `timeout`."""
    deadline = time.monotonic() + timeout
    while (run := client.get(f"/api/v2/runs/{run_id}").json())["cells_done"] != cells:
        if time.monotonic() > deadline:
            break
        time.sleep(0.3)
    return run


def test_quick_analysis_answers_from_a_worker(alice):
    texts = ["I love this kettle, it is wonderful!", "Terrible. Broke after a day.", "  "]
    response = alice.post("/api/v2/analyze/text", json={"texts": texts, "chains": ["sentiment"]})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["chains"].get("sentiment", {}).get("label") for r in results[:2]] == [
        "positive",
        "negative",
    ]
    assert results[2]["status"] == "skipped"


@pytest.fixture
def stored_file(alice) -> str:
    return upload(alice, "reviews.csv", reviews_csv(50)).json()["id"]


def test_unknown_columns_are_listed(alice, stored_file):
    response = alice.post(
        "/api/v2/analyze", json={"file_id": stored_file, "columns": ["body", "nope"]}
    )
    body = assert_problem(response, 422, "unknown_column")
    assert body["unknown"] == ["nope"] and "body" in body["available"]


def test_an_empty_selection_is_refused(alice, stored_file):
    response = alice.post("/api/v2/analyze", json={"file_id": stored_file, "columns": []})
    assert_problem(response, 422, "empty_selection")


def test_an_unknown_chain_lists_the_available_ones(alice, stored_file):
    response = alice.post(
        "/api/v2/analyze",
        json={"file_id": stored_file, "columns": ["body"], "chains": ["sarcasm"]},
    )
    body = assert_problem(response, 422, "unknown_chain")
    builtin = {"sentiment", "language", "keywords", "pii", "stats"}
    # the built-in chains, and model:<name> for each model in the stack's models folder
    assert builtin <= set(body["available"])
    assert all(name.startswith("model:") for name in set(body["available"]) - builtin)


def test_an_unknown_file_is_404(alice):
    response = alice.post("/api/v2/analyze", json={"file_id": "0" * 24, "columns": ["body"]})
    assert_problem(response, 404, "file_not_found")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"file_id": 12, "columns": "body"}',
        b'{"columns": ["body"]}',
        b'{"file_id": "x", "columns": ["' + b"c" * 10 + b'"]' + b', "chains": ' + b"[1]" + b"}",
    ],
)
def test_malformed_analyze_bodies_are_400(alice, body):
    response = alice.post(
        "/api/v2/analyze", content=body, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 400, "invalid_request")


def test_too_many_quick_texts_are_refused(alice):
    response = alice.post("/api/v2/analyze/text", json={"texts": ["a"] * 101})
    assert_problem(response, 400, "invalid_request")


def test_a_viewer_cannot_start_a_run(admin, stored_file):
    with new_tenant_client(admin, role="viewer") as viewer:
        response = viewer.post("/api/v2/analyze", json={"file_id": stored_file, "columns": ["x"]})
        assert_problem(response, 403, "forbidden")


def test_unknown_runs_are_404(alice):
    for path in ["", "/results", "/summary", "/export", "/events"]:
        assert_problem(alice.get(f"/api/v2/runs/nope{path}"), 404, "run_not_found")
    assert_problem(alice.post("/api/v2/runs/nope/cancel"), 404, "run_not_found")


def test_an_unknown_export_format_is_refused(alice):
    run_id = start_run(alice, reviews_csv(20, seed=6), ["body"], ["stats"])
    response = alice.get(f"/api/v2/runs/{run_id}/export", params={"format": "xml"})
    assert_problem(response, 400, "invalid_request")


def test_a_websocket_without_a_key_is_closed_with_4401(alice):
    run_id = start_run(alice, reviews_csv(20, seed=8), ["body"], ["stats"])
    url = ws_url(alice, run_id).split("?")[0]
    with connect(url) as socket:
        message = json.loads(socket.recv(timeout=10))
        assert message["type"] == "error" and message["data"]["code"] == "unauthorized"
        with pytest.raises(ConnectionClosed):
            socket.recv(timeout=10)
        assert socket.close_code == 4401


def ws_refusal(url: str, **headers: str) -> tuple[dict, int, str | None]:
    """(the problem a websocket was sent, its close code, its handshake's x-request-id)."""
    with connect(url, additional_headers=headers) as socket:
        request_id = socket.response.headers.get("x-request-id")
        message = json.loads(socket.recv(timeout=10))
        with pytest.raises(ConnectionClosed):
            socket.recv(timeout=10)
        assert message["type"] == "error"
        return message["data"], socket.close_code, request_id


def test_an_event_stream_says_once_how_it_may_be_cached(alice):
    # Given a run that has completed
    run_id = start_run(alice, reviews_csv(20, seed=8), ["body"], ["stats"])
    wait_for(alice, run_id, {"completed"}, timeout=60)
    # When its events are read
    with alice.stream("GET", f"/api/v2/runs/{run_id}/events") as response:
        # Then the answer has one cache-control, an event stream's own, and a request id
        assert response.headers.get_list("cache-control") == ["no-cache"]
        assert response.headers["x-request-id"]


def test_a_websocket_with_a_key_that_is_not_valid_is_told_so(alice):
    # Given a run, and a key that no one was given
    run_id = start_run(alice, reviews_csv(20, seed=8), ["body"], ["stats"])
    url = ws_url(alice, run_id).split("?")[0] + "?api_key=tm_not_a_key"
    # When a websocket asks for the run's stream with it
    problem, close_code, _ = ws_refusal(url)
    # Then it is refused as HTTP refuses it
    assert (problem["code"], problem["detail"], close_code) == (
        "unauthorized",
        "the API key is not valid",
        4401,
    )


def test_a_websocket_from_seq_that_is_no_number_is_refused(alice):
    # Given a run
    run_id = start_run(alice, reviews_csv(20, seed=8), ["body"], ["stats"])
    # When a websocket asks for its stream from a sequence number that is not a number
    problem, close_code, _ = ws_refusal(ws_url(alice, run_id).replace("from_seq=0", "from_seq=abc"))
    # Then it is refused, as SSE refuses it, rather than replayed from the start
    assert (problem["code"], close_code) == ("invalid_request", 4400)
    assert "abc" in problem["detail"]


def test_a_websocket_problem_carries_the_request_id_of_its_handshake(alice):
    # Given a websocket to a run that does not exist, sent with a request id
    url = ws_url(alice, "nope")
    # When it is refused
    problem, close_code, request_id = ws_refusal(url, **{"x-request-id": "ws-trace-1"})
    # Then the handshake's answer and the problem carry that id
    assert (problem["code"], close_code) == ("run_not_found", 4404)
    assert problem["correlation_id"] == request_id == "ws-trace-1"


def test_a_client_resuming_at_the_end_of_an_ended_run_is_not_kept_waiting(alice):
    # Given a completed run, and the sequence number of its final message
    run_id = start_run(alice, reviews_csv(20, seed=8), ["body"], ["stats"])
    wait_for(alice, run_id, {"completed"}, timeout=60)
    messages, ended = read_stream(ws_url(alice, run_id))
    assert ended
    final = messages[-1]["seq"]
    # When clients resume at that message, and past it, over SSE and a websocket
    started = time.monotonic()
    answers = [
        alice.get(f"/api/v2/runs/{run_id}/events", headers={"Last-Event-ID": str(final)}),
        alice.get(f"/api/v2/runs/{run_id}/events", params={"from_seq": final + 100}),
    ]
    with connect(ws_url(alice, run_id, from_seq=final)) as socket:
        with pytest.raises(ConnectionClosed):
            socket.recv(timeout=10)
        close_code = socket.close_code
    # Then each is told at once that there is nothing more: 204 (which stops a browser's
    # EventSource reconnecting) and a normal close, not keep-alives until the stream expires
    assert [a.status_code for a in answers] == [204, 204]
    assert close_code == 1000
    assert time.monotonic() - started < 10
    # And one resuming before the end still gets what it missed, then the end
    replay = alice.get(f"/api/v2/runs/{run_id}/events", params={"from_seq": final - 1})
    assert [m["seq"] for m in sse_messages(replay)] == [final]


@pytest.mark.parametrize("from_seq", ["18446744073709551616", "9223372036854775808"])
def test_a_sequence_number_past_any_stream_is_400(alice, from_seq):
    # Given a run
    run_id = start_run(alice, reviews_csv(20, seed=8), ["body"], ["stats"])
    # When its stream is asked for after a sequence number no stream reaches
    sse = alice.get(f"/api/v2/runs/{run_id}/events", params={"from_seq": from_seq})
    problem, close_code, _ = ws_refusal(
        ws_url(alice, run_id).replace("from_seq=0", f"from_seq={from_seq}")
    )
    # Then both refuse it, rather than break off an answer begun (Redis: invalid stream ID)
    assert_problem(sse, 400, "invalid_request")
    assert (problem["code"], close_code) == ("invalid_request", 4400)


@pytest.mark.parametrize("cursor", ["0.-30000000", "0.²", "².0", "0.--5"])
def test_a_results_cursor_that_no_page_gave_is_400(alice, cursor):
    # Given a run
    run_id = start_run(alice, reviews_csv(20, seed=8), ["body"], ["stats"])
    # When its results are asked for from a cursor no page gave (a negative record made
    # the store walk up to record 0; digits such as "²" failed with 500)
    response = alice.get(f"/api/v2/runs/{run_id}/results", params={"cursor": cursor})
    # Then it is refused at once
    assert_problem(response, 400, "invalid_request")


def test_a_body_nested_too_deeply_is_400_not_500(alice):
    # Given a JSON body nested a thousand levels deep (the decoder recurses per level)
    body = '{"a":' * 1000 + "1" + "}" * 1000
    # When it is posted to start a run
    response = alice.post(
        "/api/v2/analyze", content=body, headers={"content-type": "application/json"}
    )
    # Then it is refused as a bad request, saying why
    assert "nested too deeply" in assert_problem(response, 400, "invalid_request")["detail"]


def test_a_run_is_started_with_the_body_the_spec_writes(alice):
    # Given a file
    stored = upload(alice, "small.csv", reviews_csv(20, seed=8)).json()
    # When a run is asked for as the spec writes it: selected_columns, options.chains
    body = {"file_id": stored["id"], "selected_columns": ["body"], "options": {"chains": ["pii"]}}
    response = alice.post("/api/v2/analyze", json=body)
    # Then the run analyses that column with that chain
    assert response.status_code == 202, response.text
    run = alice.get(f"/api/v2/runs/{response.json()['run_id']}").json()
    assert (run["columns"], run["chains"]) == (["body"], ["pii"])


def test_a_body_naming_the_chains_twice_or_an_unknown_option_is_400(alice):
    stored = upload(alice, "small.csv", reviews_csv(20, seed=8)).json()
    for extra in (
        {"chains": ["stats"], "options": {"chains": ["pii"]}},
        {"options": {"temperature": 0.2}},
    ):
        body = {"file_id": stored["id"], "columns": ["body"], **extra}
        assert_problem(alice.post("/api/v2/analyze", json=body), 400, "invalid_request")


def test_an_unknown_column_of_ten_megabytes_is_named_by_its_start(alice):
    # Given a file, and a column name of ten million characters
    stored = upload(alice, "small.csv", reviews_csv(20, seed=8)).json()
    body = {"file_id": stored["id"], "columns": ["x" * 10_000_000]}
    # When a run of it is asked for
    response = alice.post("/api/v2/analyze", json=body)
    # Then the problem names it by its start, rather than echoing 20 MB back
    problem = assert_problem(response, 422, "unknown_column")
    assert len(response.content) < 10_000
    assert problem["unknown"][0].endswith("(10,000,000 chars)")


def _ended_long_ago_without_a_stream(alice: httpx.Client) -> str:
    """A completed run whose stream Redis no longer keeps (expired, or deleted to keep the
    ended streams within their budget), ended two minutes ago."""
    run_id = start_run(alice, reviews_csv(20, seed=9), ["body"], ["stats"])
    wait_for(alice, run_id, {"completed"}, timeout=60)
    time.sleep(0.5)  # the final update reaches the stream just after the store
    settings = Settings()
    with redis.Redis.from_url(settings.redis_url) as store:
        keys = list(store.scan_iter(match=f"textmill:stream:{run_id}*"))
        assert keys, "the run was streamed"
        store.delete(*keys)
    with MongoClient(settings.mongo_url) as client:
        ended = datetime.now(UTC) - timedelta(minutes=2)
        client[settings.mongo_db].runs.update_one({"_id": run_id}, {"$set": {"finished_at": ended}})
    return run_id


def test_the_events_of_a_run_whose_stream_is_gone_are_410_naming_its_results(alice):
    """Given a run that ended two minutes ago and whose stream is no longer kept, when a
    client asks for its events (after any sequence number), then the answer is 410 with
    where the results are, not a stream that waits forever."""
    run_id = _ended_long_ago_without_a_stream(alice)
    for params in ({}, {"from_seq": 3}):
        response = alice.get(f"/api/v2/runs/{run_id}/events", params=params)
        problem = assert_problem(response, 410, "stream_gone")
        assert f"/api/v2/runs/{run_id}/results" in problem["detail"]
    assert len(all_results(alice, run_id)) == 20  # the results stay in the store


def test_the_websocket_of_a_run_whose_stream_is_gone_closes_with_4410(alice):
    run_id = _ended_long_ago_without_a_stream(alice)
    with connect(ws_url(alice, run_id)) as socket:
        message = json.loads(socket.recv(timeout=10))
        assert message["type"] == "error" and message["data"]["code"] == "stream_gone"
        with pytest.raises(ConnectionClosed):
            socket.recv(timeout=10)
        assert socket.close_code == 4410
