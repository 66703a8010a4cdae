"""The Python SDK (textmill_client) against the running stack: a whole run through the sync
client, the live stream resumed after a dropped connection, problems as exceptions, and the
async client."""

import csv
import uuid

import httpx
import pytest

from tests.e2e.conftest import new_tenant_client
from tests.e2e.data import reviews_csv
from textmill_client import AsyncTextmill, Textmill, TextmillError

ROWS = 2_500


@pytest.fixture(scope="module")
def tenant_key(admin) -> str:
    with new_tenant_client(admin) as client:
        return client.headers["authorization"].split(" ", 1)[1]


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    path = tmp_path_factory.mktemp("sdk") / "reviews.csv"
    path.write_bytes(reviews_csv(ROWS))
    return path


class DropsTheFirstStream(httpx.BaseTransport):
    """A real connection to the gateway whose first SSE response breaks after a few lines,
    as a proxy or a network might cut it."""

    def __init__(self, lines_before_the_cut: int) -> None:
        self.inner = httpx.HTTPTransport()
        self.left = lines_before_the_cut
        self.cut = False
        self.from_seqs: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if not request.url.path.endswith("/events"):
            return response
        self.from_seqs.append(request.url.params.get("from_seq"))
        if self.cut:
            return response
        self.cut = True
        transport = self

        class Cut(httpx.SyncByteStream):
            def __iter__(self):
                for chunk in response.stream:
                    for line in chunk.splitlines(keepends=True):
                        if transport.left == 0:
                            response.close()
                            raise httpx.RemoteProtocolError("peer closed the connection")
                        transport.left -= 1
                        yield line

        return httpx.Response(response.status_code, headers=response.headers, stream=Cut())


def test_a_whole_run_through_the_sync_client(gateway_url, tenant_key, reviews, tmp_path):
    # Given a client of a tenant of its own and a review file on disk
    progress = []
    with Textmill(gateway_url, tenant_key) as tm:
        # When it is uploaded (streamed, with a progress callback), profiled and estimated
        stored = tm.upload(reviews, progress=lambda sent, total: progress.append((sent, total)))
        profile = tm.profile(stored.id)
        columns = profile.top(1)
        estimate = tm.estimate(stored.id, columns, ["sentiment"])
        # And a run is started and its stream followed to the end
        run_id = tm.analyze(stored.id, columns, ["sentiment"])
        messages = list(tm.stream(run_id))
        ended = tm.run(run_id)
        results = list(tm.results(run_id, page_size=700))
        summary = tm.summary(run_id)
        exported = tm.export(run_id, tmp_path / "run.csv")
    # Then the upload reported every byte, the profile ranked the review body first
    assert progress[-1] == (reviews.stat().st_size, reviews.stat().st_size)
    assert stored.rows == ROWS and columns == ["body"]
    assert estimate.cells == ROWS and estimate.estimated_seconds > 0
    # And the stream gave every cell once, in sequence order, ending with the final status
    assert [m.seq for m in messages] == sorted({m.seq for m in messages})
    streamed = [item.record for m in messages for item in m.results]
    assert sorted(streamed) == list(range(ROWS))
    assert messages[-1].is_final or any(m.is_final for m in messages)
    assert ended.status == "completed" and ended.cells_done == ROWS
    # And the results pages, the summary and the export agree
    assert sorted(r.record for r in results) == list(range(ROWS))
    assert summary["columns"]["body"]["cells"] == ROWS
    with exported.open(newline="") as rows:
        assert sum(1 for _ in csv.DictReader(rows)) == ROWS


def test_the_stream_resumes_after_a_dropped_connection_without_repeats(
    gateway_url, tenant_key, reviews
):
    # Given a run, and a connection that breaks the first stream after a few of its lines
    with Textmill(gateway_url, tenant_key) as tm:
        stored = tm.upload(reviews)
        run_id = tm.analyze(stored.id, ["body", "title"], ["sentiment"])
    cutting = DropsTheFirstStream(lines_before_the_cut=9)
    # When the stream is read through it
    with Textmill(gateway_url, tenant_key, transport=cutting) as tm:
        messages = list(tm.stream(run_id))
    # Then it reconnected once, after the last message it had yielded
    assert len(cutting.from_seqs) == 2
    assert cutting.from_seqs[0] == "0" and int(cutting.from_seqs[1]) > 0
    # And every message and every cell came exactly once
    seqs = [m.seq for m in messages]
    assert seqs == list(range(1, len(seqs) + 1))
    cells = [(item.column, item.record) for m in messages for item in m.results]
    assert len(cells) == len(set(cells)) == 2 * ROWS
    assert any(m.is_final and m.data["status"] == "completed" for m in messages)


def test_a_refusal_is_raised_with_its_code_detail_and_request_id(gateway_url, tenant_key):
    # Given a client
    with Textmill(gateway_url, tenant_key) as tm:
        # When it asks for a run that does not exist
        with pytest.raises(TextmillError) as raised:
            tm.run(f"missing-{uuid.uuid4().hex}")
    # Then the exception carries the problem's stable code, its detail and the request id
    assert raised.value.code == "run_not_found"
    assert raised.value.status == 404
    assert "no run" in raised.value.detail
    assert raised.value.request_id and len(raised.value.request_id) >= 16


def test_an_unknown_key_is_refused_as_unauthorized(gateway_url):
    with Textmill(gateway_url, "tm_not_a_key") as tm, pytest.raises(TextmillError) as raised:
        tm.runs()
    assert raised.value.code == "unauthorized"


async def test_a_run_through_the_async_client(gateway_url, tenant_key, tmp_path):
    # Given a small file and the async client
    path = tmp_path / "small.csv"
    path.write_bytes(reviews_csv(300))
    async with AsyncTextmill(gateway_url, tenant_key) as tm:
        # When it uploads, runs and follows the stream
        sent = []
        stored = await tm.upload(path, progress=lambda done, total: sent.append(done))
        run_id = await tm.analyze(stored.id, ["body"], ["sentiment", "language"])
        cells = [item.record async for m in tm.stream(run_id) for item in m.results]
        results = [item async for item in tm.results(run_id, page_size=100)]
        ended = await tm.run(run_id)
        runs = await tm.runs()
        exported = await tm.export(run_id, tmp_path / "run.jsonl", format="jsonl")
    # Then every cell came once over the stream and over the pages, and the run is listed
    assert sent[-1] == path.stat().st_size
    assert sorted(cells) == list(range(300)) == sorted(r.record for r in results)
    assert ended.status == "completed" and ended.progress["body"].done == 300
    assert run_id in [r.run_id for r in runs]
    assert len(exported.read_text().splitlines()) == 300
