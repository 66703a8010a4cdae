"""Fairness and concurrency benchmark, on the running local stack.

1. Fair scheduling: tenant A runs a warm-up run of the same texts (so that shards are sized
   from their measured pace, as on a stack in use), then starts a large run
   (`--large-cells`, of the fastest chain); once it is a few per cent done, tenant B
   starts a 1,000-cell run, three times at intervals while A's runs. For each: the start
   delay (from B's acceptance to its first shard's start, as the run says) and the finish
   delay (acceptance to completion).
   Targets: start < 2 s, finish < 5 s.
2. Concurrency: `--runs` runs (100) from ten tenants, small and medium files, all started
   at once, each followed from its start by an asyncio websocket client of its own: runs
   completed, whether every client got every cell exactly once, and the stream latency
   (a results message's publication by its worker to its arrival at the client) p50/p95.
   Target: p95 < 50 ms.

Prints a Markdown table and writes bench/results/fairness.md.

    uv run python -m bench.fairness_bench [--large-cells 2000000] [--runs 100]
"""

import argparse
import asyncio
import csv
import random
import statistics
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import httpx
import msgspec
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

from bench.datasets import sentence
from bench.profile_bench import percentile
from textmill_client import RetryPolicy
from textmill_contracts.events import TERMINAL_STATUSES
from textmill_infra.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
FASTEST = ["sentiment"]  # the fastest chain (about 40,000 cells/s a process)
SMALL_CELLS = 1_000
# A run of the same texts before the large one: the coordinator sizes shards from the pace of
# completed shards, which a fresh stack has not measured yet (one in use has).
WARM_UP_CELLS = 200_000
PROBES_AT = (0.03, 0.25, 0.5)  # of the large run done, when each small run starts
TENANTS = 10
RETRY = RetryPolicy()  # the SDK's: the gateway's Retry-After, else backoff with jitter
SIZES = (200, 500, 1_000, 2_000, 5_000, 10_000)  # rows of the concurrent runs' files


def write_titles(path: Path, rows: int, seed: int) -> Path:
    """`rows` short texts (2-6 words) in one column, `title`."""
    rng = random.Random(seed)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "title"])
        writer.writerows([i, sentence(rng, 2, 6)] for i in range(rows))
    return path


def tenant(admin: httpx.Client, name: str) -> httpx.Client:
    created = admin.post("/api/v2/keys", json={"tenant": name, "role": "analyst"})
    created.raise_for_status()
    client = httpx.Client(
        base_url=admin.base_url,
        headers={"Authorization": f"Bearer {created.json()['key']}"},
        timeout=600,
    )
    client.key = created.json()["key"]  # type: ignore[attr-defined]
    return client


def upload(client: httpx.Client, path: Path) -> str:
    with path.open("rb") as f:
        stored = client.post("/api/v2/files", files={"file": (path.name, f, "text/csv")})
    stored.raise_for_status()
    return stored.json()["id"]


def analyze(client: httpx.Client, file_id: str, columns: list[str]) -> str:
    """Start a run of the fastest chain; its id."""
    body = {"file_id": file_id, "columns": columns, "chains": FASTEST}
    started = client.post("/api/v2/analyze", json=body)
    started.raise_for_status()
    return started.json()["run_id"]


def wait(client: httpx.Client, run_id: str, until) -> dict:
    while not until(run := client.get(f"/api/v2/runs/{run_id}").json()):
        time.sleep(0.1)
    return run


def seconds(run: dict, field: str) -> float:
    return (
        datetime.fromisoformat(run[field]) - datetime.fromisoformat(run["created_at"])
    ).total_seconds()


