"""Request ids, security headers and the access log, for every request the gateway serves
(request ids for websockets too). HTTP metrics and traces: `telemetry.py`."""

import time
import uuid

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from textmill_infra.logs import REQUEST_ID_HEADER, get_logger, request_id_var

access_log = get_logger("textmill.gateway.access")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


def request_context_middleware():
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
            started, status, sent = time.perf_counter(), 500, 0

            async def send_with_headers(message: Message) -> None:
                nonlocal status, sent
                if message["type"] == "http.response.start":
                    status = message["status"]
                    message = _with_headers(message, request_id, SECURITY_HEADERS)
                elif message["type"] == "http.response.body":
                    sent += len(message.get("body", b""))
                await send(message)

            try:
                await app(scope, receive, send_with_headers)
            finally:
                _log_access(scope, status, sent, started)
                request_id_var.reset(token)

        return middleware

    return factory


def _log_access(scope: Scope, status: int, sent: int, started: float) -> None:
    """One line per request (the request and trace ids join it from the context). Probes
    and scrapes are left out: a line every few seconds saying nothing."""
    path = scope["path"]
    if path in ("/healthz", "/readyz", "/metrics"):
        return
    access_log.info(
        "request",
        method=scope.get("method", "WEBSOCKET"),
        route=scope.get("path_template") or path,
        status=status,
        bytes=sent,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
        tenant=scope.get("state", {}).get("tenant"),
    )


async def _websocket(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """A websocket's request id: in its handshake's answer, and in the problems it is sent;
    its access line when it closes."""
    request_id = request_id_for(scope)
    token = request_id_var.set(request_id)
    started, status, sent = time.perf_counter(), 403, 0

    async def send_with_id(message: Message) -> None:
        nonlocal status, sent
        if message["type"] == "websocket.accept":
            status = 101
            message = _with_headers(message, request_id, [])
        elif message["type"] == "websocket.send":
            sent += len(message.get("bytes") or b"") + len(message.get("text") or "")
        await send(message)

    try:
        await app(scope, receive, send_with_id)
    finally:
        _log_access(scope, status, sent, started)
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
