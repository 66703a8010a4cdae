"""The bound on requests in flight: past it a request is refused at once with 503
`overloaded`, a problem document and a `Retry-After`; a place is freed when an answer
starts; probes and websockets are never refused."""

import asyncio
import json

from prometheus_client import CollectorRegistry

from textmill_gateway.overload import InFlight


def http(path: str = "/api/v2/files") -> dict:
    return {"type": "http", "method": "GET", "path": path, "headers": []}


class HeldApp:
    """An app whose answers wait until released: requests stay in flight meanwhile."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.entered = 0

    async def __call__(self, scope, receive, send) -> None:
        self.entered += 1
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


async def answer(app, scope) -> tuple[int, dict, bytes]:
    sent = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


async def test_past_the_bound_a_request_is_503_overloaded_with_retry_after():
    # Given a gateway bounded at 2 requests in flight, with 2 waiting on their answers
    held, registry = HeldApp(), CollectorRegistry()
    bounded = InFlight(2, registry).middleware(held)
    waiting = [asyncio.create_task(answer(bounded, http())) for _ in range(2)]
    await asyncio.sleep(0)
    assert held.entered == 2
    # When a third arrives
    status, headers, body = await answer(bounded, http())
    # Then it is refused at once, without reaching the app, as a problem document
    assert (status, held.entered) == (503, 2)
    assert headers["retry-after"] == "1"
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert (problem["status"], problem["code"]) == (503, "overloaded")
    assert registry.get_sample_value("textmill_gateway_overloaded_total") == 1
    assert registry.get_sample_value("textmill_gateway_requests_in_flight") == 2
    # And once the others are answered, a request is served again
    held.release.set()
    assert [s for s, _, _ in await asyncio.gather(*waiting)] == [200, 200]
    assert (await answer(bounded, http()))[0] == 200
    assert registry.get_sample_value("textmill_gateway_requests_in_flight") == 0


async def test_probes_are_answered_whatever_is_in_flight():
    held = HeldApp()
    bounded = InFlight(1, CollectorRegistry()).middleware(held)
    waiting = asyncio.create_task(answer(bounded, http()))
    await asyncio.sleep(0)
    probe = asyncio.create_task(answer(bounded, http("/healthz")))
    await asyncio.sleep(0)
    assert held.entered == 2  # the probe reached the app; a request would not have
    held.release.set()
    assert (await probe)[0] == (await waiting)[0] == 200


async def test_a_place_is_freed_when_an_app_fails_before_answering():
    async def failing(scope, receive, send):
        raise RuntimeError("boom")

    bounded_in = InFlight(1, CollectorRegistry())
    bounded = bounded_in.middleware(failing)
    for _ in range(3):
        try:
            await answer(bounded, http())
        except RuntimeError:
            pass
    assert bounded_in.count == 0


def test_redis_pool_exhausted_within_a_dependency_is_503_overloaded():
    from litestar import Litestar, get
    from litestar.testing import TestClient
    from redis.exceptions import MaxConnectionsError

    from textmill_gateway.errors import EXCEPTION_HANDLERS

    @get("/exhausted")
    async def exhausted() -> None:
        raise ExceptionGroup("dependencies", [MaxConnectionsError("Too many connections")])

    @get("/broken")
    async def broken() -> None:
        raise RuntimeError("a bug")

    app = Litestar([exhausted, broken], exception_handlers=EXCEPTION_HANDLERS)
    with TestClient(app) as client:
        answer = client.get("/exhausted")
        assert (answer.status_code, answer.json()["code"]) == (503, "overloaded")
        assert answer.headers["retry-after"] == "1"
        assert client.get("/broken").status_code == 500
