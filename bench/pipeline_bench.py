"""Pipeline benchmark: the sentiment chain over two text columns of a generated review file,
four ways, on the same texts:

1. raw chain speed: `analyse_cells` in one process (no Kafka, no store);
2. the baseline a user would write: pandas `read_csv` + VADER `polarity_scores` per cell;
3. end to end through the running stack (upload, analyse, results stored and streamed)
   with 1 and with 2 worker processes.

For each end-to-end run: cells/s (POST to completed), pipeline efficiency = end-to-end ÷
(raw × worker processes), first-result latency (POST to the first streamed result) and
stream latency (a batch's publication by its worker to its arrival at a websocket client,
one clock) p50/p95. Prints a Markdown table and writes bench/results/pipeline.md.

    uv run python -m bench.pipeline_bench [--rows 100000]
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
import pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
from websockets.sync.client import connect

from bench.datasets import write_reviews
from bench.profile_bench import percentile
from textmill_infra.settings import Settings
from textmill_worker.chains import analyse_cells, get_chains

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ["title", "review"]
CHAINS = ["sentiment"]


def raw_speed(path: Path) -> float:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    texts = [t for c in COLUMNS for t in frame[c].tolist()]
    chains = get_chains(CHAINS)
    analyse_cells(chains, texts[:500])  # warm up
    started = time.perf_counter()
    for start in range(0, len(texts), 250):
        analyse_cells(chains, texts[start : start + 250])
    return len(texts) / (time.perf_counter() - started)


def pandas_vader(path: Path) -> float:
    started = time.perf_counter()
    frame = pd.read_csv(path)
    analyzer = SentimentIntensityAnalyzer()
    for column in COLUMNS:
        scores = frame[column].fillna("").astype(str).map(analyzer.polarity_scores)
        frame[f"{column}_compound"] = scores.map(lambda s: s["compound"])
    return len(frame) * len(COLUMNS) / (time.perf_counter() - started)


def set_workers(count: int) -> None:
    """Run exactly `count` local worker processes (stack.py starts what is missing)."""
    env = {**os.environ, "TEXTMILL_WORKER_PROCESSES": str(count)}
    for pid_file in (ROOT / ".local" / "run").glob("worker-*.pid"):
        if int(pid_file.stem.split("-")[1]) > count:
            os.killpg(int(pid_file.read_text()), signal.SIGTERM)
            pid_file.unlink()
    subprocess.run(
        [sys.executable, "deploy/local/stack.py", "up"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    time.sleep(12)  # let the workers' consumer group settle after the change


def end_to_end(client: httpx.Client, key: str, file_id: str, cells: int) -> dict:
    started = time.time()
    response = client.post(
        "/api/v2/analyze", json={"file_id": file_id, "columns": COLUMNS, "chains": CHAINS}
    )
    response.raise_for_status()
    run_id = response.json()["run_id"]
    url = f"ws://127.0.0.1:{Settings().gateway_port}/api/v2/runs/{run_id}/stream?api_key={key}"
    first, latencies, streamed = None, [], 0
    with connect(url, max_size=None) as socket:
        while True:
            message = json.loads(socket.recv(timeout=600))
            now = time.time()
            if message["type"] == "results":
                first = first or now
                streamed += len(message["data"]["results"])
                published = datetime.fromisoformat(message["data"]["occurred_at"]).timestamp()
                latencies.append((now - published) * 1000)
            elif message["type"] == "run" and message["data"]["status"] in {
                "completed",
                "failed",
                "cancelled",
            }:
                break
    run = client.get(f"/api/v2/runs/{run_id}").json()
    assert run["status"] == "completed" and streamed == cells, (run["status"], streamed)
    finished = datetime.fromisoformat(run["finished_at"]).timestamp()
    return {
        "cells_per_s": cells / (finished - started),
        "first_ms": (first - started) * 1000,
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 95),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    cells = args.rows * len(COLUMNS)
    key = (ROOT / ".local" / "admin-key").read_text().strip()
    base = f"http://127.0.0.1:{Settings().gateway_port}"
    with tempfile.TemporaryDirectory() as tmp:
        path = write_reviews(Path(tmp) / "reviews.csv", args.rows, seed=42)
        raw = raw_speed(path)
        baseline = pandas_vader(path)
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=300
        ) as client:
            with path.open("rb") as f:
                upload = client.post(
                    "/api/v2/files", files={"file": ("reviews.csv", f, "text/csv")}
                )
            upload.raise_for_status()
            file_id = upload.json()["id"]
            runs = {}
            for workers in (1, 2):
                set_workers(workers)
                runs[workers] = end_to_end(client, key, file_id, cells)
    lines = [
        f"Sentiment chain (VADER) over {cells:,} cells ({args.rows:,} rows × {len(COLUMNS)} text "
        "columns of a generated review CSV), on one 2-core machine that also runs Kafka, "
        "FerretDB, Redis and every service.",
        "",
        "| pipeline | cells/s | efficiency | first result ms | stream p50 ms | stream p95 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f"| raw chain, one process (`analyse_cells`) | {raw:,.0f} | | | | |",
        f"| pandas + VADER script (baseline) | {baseline:,.0f} | | | | |",
    ]
    for workers, r in runs.items():
        lines.append(
            f"| textmill end to end, {workers} worker process{'es' if workers > 1 else ''} | "
            f"{r['cells_per_s']:,.0f} | {r['cells_per_s'] / (raw * workers):.2f} | "
            f"{r['first_ms']:,.0f} | {r['p50']:.1f} | {r['p95']:.1f} |"
        )
    lines += ["", "Targets: efficiency ≥ 0.8; stream latency p95 < 50 ms."]
    table = "\n".join(lines)
    print(table)
    out = ROOT / "bench" / "results" / "pipeline.md"
    out.write_text(table + "\n")
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
