"""Estimate benchmark: runs of several sizes, text lengths, chains and worker layouts, each
estimated (`POST /api/v2/estimate`) and then run; estimated against actual seconds (from the
run's acceptance to its completion), the error, and whether the interval held.

The estimator's model is cleared first, so the first pass over the runs estimates from
calibration runs and defaults, and the second, over the same files, from the history of
the first pass's shards. Prints a Markdown table and writes bench/results/estimate.md.

    uv run python -m bench.estimate_bench
    uv run python -m bench.estimate_bench --layouts 1   # one layout, to compare two builds

A subset of the layouts writes bench/results/estimate-layouts-<n>.md instead.
"""

import argparse
import csv
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from pymongo import MongoClient

from bench.datasets import WORDS
from bench.pipeline_bench import Layout, set_layout
from textmill_infra.clients import MONGO_OPTIONS
from textmill_infra.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
# Characters a cell, about: titles, tweets, reviews, long texts.
KINDS = {"titles": (2, 6, 1), "tweets": (6, 12, 2), "reviews": (8, 14, 5), "long": (8, 14, 25)}
ALL_CHAINS = ["sentiment", "language", "keywords", "pii", "stats"]


@dataclass(frozen=True)
class Case:
    kind: str
    rows: int
    chains: tuple[str, ...]


CASES = [
    Case("titles", 1_000, ("sentiment",)),
    Case("titles", 300_000, ("sentiment",)),
    Case("tweets", 20_000, ("language",)),
    Case("reviews", 5_000, ("keywords",)),
    Case("long", 2_000, ("pii",)),
    Case("reviews", 60_000, ("stats",)),
    Case("tweets", 60_000, ("sentiment", "pii")),
    Case("reviews", 3_000, tuple(ALL_CHAINS)),
    Case("long", 300, ("keywords",)),
    Case("titles", 100_000, ("sentiment", "stats")),
    Case("reviews", 20_000, ("sentiment", "language")),
    Case("tweets", 5_000, ("keywords", "stats")),
]
LAYOUTS = [Layout("1 worker, pool of 1 process", 1, 1), Layout("2 worker processes", 2, 0)]


