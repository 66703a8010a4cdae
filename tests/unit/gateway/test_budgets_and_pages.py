"""Rate-limit budgets and their headers, the lists' cursors, and the v1 API's rules (pure)."""

from datetime import UTC, datetime

import pytest

from textmill_gateway.domain.budgets import (
    Quota,
    Standing,
    budget_of,
    rate_limit_headers,
    retry_after,
)
from textmill_gateway.domain.pages import (
    format_file_cursor,
    parse_file_cursor,
    parse_key_cursor,
    parse_sequence_cursor,
)
from textmill_gateway.domain.refusals import Refusal
from textmill_gateway.domain.tasks import V1_CODES, batch_result, task_status, text_result
from textmill_gateway.errors import STATUS, _validation_detail


@pytest.mark.parametrize(
    ("method", "declared", "budget"),
    [
        ("GET", None, "reads"),
        ("POST", None, "writes"),
        ("DELETE", None, "writes"),
        ("POST", "reads", "reads"),
        ("GET", "streams", "streams"),
        ("GET", "bogus", "reads"),
    ],
)
def test_a_request_spends_the_budget_its_route_declares_else_its_methods(method, declared, budget):
    assert budget_of(method, declared) == budget


def test_the_headers_name_every_quota_counted_with_what_is_left():
    # Given a request counted against its key's and its tenant's reads
    standings = [
        Standing(Quota("key-reads", 600, 60), 599, 59.2, True),
        Standing(Quota("tenant-reads", 2000, 60), 0, 3.5, False),
    ]
    # Then the draft's fields say each quota and where the caller stands
    assert rate_limit_headers(standings) == {
        "RateLimit-Policy": '"key-reads";q=600;w=60, "tenant-reads";q=2000;w=60',
        "RateLimit": '"key-reads";r=599;t=60, "tenant-reads";r=0;t=4',
    }
    # And Retry-After is the wait of the quota that refused, whole seconds
    assert retry_after(standings) == 4
    assert retry_after(standings[:1]) == 1


def test_cursors_come_back_as_they_went_out_and_others_are_refused():
    at = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    cursor = format_file_cursor(at, "a" * 24)
    assert parse_file_cursor(cursor) == (at, "a" * 24)
    assert parse_sequence_cursor("41") == 41 and parse_sequence_cursor(None) is None
    for bad in ("0", "-1", "x", "1.2"):
        with pytest.raises(Refusal):
            parse_sequence_cursor(bad)
    for bad in ("12", "12.zz", "1.aaaaaaaaaaaaaaaaaaaaaaa"):
        with pytest.raises(Refusal):
            parse_file_cursor(bad)
    assert parse_key_cursor("0.bootstrap")[1] == "bootstrap"


def test_an_unknown_body_field_is_named_in_the_problem():
    errors = [{"message": "Extra inputs are not permitted", "key": "chain", "source": "body"}]
    assert _validation_detail("Validation failed", errors) == "unknown field 'chain'"
    assert _validation_detail("Validation failed", []) == "Validation failed"


def test_a_file_tasks_status_follows_its_runs():
    statuses = ["accepted", "queued", "running", "completed", "failed", "cancelled"]
    assert [task_status(s) for s in statuses] == [
        "accepted",
        "queued",
        "queued",
        "ready",
        "error",
        "error",
    ]


def test_a_batch_result_gives_totals_and_percentages_of_the_cells_analysed():
    figures = {
        "status": {"ok": 4, "skipped": 1, "failed": 0},
        "sentiment": {"labels": {"positive": 3, "negative": 1, "neutral": 0}},
    }
    result = batch_result("review", figures)
    assert result["total"] == 4 and result["skipped"] == 1
    assert result["percentages"] == {"positive": 75.0, "negative": 25.0, "neutral": 0.0}
    assert batch_result("review", {})["percentages"]["positive"] == 0.0


def test_a_text_result_is_the_sentiment_or_an_error_with_its_v1_code():
    ok = {"status": "ok", "chains": {"sentiment": {"label": "negative", "confidence": 0.7}}}
    assert text_result(ok) == ({"sentiment": "negative", "confidence": 0.7}, None)
    failed = {"status": "failed", "chains": {"sentiment": {"error": "boom"}}}
    assert text_result(failed)[1]["code"] == "03"
    assert text_result({"status": "skipped", "reason": "empty"})[1]["code"] == "01"


def test_every_v1_code_stands_for_a_code_of_the_error_table():
    assert set(V1_CODES) <= set(STATUS)
    assert set(V1_CODES.values()) == {"01", "02", "03"}
