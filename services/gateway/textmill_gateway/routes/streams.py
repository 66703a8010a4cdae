"""A run's live stream: `GET /api/v2/runs/{run_id}/events` (SSE) and
`WS /api/v2/runs/{run_id}/stream`, both reading the run's Redis stream (`RunStreams`).

Every message is `{"seq", "type", "data"}`; `?from_seq=n` (or SSE's `Last-Event-ID`) replays
everything after n, then follows live. Browsers cannot set headers on a websocket, so its
key may also come as `?api_key=`. On a websocket a problem arrives as one
`{"type": "error", "data": <problem>}` message and a close code: 4000 + the HTTP status
(4410 once an ended run's stream is no longer kept).
"""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated

from litestar import Controller, Request, Response, WebSocket, get, websocket
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath, Parameter
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage

from textmill_contracts.envelope import utc_now
from textmill_contracts.events import TERMINAL_STATUSES
from textmill_gateway.adapters.streams import StreamGone, StreamMessage, is_terminal_run_message
from textmill_gateway.context import Gateway
from textmill_gateway.domain.positions import MAX_SEQ, parse_from_seq, stream_start
from textmill_gateway.domain.refusals import Refusal, not_found
from textmill_gateway.errors import problem_body, status_of
from textmill_gateway.openapi import problems
from textmill_gateway.routes.deps import GatewayDep, PrincipalDep, authenticate, spend
from textmill_infra.logs import get_logger
from textmill_runs import Run

log = get_logger(__name__)
# A run that ended this long ago has had its last message streamed: a stream missing by
# then expired or was deleted (see `RunStreams`), rather than not written yet.
STREAM_SETTLED = timedelta(seconds=60)


async def stream_state(gateway: Gateway, run: Run) -> float | None:
    """For an ended run whose stream has not appeared yet, the loop time by which it must;
    else None. Raises the refusal `stream_gone` when the run has ended and its stream is no
    longer kept."""
    if not run.ended:
        return None
    there, ended = await gateway.streams.presence(run.id)
    if there:
        return None
    left = STREAM_SETTLED - (utc_now() - run.finished_at) if run.finished_at else STREAM_SETTLED
    if left <= timedelta(0) or ended:
        raise gone(run.id)
    return asyncio.get_running_loop().time() + left.total_seconds()


async def had_everything(gateway: Gateway, run: Run, after: int) -> bool:
    """A client that read the stream of this ended run up to `after` has had all of it."""
    return run.ended and await gateway.streams.ended_by(run.id, after)


def gone(run_id: str) -> Refusal:
    return Refusal(
        "stream_gone",
        f"run {run_id!r} has ended and its live stream is no longer kept (an ended run's "
        f"stream is kept up to an hour, within a memory budget); its results are at "
        f"/api/v2/runs/{run_id}/results",
    )


async def follow(
    gateway: Gateway, run_id: str, after: int, appear_by: float | None
) -> AsyncIterator[StreamMessage | None]:
    """What a live client is sent, SSE or websocket: the run's messages after `after` (None
    when a keep-alive is due) up to its final status, then the results that lost the race
    with it. Raises StreamGone as `RunStreams.read` does."""
    async for message in gateway.streams.read(run_id, after, appear_by=appear_by):
        yield message
        if message is not None and is_terminal_run_message(message, TERMINAL_STATUSES):
            async for late in gateway.streams.rest(run_id, message.seq):
                yield late
            return


async def sse_events(
    gateway: Gateway, run: Run, after: int, appear_by: float | None, path: str
) -> AsyncIterator[ServerSentEventMessage]:
    try:
        with gateway.stream_metrics.following("sse"):
            async for message in follow(gateway, run.id, after, appear_by):
                if message is None:
                    yield ServerSentEventMessage(comment="keep-alive")
                else:
                    yield ServerSentEventMessage(
                        data=message.json(), event=message.type, id=message.seq
                    )
    except StreamGone:
        refusal = gone(run.id)
        body = problem_body(refusal.code, refusal.detail, instance=path)
        yield ServerSentEventMessage(data=json.dumps(body), event="error")


class EventsController(Controller):
    path = "/api/v2/runs"
    tags = ["runs"]

    @get(
        "/{run_id:str}/events",
        summary="The run's live stream as Server-Sent Events (204: nothing left to send)",
        opt={"budget": "streams"},
        responses=problems(400, 404, 410),
    )
    async def events(
        self,
        request: Request,
        run_id: FromPath[str],
        gateway: GatewayDep,
        principal: PrincipalDep,
        from_seq: Annotated[int | None, Parameter(le=MAX_SEQ)] = None,
    ) -> ServerSentEvent:
        run = await gateway.runs.get_own(principal.tenant, run_id)
        if run is None:
            raise not_found("run", run_id)
        appear_by = await stream_state(gateway, run)
        after = stream_start(from_seq, request.headers.get("last-event-id"))
        if await had_everything(gateway, run, after):
            # 204 is what stops a browser's EventSource reconnecting.
            return Response(None, status_code=204)
        return ServerSentEvent(sse_events(gateway, run, after, appear_by, request.url.path))


@websocket("/api/v2/runs/{run_id:str}/stream")
async def run_stream(socket: WebSocket, run_id: FromPath[str]) -> None:
    await socket.accept()
    try:
        await _stream(socket, run_id)
    except Refusal as refusal:
        problem = problem_body(refusal.code, refusal.detail, instance=socket.url.path)
        await socket.send_json({"type": "error", "data": problem})
        await socket.close(code=4000 + status_of(refusal.code))
    except WebSocketDisconnect:
        return  # the client left; it reconnects with its last seq
    except Exception:
        log.exception("run stream failed", run_id=run_id)
        await socket.close(code=1011)


async def _stream(socket: WebSocket, run_id: str) -> None:
    gateway: Gateway = socket.app.state.gateway
    principal = await authenticate(gateway, socket, in_query=True)
    await spend(gateway, socket, principal, "streams")
    socket.state.tenant = principal.tenant  # for the access log
    run = await gateway.runs.get_own(principal.tenant, run_id)
    if run is None:
        raise not_found("run", run_id)
    appear_by = await stream_state(gateway, run)
    after = stream_start(parse_from_seq(socket.query_params.get("from_seq")), None)
    if await had_everything(gateway, run, after):
        await socket.close(code=1000)
        return
    try:
        with gateway.stream_metrics.following("websocket"):
            async for message in follow(gateway, run_id, after, appear_by):
                if message is None:
                    await socket.send_json({"type": "keep-alive"})
                else:
                    await socket.send_text(message.json())
    except StreamGone:
        raise gone(run_id) from None
    await socket.close(code=1000)
