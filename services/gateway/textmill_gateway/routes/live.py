"""`WS /api/v2/runs/{run_id}/stream`: the run's live stream over a websocket, and
`POST /api/v2/analyze/text`: a quick analysis answered by a worker over request/reply.

Browsers cannot set headers on a websocket, so the key may also come as `?api_key=`.
Every message is `{"seq", "type", "data"}`; `?from_seq=n` replays everything after n.
Problems arrive as one `{"type": "error", "data": <problem>}` message and a close code
(4000 + the HTTP status: 4410 once an ended run's stream is no longer kept).
"""

from litestar import WebSocket, post, websocket
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath, JSONBody
from pydantic import BaseModel, Field

from textmill_contracts.chains import CHAIN_NAMES
from textmill_contracts.runs import AnalyzeTexts, TextsAnalyzed
from textmill_contracts.topics import MESSAGE_TYPE_HEADER, TOPICS
from textmill_gateway.adapters.streams import StreamGone
from textmill_gateway.auth import hash_key
from textmill_gateway.context import Gateway
from textmill_gateway.errors import ApiError, problem_body
from textmill_gateway.routes.deps import GatewayDep, PrincipalDep
from textmill_gateway.routes.runs import (
    SEQ,
    follow,
    gone,
    had_everything,
    stream_start,
    stream_state,
)
from textmill_infra.logs import get_logger

log = get_logger(__name__)
MAX_TEXT_CHARS = 100_000
# Close codes in the application range: 4000 + the HTTP status they stand for.
CLOSE_UNAUTHORIZED, CLOSE_NOT_FOUND = 4401, 4404


async def _refuse(socket: WebSocket, status: int, code: str, detail: str) -> None:
    problem = problem_body(status, code, detail, instance=socket.url.path)
    await socket.send_json({"type": "error", "data": problem})
    await socket.close(code=4000 + status)


@websocket("/api/v2/runs/{run_id:str}/stream")
async def run_stream(socket: WebSocket, run_id: FromPath[str]) -> None:
    await socket.accept()
    try:
        await _stream(socket, run_id)
    except WebSocketDisconnect:
        return  # the client left; it reconnects with its last seq
    except Exception:
        log.exception("run stream failed", run_id=run_id)
        await socket.close(code=1011)


async def _stream(socket: WebSocket, run_id: str) -> None:
    gateway: Gateway = socket.app.state.gateway
    auth = socket.headers.get("authorization", "")
    key = (
        auth.partition(" ")[2].strip()
        if auth.lower().startswith("bearer ")
        else socket.headers.get("x-api-key") or socket.query_params.get("api_key") or ""
    )
    if not key:
        detail = "send an API key as 'Authorization: Bearer <key>', 'X-API-Key' or ?api_key="
        await _refuse(socket, 401, "unauthorized", detail)
        return
    principal = await gateway.keys.find(hash_key(key))
    if principal is None:
        await _refuse(socket, 401, "unauthorized", "the API key is not valid")
        return
    run = await gateway.runs.get(principal.tenant, run_id)
    if run is None:
        await _refuse(socket, 404, "run_not_found", f"no run with id {run_id!r}")
        return
    error, appear_by = await stream_state(gateway, run)
    if error:
        await _refuse(socket, error.status, error.code, error.detail)
        return
    try:
        after = stream_start(_from_seq(socket.query_params.get("from_seq")), None)
    except ApiError as error:
        await _refuse(socket, error.status, error.code, error.detail)
        return
    if await had_everything(gateway, run, after):
        await socket.close(code=1000)
        return
    try:
        async for message in follow(gateway, run_id, after, appear_by):
            if message is None:
                await socket.send_json({"type": "keep-alive"})
            else:
                await socket.send_text(message.json())
    except StreamGone:
        error = gone(run_id)
        await _refuse(socket, error.status, error.code, error.detail)
        return
    await socket.close(code=1000)


def _from_seq(raw: str | None) -> int | None:
    if not raw:
        return None
    if not SEQ.fullmatch(raw):
        raise ApiError(400, "invalid_request", f"from_seq must be an integer, not {raw[:40]!r}")
    return int(raw)


class AnalyzeTextsRequest(BaseModel):
    texts: list[str] = Field(min_length=1, max_length=100)
    chains: list[str] = Field(default_factory=lambda: ["sentiment"], min_length=1)


@post("/api/v2/analyze/text", status_code=200, tags=["runs"], summary="Analyse up to 100 texts")
async def analyze_texts(
    data: JSONBody[AnalyzeTextsRequest], gateway: GatewayDep, principal: PrincipalDep
) -> dict:
    principal.require("analyst")
    unknown = [c for c in data.chains if c not in CHAIN_NAMES]
    if unknown:
        raise ApiError(
            422,
            "unknown_chain",
            f"unknown chain {', '.join(map(repr, unknown))}; "
            f"the chains are {', '.join(CHAIN_NAMES)}",
            available=list(CHAIN_NAMES),
        )
    too_long = [i for i, text in enumerate(data.texts) if len(text) > MAX_TEXT_CHARS]
    if too_long:
        raise ApiError(
            413, "too_large", f"texts {too_long[:10]} exceed {MAX_TEXT_CHARS:,} characters"
        )

    async def publish(correlation_id: str, reply_to: str) -> None:
        command = AnalyzeTexts(
            correlation_id=correlation_id,
            reply_to=reply_to,
            texts=data.texts,
            chains=list(dict.fromkeys(data.chains)),
        )
        await gateway.runtime.broker.publish(
            command,
            TOPICS.analyze_texts,
            correlation_id=correlation_id,
            headers={MESSAGE_TYPE_HEADER: command.schema_name},
        )

    reply = await gateway.replies.request(publish, what="worker")
    analysed = TextsAnalyzed.model_validate_json(reply.body)
    return {"results": [r.model_dump(mode="json") for r in analysed.results]}
