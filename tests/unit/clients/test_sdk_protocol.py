"""The SDK's pure parts and its retries, over an in-process transport (httpx.MockTransport):
backoff and Retry-After, problem documents as exceptions, SSE decoding, the stream's place."""

import email.utils
import json

import httpx
import pytest

from textmill_client import RetryPolicy, StreamMessage, Textmill, TextmillError
from textmill_client.client import stream_messages
from textmill_client.protocol import SSEDecoder, StreamPlace, parse_retry_after

NO_WAIT = RetryPolicy(attempts=3, base=0.0, cap=0.0)


def test_retry_after_in_seconds_or_as_a_date_is_honoured():
    now = 1_800_000_000.0
    date = email.utils.formatdate(now + 7, usegmt=True)
    assert parse_retry_after("3", now) == 3.0
    assert parse_retry_after(date, now) == pytest.approx(7.0, abs=1.0)
    assert parse_retry_after("soon", now) is None
    assert RetryPolicy(max_wait=5).delay(1, "120", now) == 5


def test_backoff_grows_with_the_attempt_within_its_cap():
    policy = RetryPolicy(base=1.0, cap=4.0)
    assert all(0 <= policy.delay(1) <= 1.0 for _ in range(50))
    assert all(0 <= policy.delay(9) <= 4.0 for _ in range(50))


def test_a_429_then_a_503_are_retried_until_the_answer(monkeypatch):
    # Given a gateway that rate-limits, then is unavailable, then answers
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "0"}),
            httpx.Response(503, headers={"Retry-After": "0"}),
            httpx.Response(200, json={"items": []}),
        ]
    )
    seen = []

    def gateway(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return next(answers)

    # When the client lists runs
    with Textmill("http://textmill.test", "k", transport=httpx.MockTransport(gateway)) as tm:
        runs = tm.runs()
    # Then it asked three times and got the answer
    assert runs == [] and len(seen) == 3


def test_a_problem_that_outlasts_the_retries_is_raised_with_its_code():
    problem = {"code": "upstream_timeout", "detail": "no reply", "correlation_id": "abc123"}

    def gateway(request: httpx.Request) -> httpx.Response:
        return httpx.Response(504, json=problem, headers={"x-request-id": "abc123"})

    with (
        Textmill("http://t", "k", retry=NO_WAIT, transport=httpx.MockTransport(gateway)) as tm,
        pytest.raises(TextmillError) as raised,
    ):
        tm.profile("f1")
    assert (raised.value.code, raised.value.detail, raised.value.request_id) == (
        "upstream_timeout",
        "no reply",
        "abc123",
    )
    assert raised.value.status == 504


def test_an_error_without_a_problem_document_still_says_its_status():
    def gateway(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="Bad Gateway")

    with (
        Textmill("http://t", "k", retry=NO_WAIT, transport=httpx.MockTransport(gateway)) as tm,
        pytest.raises(TextmillError) as raised,
    ):
        tm.runs()
    assert raised.value.code == "http_502" and "Bad Gateway" in raised.value.detail


def test_server_sent_events_are_decoded_and_keep_alives_dropped():
    # Given the lines of a keep-alive as the gateway sends it, then a message in two data lines
    decoder = SSEDecoder()
    lines = [": keep-alive", "data: ", "", "id: 4", "event: run", 'data: {"seq": 4,', "data: "]
    lines += ['data: "type": "run", "data": {}}', "\r\n"]
    # When they are decoded
    events = [decoder.feed(line) for line in lines]
    messages = [m for event in events for m in stream_messages(event)]
    # Then the keep-alive is dropped and the message is whole
    assert [e for e in events if e] == [
        (None, "message", ""),
        ("4", "run", '{"seq": 4,\n\n"type": "run", "data": {}}'),
    ]
    assert messages == [StreamMessage(seq=4, type="run", data={})]


def test_an_error_event_is_raised_as_its_problem():
    event = ("7", "error", '{"code": "stream_gone", "status": 410, "detail": "gone"}')
    with pytest.raises(TextmillError) as raised:
        stream_messages(event)
    assert (raised.value.code, raised.value.status) == ("stream_gone", 410)


def test_the_stream_place_drops_what_it_has_had_and_sees_the_end():
    place = StreamPlace(last_seq=2)
    messages = [
        StreamMessage(seq=2, type="results", data={}),
        StreamMessage(seq=3, type="results", data={}),
        StreamMessage(seq=3, type="results", data={}),
        StreamMessage(seq=4, type="run", data={"run_id": "r", "status": "completed"}),
    ]
    taken = [m.seq for m in place.take(messages)]
    assert taken == [3, 4] and place.last_seq == 4 and place.ended


def sse(*messages: tuple[int, str, dict]) -> bytes:
    return b"".join(
        f'id: {seq}\r\nevent: {kind}\r\ndata: {{"seq": {seq}, "type": "{kind}", "data": '
        f"{json.dumps(data)}}}\r\n\r\n".encode()
        for seq, kind, data in messages
    )


def test_a_stream_closed_before_the_end_is_reopened_after_its_last_message():
    # Given a gateway whose first stream closes after two messages, before the run's end
    running = {"run_id": "r", "status": "running"}
    answers = iter(
        [
            sse((1, "run", running), (2, "results", {"column": "c", "results": []})),
            sse(
                (2, "results", {"column": "c", "results": []}),
                (3, "run", {**running, "status": "completed"}),
            ),
        ]
    )
    asked = []

    def gateway(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.params["from_seq"])
        return httpx.Response(
            200, content=next(answers), headers={"content-type": "text/event-stream"}
        )

    # When the stream is read
    with Textmill("http://t", "k", retry=NO_WAIT, transport=httpx.MockTransport(gateway)) as tm:
        seqs = [m.seq for m in tm.stream("r")]
    # Then it asked again after seq 2 and yielded each message once, to the final status
    assert asked == ["0", "2"] and seqs == [1, 2, 3]


def test_a_stream_answered_204_has_nothing_more_and_ends():
    asked = []

    def gateway(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.params["from_seq"])
        return httpx.Response(204)

    with Textmill("http://t", "k", retry=NO_WAIT, transport=httpx.MockTransport(gateway)) as tm:
        assert list(tm.stream("r", from_seq=9)) == []
    assert asked == ["9"]


def test_a_stream_that_keeps_closing_with_nothing_new_gives_up():
    def gateway(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b": keep-alive\r\n\r\n")

    with (
        Textmill("http://t", "k", retry=NO_WAIT, transport=httpx.MockTransport(gateway)) as tm,
        pytest.raises(TextmillError) as raised,
    ):
        list(tm.stream("r"))
    assert raised.value.code == "unavailable"
