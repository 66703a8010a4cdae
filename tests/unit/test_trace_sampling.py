"""Head-based sampling of the traces that start in a service: `ratio` of them by trace id,
a caller's sampled `traceparent` always followed, heartbeats never; an unsampled request's
spans (and its store calls') record nothing."""

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ParentBased
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    TraceFlags,
    set_span_in_context,
)

from textmill_contracts.topics import TOPICS
from textmill_infra.tracing import WorkOnly


def tracer(ratio: float):
    return TracerProvider(sampler=ParentBased(root=WorkOnly(ratio))).get_tracer("test")


def caller(sampled: bool):
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    remote = SpanContext(trace_id=0xABC, span_id=0xDEF, is_remote=True, trace_flags=flags)
    return set_span_in_context(NonRecordingSpan(remote))


def recorded(ratio: float, count: int = 2_000) -> int:
    spans = (tracer(ratio).start_span("GET /x", kind=SpanKind.SERVER) for _ in range(count))
    return sum(span.is_recording() for span in spans)


def test_a_share_of_the_requests_that_start_a_trace_is_recorded():
    assert recorded(1.0) == 2_000
    assert recorded(0.0) == 0
    assert 100 < recorded(0.1) < 300  # 200 expected; trace ids are random


def test_a_callers_sampled_trace_is_recorded_whatever_the_ratio():
    assert (
        tracer(0.0).start_span("GET /x", context=caller(True), kind=SpanKind.SERVER).is_recording()
    )
    assert not tracer(1.0).start_span("GET /x", context=caller(False)).is_recording()


def test_an_unsampled_requests_store_calls_record_nothing_but_keep_its_trace_id():
    spans = tracer(0.0)
    request = spans.start_span("GET /x", kind=SpanKind.SERVER)
    call = spans.start_span("find", context=set_span_in_context(request), kind=SpanKind.CLIENT)
    assert not request.is_recording() and not call.is_recording()
    assert request.get_span_context().trace_id != 0
    assert call.get_span_context().trace_id == request.get_span_context().trace_id


def test_heartbeats_and_internal_spans_start_no_trace():
    spans = tracer(1.0)
    assert not spans.start_span(
        f"{TOPICS.heartbeats} publish", kind=SpanKind.PRODUCER
    ).is_recording()
    assert not spans.start_span("find", kind=SpanKind.CLIENT).is_recording()
