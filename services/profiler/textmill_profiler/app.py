"""The profiler's composition root: answers `ProfileRequested`, drops profiles of deleted
files, and serves its cache statistics at `/cache/stats`."""

import asyncio

from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.asgi.response import JSONResponse

from textmill_contracts import FileDeleted, ProfileRequested
from textmill_contracts.topics import TOPICS
from textmill_infra.clients import make_sync_mongo
from textmill_infra.kafka import Subscription
from textmill_infra.messaging import subscribe
from textmill_infra.service import ServiceRuntime
from textmill_infra.settings import Settings
from textmill_profiler import handlers
from textmill_profiler.adapters.files import StoredTables
from textmill_profiler.adapters.metrics import ProfilerMetrics
from textmill_profiler.domain import PROFILER_VERSION
from textmill_profiler.domain.language import warm_up
from textmill_storage import ProfileCache, ProfileStore

# One group for all profiler replicas: each command is handled by one of them.
PROFILE_REQUESTS = Subscription(group_id="textmill-profiler")
FILE_EVENTS = Subscription(group_id="textmill-profiler-files")


def create_app(settings: Settings) -> AsgiFastStream:
    runtime = ServiceRuntime(name="profiler", settings=settings)
    db = runtime.attach_mongo()
    cache = ProfileCache(
        runtime.attach_redis(),
        max_bytes=settings.profile_cache_max_bytes,
        ttl_seconds=settings.profile_cache_ttl_seconds,
        registry=runtime.registry,
    )
    # Profiling runs in a thread over a synchronous client: the readers are synchronous.
    sync_mongo = make_sync_mongo(settings)
    runtime.on_close.append(lambda: asyncio.to_thread(sync_mongo.close))
    deps = handlers.Deps(
        publisher=runtime.publisher,
        files=StoredTables(sync_mongo[settings.mongo_db]),
        profiles=ProfileStore(db),
        cache=cache,
        sample_rows=settings.profile_sample_rows,
        max_columns=settings.max_columns,
        metrics=ProfilerMetrics(runtime.registry),
    )

    # Load the language models before the first command, not during it.
    runtime.on_startup.append(lambda: asyncio.to_thread(warm_up))
    # The gateway answers cache hits of the version recorded here (the latest started).
    runtime.on_startup.append(lambda: cache.record_version(PROFILER_VERSION))

    for topic, subscription, model, handler in (
        (TOPICS.profile_requested, PROFILE_REQUESTS, ProfileRequested, handlers.profile_file),
        (TOPICS.files, FILE_EVENTS, FileDeleted, handlers.drop_profiles),
    ):
        subscribe(runtime.broker, topic, subscription, model, handler, deps)

    @get(include_in_schema=False)
    async def cache_stats(scope) -> AsgiResponse:
        return JSONResponse((await cache.stats()).as_dict())

    runtime.routes.append(("/cache/stats", cache_stats))
    return runtime.asgi()
