"""Many runs at once on the running stack: 20 runs of four tenants (small and medium
files), each followed by a stream client of its own from its start. Every run completes
and every client gets every cell of its run exactly once (the bench's 100 runs and 100
clients, scaled down)."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.conftest import new_tenant_client, upload
from tests.e2e.data import reviews_csv
from tests.e2e.runs import read_stream, wait_for, ws_url

TENANTS, RUNS_EACH = 4, 5
SIZES = [200, 500, 1_000, 2_000, 4_000]  # rows of each tenant's files, one run each
COLUMNS = ["title", "body"]
CHAINS = ["sentiment"]
pytestmark = pytest.mark.timeout(600)  # 20 runs on a busy machine


@pytest.fixture(scope="module")
def runs(admin):
    """(client, run id, rows) of each run, every one started before any is read."""
    clients = [new_tenant_client(admin) for _ in range(TENANTS)]
    started = []
    for t, client in enumerate(clients):
        for size in SIZES[:RUNS_EACH]:
            stored = upload(client, "reviews.csv", reviews_csv(size, seed=100 * t + size))
            assert stored.status_code == 201, stored.text
            started.append((client, stored.json()["id"], size))
    runs = []
    for client, file_id, size in started:
        body = {"file_id": file_id, "columns": COLUMNS, "chains": CHAINS}
        accepted = client.post("/api/v2/analyze", json=body)
        assert accepted.status_code == 202, accepted.text
        runs.append((client, accepted.json()["run_id"], size))
    yield runs
    for client in clients:
        client.close()


def streamed_cells(client, run_id: str) -> Counter:
    """Each (column, record) the run's stream sent, and how many times, read to its end."""
    messages, ended = read_stream(ws_url(client, run_id), timeout=600)
    assert ended and messages[-1]["data"]["status"] == "completed", messages[-1]
    return Counter(
        (m["data"]["column"], r["record"])
        for m in messages
        if m["type"] == "results"
        for r in m["data"]["results"]
    )


def test_every_client_of_twenty_concurrent_runs_gets_every_cell_exactly_once(runs):
    # Given 20 runs of four tenants under way at once
    # When a stream client of each reads its run's stream to the end, all at once
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        cells = list(pool.map(lambda run: streamed_cells(run[0], run[1]), runs))

    # Then each run completed with all its cells, each sent to its client exactly once
    for (client, run_id, rows), counted in zip(runs, cells, strict=True):
        assert wait_for(client, run_id, {"completed"}, timeout=60)["cells_done"] == rows * 2
        assert set(counted) == {(c, r) for c in COLUMNS for r in range(rows)}, run_id
        assert max(counted.values()) == 1, run_id
