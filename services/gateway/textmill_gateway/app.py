"""The gateway's composition root: `create_app()` builds the Litestar app and its dependencies."""

import asyncio
import json
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.di import Provide

from textmill_contracts.events import RunUpdated
from textmill_contracts.topics import TOPICS
from textmill_gateway import handlers
from textmill_gateway.adapters.audit import AuditLog
from textmill_gateway.adapters.files import FileStore
from textmill_gateway.adapters.keys import BOOTSTRAP_KEY_ID, ApiKeyStore
from textmill_gateway.adapters.large_runs import LargeRuns
from textmill_gateway.adapters.metrics import StreamMetrics
from textmill_gateway.adapters.rate_limits import RateLimits
from textmill_gateway.adapters.retention import RetentionSweep
from textmill_gateway.adapters.stats import StatsReader
from textmill_gateway.adapters.streams import RunStreams
from textmill_gateway.adapters.tasks import TaskStore
from textmill_gateway.context import Gateway
from textmill_gateway.domain.principal import hash_key
from textmill_gateway.domain.retention import RetentionPolicy
from textmill_gateway.domain.tokens import TokenRules, TokenVerifier
from textmill_gateway.errors import EXCEPTION_HANDLERS
from textmill_gateway.middleware import request_context_middleware
from textmill_gateway.openapi import SECURITY, openapi_config
from textmill_gateway.overload import InFlight
from textmill_gateway.routes import docs, ops
from textmill_gateway.routes.analysis import RunsController
from textmill_gateway.routes.audit import audit_log
from textmill_gateway.routes.dashboard import dashboard_assets, dashboard_page
from textmill_gateway.routes.deps import add_rate_limit_headers, provide_gateway, provide_principal
from textmill_gateway.routes.estimates import estimate
from textmill_gateway.routes.files import FilesController
from textmill_gateway.routes.keys import KeyController
from textmill_gateway.routes.methods import complete_allow_header
from textmill_gateway.routes.profile import ProfileController
from textmill_gateway.routes.stats import stats
from textmill_gateway.routes.streams import EventsController, run_stream
from textmill_gateway.routes.tasks import TasksController
from textmill_gateway.routes.texts import analyze_texts
from textmill_gateway.telemetry import http_metrics, http_tracing
from textmill_infra.clients import make_redis, make_sync_mongo
from textmill_infra.feed import RecordFeed
from textmill_infra.logs import get_logger
from textmill_infra.messaging import subscribe
from textmill_infra.replies import ReplyWaiter
from textmill_infra.service import ServiceRuntime
from textmill_infra.settings import Settings
from textmill_storage import CancelFence, ProfileCache, ResultBatches, RunRecords

log = get_logger(__name__)
# Decoded result batches a gateway keeps for pages (32 of 1,000 cells): the pages of recent
# runs, read again and again, are not decoded again.
RESULT_BATCHES_KEPT_BYTES = 32 * 1024 * 1024


