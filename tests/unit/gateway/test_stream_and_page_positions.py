"""Where a results page or a stream starts, as a client names it: what is taken and what is
refused before it reaches the store."""

import pytest

from textmill_gateway.errors import ApiError
from textmill_gateway.routes.runs import MAX_SEQ, parse_cursor, stream_start


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
    with pytest.raises(ApiError) as refused:
        parse_cursor(cursor)
    assert (refused.value.status, refused.value.code) == (400, "invalid_request")


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
    with pytest.raises(ApiError) as refused:
        stream_start(from_seq, last_event_id)
    assert (refused.value.status, refused.value.code) == (400, "invalid_request")
    assert stream_start(MAX_SEQ, None) == MAX_SEQ
