"""A bound on the requests a gateway works on at once: past it, a request is answered at
once with 503 `overloaded` and a `Retry-After`, rather than queued behind the others until
it times out, or until a pool (Redis's connections) runs out and the answer is a 500.

A request holds its place until its answer starts, so a stream (SSE) that is open costs
none; websockets and the probes (`/healthz`, `/readyz`, `/metrics`) are never refused: an
orchestrator must see a busy gateway as alive."""

import json

from litestar.types import ASGIApp, Receive, Scope, Send
from prometheus_client import CollectorRegistry, Counter, Gauge

from textmill_gateway.errors import PROBLEM_MEDIA_TYPE, problem_body

UNBOUNDED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
RETRY_AFTER_SECONDS = 1


class InFlight:
    """Counts the requests whose answer has not started, refusing those past `limit`."""

    def __init__(self, limit: int, registry: CollectorRegistry) -> None:
        self.limit = limit
        self.count = 0
        self._refused = Counter(
            "textmill_gateway_overloaded",
            "Requests answered 503 overloaded: the gateway was at its bound of requests in flight",
            registry=registry,
        )
        Gauge(
            "textmill_gateway_requests_in_flight",
            "Requests whose answer has not started",
            registry=registry,
        ).set_function(lambda: self.count)

    def middleware(self, app: ASGIApp) -> ASGIApp:
        async def bounded(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or scope["path"] in UNBOUNDED_PATHS:
                await app(scope, receive, send)
                return
            if self.count >= self.limit:
                self._refused.inc()
                await _refuse(scope, send)
                return
            self.count += 1
            held = True

            async def send_releasing(message) -> None:
                nonlocal held
                if held and message["type"] == "http.response.start":
                    held = False
                    self.count -= 1
                await send(message)

            try:
                await app(scope, receive, send_releasing)
            finally:
                if held:
                    self.count -= 1

        return bounded


async def _refuse(scope: Scope, send: Send) -> None:
    body = problem_body(
        "overloaded",
        f"the gateway is at its bound of requests in flight; retry in {RETRY_AFTER_SECONDS} s",
        instance=scope["path"],
    )
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(payload)).encode()),
                (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
