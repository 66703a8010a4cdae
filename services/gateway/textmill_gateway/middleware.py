"""Request ids, security headers and HTTP metrics, for every request the gateway serves
(request ids for websockets too)."""

import time
import uuid

from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CollectorRegistry, Histogram

from textmill_infra.logs import REQUEST_ID_HEADER, request_id_var

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


def request_context_middleware(registry: CollectorRegistry):
    latency = Histogram(
        "textmill_http_request_seconds",
        "HTTP request latency by route and status",
        ["method", "route", "status"],
        registry=registry,
    )

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "websocket":
                await _websocket(app, scope, receive, send)
                return
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            request_id = request_id_for(scope)
            token = request_id_var.set(request_id)
            started, status = time.perf_counter(), 500

            async def send_with_headers(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    message = _with_headers(message, request_id, SECURITY_HEADERS)
                await send(message)

            try:
                await app(scope, receive, send_with_headers)
            finally:
                route = scope.get("path_template") or "unmatched"
                latency.labels(scope["method"], route, str(status)).observe(
                    time.perf_counter() - started
                )
                request_id_var.reset(token)

        return middleware

    return factory


async def _websocket(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """A websocket's request id: in its handshake's answer, and in the problems it is sent."""
    request_id = request_id_for(scope)
    token = request_id_var.set(request_id)

    async def send_with_id(message: Message) -> None:
        if message["type"] == "websocket.accept":
            message = _with_headers(message, request_id, [])
        await send(message)

    try:
        await app(scope, receive, send_with_id)
    finally:
        request_id_var.reset(token)


def request_id_for(scope: Scope) -> str:
    """The caller's request id when it sent one that looks like one, else a new one."""
    incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
    # Accept a caller's id only when it looks like one: it lands in logs.
    return incoming if 0 < len(incoming) <= 128 and incoming.isprintable() else uuid.uuid4().hex


def _with_headers(message: Message, request_id: str, extra: list) -> Message:
    """`message` (a response's start) with the request id and `extra`, each unless the
    response set that header itself (an event stream's `cache-control: no-cache`)."""
    headers = list(message.get("headers", []))
    present = {name.lower() for name, _ in headers}
    wanted = [(REQUEST_ID_HEADER.encode(), request_id.encode()), *extra]
    headers.extend((name, value) for name, value in wanted if name not in present)
    return {**message, "headers": headers}
