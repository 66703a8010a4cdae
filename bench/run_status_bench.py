"""Run status reads of a small and a large run, back to back: the gateway's CPU a read and
its latency, for a 1,000-cell run (one shard) and a 600,000-cell one (600 shards of 1,000
rows: its document maps every shard).

    uv run python -m bench.run_status_bench [--rate 50] [--seconds 15] [--rounds 3]

The two runs are written to the store as the coordinator leaves them (planned with
`RunRecords.record_plan`, every shard's progress folded in, completed), so that no worker
has to analyse 600,000 cells first. Each round reads the small run then the large one at a
constant rate (vegeta); the figures are the rounds' medians.
"""

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.load_bench import ROOT, VEGETA, attack, idle_cpu_per_second
from bench.profile_bench import percentile
from textmill_contracts.envelope import utc_now
from textmill_infra.clients import make_mongo
from textmill_infra.settings import Settings
from textmill_runs import Run, new_run_id, plan_shards
from textmill_storage import RunRecords

SIZES = {"small": 1_000, "large": 600_000}
SHARD_ROWS = 1_000  # the least a shard has: the most shards a run of this size can have


async def store_run(settings: Settings, tenant: str, cells: int) -> str:
    """A completed run of `cells` cells over one column, as the coordinator leaves it."""
    client = make_mongo(settings)
    try:
        runs = RunRecords(client[settings.mongo_db])
        run = Run(
            id=new_run_id(),
            tenant=tenant,
            file_id="bench-file",
            columns=["review"],
            chains=["sentiment"],
            status="accepted",
            rows=cells,
            cells_total=cells,
            created_at=utc_now(),
        )
        await runs.create(run)
        plans = plan_shards(cells, ["review"], SHARD_ROWS)
        await runs.record_plan(run.id, plans)
        await runs.move(run.id, "running", started_at=utc_now())
        for plan in plans:
            await runs.record_progress(run.id, plan.n, plan.cells, True)
        await runs.move(run.id, "completed", finished_at=utc_now())
        return run.id
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not VEGETA.exists():
        raise SystemExit(f"{VEGETA} is missing: run `make install`")
    settings = Settings()
    base = f"http://127.0.0.1:{settings.gateway_port}"
    admin = (ROOT / ".local" / "admin-key").read_text().strip()
    tenant = f"status-bench-{int(time.time())}"
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {admin}"}) as client:
        made = client.post("/api/v2/keys", json={"tenant": tenant, "role": "analyst"})
        made.raise_for_status()
        key = made.json()["key"]
    run_ids = {size: asyncio.run(store_run(settings, tenant, n)) for size, n in SIZES.items()}
    idle = idle_cpu_per_second().get("gateway", 0.0)
    figures: dict[str, list[tuple[float, float, float, float]]] = {size: [] for size in SIZES}
    for _ in range(args.rounds):
        for size, run_id in run_ids.items():
            target = {
                "method": "GET",
                "url": f"{base}/api/v2/runs/{run_id}",
                "header": {"Authorization": [f"Bearer {key}"]},
            }
            with tempfile.NamedTemporaryFile("w", suffix=".json") as target_file:
                target_file.write(json.dumps(target) + "\n")
                target_file.flush()
                done = attack(Path(target_file.name), args.rate, args.seconds, 1)
            done.gateway_idle = idle
            latencies = done.latencies_ms["run status"]
            figures[size].append(
                (
                    done.gateway_ms_per_request(),
                    statistics.median(latencies),
                    percentile(latencies, 95),
                    100 * done.errors / max(1, done.sent),
                )
            )
            print(size, *(f"{x:.2f}" for x in figures[size][-1]), flush=True)
            time.sleep(3)
    print(
        f"\nRun status at {args.rate} req/s for {args.seconds} s, {args.rounds} rounds, "
        "medians:\n\n| run | cells | shards | gateway CPU ms/req | p50 ms | p95 ms | errors |"
        "\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    for size, cells in SIZES.items():
        cpu, p50, p95, errors = (statistics.median(f[i] for f in figures[size]) for i in range(4))
        shards = -(-cells // SHARD_ROWS)
        figures_row = f"{cpu:.2f} | {p50:.1f} | {p95:.1f} | {errors:.1f} %"
        print(f"| {size} | {cells:,} | {shards} | {figures_row} |")


if __name__ == "__main__":
    main()
