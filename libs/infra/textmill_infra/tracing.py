"""Traces with OpenTelemetry's own instrumentation, exported over OTLP/HTTP (to Jaeger).

`configure_tracing` sets the process's tracer provider and instruments PyMongo (its
command listeners serve the async client too) and Redis (asyncio included); FastStream's
`KafkaTelemetryMiddleware` (`kafka.make_broker`) and Litestar's `OpenTelemetryPlugin` (the
gateway) use that provider, and carry W3C trace context in Kafka and HTTP headers.

Only work is traced: a trace starts at an HTTP request or a Kafka message, never at a
store command that runs outside one (a sweep, a liveness read) nor at a heartbeat, which
would make a trace every two seconds per service. Spans are per message, per store
command and per request: a shard, a result batch (1,000 cells), never a cell.

Of the traces that start here, `TEXTMILL_TRACE_SAMPLE_RATIO` (0.1) are recorded, chosen by
trace id (head-based: every service of a trace agrees); a caller's `traceparent` decides
for its own trace, so a request sent with the sampled flag is always recorded whole. An
unrecorded request still has a trace id (in its access line and logs), and its spans are
no-ops: no attributes set, nothing exported (docs/load.md).
"""

from collections.abc import Sequence
from contextlib import AbstractContextManager

from aiokafka import ConsumerRecord
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.propagate import extract
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind
from opentelemetry.util.types import Attributes

from textmill_contracts.topics import TOPICS
from textmill_infra.settings import Settings

# Kinds of span that start work when they have no parent: a request, a message.
WORK_KINDS = (SpanKind.SERVER, SpanKind.CONSUMER, SpanKind.PRODUCER)


class WorkOnly(Sampler):
    """Samples a root span only when it starts work (a request, a message) and is not
    about a heartbeat, and then `ratio` of them by trace id; a span with a parent follows
    its parent (`ParentBased`)."""

    def __init__(self, ratio: float = 1.0) -> None:
        self._ratio = TraceIdRatioBased(ratio)

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state=None,
    ) -> SamplingResult:
        if kind not in WORK_KINDS or name.startswith(TOPICS.heartbeats):
            return SamplingResult(Decision.DROP)
        return self._ratio.should_sample(parent_context, trace_id, name, kind, attributes, links)

    def get_description(self) -> str:
        return f"WorkOnly{{{self._ratio.get_description()}}}"


def make_tracer_provider(service: str, settings: Settings) -> TracerProvider:
    resource = Resource.create(
        {"service.name": f"textmill-{service}", "service.instance.id": settings.instance_id}
    )
    provider = TracerProvider(
        resource=resource, sampler=ParentBased(root=WorkOnly(settings.trace_sample_ratio))
    )
    exporter = OTLPSpanExporter(endpoint=f"{settings.otlp_endpoint.rstrip('/')}/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=1000))
    return provider


def configure_tracing(service: str, settings: Settings) -> TracerProvider | None:
    """The process's tracer provider, with PyMongo and Redis instrumented; None (and every
    span a no-op) when `TEXTMILL_TRACING` is off. Call it before any client is made:
    PyMongo hands its listeners to the clients made after."""
    if not settings.tracing:
        return None
    provider = make_tracer_provider(service, settings)
    trace.set_tracer_provider(provider)
    PymongoInstrumentor().instrument(tracer_provider=provider)
    RedisInstrumentor().instrument(tracer_provider=provider)
    return provider


def shutdown_tracing() -> None:
    """Export what is buffered before the process exits."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.shutdown()


_tracer = trace.get_tracer("textmill_infra.tracing")


def record_span(record: ConsumerRecord) -> AbstractContextManager[trace.Span]:
    """A span for one record of a consumer of our own (a `feed.RecordFeed`), the child of the
    span that published it, as FastStream's middleware makes for its subscribers."""
    headers = {key: value.decode("latin-1") for key, value in record.headers or ()}
    return _tracer.start_as_current_span(
        f"{record.topic} process",
        context=extract(headers),
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "kafka",
            "messaging.destination.name": record.topic,
            "messaging.kafka.destination.partition": record.partition,
            "messaging.kafka.message.offset": record.offset,
        },
    )
