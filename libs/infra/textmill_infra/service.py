"""The shape every back-end service shares: a FastStream Kafka app served over ASGI with
`/healthz`, `/readyz` and `/metrics`, a heartbeat, and ordered start-up and shutdown hooks.

A service's `create_app()` builds a `ServiceRuntime`, registers its subscribers on
`runtime.broker`, adds readiness checks and hooks, and returns `runtime.asgi()`.
"""

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
import uvicorn
from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.asgi.response import JSONResponse
from faststream.kafka import KafkaBroker
from prometheus_client import (
    CollectorRegistry,
    gc_collector,
    make_asgi_app,
    platform_collector,
    process_collector,
)
from pymongo.asynchronous.database import AsyncDatabase

from textmill_infra.clients import database, make_mongo, make_redis
from textmill_infra.health import Check, run_checks
from textmill_infra.heartbeat import HeartbeatEmitter
from textmill_infra.kafka import ensure_topics, make_broker
from textmill_infra.logs import configure_logging
from textmill_infra.messaging import Publisher
from textmill_infra.migrations import migrate
from textmill_infra.settings import ServiceName, Settings
from textmill_infra.tracing import configure_tracing, shutdown_tracing
from textmill_infra.websockets import WebSocketProtocol

Hook = Callable[[], Awaitable[None]]


@dataclass(kw_only=True)
class ServiceRuntime:
    name: ServiceName
    settings: Settings
    registry: CollectorRegistry = field(
        default_factory=lambda: CollectorRegistry(auto_describe=True)
    )
    broker: KafkaBroker = field(init=False)
    publisher: Publisher = field(init=False)
    heartbeat: HeartbeatEmitter = field(init=False)
    checks: dict[str, Check] = field(default_factory=dict)
    on_startup: list[Hook] = field(default_factory=list)
    # Run once the broker is up: consumers of their own (`feed.RecordFeed`) whose handlers
    # publish through it.
    after_startup: list[Hook] = field(default_factory=list)
    on_shutdown: list[Hook] = field(default_factory=list)
    # Run after the broker has stopped, so no handler still uses what they close.
    on_close: list[Hook] = field(default_factory=list)
    # Extra HTTP routes of the service's own, beside health and metrics.
    routes: list[tuple[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for collector in (process_collector.ProcessCollector, platform_collector.PlatformCollector):
            collector(registry=self.registry)
        gc_collector.GCCollector(registry=self.registry)
        self.broker = make_broker(self.settings, self.name, self.registry)
        self.publisher = Publisher(self.broker)
        self.heartbeat = HeartbeatEmitter(self.broker, self.name, self.settings)
        self.checks["kafka"] = self._kafka_ready

    async def _kafka_ready(self) -> bool:
        return await self.broker.ping(timeout=self.settings.readiness_timeout_seconds)

    async def prepare(self) -> None:
        await ensure_topics(self.settings)
        for hook in self.on_startup:
            await hook()

    async def started(self) -> None:
        # Everything built while starting (modules, models, the app) lives as long as the
        # process: move it out of the collector's sight, so that a full collection scans
        # only what requests allocate (a scan of it all paused the stream).
        gc.collect()
        gc.freeze()
        self.heartbeat.start()
        for hook in self.after_startup:
            await hook()

    async def drain(self) -> None:
        self.heartbeat.status = "draining"
        await self.heartbeat.stop()
        for hook in reversed(self.on_shutdown):
            await hook()

    async def close(self) -> None:
        for hook in reversed(self.on_close):
            await hook()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The order `asgi()` gives FastStream, for an app that hosts the broker itself."""
        await self.prepare()
        await self.broker.start()
        try:
            await self.started()  # a hook failing here still stops the broker and the rest
            yield
        finally:
            await self.drain()
            await self.broker.stop()
            await self.close()

    def background(self, job: Callable[[], Awaitable[None]]) -> None:
        """Run `job()` as a task from start-up until shutdown (a periodic sweep, say)."""
        tasks: list[asyncio.Task] = []

        async def start() -> None:
            tasks.append(asyncio.create_task(job()))

        async def stop() -> None:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.on_startup.append(start)
        self.on_shutdown.append(stop)

    def attach_mongo(self) -> AsyncDatabase:
        """The service's database: migrated at start-up, checked by /readyz, closed on stop."""
        client = make_mongo(self.settings)
        db = database(client, self.settings)

        async def ready() -> bool:
            return (await client.admin.command("ping")).get("ok") == 1

        async def migrate_db() -> None:
            await migrate(db)

        self.checks["mongo"] = ready
        self.on_startup.insert(0, migrate_db)
        self.on_close.append(client.close)
        return db

    def attach_redis(self) -> aioredis.Redis:
        client = make_redis(self.settings)

        async def ready() -> bool:
            return bool(await client.ping())

        self.checks["redis"] = ready
        self.on_close.append(client.aclose)
        return client

    def asgi(self) -> AsgiFastStream:
        @get(include_in_schema=False)
        async def healthz(scope) -> AsgiResponse:
            return JSONResponse({"status": "alive", "service": self.name})

        @get(include_in_schema=False)
        async def readyz(scope) -> AsgiResponse:
            result = await run_checks(self.checks, self.settings.readiness_timeout_seconds)
            body = {"service": self.name, **result.as_dict()}
            return JSONResponse(body, status_code=200 if result.ready else 503)

        return AsgiFastStream(
            self.broker,
            asgi_routes=[
                ("/healthz", healthz),
                ("/readyz", readyz),
                ("/metrics", make_asgi_app(self.registry)),
                *self.routes,
            ],
            on_startup=[self.prepare],
            after_startup=[self.started],
            on_shutdown=[self.drain],
            after_shutdown=[self.close],
            # A plain stdlib logger, so that its lines go through the JSON handler; FastStream's
            # own logger carries a plain-text handler of its own.
            logger=logging.getLogger(f"textmill.{self.name}.app"),
        )


def serve(service: ServiceName, create_app: Callable[[Settings], object]) -> None:
    """Entry point of `python -m textmill_<service>`: logs and traces, then uvicorn on the
    service port."""
    settings = Settings()
    configure_logging(service, settings.instance_id, settings.log_level)
    configure_tracing(service, settings)
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.port_for(service),
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=20,
        ws=WebSocketProtocol,
    )
    try:
        asyncio.run(uvicorn.Server(config).serve())
    finally:
        shutdown_tracing()