def create_app(settings: Settings) -> Litestar:
    runtime = ServiceRuntime(name="gateway", settings=settings)
    db = runtime.attach_mongo()
    redis = runtime.attach_redis()
    # The live streams' own pool: 100 streams waiting on XREAD took every connection of the
    # requests' pool, and a stream failed with "Too many connections".
    stream_redis = make_redis(settings, max_connections=settings.stream_redis_connections)
    runtime.on_close.append(stream_redis.aclose)
    upload_dir = Path(tempfile.mkdtemp(prefix="textmill-uploads-"))
    sync_mongo = make_sync_mongo(settings)
    runtime.on_close.append(lambda: asyncio.to_thread(sync_mongo.close))
    tokens = None
    if settings.jwt_secret or settings.jwt_jwks_file:
        tokens = TokenVerifier(
            TokenRules(
                issuer=settings.jwt_issuer or "",
                audience=settings.jwt_audience or "",
                leeway_seconds=settings.jwt_leeway_seconds,
                tenant_claim=settings.jwt_tenant_claim,
                role_claim=settings.jwt_role_claim,
            ),
            secret=settings.jwt_secret.get_secret_value() if settings.jwt_secret else None,
            jwks=json.loads(settings.jwt_jwks_file.read_text()) if settings.jwt_jwks_file else None,
        )
    runs = RunRecords(db)
    gateway = Gateway(
        runtime=runtime,
        publisher=runtime.publisher,
        files=FileStore(db),
        keys=ApiKeyStore(db, ttl_seconds=settings.key_cache_seconds),
        replies=ReplyWaiter(runtime.broker, settings.instance_id, settings.reply_timeout_seconds),
        upload_dir=upload_dir,
        runs=runs,
        large_runs=LargeRuns(runs, keep_seconds=settings.large_run_keep_seconds),
        results=ResultBatches(db, kept_bytes=RESULT_BATCHES_KEPT_BYTES),
        streams=RunStreams(stream_redis, retain_bytes=settings.stream_retain_bytes),
        fence=CancelFence(redis),
        sync_db=sync_mongo[settings.mongo_db],
        stream_metrics=StreamMetrics(runtime.registry),
        models_dir=settings.models_dir,
        limits=RateLimits(redis, settings),
        audit=AuditLog(db),
        tasks=TaskStore(db),
        stats=StatsReader(db, redis),
        profiles=ProfileCache(
            redis,
            max_bytes=settings.profile_cache_max_bytes,
            ttl_seconds=settings.profile_cache_ttl_seconds,
            registry=runtime.registry,
        ),
        tokens=tokens,
    )
    feeds = handlers.Deps(
        broker=runtime.broker, streams=gateway.streams, metrics=gateway.stream_metrics
    )
    results = RecordFeed(
        settings,
        topic=TOPICS.results,
        group_id=handlers.RESULTS_GROUP,
        handle=lambda records: handlers.stream_results(records, feeds),
        client_id=f"textmill-gateway-{settings.instance_id}-results",
        registry=runtime.registry,
        fetch_max_wait_ms=handlers.RESULTS_FETCH_MAX_WAIT_MS,
    )
    runtime.after_startup.append(results.start)
    runtime.on_shutdown.append(results.stop)
    runtime.checks["results-feed"] = results.ready
    subscribe(
        runtime.broker,
        TOPICS.runs,
        handlers.RUN_STREAMS,
        RunUpdated,
        handlers.stream_run_update,
        feeds,
    )
    runtime.checks["replies"] = gateway.replies.ready

    async def bootstrap() -> None:
        if settings.admin_key is not None:
            key = settings.admin_key.get_secret_value()
            await gateway.keys.add(
                key_id=BOOTSTRAP_KEY_ID,
                key_hash=hash_key(key),
                tenant=settings.admin_tenant,
                role="admin",
            )

    runtime.on_startup.append(bootstrap)
    retention = RetentionSweep(
        db,
        redis,
        gateway.streams,
        gateway.publisher,
        RetentionPolicy(
            seconds=settings.retention_seconds, by_tenant=settings.retention_seconds_by_tenant
        ),
        batch=settings.retention_batch,
    )
    runtime.background(lambda: retention.keep_sweeping(settings.retention_sweep_seconds))

    async def stop_background() -> None:
        for task in list(gateway.background):
            task.cancel()
        await asyncio.gather(*gateway.background, return_exceptions=True)

    runtime.on_shutdown.append(stop_background)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        try:
            async with runtime.running():
                log.info("gateway started", port=settings.gateway_port)
                yield
        finally:
            for leftover in upload_dir.glob("*"):
                leftover.unlink(missing_ok=True)
            upload_dir.rmdir()

    api = Router(
        path="/",
        route_handlers=[
            FilesController,
            ProfileController,
            KeyController,
            RunsController,
            EventsController,
            analyze_texts,
            estimate,
            audit_log,
            stats,
            TasksController,
        ],
        dependencies={"principal": Provide(provide_principal)},
        security=SECURITY,
    )
    app = Litestar(
        route_handlers=[
            api,
            run_stream,
            ops.healthz,
            ops.readyz,
            ops.metrics,
            docs.asyncapi,
            docs.docs_assets,
            dashboard_page,
            dashboard_assets(),
        ],
        dependencies={"gateway": Provide(provide_gateway)},
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[
            request_context_middleware(),
            InFlight(settings.gateway_max_in_flight, runtime.registry).middleware,
            http_metrics(runtime.registry),
        ],
        plugins=[http_tracing()] if settings.tracing else [],
        before_send=[add_rate_limit_headers, complete_allow_header],
        cors_config=CORSConfig(
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=[
                "Authorization",
                "X-API-Key",
                "Content-Type",
                "X-Request-Id",
                "Last-Event-ID",
            ],
            expose_headers=[
                "X-Request-Id",
                "Retry-After",
                "RateLimit",
                "RateLimit-Policy",
                "Location",
                "X-Run-Id",
                "Content-Disposition",
            ],
            max_age=600,
        )
        if settings.cors_origins
        else None,
        lifespan=[lifespan],
        openapi_config=openapi_config(),
        request_max_body_size=settings.max_upload_bytes + 1024 * 1024,
        debug=False,
        # Logging is configured once, as JSON, by textmill_infra.logs; Litestar's default
        # config would reformat the root logger as plain text.
        logging_config=None,
    )
    app.state.gateway = gateway
    return app
