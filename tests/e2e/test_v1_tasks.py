"""The v1 task API, beside v2 and built on it: text tasks are quick analyses, file tasks
are runs of one column with the sentiment chain."""

import time

import httpx

from tests.e2e.conftest import assert_problem
from tests.e2e.data import reviews_csv


def settled(client: httpx.Client, task_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = client.get(f"/api/v1/tasks/{task_id}")
        assert task.status_code == 200, task.text
        if task.json()["status"] in ("ready", "error"):
            return task.json()
        assert task.json()["status"] in ("accepted", "queued")
        time.sleep(0.3)
    raise AssertionError(f"task {task_id} did not settle: {task.json()}")


def test_a_text_task_gives_the_sentiment_and_its_confidence(alice):
    # When a text is sent
    accepted = alice.post("/api/v1/tasks/text", json={"text": "I love this kettle, it is great"})
    # Then it is accepted at once, and later ready with its sentiment
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["status"] == "accepted"
    task = settled(alice, accepted.json()["task_id"])
    assert task["status"] == "ready" and task["type"] == "text" and task["error"] is None
    assert task["result"]["sentiment"] == "positive"
    assert 0 <= task["result"]["confidence"] <= 1


def test_a_text_over_512_characters_is_invalid_input_01(alice):
    response = alice.post("/api/v1/tasks/text", json={"text": "x" * 513})
    assert assert_problem(response, 400, "01")["reason"] == "invalid_request"


def test_a_file_task_gives_totals_and_percentages_per_sentiment(alice):
    # Given a CSV of reviews, its text column named
    files = {"file": ("reviews.csv", reviews_csv(60, seed=3), "text/csv")}
    accepted = alice.post("/api/v1/tasks/file", files=files, data={"text_column": "body"})
    assert accepted.status_code == 202, accepted.text
    # Then the task is ready with the batch's figures, from the v2 run it started
    task = settled(alice, accepted.json()["task_id"])
    assert task["status"] == "ready", task
    result = task["result"]
    assert result["column"] == "body" and result["total"] == 60
    assert sum(result["counts"].values()) == 60
    assert abs(sum(result["percentages"].values()) - 100) < 0.1
    assert alice.get(f"/api/v2/runs/{task['run_id']}").json()["chains"] == ["sentiment"]


def test_a_file_task_without_a_column_takes_the_profilers_top_candidate(alice):
    files = {"file": ("reviews.csv", reviews_csv(40, seed=4), "text/csv")}
    accepted = alice.post("/api/v1/tasks/file", files=files)
    assert accepted.status_code == 202, accepted.text
    assert settled(alice, accepted.json()["task_id"])["result"]["column"] == "body"


def test_a_file_of_no_table_is_02_and_an_unknown_column_is_01(alice):
    png = {"file": ("x.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "image/png")}
    assert assert_problem(alice.post("/api/v1/tasks/file", files=png), 415, "02")["reason"] == (
        "unsupported_format"
    )
    files = {"file": ("r.csv", reviews_csv(5), "text/csv")}
    response = alice.post("/api/v1/tasks/file", files=files, data={"text_column": "nope"})
    assert assert_problem(response, 422, "01")["reason"] == "unknown_column"


def test_a_file_over_10_mib_is_02(alice):
    big = b"text\n" + (b"y" * 1023 + b"\n") * (10 * 1024 + 50)
    response = alice.post("/api/v1/tasks/file", files={"file": ("big.csv", big, "text/csv")})
    assert assert_problem(response, 413, "02")["reason"] == "file_too_large"
