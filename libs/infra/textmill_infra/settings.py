"""All configuration, from environment variables prefixed `TEXTMILL_` (see the README)."""

import json
import os
import socket
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ServiceName = Literal["gateway", "profiler", "estimator", "coordinator", "worker"]

# Each service's health/metrics port when TEXTMILL_HTTP_PORT is not set.
DEFAULT_HTTP_PORTS: dict[str, int] = {
    "gateway": 8000,
    "profiler": 8101,
    "estimator": 8102,
    "coordinator": 8103,
    "worker": 8104,
}


def _default_instance_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TEXTMILL_", extra="ignore", frozen=True)

    # Added to every default port (Kafka, the store, Redis, each service): a second checkout
    # runs its own local stack beside the first with `TEXTMILL_PORT_OFFSET=1000`.
    port_offset: int = Field(default=0, ge=0, le=20_000)
    kafka_bootstrap: str = "127.0.0.1:19092"
    kafka_topic_partitions: int = Field(default=6, ge=1)
    # What producers compress their record batches with (docs/cell-cost.md): zstd cut a
    # batch of results ~12 × for ~0.25 µs a cell; aiokafka's lz4 is level 9, ~3 µs a cell.
    kafka_compression: Literal["zstd", "none"] = "zstd"
    mongo_url: str = "mongodb://127.0.0.1:27027/"
    mongo_db: str = "textmill"
    redis_url: str = "redis://127.0.0.1:6389/0"

    http_host: str = "127.0.0.1"
    http_port: int | None = None  # falls back to DEFAULT_HTTP_PORTS[service]
    gateway_port: int = 8000
    instance_id: str = Field(default_factory=_default_instance_id)

    log_level: str = "INFO"
    # Traces go over OTLP/HTTP to this collector (Jaeger's, in the local stack); off: no
    # spans are exported, and the local stack starts no Jaeger.
    tracing: bool = True
    otlp_endpoint: str = "http://127.0.0.1:4318"
    # Share of the traces that start here (a request or a message without a caller's trace)
    # that are recorded; a caller's `traceparent` decides for its own (docs/load.md).
    trace_sample_ratio: float = Field(default=0.1, ge=0, le=1)
    # The local stack's Prometheus and Jaeger query ports (no service listens on them).
    prometheus_port: int = 9090
    jaeger_query_port: int = 16686
    heartbeat_seconds: float = Field(default=2.0, gt=0)
    reply_timeout_seconds: float = Field(default=30.0, gt=0)
    readiness_timeout_seconds: float = Field(default=2.0, gt=0)

    admin_key: SecretStr | None = None
    admin_tenant: str = "admin"
    max_upload_bytes: int = Field(default=100 * 1024 * 1024, gt=0)
    max_columns: int = Field(default=1000, gt=0)
    max_cells: int = Field(default=50_000_000, gt=0)
    profile_sample_rows: int = Field(default=10_000, gt=0)
    profile_cache_max_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    profile_cache_ttl_seconds: int = Field(default=24 * 3600, gt=0)
    # Redis memory for the live streams of ended runs, all together (each is kept an hour at
    # most); past it, the streams that ended first are deleted. A live run's is not counted.
    stream_retain_bytes: int = Field(default=128 * 1024 * 1024, gt=0)
    # Redis connections of a gateway's live streams, apart from its requests' 100: each open
    # websocket or SSE stream holds one while it waits (XREAD BLOCK) for news.
    stream_redis_connections: int = Field(default=1_000, gt=0)
    # Retention (docs/retention.md): a tenant's files, and its runs with their results and
    # streams, are removed this long after they were uploaded or ended (runs under way never),
    # by a gateway's cleanup job every `retention_sweep_seconds`, `retention_batch` at a time.
    retention_seconds: int = Field(default=30 * 24 * 3600, gt=0)
    # Some tenants' own age (`TEXTMILL_RETENTION_SECONDS_BY_TENANT='{"acme": 604800}'`).
    retention_seconds_by_tenant: dict[str, int] = Field(default_factory=dict)
    retention_sweep_seconds: float = Field(default=300.0, gt=0)
    retention_batch: int = Field(default=50, gt=0, le=10_000)
    # Processes a worker runs its chains in; 0: in the worker process itself.
    worker_pool: int = Field(default=0, ge=0, le=256)
    # Added to a worker's nice value: analysis is throughput work, and on a machine it shares
    # with the latency paths (gateway, Kafka, Redis) those should get the CPU first.
    worker_nice: int = Field(default=0, ge=0, le=19)
    # A worker's chains (its pool's processes, or its chain thread) run under SCHED_IDLE:
    # any other runnable task preempts them.
    worker_idle_chains: bool = False
    # Where `model:<name>` chains live: one folder per model (model.onnx, tokenizer.json,
    # labels); the gateway accepts the names it finds there, the worker runs them.
    models_dir: Path | None = None
    # The `pii` chain's phone regions: national numbers are read in the first; numbers with
    # a trunk 0 in any of them.
    phone_regions: list[str] = Field(
        default_factory=lambda: ["US", "GB", "DE", "FR", "ES", "IT", "NL", "AU", "IN"],
        min_length=1,
    )

    # The estimate's cost: dollars per 1,000 tokens, of every chain or of some by name
    # (`TEXTMILL_CHAIN_PRICES_PER_1K_TOKENS='{"pii": 0.2}'`).
    price_per_1k_tokens: float = Field(default=0.10, ge=0)
    chain_prices_per_1k_tokens: dict[str, float] = Field(default_factory=dict)

    # The gateway's security (docs/security.md). Rate limits in the `limits` notation
    # ("300/minute"), each budget counted per key and per tenant, shared by every replica.
    rate_limits_enabled: bool = True
    rate_limit_key_writes: str = "300/minute"
    rate_limit_key_reads: str = "6000/minute"
    rate_limit_key_streams: str = "120/minute"
    rate_limit_tenant_writes: str = "1200/minute"
    rate_limit_tenant_reads: str = "20000/minute"
    rate_limit_tenant_streams: str = "600/minute"
    # Refused credentials from one client address: audited up to this many a minute.
    rate_limit_refusals: str = "60/minute"
    # How long a replica trusts a key's lookup: a revoked key is refused by every replica
    # within this time.
    key_cache_seconds: float = Field(default=5.0, ge=0, le=60)
    # Requests a gateway works on before it answers 503 `overloaded` with a Retry-After
    # (one waiting for its answer to start; a stream holds its place until it starts):
    # queueing past this only adds latency and memory (docs/load.md). Below the Redis
    # pool's 100 connections, which open streams share.
    gateway_max_in_flight: int = Field(default=64, gt=0)
    # The largest run (rows × columns) a non-admin may ask `high` priority for: quick runs
    # jump the queue, a large high run would hold every worker from everyone else.
    high_priority_max_cells: int = Field(default=10_000, ge=0)
    # How long a gateway shows a large run's status (64 shards or more: its document maps
    # every shard) as it last read it; a smaller run is read for every status. 0: never kept.
    large_run_keep_seconds: float = Field(default=1.0, ge=0, le=10)
    # JWT bearer tokens (PyJWT): an HS256 secret and/or RS256/ES256 keys from a JWKS file.
    jwt_secret: SecretStr | None = None
    jwt_jwks_file: Path | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_leeway_seconds: float = Field(default=30.0, ge=0, le=600)
    jwt_tenant_claim: str = "tenant"
    jwt_role_claim: str = "role"
    # Origins a browser may call the API from (CORS); none by default. A JSON list or
    # comma-separated.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins_list(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [origin.strip() for origin in text.split(",") if origin.strip()]
        return value

    @model_validator(mode="after")
    def _jwt_names_issuer_and_audience(self) -> "Settings":
        if (self.jwt_secret or self.jwt_jwks_file) and not (self.jwt_issuer and self.jwt_audience):
            raise ValueError(
                "JWT is configured (TEXTMILL_JWT_SECRET or TEXTMILL_JWT_JWKS_FILE): "
                "set TEXTMILL_JWT_ISSUER and TEXTMILL_JWT_AUDIENCE too"
            )
        return self

    @model_validator(mode="before")
    @classmethod
    def _offset_default_ports(cls, data: dict) -> dict:
        offset = int(data.get("port_offset") or 0) if isinstance(data, dict) else 0
        if not offset:
            return data
        defaults = {
            "kafka_bootstrap": f"127.0.0.1:{19092 + offset}",
            "mongo_url": f"mongodb://127.0.0.1:{27027 + offset}/",
            "redis_url": f"redis://127.0.0.1:{6389 + offset}/0",
            "gateway_port": DEFAULT_HTTP_PORTS["gateway"] + offset,
            "otlp_endpoint": f"http://127.0.0.1:{4318 + offset}",
            "prometheus_port": 9090 + offset,
            "jaeger_query_port": 16686 + offset,
        }
        return {**defaults, **data}

    @property
    def heartbeat_interval(self) -> timedelta:
        return timedelta(seconds=self.heartbeat_seconds)

    def port_for(self, service: ServiceName) -> int:
        if service == "gateway":
            return self.gateway_port
        return self.http_port or DEFAULT_HTTP_PORTS[service] + self.port_offset
