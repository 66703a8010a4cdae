"""Load benchmark: the gateway's reads (run status, result pages, file metadata, a cached
profile) at constant rates, with 1 and 2 gateway replicas, driven by vegeta in a process of
its own; latency percentiles, error rate, each process's CPU and the gateway's and worker's
peak memory per round.

    uv run python -m bench.load_bench [--rates 250,500,1000] [--seconds 60] [--replicas 1,2]

Requests come from 10 tenants with 2 analyst keys each, so that no key or tenant quota is
spent (each key sends at most 1/20 of the rate); every tenant reads its own file and run.
Prints Markdown tables and writes them to bench/results/load.md.
"""

import argparse
import base64
import csv
import importlib.util
import io
import json
import os
import resource
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.profile_bench import percentile
from textmill_infra.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / ".local" / "run"
VEGETA = ROOT / ".local" / "bin" / "vegeta"
TICKS = os.sysconf("SC_CLK_TCK")
TENANTS, KEYS_PER_TENANT, ROWS = 10, 2, 1_000
WARM_UP_SECONDS = 20  # a replica just started: its start-up CPU is not its idle CPU
SETTLE_SECONDS = 10  # before each round: what the previous one left queued is answered
KINDS = ("run status", "result page", "file metadata", "cached profile")
WATCHED = ("gateway", "profiler", "redis", "ferretdb", "kafka", "coordinator", "worker")