def write_texts(path: Path, kind: str, rows: int, seed: int) -> Path:
    low, high, sentences = KINDS[kind]
    rng = random.Random(seed)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        for i in range(rows):
            text = " ".join(
                " ".join(rng.choices(WORDS, k=rng.randint(low, high))).capitalize() + "."
                for _ in range(rng.randint(max(1, sentences // 2), sentences))
            )
            writer.writerow([i, text])
    return path


def clear_model(settings: Settings) -> None:
    client = MongoClient(settings.mongo_url, **MONGO_OPTIONS)
    try:
        db = client[settings.mongo_db]
        for name in ("estimator_models", "shard_costs"):
            db[name].delete_many({})
    finally:
        client.close()


def await_workers(client: httpx.Client, file_id: str, layout: Layout, timeout: float = 60) -> None:
    """Wait until the estimator sees `layout`'s workers (their heartbeats), as an estimate's
    assumptions say: a fixed sleep after the workers restarted was at times too short, and
    the next estimate then saw no worker and said `defaults`. The probe asks for the first
    case's chains on its file, which the model covers once it has history (no calibration)."""
    body = {"file_id": file_id, "columns": ["text"], "chains": list(CASES[0].chains)}
    deadline = time.monotonic() + timeout
    while True:
        seen = client.post("/api/v2/estimate", json=body).raise_for_status().json()
        workers = seen["assumptions"]["workers_alive"]
        processes = seen["assumptions"]["chain_processes"]
        if workers == layout.workers and processes == layout.chain_processes:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"the estimator saw {workers} workers ({processes} chain processes) after "
                f"{timeout:.0f} s, where {layout.label} has {layout.workers}"
            )
        time.sleep(0.5)


def measure(client: httpx.Client, file_id: str, case: Case) -> dict:
    body = {"file_id": file_id, "columns": ["text"], "chains": list(case.chains)}
    asked = time.perf_counter()
    estimate = client.post("/api/v2/estimate", json=body)
    estimate.raise_for_status()
    estimate_ms = (time.perf_counter() - asked) * 1000
    made = estimate.json()
    run_id = client.post("/api/v2/analyze", json=body).raise_for_status().json()["run_id"]
    while (run := client.get(f"/api/v2/runs/{run_id}").json())["status"] not in (
        "completed",
        "failed",
        "cancelled",
    ):
        time.sleep(0.05)
    assert run["status"] == "completed", run
    actual = run["actual_seconds"]
    time.sleep(1.0)  # the estimator folds the run's shards and outcome in
    assumptions = made["assumptions"]
    return {
        "parts": (
            assumptions["overhead_seconds"],
            assumptions["backlog_seconds"],
            assumptions["compute_seconds"],
        ),
        "estimated": made["estimated_seconds"],
        "lower": made["confidence_lower"],
        "upper": made["confidence_upper"],
        "source": made["assumptions"]["source"],
        "cells": made["cells"],
        "actual": actual,
        "error": made["estimated_seconds"] / actual - 1,
        "held": made["confidence_lower"] <= actual <= made["confidence_upper"],
        "estimate_ms": estimate_ms,
    }


LATENCY_CASE = Case("titles", 100_000, ("sentiment", "stats"))
LATENCY_ASKS = 60


def latency(client: httpx.Client, file_id: str) -> str:
    """p50/p95/p99 of `LATENCY_ASKS` estimates of a 100,000-row file, asked one after
    another once the model has history (as a user would see them, through the gateway)."""
    body = {"file_id": file_id, "columns": ["text"], "chains": list(LATENCY_CASE.chains)}
    times = []
    for _ in range(LATENCY_ASKS):
        asked = time.perf_counter()
        client.post("/api/v2/estimate", json=body).raise_for_status()
        times.append((time.perf_counter() - asked) * 1000)
    q = statistics.quantiles(times, n=100)
    return (
        f"Latency of `POST /api/v2/estimate` on a 100,000-row file ({LATENCY_ASKS} in a row, "
        f"from history): p50 {statistics.median(times):.0f} ms, p95 {q[94]:.0f} ms, "
        f"p99 {q[98]:.0f} ms (target: p99 < 500 ms)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="estimated against actual run seconds")
    parser.add_argument(
        "--layouts",
        type=int,
        nargs="+",
        choices=range(1, len(LAYOUTS) + 1),
        help="which layouts to run (1-based; all by default)",
    )
    chosen = parser.parse_args().layouts
    layouts = [LAYOUTS[n - 1] for n in chosen] if chosen else LAYOUTS
    settings = Settings()
    key = (ROOT / ".local" / "admin-key").read_text().strip()
    base = f"http://127.0.0.1:{settings.gateway_port}"
    rows: list[tuple[str, int, Case, dict]] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=600
        ) as client,
    ):
        files = {}
        for n, case in enumerate(CASES):
            path = write_texts(Path(tmp) / f"{n}.csv", case.kind, case.rows, seed=n)
            with path.open("rb") as f:
                upload = client.post("/api/v2/files", files={"file": (path.name, f, "text/csv")})
            files[case] = upload.raise_for_status().json()["id"]
        try:
            for n, layout in enumerate(layouts):
                set_layout(layout)
                await_workers(client, files[CASES[0]], layout)
                if n == 0:
                    clear_model(settings)  # after the probe, which may have calibrated
                for attempt in (1, 2):
                    for case in CASES:
                        result = measure(client, files[case], case)
                        rows.append((layout.label, attempt, case, result))
                        print(format_row(layout.label, attempt, case, result), flush=True)
            latency_line = latency(client, files[LATENCY_CASE])
            print(latency_line, flush=True)
        finally:
            set_layout(None)
            for file_id in files.values():
                client.delete(f"/api/v2/files/{file_id}")
    table = render(rows) + "\n\n" + latency_line
    print(table)
    name = f"estimate-layouts-{'-'.join(map(str, chosen))}" if chosen else "estimate"
    out = ROOT / "bench" / "results" / f"{name}.md"
    out.write_text(table + "\n")
    print(f"\nwritten to {out.relative_to(ROOT)}")


def format_row(layout: str, attempt: int, case: Case, r: dict) -> str:
    return (
        f"| {layout} | {attempt} | {case.kind} | {case.rows:,} | {'+'.join(case.chains)} "
        f"| {r['source']} | {'/'.join(f'{p:.2f}' for p in r['parts'])} "
        f"| {r['estimated']:.2f} | {r['lower']:.2f}–{r['upper']:.2f} "
        f"| {r['actual']:.2f} | {r['error'] * 100:+.1f} % | {'yes' if r['held'] else 'no'} "
        f"| {r['estimate_ms']:.0f} |"
    )


def summary(label: str, results: list[dict]) -> str:
    errors = [abs(r["error"]) for r in results]
    held = sum(r["held"] for r in results) / len(results)
    return (
        f"| {label} | {len(errors)} | {statistics.median(errors) * 100:.1f} % "
        f"| {max(errors) * 100:.1f} % | {sum(e <= 0.25 for e in errors)} "
        f"| {held * 100:.0f} % |"
    )


def summary_table(rows: list[tuple[str, int, Case, dict]]) -> list[str]:
    """Median and worst |error|, runs within ±25 %, and the interval's hold rate, by layout
    and pass, then for each pass over both layouts."""
    lines = [
        "| runs | n | median \\|error\\| | worst \\|error\\| | within ±25 % | interval held |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for layout in dict.fromkeys(label for label, *_ in rows):
        for attempt in (1, 2):
            chosen = [r for label, a, _, r in rows if label == layout and a == attempt]
            lines.append(summary(f"{layout}, pass {attempt}", chosen))
    for attempt in (1, 2):
        chosen = [r for _, a, _, r in rows if a == attempt]
        lines.append(summary(f"**pass {attempt}, both layouts**", chosen))
    return lines


def render(rows: list[tuple[str, int, Case, dict]]) -> str:
    lines = [
        "Each run estimated (`POST /api/v2/estimate`) and then run; actual = from the run's "
        "acceptance to its completion. Pass 1 starts from an empty cost model (calibration "
        "runs on sampled cells for lengths a chain has not seen), pass 2 estimates the same "
        "runs from the history of pass 1's shards. Error = estimated ÷ actual − 1; interval at "
        "90 %; the estimate's parts: a run's fixed costs, the backlog ahead of it, its shards.",
        "",
        "| layout | pass | texts | rows | chains | costs from | fixed/backlog/shards s "
        "| estimated s | interval s | actual s | error | held | estimate ms |",
        "| --- | ---: | --- | ---: | --- | --- | --- | ---: | --- | ---: | ---: | --- | ---: |",
        *(format_row(layout, attempt, case, r) for layout, attempt, case, r in rows),
        "",
        *summary_table(rows),
        "",
        "Targets: median |error| ≤ 10 %, every run within ±25 %, the interval holding the "
        "actual time in ≥ 80 % of runs.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
