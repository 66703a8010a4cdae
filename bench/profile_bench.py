"""Profile benchmark: a 100,000-row × 10-column file (3 text columns) profiled through the
gateway of the running local stack, cold (content never seen, so the profiler parses and
profiles it) and cached, with p50/p99 latencies and the profiler's peak memory.

    uv run python -m bench.profile_bench [--rows 100000] [--cold 5] [--cached 200]

Prints a Markdown table and writes it to bench/results/profile.md.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.datasets import write_reviews
from textmill_infra.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def peak_rss_mib(service: str) -> float:
    pid = (ROOT / ".local" / "run" / f"{service}.pid").read_text().strip()
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def stored_megabytes() -> float:
    from textmill_infra.clients import make_sync_mongo

    client = make_sync_mongo(Settings())
    try:
        files = client[Settings().mongo_db]["fs.files"]
        return sum(d["length"] for d in files.find({}, {"length": 1})) / 1e6
    finally:
        client.close()


def timed_profile(client: httpx.Client, file_id: str) -> float:
    started = time.perf_counter()
    response = client.post("/api/v2/profile", json={"file_id": file_id})
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--cold", type=int, default=5)
    parser.add_argument("--cached", type=int, default=200)
    args = parser.parse_args()

    settings = Settings()
    key = (ROOT / ".local" / "admin-key").read_text().strip()
    base = f"http://127.0.0.1:{settings.gateway_port}"
    stats_url = f"http://127.0.0.1:{settings.port_for('profiler')}/cache/stats"
    headers = {"Authorization": f"Bearer {key}"}
    cold, cached, size = [], [], 0
    with (
        httpx.Client(base_url=base, headers=headers, timeout=300) as client,
        tempfile.TemporaryDirectory() as tmp,
    ):
        seed = time.time_ns()
        file_ids = []
        stored_before = stored_megabytes()
        for i in range(args.cold):  # each cold run is new content: a new hash, a cache miss
            path = write_reviews(Path(tmp) / f"reviews-{i}.csv", args.rows, seed=seed + i)
            size = path.stat().st_size
            with path.open("rb") as f:
                upload = client.post("/api/v2/files", files={"file": (path.name, f, "text/csv")})
            upload.raise_for_status()
            file_ids.append(upload.json()["id"])
            path.unlink()
            cold.append(timed_profile(client, file_ids[-1]))  # as a user does: upload, profile
        stored_after = stored_megabytes()
        hits_before = httpx.get(stats_url).json()["hits"]
        for _ in range(args.cached):
            cached.append(timed_profile(client, file_ids[-1]))
        hits = httpx.get(stats_url).json()["hits"] - hits_before

    rows = [
        ("cold (parse + profile)", cold),
        ("cached", cached),
    ]
    lines = [
        f"Profile of a {args.rows:,}-row × 10-column CSV ({size / 1e6:.1f} MB, 3 text columns), "
        "through the gateway and Kafka request/reply.",
        "",
        "| request | n | p50 ms | p99 ms | max ms | target p99 |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    targets = {"cold (parse + profile)": "< 500 ms", "cached": "< 20 ms"}
    for name, values in rows:
        lines.append(
            f"| {name} | {len(values)} | {statistics.median(values):.1f} | "
            f"{percentile(values, 99):.1f} | {max(values):.1f} | {targets[name]} |"
        )
    lines += [
        "",
        f"Stored files in the Mongo-compatible store: {stored_before:.0f} MB before the cold "
        f"runs, {stored_after:.0f} MB after (each cold run uploads its own file). "
        f"Cache hits during the cached phase: {hits} of {args.cached}. "
        f"Profiler peak RSS (VmHWM, whole process life): {peak_rss_mib('profiler'):.0f} MiB; "
        f"gateway: {peak_rss_mib('gateway'):.0f} MiB.",
    ]
    table = "\n".join(lines)
    print(table)
    out = ROOT / "bench" / "results" / "profile.md"
    out.write_text(table + "\n")
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