def fairness(admin: httpx.Client, tmp: Path, large_cells: int, stamp: str) -> dict:
    a, b = tenant(admin, f"bench-fair-a-{stamp}"), tenant(admin, f"bench-fair-b-{stamp}")
    large_file = upload(a, write_titles(tmp / "large.csv", large_cells, seed=1))
    small_file = upload(b, write_titles(tmp / "small.csv", SMALL_CELLS, seed=2))
    warm_file = upload(a, write_titles(tmp / "warm.csv", WARM_UP_CELLS, seed=3))
    warm = wait(a, analyze(a, warm_file, ["title"]), _ended)
    assert warm["status"] == "completed", warm
    print(
        f"  warm-up run: {WARM_UP_CELLS:,} cells, {seconds(warm, 'finished_at'):.1f} s", flush=True
    )
    large = analyze(a, large_file, ["title"])
    probes = []
    for share in PROBES_AT:
        wait(a, large, lambda r, s=share: r["cells_done"] >= s * r["cells_total"] or _ended(r))
        small = analyze(b, small_file, ["title"])
        done = wait(b, small, _ended)
        assert done["status"] == "completed", done
        probes.append((seconds(done, "started_at"), seconds(done, "finished_at")))
        print(
            f"  small run at {share:.0%} of the large one: start {probes[-1][0]:.2f} s, "
            f"finish {probes[-1][1]:.2f} s",
            flush=True,
        )
    finished = wait(a, large, _ended)
    return {
        "warm_seconds": seconds(warm, "finished_at"),
        "large_cells": large_cells,
        "large_seconds": seconds(finished, "finished_at"),
        "starts": [p[0] for p in probes],
        "finishes": [p[1] for p in probes],
    }


def _ended(run: dict) -> bool:
    return run["status"] in TERMINAL_STATUSES


class _Cell(msgspec.Struct):
    record: int


class _Data(msgspec.Struct):
    occurred_at: str | None = None
    column: str | None = None
    results: list[_Cell] = []
    status: str | None = None


class _Message(msgspec.Struct):
    type: str
    data: _Data | None = None


_READ = msgspec.json.Decoder(_Message)


async def admitted(send, attempts: int = 20) -> httpx.Response:
    """The answer once the gateway takes the request: 100 clients at once pass its bound
    of requests in flight, and a 503 `overloaded` says when to come back, as a client does."""
    for attempt in range(1, attempts):
        answer = await send()
        if answer.status_code != 503:
            return answer
        await asyncio.sleep(RETRY.delay(attempt, answer.headers.get("retry-after")))
    return await send()


async def opened_stream(url: str, attempts: int = 20):
    """A websocket to `url`, its handshake retried while the gateway answers 503."""
    for attempt in range(attempts):
        try:
            return await ws_connect(url, max_size=None, open_timeout=60)
        except InvalidStatus as refused:
            if refused.response.status_code != 503 or attempt == attempts - 1:
                raise
            retry_after = refused.response.headers.get("retry-after")
            await asyncio.sleep(RETRY.delay(attempt + 1, retry_after))
    raise AssertionError("unreachable")


async def start_and_follow(
    client: httpx.AsyncClient, ws_base: str, key: str, file_id: str
) -> tuple[str | None, Counter, list[float]]:
    """Start a run and read its stream from the start to its end, as soon as it is
    accepted: its last status, each (column, record) sent and how often, and each live
    results message's latency in ms (taken on arrival, before it is parsed; messages
    published before the socket opened are history, not latency, and are not counted)."""
    body = {"file_id": file_id, "columns": ["title"], "chains": FASTEST}
    started = await admitted(lambda: client.post("/api/v2/analyze", json=body))
    started.raise_for_status()
    run_id = started.json()["run_id"]
    url = f"{ws_base}/api/v2/runs/{run_id}/stream?api_key={key}&from_seq=0"
    cells, latencies, status = Counter(), [], None
    async with await opened_stream(url) as socket:
        opened = time.time()
        async for raw in socket:
            now = time.time()
            message = _READ.decode(raw)
            if message.type == "results":
                published = datetime.fromisoformat(message.data.occurred_at).timestamp()
                if published >= opened:
                    latencies.append((now - published) * 1000)
                cells.update((message.data.column, c.record) for c in message.data.results)
            elif message.type == "run" and message.data.status in TERMINAL_STATUSES:
                status = message.data.status
                break
    return status, cells, latencies


