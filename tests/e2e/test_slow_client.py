"""A client that stops reading its run's stream holds back neither the run nor another
client (issue 4, streams): each client reads the run's Redis stream at its own pace."""

import json
import socket
from collections import Counter
from urllib.parse import urlparse

from websockets.sync.client import connect

from tests.e2e.data import reviews_csv
from tests.e2e.runs import read_stream, start_run, wait_for, ws_url

ROWS = 60_000  # ~12 MB of sentiment results: far more than the stalled client's buffers


def stalled_socket(url: str) -> socket.socket:
    """A TCP connection that takes in at most a few KB unread: past that, the gateway's
    writes to it block."""
    where = urlparse(url)
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect((where.hostname, where.port))
    return raw


def cells(messages: list[dict]) -> Counter:
    return Counter(
        cell["record"]
        for message in messages
        if message["type"] == "results"
        for cell in message["data"]["results"]
    )


def test_a_stalled_client_holds_back_neither_the_run_nor_another_client(alice):
    # Given a run of 60,000 cells, and a client that reads its first message and then stops
    run_id = start_run(alice, reviews_csv(ROWS, seed=31), ["body"], ["sentiment"])
    url = ws_url(alice, run_id)
    with connect(url, sock=stalled_socket(url), max_queue=1, max_size=None) as stalled:
        first = json.loads(stalled.recv(timeout=60))
        # When another client reads the stream from its start
        messages, ended = read_stream(url, max_size=None, timeout=120)
        # Then that client gets every cell once and the run's end, while the first one
        # still sits on its first message
        assert ended
        assert cells(messages) == Counter(range(ROWS))
        assert wait_for(alice, run_id, {"completed", "failed", "cancelled"})["status"] == (
            "completed"
        )
        # And when the stalled client reads again, it gets the rest, each cell once
        rest = [first]
        while not (rest[-1]["type"] == "run" and rest[-1]["data"]["status"] == "completed"):
            message = json.loads(stalled.recv(timeout=60))
            if message["type"] != "keep-alive":
                rest.append(message)
    assert cells(rest) == Counter(range(ROWS))
