"""The worker's composition root. It runs, heartbeats and answers health probes; analysis
chains over shards grow here."""

from faststream.asgi import AsgiFastStream

from textmill_infra.service import ServiceRuntime
from textmill_infra.settings import Settings


def create_app(settings: Settings) -> AsgiFastStream:
    runtime = ServiceRuntime(name="worker", settings=settings)
    runtime.attach_mongo()
    runtime.attach_redis()
    return runtime.asgi()
