"""The profiler's composition root: consumes `ProfileRequested`, replies with the profile."""

from faststream.asgi import AsgiFastStream
from faststream.kafka.annotations import KafkaMessage
from textmill_contracts.topics import TOPICS
from textmill_infra.kafka import Subscription
from textmill_infra.service import ServiceRuntime
from textmill_infra.settings import Settings

from textmill_profiler.adapters.files import StoredFiles
from textmill_profiler.adapters.profiles import ProfileStore
from textmill_profiler.handlers import ProfileHandler

# One group for every profiler replica: each command is handled by one of them.
PROFILE_REQUESTS = Subscription(group_id="textmill-profiler")


def create_app(settings: Settings) -> AsgiFastStream:
    runtime = ServiceRuntime(name="profiler", settings=settings)
    db = runtime.attach_mongo()
    handler = ProfileHandler(
        runtime.broker, StoredFiles(db), ProfileStore(db), settings.max_columns
    )

    @runtime.broker.subscriber(TOPICS.profile_requested, **PROFILE_REQUESTS.kwargs())
    async def on_profile_requested(message: KafkaMessage) -> None:
        await handler(message)

    return runtime.asgi()
