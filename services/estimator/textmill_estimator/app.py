"""The estimator's composition root. It runs, heartbeats and answers health probes; ETA
and cost estimation (from samples, history and live capacity) grow here."""

from faststream.asgi import AsgiFastStream

from textmill_infra.service import ServiceRuntime
from textmill_infra.settings import Settings


def create_app(settings: Settings) -> AsgiFastStream:
    runtime = ServiceRuntime(name="estimator", settings=settings)
    runtime.attach_mongo()
    runtime.attach_redis()
    return runtime.asgi()
