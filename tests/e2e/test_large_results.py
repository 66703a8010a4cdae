"""A run whose results are too large for one message per stored batch: all five chains over
texts of a few hundred characters, and one cell whose redacted copy alone passes 1 MB.
Every cell still reaches the stream, exactly once, and the store."""

import csv
import io
import json
from collections import Counter

import pytest

from tests.e2e.data import review_records
from tests.e2e.runs import all_results, read_stream, start_run, wait_for, ws_url
from textmill_contracts.events import RESULTS_MESSAGE_BYTES

ROWS = 1_200  # two stored batches
CHAINS = ["sentiment", "language", "keywords", "pii", "stats"]
HUGE_ROW = 5
# ~820,000 characters with 16,000 addresses: its pii result (redacted copy and spans) ~1.8 MB.
HUGE_TEXT = " ".join(f"Great kettle, write to user{i}@example.com today." for i in range(16_000))


def tickets_csv() -> bytes:
    records = review_records(ROWS * 4, seed=5)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["ticket_id", "ticket"])
    for row in range(ROWS):
        text = " ".join(r["body"] for r in records[row * 4 : row * 4 + 4])
        text += f" Reach me at customer{row}@example.org or +44 20 7946 {row % 10_000:04d}."
        writer.writerow([row, HUGE_TEXT if row == HUGE_ROW else text])
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def run_id(client) -> str:
    return start_run(client, tickets_csv(), ["ticket"], CHAINS)


@pytest.fixture(scope="module")
def streamed(client, run_id) -> list[dict]:
    messages, ended = read_stream(ws_url(client, run_id), max_size=None)
    assert ended
    return [m for m in messages if m["type"] == "results"]


def test_the_run_completes_with_every_cell(client, run_id, streamed):
    run = wait_for(client, run_id, {"completed", "failed", "cancelled"})
    assert run["status"] == "completed", run
    assert run["cells_done"] == run["cells_total"] == ROWS


def test_every_cell_reaches_the_stream_exactly_once(streamed):
    # Given the stream of a run whose stored batches hold ~1.5 MB of results each
    records = [r["record"] for m in streamed for r in m["data"]["results"]]
    # Then each row arrived once
    assert sorted(records) == list(range(ROWS))
    # And in pieces: more messages than stored batches, none of several cells over the limit
    assert len(streamed) > 2
    for message in streamed:
        results = message["data"]["results"]
        size = len(json.dumps(results, separators=(",", ":"), ensure_ascii=False).encode())
        assert len(results) == 1 or size <= RESULTS_MESSAGE_BYTES


def test_the_huge_cell_travels_alone_and_whole(client, run_id, streamed):
    # Given the one cell whose results pass 1 MB
    [message] = [m for m in streamed if m["data"]["results"][0]["record"] == HUGE_ROW]
    # Then it came in a message of its own, with every address found and redacted
    [cell] = message["data"]["results"]
    pii = cell["chains"]["pii"]
    assert len(pii["entities"]) == 16_000 and "@example.com" not in pii["redacted"]
    # And it is what the store holds
    stored = [r for r in all_results(client, run_id) if r["record"] == HUGE_ROW]
    assert [r["chains"]["pii"] for r in stored] == [pii]


def test_the_store_holds_one_result_per_cell(client, run_id, streamed):
    keys = Counter(r["record"] for r in all_results(client, run_id))
    assert sorted(keys) == list(range(ROWS)) and max(keys.values()) == 1