def stack_module():
    """deploy/local/stack.py, to start and stop the second gateway replica as `make up` does."""
    spec = importlib.util.spec_from_file_location("textmill_stack", ROOT / "deploy/local/stack.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Tenant:
    keys: list[str]
    file_id: str
    run_id: str


def prepare_tenant(client: httpx.Client, n: int, csv_text: str) -> Tenant:
    """A tenant with its keys, one uploaded file, its profile cached and one completed run."""
    name = f"load-{int(time.time())}-{n}"
    keys = []
    for _ in range(KEYS_PER_TENANT):
        made = client.post("/api/v2/keys", json={"tenant": name, "role": "analyst"})
        made.raise_for_status()
        keys.append(made.json()["key"])
    own = {"Authorization": f"Bearer {keys[0]}"}
    upload = client.post(
        "/api/v2/files", files={"file": ("reviews.csv", csv_text, "text/csv")}, headers=own
    )
    upload.raise_for_status()
    file_id = upload.json()["id"]
    client.post("/api/v2/profile", json={"file_id": file_id}, headers=own).raise_for_status()
    run = client.post(
        "/api/v2/analyze",
        json={"file_id": file_id, "columns": ["review"], "chains": ["sentiment"]},
        headers=own,
    )
    run.raise_for_status()
    return Tenant(keys, file_id, run.json()["run_id"])


def wait_completed(client: httpx.Client, tenants: list[Tenant], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    for tenant in tenants:
        headers = {"Authorization": f"Bearer {tenant.keys[0]}"}
        while (
            status := client.get(f"/api/v2/runs/{tenant.run_id}", headers=headers).json()["status"]
        ) != "completed":
            if status in ("failed", "cancelled") or time.monotonic() > deadline:
                raise RuntimeError(f"run {tenant.run_id} is {status}")
            time.sleep(0.5)


def targets(tenants: list[Tenant], bases: list[str], kinds: list[str]) -> str:
    """vegeta's JSON targets: every read (of `kinds`) of every key, spread over the replicas."""
    lines = []
    for tenant in tenants:
        body = base64.b64encode(json.dumps({"file_id": tenant.file_id}).encode()).decode()
        for key in tenant.keys:
            header = {"Authorization": [f"Bearer {key}"]}
            reads = [
                {"method": "GET", "url": f"/api/v2/runs/{tenant.run_id}"},
                {"method": "GET", "url": f"/api/v2/runs/{tenant.run_id}/results?limit=100"},
                {"method": "GET", "url": f"/api/v2/files/{tenant.file_id}"},
                {
                    "method": "POST",
                    "url": "/api/v2/profile",
                    "body": body,
                    "header": {**header, "Content-Type": ["application/json"]},
                },
            ]
            for base in bases:
                for read in reads:
                    if kind_of(read["url"]) not in kinds:
                        continue
                    lines.append(
                        json.dumps(
                            {"header": header, **read, "url": base + read["url"]},
                            separators=(",", ":"),
                        )
                    )
    return "\n".join(lines) + "\n"


def kind_of(url: str) -> str:
    if "/profile" in url:
        return "cached profile"
    if "/results" in url:
        return "result page"
    if "/files/" in url:
        return "file metadata"
    return "run status"


def part_pids() -> dict[str, list[int]]:
    """Each local stack part's process group (`gateway-2` counted as `gateway`, the worker's
    pool with the worker): pids by part."""
    groups = {int(f.read_text()): f.stem.split("-")[0] for f in RUN.glob("*.pid")}
    pids: dict[str, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if (part := groups.get(int(fields[2]))) is not None:
            pids.setdefault(part, []).append(int(proc.name))
    return pids


def cpu_seconds(pids: dict[str, list[int]]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for part, members in pids.items():
        for pid in members:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            totals[part] = totals.get(part, 0.0) + (int(fields[11]) + int(fields[12])) / TICKS
    return totals


def reset_peaks(pids: list[int]) -> None:
    """Start each process's peak RSS (VmHWM) afresh: `5` to clear_refs resets it."""
    for pid in pids:
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        except OSError:
            pass


def peak_rss_mib(pids: list[int]) -> float:
    """The largest peak RSS among `pids` since their last reset, in MiB."""
    peaks = [0.0]
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks)


def main_pids(part: str) -> list[int]:
    """The pids of a part's replicas themselves (not their children): `gateway`, `gateway-2`."""
    return [int(f.read_text()) for f in RUN.glob(f"{part}*.pid") if f.stem.split("-")[0] == part]


def idle_cpu_per_second(seconds: float = 10) -> dict[str, float]:
    """Each part's CPU per second with no request coming: heartbeats, consumers' polls,
    metrics. Taken off a round's CPU for the CPU a request costs."""
    pids = part_pids()
    before = cpu_seconds(pids)
    time.sleep(seconds)
    after = cpu_seconds(pids)
    return {part: (after.get(part, 0.0) - before.get(part, 0.0)) / seconds for part in pids}


@dataclass
class Round:
    replicas: int
    rate: int
    seconds: int
    sent: int
    latencies_ms: dict[str, list[float]]
    errors: int
    error_kinds: dict[str, int]
    cpu: dict[str, float]
    gateway_rss: float
    worker_rss: float
    gateway_idle: float = 0.0  # the gateways' CPU per second with no request

    def gateway_ms_per_request(self) -> float:
        busy = self.cpu["gateway"] - self.gateway_idle * self.seconds
        return 1000 * max(0.0, busy) / max(1, self.sent)

    def all_latencies(self) -> list[float]:
        return [v for values in self.latencies_ms.values() for v in values]


def attack(target_file: Path, rate: int, seconds: int, replicas: int) -> Round:
    pids = part_pids()
    gateways, workers = main_pids("gateway"), main_pids("worker")
    reset_peaks(gateways + workers)
    before = cpu_seconds(pids)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results.bin"
        subprocess.run(
            [
                str(VEGETA),
                "attack",
                f"-targets={target_file}",
                "-format=json",
                f"-rate={rate}/1s",
                f"-duration={seconds}s",
                "-workers=50",
                "-max-workers=400",
                "-max-body=0",
                "-timeout=10s",
                f"-output={results}",
            ],
            check=True,
        )
        after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
        after = cpu_seconds(pids)
        encoded = subprocess.run(
            [str(VEGETA), "encode", "-to=csv", str(results)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
    errors, error_kinds, sent = 0, {}, 0
    # timestamp, code, latency ns, bytes out, bytes in, error, body, attack, seq, method, url
    for row in csv.reader(io.StringIO(encoded)):
        sent += 1
        code, latency, error, url = int(row[1]), int(row[2]) / 1e6, row[5], row[10]
        latencies[kind_of(url)].append(latency)
        if error or not 200 <= code < 300:
            errors += 1
            reason = f"{kind_of(url)}: " + (
                f"HTTP {code}"
                if code
                else "no answer within 10 s"
                if "deadline" in error
                else error
            )
            error_kinds[reason] = error_kinds.get(reason, 0) + 1
    cpu = {part: after.get(part, 0.0) - before.get(part, 0.0) for part in WATCHED}
    cpu["vegeta"] = (
        after_children.ru_utime + after_children.ru_stime - children.ru_utime - children.ru_stime
    )
    return Round(
        replicas,
        rate,
        seconds,
        sent,
        latencies,
        errors,
        error_kinds,
        cpu,
        peak_rss_mib(gateways),
        peak_rss_mib(workers),
    )


def render(rounds: list[Round], setup: str) -> str:
    lines = [
        setup,
        "",
        "| gateways | target req/s | sent req/s | p50 ms | p95 ms | p99 ms | errors | "
        "gateway CPU | gateway CPU ms/req | profiler | redis | ferretdb | kafka | vegeta | "
        "gateway peak RSS MiB | worker peak RSS MiB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
        "---: | ---: | ---: | ---: |",
    ]
    for r in rounds:
        every = r.all_latencies()
        share = {part: f"{100 * cpu / r.seconds:.0f} %" for part, cpu in r.cpu.items()}
        lines.append(
            f"| {r.replicas} | {r.rate:,} | {r.sent / r.seconds:,.0f} | "
            f"{statistics.median(every):.1f} | {percentile(every, 95):.1f} | "
            f"{percentile(every, 99):.1f} | {100 * r.errors / max(1, r.sent):.2f} % | "
            f"{share['gateway']} | {r.gateway_ms_per_request():.2f} | "
            f"{share['profiler']} | {share['redis']} | "
            f"{share['ferretdb']} | {share['kafka']} | {share['vegeta']} | "
            f"{r.gateway_rss:.0f} | {r.worker_rss:.0f} |"
        )
    lines += [
        "",
        "Per read (p50 / p95 / p99 ms):",
        "",
        "| gateways | target req/s | " + " | ".join(KINDS) + " |",
        "| ---: | ---: |" + " ---: |" * len(KINDS),
    ]
    for r in rounds:
        cells = [
            f"{statistics.median(v):.1f} / {percentile(v, 95):.1f} / {percentile(v, 99):.1f}"
            if v
            else "-"
            for v in (r.latencies_ms[kind] for kind in KINDS)
        ]
        lines.append(f"| {r.replicas} | {r.rate:,} | " + " | ".join(cells) + " |")
    failures = [r for r in rounds if r.error_kinds]
    if failures:
        lines += ["", "Errors by status and reason:", ""]
        for r in failures:
            top = sorted(r.error_kinds.items(), key=lambda kv: -kv[1])[:3]
            listed = "; ".join(f"{reason} × {count}" for reason, count in top)
            lines.append(f"- {r.replicas} gateway(s) at {r.rate:,} req/s: {listed}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="250,500,1000")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--replicas", default="1,2")
    parser.add_argument("--output", default="bench/results/load.md")
    parser.add_argument(
        "--reads", default=",".join(KINDS), help="which reads, by name, comma-separated"
    )
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    replica_counts = [int(r) for r in args.replicas.split(",")]
    kinds = [kind.strip() for kind in args.reads.split(",")]
    if unknown := set(kinds) - set(KINDS):
        raise SystemExit(f"--reads: no read named {sorted(unknown)}; there are {list(KINDS)}")
    if not VEGETA.exists():
        raise SystemExit(f"{VEGETA} is missing: run `make install`")

    settings = Settings()
    stack = stack_module()
    key = (ROOT / ".local" / "admin-key").read_text().strip()
    base = f"http://127.0.0.1:{settings.gateway_port}"
    rows = "\n".join(
        f'{i},"Review {i}: the kettle was {"great" if i % 3 else "awful"}, it came on time",{i % 5}'
        for i in range(ROWS)
    )
    csv_text = "id,review,rating\n" + rows + "\n"
    with httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120
    ) as client:
        tenants = [prepare_tenant(client, n, csv_text) for n in range(TENANTS)]
        wait_completed(client, tenants)

    rounds: list[Round] = []
    for count in replica_counts:
        replicas = [stack.service_part(settings, "gateway", r) for r in range(1, count + 1)]
        started = []
        for part in replicas:
            if part.pid() is None:
                stack.start(part)
                started.append(part)
        for part in started:
            stack.wait_ready(part)
        if started:
            time.sleep(WARM_UP_SECONDS)
        try:
            with tempfile.NamedTemporaryFile("w", suffix=".json") as target_file:
                target_file.write(targets(tenants, [part.url for part in replicas], kinds))
                target_file.flush()
                idle = idle_cpu_per_second().get("gateway", 0.0)
                for rate in rates:
                    time.sleep(SETTLE_SECONDS)
                    done = attack(Path(target_file.name), rate, args.seconds, count)
                    done.gateway_idle = idle
                    rounds.append(done)
                    print(render([done], "").strip().splitlines()[2], flush=True)
        finally:
            for part in started:
                if part.name != "gateway":
                    stack.stop(part)

    setup = (
        f"Gateway reads at constant rates for {args.seconds} s each (vegeta, open loop), "
        f"an even mix of run status, a page of 100 results, file metadata and a cached profile, "
        f"from {TENANTS} tenants × {KEYS_PER_TENANT} keys, each reading its own {ROWS:,}-row "
        "file and completed run; 2 gateways: each on its own port, the requests split evenly. "
        "CPU: % of one core over the round, every process of the part (gateway CPU ms/req: "
        "the gateways' CPU above their idle CPU, over the requests sent); peak RSS: the largest "
        "of the part's replicas during the round. Targets at 1,000 req/s: p95 < 200 ms, "
        "p99 < 500 ms, errors < 1 %."
    )
    table = render(rounds, setup)
    print()
    print(table)
    out = ROOT / args.output
    out.write_text(table + "\n")
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