def concurrency(admin: httpx.Client, tmp: Path, runs: int, stamp: str) -> dict:
    clients = [tenant(admin, f"bench-many-{t}-{stamp}") for t in range(TENANTS)]
    files = {}
    for t, client in enumerate(clients):
        for rows in SIZES:
            files[t, rows] = upload(client, write_titles(tmp / f"{t}-{rows}.csv", rows, t))
    plan = [(t % TENANTS, SIZES[(t // TENANTS) % len(SIZES)]) for t in range(runs)]
    port = Settings().gateway_port
    ws_base = f"ws://127.0.0.1:{port}"

    async def all_at_once():
        sessions = [
            httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Authorization": f"Bearer {c.key}"},
                timeout=600,
            )
            for c in clients
        ]
        try:
            return await asyncio.gather(
                *(
                    start_and_follow(sessions[t], ws_base, clients[t].key, files[t, rows])
                    for t, rows in plan
                )
            )
        finally:
            for session in sessions:
                await session.aclose()

    begun = time.monotonic()
    followed = asyncio.run(all_at_once())
    elapsed = time.monotonic() - begun
    completed = sum(1 for status, _, _ in followed if status == "completed")
    exactly_once = sum(
        1
        for (_, rows), (_, cells, _) in zip(plan, followed, strict=True)
        if set(cells) == {("title", r) for r in range(rows)} and max(cells.values()) == 1
    )
    latencies = [ms for _, _, run_latencies in followed for ms in run_latencies]
    return {
        "runs": runs,
        "cells": sum(rows for _, rows in plan),
        "completed": completed,
        "exactly_once": exactly_once,
        "seconds": elapsed,
        "messages": len(latencies),
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 95),
    }


def render(fair: dict, many: dict) -> str:
    starts, finishes = fair["starts"], fair["finishes"]
    listed = ", ".join(f"{s:.2f}" for s in starts)
    listed_f = ", ".join(f"{s:.2f}" for s in finishes)
    return "\n".join(
        [
            "# Fairness and concurrency",
            "",
            "`make bench-fairness` (`bench/fairness_bench.py`), on the local stack as `make dev`",
            "starts it (one worker, a pool of one process per core; two coordinators).",
            "",
            "| measure | figure | target |",
            "| --- | --- | --- |",
            f"| warm-up run (tenant A), before the large one | {WARM_UP_CELLS:,} cells of "
            f"sentiment, {fair['warm_seconds']:.1f} s | |",
            f"| large run (tenant A) | {fair['large_cells']:,} cells of sentiment, "
            f"{fair['large_seconds']:.1f} s | |",
            f"| 1,000-cell run of tenant B started at {', '.join(f'{p:.0%}' for p in PROBES_AT)}"
            f" of A's: start delay, median (each) | {statistics.median(starts):.2f} s "
            f"({listed}) | < 2 s |",
            f"| the same: finish delay, median (each) | {statistics.median(finishes):.2f} s "
            f"({listed_f}) | < 5 s |",
            f"| concurrent runs of {TENANTS} tenants ({many['cells']:,} cells), "
            f"one stream client each | {many['runs']} runs, {many['seconds']:.1f} s | |",
            f"| runs completed | {many['completed']} of {many['runs']} | all |",
            f"| clients that got every cell exactly once | {many['exactly_once']} of "
            f"{many['runs']} | all |",
            f"| stream latency p50 / p95 ({many['messages']:,} live results messages) | "
            f"{many['p50']:.1f} / {many['p95']:.1f} ms | p95 < 50 ms |",
            "",
            "The warm-up run gives the coordinator the pace of shards of these texts and chain,",
            "which it sizes the large run's shards from (a fresh stack has none; one in use has).",
            "Delays are from the run's acceptance to its first shard's start (start) and to its",
            "completion (finish), as the run says them. Stream latency: a results message's",
            "publication by its worker to its arrival at an asyncio websocket client (one",
            "process, 100 sockets), for messages published after that client's socket opened.",
            "Each client opens its run's stream as soon as its run is accepted; the 100 runs",
            "are started at once.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large-cells", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    key = (ROOT / ".local" / "admin-key").read_text().strip()
    base = f"http://127.0.0.1:{Settings().gateway_port}"
    stamp = time.strftime("%H%M%S")
    with (
        tempfile.TemporaryDirectory() as tmp,
        httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=600
        ) as admin,
    ):
        print(f"fair scheduling: a {args.large_cells:,}-cell run and 1,000-cell runs", flush=True)
        fair = fairness(admin, Path(tmp), args.large_cells, stamp)
        print(f"concurrency: {args.runs} runs, {args.runs} stream clients", flush=True)
        many = concurrency(admin, Path(tmp), args.runs, stamp)
    table = render(fair, many)
    print(table)
    (ROOT / "bench" / "results" / "fairness.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
