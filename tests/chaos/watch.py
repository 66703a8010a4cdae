"""One run watched as a user would: a stream client that reconnects with its last sequence
number whenever it is cut off, and a poller of the run's progress; then the checks that
every cell is stored, exported and streamed exactly once."""

import csv
import io
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import connect

from tests.chaos.measure import Sample

TERMINAL = {"completed", "failed", "cancelled"}
GONE = 4410  # the websocket close code of a stream that is no longer kept


@dataclass
class Stream:
    """What the stream client received."""

    cells: Counter = field(default_factory=Counter)  # (column, record) -> times received
    last_seq: int = 0
    connections: int = 0
    gone: bool = False
    ended: bool = False


class RunWatch:
    """Follows a run from its start (`POST /analyze` at `started`) to its end."""

    def __init__(self, client: httpx.Client, run_id: str, cells: int, started: float) -> None:
        self.client, self.run_id, self.cells, self.started = client, run_id, cells, started
        self.samples: list[Sample] = []
        self.status, self.finished = "accepted", None
        self.stream = Stream()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._poll, daemon=True),
            threading.Thread(target=self._read_stream, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    @property
    def done(self) -> int:
        return self.samples[-1].done if self.samples else 0

    def wait_until(self, fraction: float, timeout: float = 300) -> int:
        """Wait until `fraction` of the cells are done; the cells done then."""
        deadline = time.monotonic() + timeout
        while self.done < fraction * self.cells:
            if self.status in TERMINAL:
                raise AssertionError(f"the run ended ({self.status}) before {fraction:.0%}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the run did not reach {fraction:.0%} in {timeout}s")
            time.sleep(0.05)
        return self.done

    def wait_end(self, timeout: float = 600) -> str:
        deadline = time.monotonic() + timeout
        while self.status not in TERMINAL:
            if time.monotonic() > deadline:
                raise AssertionError(f"the run was still {self.status} after {timeout}s")
            time.sleep(0.1)
        for thread in self._threads:  # the stream ends on its own after the terminal update
            thread.join(timeout=90)
        self._stop.set()
        return self.status

    @property
    def duration(self) -> float:
        assert self.finished is not None
        return self.finished - self.started

    def _poll(self) -> None:
        while not self._stop.is_set():
            try:
                run = self.client.get(f"/api/v2/runs/{self.run_id}", timeout=5).json()
            except (httpx.HTTPError, ValueError):
                time.sleep(0.25)  # the gateway is away: the user waits
                continue
            now = time.monotonic()
            if "cells_done" in run:
                self.samples.append(Sample(now, run["cells_done"]))
                self.status = run["status"]
                if self.status in TERMINAL:
                    self.finished = now
                    return
            time.sleep(0.25)

    def _url(self) -> str:
        base = str(self.client.base_url).replace("http://", "ws://").rstrip("/")
        key = self.client.headers["authorization"].split(" ", 1)[1]
        return (
            f"{base}/api/v2/runs/{self.run_id}/stream?api_key={key}&from_seq={self.stream.last_seq}"
        )

    def _read_stream(self) -> None:
        stream = self.stream
        while not self._stop.is_set() and not (stream.ended or stream.gone):
            try:
                with connect(self._url(), open_timeout=5, close_timeout=2, max_size=None) as ws:
                    stream.connections += 1
                    self._read(ws)
            except ConnectionClosed as closed:
                if closed.rcvd is not None and closed.rcvd.code == GONE:
                    stream.gone = True
                elif (
                    self.status in TERMINAL and closed.rcvd is not None and closed.rcvd.code == 1000
                ):
                    stream.ended = True
            except (OSError, InvalidHandshake, InvalidStatus, TimeoutError):
                pass  # cut off or refused: reconnect with the last sequence number
            if not (stream.ended or stream.gone):
                time.sleep(0.3)

    def _read(self, ws) -> None:
        stream = self.stream
        while True:
            try:
                message = json.loads(ws.recv(timeout=30))
            except ConnectionClosed as closed:
                if closed.rcvd is not None and closed.rcvd.code == GONE:
                    stream.gone = True
                elif closed.rcvd is not None and closed.rcvd.code == 1000 and self._ended_seen:
                    stream.ended = True
                return
            kind = message.get("type")
            if kind == "error":
                stream.gone = True
                return
            if kind == "keep-alive":
                continue
            stream.last_seq = message["seq"]
            if kind == "results":
                data = message["data"]
                for cell in data["results"]:
                    stream.cells[(data["column"], cell["record"])] += 1
            elif kind == "run" and message["data"]["status"] in TERMINAL:
                self._ended_seen = True

    _ended_seen = False


def stored_cells(client: httpx.Client, run_id: str) -> Counter:
    """Every cell the results pages give, by (column, record)."""
    cells, cursor = Counter(), None
    while True:
        params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/api/v2/runs/{run_id}/results", params=params, timeout=60)
        page.raise_for_status()
        body = page.json()
        for item in body["items"]:
            cells[(item["column"], item["record"])] += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return cells


def exported_rows(client: httpx.Client, run_id: str, column: str) -> tuple[Counter, int]:
    """The CSV export's rows by id (how often each), and how many carry a result status."""
    rows, with_status = Counter(), 0
    with client.stream("GET", f"/api/v2/runs/{run_id}/export", params={"format": "csv"}) as r:
        r.raise_for_status()
        text = io.StringIO("".join(r.iter_text()))
    for row in csv.DictReader(text):
        rows[row["id"]] += 1
        with_status += bool(row.get(f"{column}.status"))
    return rows, with_status


def exactly_once(cells: Counter, expected: int) -> str | None:
    """None when `cells` holds `expected` keys once each; otherwise what is wrong."""
    twice = sum(1 for n in cells.values() if n > 1)
    if len(cells) != expected or twice:
        return f"{len(cells)} of {expected} once, {twice} more than once"
    return None
