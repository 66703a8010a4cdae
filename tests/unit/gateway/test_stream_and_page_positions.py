"""Where a results page or a stream starts, as a client names it: what is taken and what is
refused before it reaches the store."""

import pytest

from textmill_gateway.domain.positions import (
    MAX_SEQ,
    page_limit,
    parse_cursor,
    parse_from_seq,
    stream_start,
)
from textmill_gateway.domain.refusals import Refusal
from textmill_gateway.errors import status_of


def test_a_cursor_as_next_cursor_gives_it_is_read():
    assert parse_cursor("1.4000") == (1, 4000)
    assert parse_cursor("0.-1") == (0, -1)  # a running run's page before any cell is stored
    assert parse_cursor(None) is None


@pytest.mark.parametrize(
    "cursor",
    [
        "0.-1000000",  # a negative record: the page walked the store up to record 0
        "0.-2",
        "0.²",  # passes str.isdigit, which int() refuses
        "².0",
        "0.--5",
        "0.99999999999999999999",  # past what the store holds
        "1",
        "1.",
        ".1",
        "a.b",
        " 1.2",
    ],
)
def test_a_cursor_that_next_cursor_never_gives_is_400(cursor):
    with pytest.raises(Refusal) as refused:
        parse_cursor(cursor)
    assert refused.value.code == "invalid_request" and status_of(refused.value.code) == 400


def test_a_stream_starts_after_from_seq_else_last_event_id_else_the_beginning():
    assert stream_start(7, "3") == 7
    assert stream_start(None, " 3 ") == 3
    assert stream_start(None, None) == 0
    assert stream_start(-5, None) == 0


def test_a_last_event_id_that_is_no_number_is_ignored():
    # A browser sends back whatever id it was given last.
    assert stream_start(None, "abc") == 0
    assert stream_start(None, "²") == 0


@pytest.mark.parametrize(("from_seq", "last_event_id"), [(MAX_SEQ + 1, None), (None, "1" * 20)])
def test_a_sequence_number_past_what_a_stream_holds_is_400(from_seq, last_event_id):
    # Redis refused it ("Invalid stream ID") once the answer had begun, which then broke off
    with pytest.raises(Refusal) as refused:
        stream_start(from_seq, last_event_id)
    assert refused.value.code == "invalid_request"
    assert stream_start(MAX_SEQ, None) == MAX_SEQ


def test_a_websockets_from_seq_is_digits_or_nothing():
    assert parse_from_seq("12") == 12
    assert parse_from_seq(None) is None and parse_from_seq("") is None
    for raw in ("abc", "1.5", "²", "1" * 21):
        with pytest.raises(Refusal, match="from_seq must be an integer"):
            parse_from_seq(raw)


@pytest.mark.parametrize("limit", [0, -1, 1001])
def test_a_page_of_no_cells_or_of_more_than_a_thousand_is_refused(limit):
    with pytest.raises(Refusal, match="between 1 and 1000"):
        page_limit(limit)
    assert page_limit(1) == 1 and page_limit(1000) == 1000
