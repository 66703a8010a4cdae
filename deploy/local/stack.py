"""The local stack without Docker: Kafka (KRaft), FerretDB (SQLite), Redis, Jaeger (unless
TEXTMILL_TRACING=false), Prometheus and every textmill service as separate processes, each
with a log file and a PID file under `.local/`.

    python deploy/local/stack.py up       # start what is not running, wait until ready
    python deploy/local/stack.py down     # stop everything, services first
    python deploy/local/stack.py status   # one line per part
    python deploy/local/stack.py ready    # exit 0 only when every part is ready
    python deploy/local/stack.py kill worker     # SIGKILL one part (its process group)
    python deploy/local/stack.py start worker-2  # start one part, wait until ready
    python deploy/local/stack.py stop kafka      # SIGTERM one part, SIGKILL after 20 s

Addresses come from the same TEXTMILL_* variables the services read (textmill_infra.settings).
`up` fails, naming the part, when a part is not ready within its timeout.
"""

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from textmill_infra.clients import database, make_mongo
from textmill_infra.kafka import MAX_MESSAGE_BYTES
from textmill_infra.migrations import migrate
from textmill_infra.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
LOCAL = ROOT / ".local"
RUN, LOGS, DATA = LOCAL / "run", LOCAL / "logs", LOCAL / "data"
ADMIN_KEY_FILE = LOCAL / "admin-key"
JWT_DIR = LOCAL / "jwt"  # the local stack's JWT keys: a secret, and a JWKS with its private keys
JWT_ISSUER, JWT_AUDIENCE = "textmill-local", "textmill"
SERVICES = ["profiler", "estimator", "coordinator", "worker", "gateway"]


@dataclass
class Part:
    name: str
    command: Callable[[], list[str]]
    ready: Callable[[], bool]
    timeout: float
    env: dict[str, str] = field(default_factory=dict)
    prepare: Callable[[], None] | None = None
    url: str = ""
    port: int = 0  # the port it listens on: nothing else may hold it when it starts

    def is_ready(self) -> bool:
        return self.pid() is not None and self.ready()

    @property
    def pid_file(self) -> Path:
        return RUN / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return LOGS / f"{self.name}.log"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text())
        except (FileNotFoundError, ValueError):
            return None
        return pid if running(pid) else None


