"""JSON logs with the request id, trace id and span id of the message or HTTP request
being handled.

The request id travels in the `x-request-id` header of HTTP requests and Kafka messages;
the middlewares put it into a context variable that every log line reads. The trace and span
ids are OpenTelemetry's current span's (`tracing.py`), so a log line leads to its trace.
"""

import logging
import re
import sys
from contextvars import ContextVar
from urllib.parse import unquote

import structlog
from opentelemetry import trace

REQUEST_ID_HEADER = "x-request-id"
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def _add_request_id(_, __, event: dict) -> dict:
    request_id = request_id_var.get()
    if request_id and "request_id" not in event:
        event["request_id"] = request_id
    return event


def _add_trace_ids(_, __, event: dict) -> dict:
    context = trace.get_current_span().get_span_context()
    if context.is_valid and "trace_id" not in event:
        event["trace_id"] = format(context.trace_id, "032x")
        event["span_id"] = format(context.span_id, "016x")
    return event


_SECRET_QUERY = re.compile(r"(api_key=)[^&\s\"']+")
# A key by its shape, `tm_<id>_<secret>`, wherever it stands: `?api%5Fkey=` or `?%61pi_key=`
# name the same parameter as `api_key=`, and a key may itself come percent-encoded, so
# text holding a `%` is matched once decoded too.
_KEY = re.compile(r"tm_[A-Za-z0-9]+_[A-Za-z0-9_-]{16,}")


def _redacted(text: str) -> str:
    return _KEY.sub("tm_[redacted]", _SECRET_QUERY.sub(r"\1[redacted]", text))


def _scrubbed(text: str) -> str:
    if "tm_" not in text and "api_key" not in text and "%" not in text:
        return text  # most log lines: nothing to look at
    decoded = text
    for _ in range(3):  # a key may be percent-encoded, twice even
        if "%" not in decoded or (again := unquote(decoded)) == decoded:
            break
        decoded = again
    if decoded != text and (_KEY.search(decoded) or "api_key=" in decoded):
        return _redacted(decoded)  # logged decoded: the encoded form hid a key
    return _redacted(text)


def _scrub(value: object) -> object:
    """`value` with keys redacted: the same object when there was none."""
    if isinstance(value, str):
        return _scrubbed(value)
    if isinstance(value, dict):
        items = {key: _scrub(item) for key, item in value.items()}
        return items if any(items[k] is not value[k] for k in value) else value
    if isinstance(value, list | tuple):
        scrubbed = [_scrub(item) for item in value]
        return scrubbed if any(a is not b for a, b in zip(scrubbed, value, strict=True)) else value
    return value


def redact_secrets(_logger, _name, event_dict: dict) -> dict:
    """API keys can arrive in a query string (websockets cannot send headers from a
    browser); servers log request lines, so every record is scrubbed of them: each field,
    nested ones too, and a traceback once it is formatted (this runs after that)."""
    return _scrub(event_dict)  # type: ignore[return-value]


def configure_logging(service: str, instance_id: str, level: str = "INFO") -> None:
    """Route stdlib and structlog records through one JSON renderer on stdout."""
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_request_id,
        _add_trace_ids,
        _static_fields(service=service, instance=instance_id),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *shared],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_secrets,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiokafka is chatty at INFO about every rebalance; warnings still show.
    logging.getLogger("aiokafka").setLevel(logging.WARNING)


def _static_fields(**fields: str):
    def add(_, __, event: dict) -> dict:
        for key, value in fields.items():
            event.setdefault(key, value)
        return event

    return add


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