def running(pid: int) -> bool:
    """True for a live process; a zombie (exited, not yet reaped by its parent) is not."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return fields[0] not in ("Z", "X")


def host_port(address: str, default_port: int) -> tuple[str, int]:
    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    return parsed.hostname or "127.0.0.1", parsed.port or default_port


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def admin_key() -> str:
    """TEXTMILL_ADMIN_KEY when set; otherwise one generated on the first `up` and kept."""
    if key := os.environ.get("TEXTMILL_ADMIN_KEY"):
        return key
    if not ADMIN_KEY_FILE.exists():
        ADMIN_KEY_FILE.write_text(f"tm_bootstrap_{secrets.token_urlsafe(32)}")
        ADMIN_KEY_FILE.chmod(0o600)
    return ADMIN_KEY_FILE.read_text().strip()


def jwt_settings() -> dict[str, str]:
    """The gateway's JWT settings: the environment's when it names a secret or a JWKS file;
    otherwise keys made on the first `up` and kept in `.local/jwt/` (an HS256 secret, and an
    RS256 and an ES256 key pair, whose public halves are the JWKS), so that a developer, and
    the tests, can sign tokens the local gateway takes."""
    names = ("TEXTMILL_JWT_SECRET", "TEXTMILL_JWT_JWKS_FILE")
    if any(os.environ.get(name) for name in names):
        return {}
    JWT_DIR.mkdir(parents=True, exist_ok=True)
    secret, jwks = JWT_DIR / "secret", JWT_DIR / "jwks.json"
    if not secret.exists():
        secret.write_text(secrets.token_urlsafe(48))
        secret.chmod(0o600)
    if not jwks.exists():
        _write_jwks(jwks)
    return {
        "TEXTMILL_JWT_SECRET": secret.read_text().strip(),
        "TEXTMILL_JWT_JWKS_FILE": str(jwks),
        "TEXTMILL_JWT_ISSUER": os.environ.get("TEXTMILL_JWT_ISSUER", JWT_ISSUER),
        "TEXTMILL_JWT_AUDIENCE": os.environ.get("TEXTMILL_JWT_AUDIENCE", JWT_AUDIENCE),
    }


def _write_jwks(jwks: Path) -> None:
    import json

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from jwt.algorithms import ECAlgorithm, RSAAlgorithm

    keys = []
    for kid, key, to_jwk in (
        (
            "local-rs256",
            rsa.generate_private_key(public_exponent=65537, key_size=2048),
            RSAAlgorithm.to_jwk,
        ),
        ("local-es256", ec.generate_private_key(ec.SECP256R1()), ECAlgorithm.to_jwk),
    ):
        private = JWT_DIR / f"{kid}.pem"
        private.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        private.chmod(0o600)
        alg = "RS256" if kid.endswith("rs256") else "ES256"
        keys.append({**json.loads(to_jwk(key.public_key())), "kid": kid, "alg": alg, "use": "sig"})
    jwks.write_text(json.dumps({"keys": keys}, indent=2))


LOG_RETENTION_BYTES, LOG_SEGMENT_BYTES = 256 * 2**20, 64 * 2**20
# A part's log past this size when it starts is kept as `<name>.log.1` (replacing the one
# before) and a new one begun: a long session's logs stay within about twice this per part.
LOG_FILE_BYTES = 64 * 2**20


def kafka_part(settings: Settings) -> Part:
    host, port = host_port(settings.kafka_bootstrap, 19092)
    data, config = DATA / "kafka", RUN / "kafka.properties"
    controller_port = port + 1

    def prepare() -> None:
        config.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@{host}:{controller_port}",
                    f"listeners=PLAINTEXT://{host}:{port},CONTROLLER://{host}:{controller_port}",
                    f"advertised.listeners=PLAINTEXT://{host}:{port}",
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    f"log.dirs={data}",
                    f"num.partitions={settings.kafka_topic_partitions}",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=6",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=false",
                    # Topics made before textmill created them with this (see kafka.py).
                    f"message.max.bytes={MAX_MESSAGE_BYTES}",
                    # A laptop's disk, not a log to replay: each partition keeps its last
                    # 256 MB (in 64 MB segments, the unit Kafka deletes) or 24 hours. The
                    # results topic took 16 GB after a few benchmark sessions; a consumer
                    # falling that far behind is not one the local stack has.
                    f"log.retention.bytes={LOG_RETENTION_BYTES}",
                    f"log.segment.bytes={LOG_SEGMENT_BYTES}",
                    "log.retention.hours=24",
                    "",
                ]
            )
        )
        if not (data / "meta.properties").exists():
            cluster_id = subprocess.run(
                [*java(), "kafka.tools.StorageTool", "random-uuid"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            subprocess.run(
                [*java(), "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config)],
                check=True,
                capture_output=True,
                text=True,
            )

    def java() -> list[str]:
        return ["java", "-cp", str(LOCAL / "kafka" / "libs" / "*")]

    return Part(
        name="kafka",
        prepare=prepare,
        command=lambda: [
            "java",
            "-Xms256m",
            "-Xmx1g",
            "-XX:+UseG1GC",
            f"-Dlog4j2.configurationFile={ROOT / 'deploy/local/kafka/log4j2.yaml'}",
            "-cp",
            str(LOCAL / "kafka" / "libs" / "*"),
            "kafka.Kafka",
            str(config),
        ],
        ready=lambda: port_open(host, port),
        timeout=90,
        url=f"{host}:{port}",
        port=port,
    )


def ferretdb_part(settings: Settings) -> Part:
    host, port = host_port(settings.mongo_url, 27017)
    data = DATA / "ferretdb"
    return Part(
        name="ferretdb",
        prepare=lambda: data.mkdir(parents=True, exist_ok=True),
        command=lambda: [
            str(LOCAL / "bin" / "ferretdb"),
            "--handler=sqlite",
            f"--sqlite-url=file:{data}/",
            f"--listen-addr={host}:{port}",
            f"--state-dir={data}",
            f"--debug-addr={host}:{port + 1}",  # FerretDB's own metrics and pprof
            "--telemetry=disable",
            "--log-level=warn",
        ],
        ready=lambda: port_open(host, port),
        timeout=30,
        url=f"mongodb://{host}:{port}/",
        port=port,
    )


def redis_part(settings: Settings) -> Part:
    host, port = host_port(settings.redis_url, 6379)
    data = DATA / "redis"
    return Part(
        name="redis",
        prepare=lambda: data.mkdir(parents=True, exist_ok=True),
        command=lambda: [
            "redis-server",
            "--bind",
            host,
            "--port",
            str(port),
            "--dir",
            str(data),
            # Every write in the AOF before its reply: a killed Redis loses nothing; fsync
            # once a second: a machine crash, up to a second (docs/chaos.md).
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--daemonize",
            "no",
            "--maxmemory",
            "512mb",
            "--maxmemory-policy",
            "noeviction",
        ],
        ready=lambda: port_open(host, port),
        timeout=20,
        port=port,
        url=f"redis://{host}:{port}",
    )


def jaeger_part(settings: Settings) -> Part:
    """Jaeger v1's all-in-one (OTLP in, traces kept in memory, the query API): every port it
    opens moves with TEXTMILL_PORT_OFFSET, beside the OTLP/HTTP one the services send to."""
    host, otlp = host_port(settings.otlp_endpoint, 4318)
    offset = settings.port_offset
    query = f"{host}:{settings.jaeger_query_port}"
    return Part(
        name="jaeger",
        command=lambda: [
            str(LOCAL / "bin" / "jaeger-all-in-one"),
            f"--collector.otlp.http.host-port={host}:{otlp}",
            f"--collector.otlp.grpc.host-port={host}:{4317 + offset}",
            f"--collector.grpc-server.host-port={host}:{14250 + offset}",
            f"--collector.http-server.host-port={host}:{14268 + offset}",
            f"--admin.http.host-port={host}:{14269 + offset}",
            f"--query.grpc-server.host-port={host}:{16685 + offset}",
            f"--query.http-server.host-port={query}",
            "--memory.max-traces=20000",
            "--log-level=warn",
        ],
        ready=lambda: port_open(host, otlp) and http_ok(f"http://{query}/api/services"),
        timeout=30,
        # Jaeger traces itself over OTLP/gRPC to localhost:4317 unless told: not at all,
        # and were it to, to its own port, not to another stack's Jaeger.
        env={
            "OTEL_TRACES_SAMPLER": "always_off",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{host}:{4317 + offset}",
        },
        url=f"http://{query}",
        port=otlp,
    )


def prometheus_config(settings: Settings) -> dict:
    """Every service replica of this stack as a target, scraped every 5 s (the tests read
    what a small run leaves), with the alert rules of `deploy/prometheus/alerts.yml`."""
    jobs: dict[str, list[str]] = {}
    for part in service_parts(settings):
        service = part.name.split("-")[0]
        jobs.setdefault(service, []).append(part.url.removeprefix("http://"))
    return {
        "global": {"scrape_interval": "5s", "evaluation_interval": "5s"},
        "rule_files": [str(ROOT / "deploy/prometheus/alerts.yml")],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": targets}]}
            for job, targets in jobs.items()
        ],
    }


def prometheus_part(settings: Settings) -> Part:
    data, config = DATA / "prometheus", RUN / "prometheus.yml"
    address = f"{settings.http_host}:{settings.prometheus_port}"

    def prepare() -> None:
        data.mkdir(parents=True, exist_ok=True)
        config.write_text(json.dumps(prometheus_config(settings), indent=2))  # JSON is YAML

    return Part(
        name="prometheus",
        prepare=prepare,
        command=lambda: [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            "--storage.tsdb.retention.time=2d",
            f"--web.listen-address={address}",
            "--log.level=warn",
        ],
        ready=lambda: http_ok(f"http://{address}/-/ready"),
        timeout=30,
        url=f"http://{address}",
        port=settings.prometheus_port,
    )


def worker_processes() -> int:
    """Worker processes to run (`TEXTMILL_WORKER_PROCESSES`): one by default, whose chains run
    in a pool of one process per core (`TEXTMILL_WORKER_POOL`). `make bench-pipeline`
    measured that against one worker process per core: the same cells/s on this machine,
    and a lower stream latency (the worker's event loop no longer shares a core and an
    interpreter with its chains)."""
    return max(1, int(os.environ.get("TEXTMILL_WORKER_PROCESSES") or 1))


def idle_chains(pool: int) -> str:
    """`TEXTMILL_WORKER_IDLE_CHAINS` when it is not set: the chains run under SCHED_IDLE, which
    any runnable task preempts, when they would fill every core, and the latency paths
    (gateway, Kafka, Redis) would have none to themselves. Measured on 2 cores, medians of 4
    interleaved runs: 2 worker processes, stream p95 51 → 30 ms at the same cells/s; a pool
    of 2, no change. When the chains leave a core free it only slows them: a pool of 1,
    29,400 → 26,900 cells/s."""
    chains = worker_processes() * max(pool, 1)
    return "1" if chains >= (os.cpu_count() or 1) else "0"


def models_dir() -> Path:
    """`TEXTMILL_MODELS_DIR` when set; `.local/models` otherwise (made if missing): the
    `model:<name>` chains the gateway accepts and the workers run."""
    folder = Path(os.environ.get("TEXTMILL_MODELS_DIR") or LOCAL / "models")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def service_part(settings: Settings, service: str, replica: int = 1) -> Part:
    port = settings.gateway_port if service == "gateway" else settings.port_for(service)
    # worker 2 on 8114, worker 3 on 8124, coordinator 2 on 8113, gateway 2 on 8010
    port += 10 * (replica - 1)
    name = service if replica == 1 else f"{service}-{replica}"
    env = {
        "TEXTMILL_HTTP_PORT": str(port),
        "TEXTMILL_INSTANCE_ID": f"{socket.gethostname()}-{name}-local",
    }
    if service == "gateway":
        env["TEXTMILL_GATEWAY_PORT"] = str(port)
        env["TEXTMILL_ADMIN_KEY"] = admin_key()
        env |= jwt_settings()
    if service in {"gateway", "worker"}:
        env["TEXTMILL_MODELS_DIR"] = str(models_dir())
    if service == "worker":
        env["RAYON_NUM_THREADS"] = "1"  # one process per core: no native library may fan out
        pool = os.environ.get("TEXTMILL_WORKER_POOL", str(os.cpu_count()))
        env["TEXTMILL_WORKER_POOL"] = pool
        # The workers share the machine with the servers and the gateway: analysis yields
        # the CPU to them (measured: stream latency p95 falls, throughput holds).
        env["TEXTMILL_WORKER_NICE"] = os.environ.get("TEXTMILL_WORKER_NICE", "10")
        env["TEXTMILL_WORKER_IDLE_CHAINS"] = os.environ.get(
            "TEXTMILL_WORKER_IDLE_CHAINS", idle_chains(int(pool))
        )
    base = f"http://{settings.http_host}:{port}"
    return Part(
        name=name,
        command=lambda: [sys.executable, "-m", f"textmill_{service}"],
        ready=lambda: http_ok(f"{base}/readyz"),
        timeout=60,
        env=env,
        url=base,
        port=port,
    )


def coordinators() -> int:
    """Coordinator replicas (`TEXTMILL_COORDINATOR_REPLICAS`, or its older name
    `TEXTMILL_COORDINATORS`; 2 by default): as in production, two plan, fold progress and
    sweep side by side without doing anything twice."""
    named = os.environ.get("TEXTMILL_COORDINATOR_REPLICAS") or os.environ.get(
        "TEXTMILL_COORDINATORS"
    )
    return max(1, int(named or 2))


def gateways() -> int:
    """Gateway replicas (`TEXTMILL_GATEWAY_REPLICAS`, 1 by default), each on a port of its own
    (the second on the gateway's port + 10): clients, or `make bench-load`, split their
    requests over them, as a load balancer would (docs/load.md)."""
    return max(1, int(os.environ.get("TEXTMILL_GATEWAY_REPLICAS") or 1))


def replicas(service: str) -> int:
    counts = {"worker": worker_processes(), "coordinator": coordinators(), "gateway": gateways()}
    return counts.get(service, 1)


def infra_parts(settings: Settings) -> list[Part]:
    """The servers, started before the services: Jaeger only when traces are on."""
    servers = [kafka_part(settings), ferretdb_part(settings), redis_part(settings)]
    tracing = [jaeger_part(settings)] if settings.tracing else []
    return [*servers, *tracing, prometheus_part(settings)]


def service_parts(settings: Settings) -> list[Part]:
    return [
        service_part(settings, service, r)
        for service in SERVICES
        for r in range(1, replicas(service) + 1)
    ]


def parts(settings: Settings) -> list[Part]:
    return infra_parts(settings) + service_parts(settings)


def port_holder(port: int) -> str:
    """Who listens on TCP `port` on this machine: "pid N (command line)", from /proc."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (proc / "fd").iterdir()):
                command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
                return f"pid {proc.name} ({command[:120]})"
        except OSError:
            continue
    return "a process this user cannot see"


def refuse_held_port(part: Part) -> None:
    """Exit, naming the holder, when `part` is not running and something else holds its
    port: the tests would talk to that process."""
    if part.pid() is None and part.port and port_open("127.0.0.1", part.port):
        print(
            f"\n✗ {part.name} cannot start: port {part.port} is held by {port_holder(part.port)},"
            f" which this stack did not start ({part.pid_file} names no live process)."
            " Stop it, then run this again.",
            file=sys.stderr,
        )
        sys.exit(1)


def rotate_log(path: Path) -> None:
    if path.exists() and path.stat().st_size > LOG_FILE_BYTES:
        path.replace(path.with_name(path.name + ".1"))


def start(part: Part) -> None:
    if part.pid() is not None:
        return
    if part.prepare:
        part.prepare()
    rotate_log(part.log_file)
    log = part.log_file.open("ab")
    process = subprocess.Popen(
        part.command(),
        cwd=ROOT,
        env={**os.environ, **part.env},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: `down` stops it and its children
    )
    part.pid_file.write_text(str(process.pid))


def wait_ready(part: Part) -> None:
    deadline = time.monotonic() + part.timeout
    while time.monotonic() < deadline:
        if part.ready():
            return
        if part.pid() is None:
            fail(part, "exited before it was ready")
        time.sleep(0.3)
    fail(part, f"was not ready within {part.timeout:g}s")


def fail(part: Part, why: str) -> None:
    tail = (
        part.log_file.read_text(errors="replace").splitlines()[-15:]
        if part.log_file.exists()
        else []
    )
    print(f"\n✗ {part.name} {why}. Last lines of {part.log_file}:", file=sys.stderr)
    for line in tail:
        print(f"    {line}", file=sys.stderr)
    sys.exit(1)


def stop(part: Part, grace: float = 20, first: signal.Signals = signal.SIGTERM) -> None:
    """Signal the part's process group (`first`), then SIGKILL it if it outlives `grace`."""
    pid = part.pid()
    if pid is not None:
        try:
            os.killpg(pid, first)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and part.pid() is not None:
            time.sleep(0.2)
        if part.pid() is not None:
            os.killpg(pid, signal.SIGKILL)
    part.pid_file.unlink(missing_ok=True)


def prepare_store(settings: Settings) -> int:
    """Apply the migrations (so every collection exists), then give each of FerretDB's SQLite
    tables the index its `_id` lookups can use; returns how many tables were indexed.

    FerretDB 1.24's SQLite backend filters `{_id: x}` on `_ferretdb_sjson->'$._id'` but
    indexes `_ferretdb_sjson->"_id"`; SQLite uses an expression index only for the same
    expression, so every `_id` lookup scanned the whole table (chunk reads took ~0.5 s with
    100 MB stored; upstream's PostgreSQL twin: FerretDB#4646). The matching index makes them
    index searches. The compose stack runs MongoDB and needs none of this.
    """

    async def apply() -> None:
        client = make_mongo(settings)
        try:
            await migrate(database(client, settings))
        finally:
            await client.close()

    asyncio.run(apply())
    path = DATA / "ferretdb" / f"{settings.mongo_db}.sqlite"
    with sqlite3.connect(path, timeout=30) as db:
        tables = [row[0] for row in db.execute("SELECT table_name FROM _ferretdb_collections")]
        for table in tables:
            db.execute(
                f'CREATE INDEX IF NOT EXISTS "{table}__id_lookup" '
                f"ON \"{table}\" (_ferretdb_sjson->'$._id')"
            )
    return len(tables)


def up(settings: Settings) -> None:
    started = time.monotonic()
    infra, services = infra_parts(settings), service_parts(settings)
    all_parts = infra + services
    for part in all_parts:  # before anything starts
        refuse_held_port(part)
    for part in infra:  # servers first, in parallel
        start(part)
    for part in infra:
        wait_ready(part)
        print(f"✓ {part.name:<12} {part.url}")
    print(f"✓ {'store':<12} migrated; _id lookups indexed in {prepare_store(settings)} tables")
    for part in services:
        start(part)
    for part in services:
        wait_ready(part)
        print(f"✓ {part.name:<12} {part.url}")
    gateway = next(part for part in services if part.name == "gateway")
    print(f"\ntextmill is up in {time.monotonic() - started:.1f}s")
    print(f"  gateway URL : {gateway.url}")
    print(f"  admin key   : {gateway.env['TEXTMILL_ADMIN_KEY']}")
    print(f"  logs        : {LOGS}")


def down(settings: Settings) -> None:
    infra, services = infra_parts(settings), service_parts(settings)
    names = {part.name for part in infra + services}
    # Replicas started with another TEXTMILL_WORKER_PROCESSES, coordinator count or
    # TEXTMILL_GATEWAY_REPLICAS stop too, and a Jaeger started before TEXTMILL_TRACING was
    # turned off.
    extra = [
        service_part(settings, service, int(number))
        for service in ("worker", "coordinator", "gateway")
        for pid_file in RUN.glob(f"{service}-*.pid")
        if pid_file.stem not in names and (number := pid_file.stem.split("-")[1]).isdigit()
    ]
    if "jaeger" not in names:
        extra.append(jaeger_part(settings))
    for part in [*reversed(services), *extra, *reversed(infra)]:
        if part.pid() is not None:
            stop(part)
            print(f"■ {part.name} stopped")
        part.pid_file.unlink(missing_ok=True)


def part_named(settings: Settings, name: str) -> Part:
    """One part by the name `status` prints; a service replica beyond those configured
    (`worker-3`) too, so that a fault test can add one."""
    for part in [*infra_parts(settings), jaeger_part(settings)]:
        if part.name == name:
            return part
    service, _, number = name.partition("-")
    if service in SERVICES and (number == "" or number.isdigit()):
        return service_part(settings, service, int(number or 1))
    sys.exit(f"no part named {name!r}: see `status` for the names")


def kill(part: Part) -> None:
    """SIGKILL the part's process group, as a crash would, and wait until it is gone."""
    stop(part, grace=30, first=signal.SIGKILL)


def status(settings: Settings) -> None:
    for part in parts(settings):
        pid = part.pid()
        state = "ready" if part.is_ready() else ("running, not ready" if pid else "stopped")
        print(f"{part.name:<12} {state:<20} pid={pid or '-':<8} {part.url}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "command", choices=["up", "down", "status", "ready", "start", "stop", "kill"]
    )
    parser.add_argument("part", nargs="?", help="the part `start`, `stop` or `kill` acts on")
    parser.add_argument(
        "--timeout", type=float, help="seconds `start` waits for the part (its own by default)"
    )
    arguments = parser.parse_args()
    command = arguments.command
    for folder in (RUN, LOGS, DATA):
        folder.mkdir(parents=True, exist_ok=True)
    settings = Settings()
    if command in {"start", "stop", "kill"}:
        if not arguments.part:
            parser.error(f"`{command}` needs the name of a part")
        part = part_named(settings, arguments.part)
        if arguments.timeout:
            part.timeout = arguments.timeout
        if command == "start":
            refuse_held_port(part)
            start(part)
            wait_ready(part)
            print(f"✓ {part.name:<12} {part.url}")
        else:
            (stop if command == "stop" else kill)(part)
            print(f"■ {part.name} {'killed' if command == 'kill' else 'stopped'}")
    elif command == "up":
        up(settings)
    elif command == "down":
        down(settings)
    elif command == "status":
        status(settings)
    else:
        sys.exit(0 if all(part.is_ready() for part in parts(settings)) else 1)


if __name__ == "__main__":
    main()
