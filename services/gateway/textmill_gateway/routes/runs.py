"""Analysis runs: start one (`POST /api/v2/analyze`), read, list and cancel them, page
through their results, summarise and export them, and follow them live over SSE."""

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import ServerSentEvent, Stream
from litestar.response.sse import ServerSentEventMessage

from textmill_contracts.chains import CHAIN_NAMES
from textmill_contracts.envelope import utc_now
from textmill_contracts.runs import TERMINAL_STATUSES, AnalyzeRequested, RunCancelled
from textmill_contracts.topics import MESSAGE_TYPE_HEADER, TOPICS
from textmill_gateway.adapters.streams import StreamGone, StreamMessage, is_terminal_run_message
from textmill_gateway.context import Gateway
from textmill_gateway.domain.export import EXPORTERS, MEDIA_TYPES
from textmill_gateway.domain.run_request import AnalyzeRequest, shown
from textmill_gateway.domain.summary import RunSummary
from textmill_gateway.errors import ApiError, not_found, problem_body
from textmill_gateway.exports import export_run, file_header
from textmill_gateway.routes.deps import GatewayDep, PrincipalDep
from textmill_infra.progress import fold_progress
from textmill_infra.runs import new_run_id

EXPORT_WINDOW_ROWS = 2_000


def run_links(run_id: str) -> dict[str, str]:
    base = f"/api/v2/runs/{run_id}"
    return {
        "self": base,
        "events": f"{base}/events",
        "stream": f"{base}/stream",
        "results": f"{base}/results",
        "summary": f"{base}/summary",
        "export": f"{base}/export?format=csv",
        "cancel": f"{base}/cancel",
    }


def present(run: dict) -> dict:
    """A run as the API shows it: progress folded from the coordinator's shard map."""
    started, finished = run.get("started_at"), run.get("finished_at")
    progress = fold_progress(run.get("shards") or {}, started, finished or utc_now())
    columns = {c: {"done": 0, "total": 0} for c in run["columns"]}  # before planning too
    for column, (done, total) in progress.columns.items():
        columns[column] = {"done": done, "total": total}
    total = run.get("cells_total", 0)
    return {
        "run_id": run["_id"],
        "status": run["status"],
        "file_id": run["file_id"],
        "columns": run["columns"],
        "chains": run["chains"],
        "cells_total": total,
        "cells_done": progress.cells_done,
        "progress": columns,
        "rate_cells_per_s": progress.rate_cells_per_s,
        "eta_seconds": progress.eta_seconds if total > progress.cells_done else None,
        "error": run.get("error"),
        "created_at": _iso(run.get("created_at")),
        "started_at": _iso(started),
        "finished_at": _iso(finished),
        "links": run_links(run["_id"]),
    }


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


async def own_run(gateway: Gateway, tenant: str, run_id: str) -> dict:
    run = await gateway.runs.get(tenant, run_id)
    if run is None:
        raise not_found("run", run_id)
    return run


# A run that ended this long ago has had its last message streamed: a stream missing by
# then expired or was deleted (see `RunStreams`), rather than not written yet.
STREAM_SETTLED = timedelta(seconds=60)


async def stream_state(gateway: Gateway, run: dict) -> tuple[ApiError | None, float | None]:
    """(the problem to answer with when the run has ended and its stream is no longer kept,
    else None; for an ended run whose stream has not appeared yet, the loop time by which
    it must, else None)."""
    if run["status"] not in TERMINAL_STATUSES:
        return None, None
    there, ended = await gateway.streams.presence(run["_id"])
    if there:
        return None, None
    finished = run.get("finished_at")
    left = STREAM_SETTLED - (utc_now() - finished) if finished else STREAM_SETTLED
    if left <= timedelta(0) or ended:
        return gone(run["_id"]), None
    return None, asyncio.get_running_loop().time() + left.total_seconds()


async def had_everything(gateway: Gateway, run: dict, after: int) -> bool:
    """A client that read the stream of this ended run up to `after` has had all of it."""
    return run["status"] in TERMINAL_STATUSES and await gateway.streams.ended_by(run["_id"], after)


def gone(run_id: str) -> ApiError:
    return ApiError(
        410,
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
    gateway: Gateway, run: dict, after: int, appear_by: float | None, path: str
) -> AsyncIterator[ServerSentEventMessage]:
    try:
        async for message in follow(gateway, run["_id"], after, appear_by):
            if message is None:
                yield ServerSentEventMessage(comment="keep-alive")
            else:
                yield ServerSentEventMessage(
                    data=message.json(), event=message.type, id=message.seq
                )
    except StreamGone:
        error = gone(run["_id"])
        body = problem_body(error.status, error.code, error.detail, instance=path)
        yield ServerSentEventMessage(data=json.dumps(body), event="error")


# A cursor's numbers, and sequence numbers, are ASCII digits of a size the store takes:
# `isdigit()` also passes "²", which `int()` refuses, and a negative record made a page walk
# the store from there up to record 0.
CURSOR = re.compile(r"([0-9]{1,9})\.(-1|[0-9]{1,18})", re.ASCII)  # -1: before a column's first
SEQ = re.compile(r"-?[0-9]{1,20}", re.ASCII)
MAX_SEQ = 2**63 - 1


def parse_cursor(cursor: str | None) -> tuple[int, int] | None:
    """A results cursor is `<column index>.<record>`, as `next_cursor` gives it."""
    if cursor is None:
        return None
    if not (match := CURSOR.fullmatch(cursor)):
        raise ApiError(400, "invalid_request", f"not a results cursor: {cursor[:40]!r}")
    return int(match[1]), int(match[2])


def stream_start(from_seq: int | None, last_event_id: str | None) -> int:
    """The sequence number a stream is read after: `from_seq`, else `Last-Event-ID`, else
    0. A Last-Event-ID that is no number is ignored, as a browser may send any it was given."""
    if from_seq is None and last_event_id and SEQ.fullmatch(last_event_id.strip()):
        from_seq = int(last_event_id.strip())
    if from_seq is not None and from_seq > MAX_SEQ:
        raise ApiError(400, "invalid_request", f"no sequence number goes past {MAX_SEQ}")
    return max(0, from_seq or 0)


class RunsController(Controller):
    path = "/api/v2"
    tags = ["runs"]

    @post("/analyze", status_code=202, summary="Start an analysis run over columns of a file")
    async def analyze(
        self,
        request: Request,
        data: JSONBody[AnalyzeRequest],
        gateway: GatewayDep,
        principal: PrincipalDep,
    ) -> Response:
        principal.require("analyst")
        stored = await gateway.files.get(principal.tenant, data.file_id)
        if stored is None:
            raise not_found("file", data.file_id)
        columns = list(dict.fromkeys(data.columns))
        if not columns:
            raise ApiError(422, "empty_selection", "select at least one column to analyse")
        chains = list(dict.fromkeys(data.chains or ()))
        unknown_chains = [shown(c) for c in chains if c not in CHAIN_NAMES]
        if not chains or unknown_chains:
            raise ApiError(
                422,
                "unknown_chain",
                f"unknown chain {', '.join(map(repr, unknown_chains)) or '(none given)'}; "
                f"the chains are {', '.join(CHAIN_NAMES)}",
                available=list(CHAIN_NAMES),
            )
        unknown = [shown(c) for c in columns if c not in stored.header]
        if unknown:
            raise ApiError(
                422,
                "unknown_column",
                f"no column named {', '.join(map(repr, unknown[:20]))}",
                unknown=unknown,
                available=[shown(c) for c in stored.header[:200]],
            )
        run_id = new_run_id()
        run = await gateway.runs.create(
            run_id, principal.tenant, stored.id, columns, chains, stored.rows
        )
        command = AnalyzeRequested(
            run_id=run_id,
            tenant=principal.tenant,
            file_id=stored.id,
            columns=columns,
            chains=chains,
        )
        await gateway.runtime.broker.publish(
            command,
            TOPICS.analyze_requested,
            key=run_id.encode(),
            headers={MESSAGE_TYPE_HEADER: command.schema_name},
        )
        if "text/event-stream" in request.headers.get("accept", ""):
            events = sse_events(gateway, run, 0, None, f"/api/v2/runs/{run_id}/events")
            return ServerSentEvent(events, headers={"X-Run-Id": run_id})
        body = {"run_id": run_id, "status": "accepted", "links": run_links(run_id)}
        return Response(body, status_code=202, headers={"Location": f"/api/v2/runs/{run_id}"})

    @get("/runs", summary="The tenant's runs, newest first")
    async def list_runs(self, gateway: GatewayDep, principal: PrincipalDep) -> dict:
        return {"items": [present(run) for run in await gateway.runs.for_tenant(principal.tenant)]}

    @get("/runs/{run_id:str}", summary="One run: status, progress per column, rate, ETA")
    async def get_run(
        self, run_id: FromPath[str], gateway: GatewayDep, principal: PrincipalDep
    ) -> dict:
        return present(await own_run(gateway, principal.tenant, run_id))

    @post("/runs/{run_id:str}/cancel", status_code=200, summary="Cancel a run")
    async def cancel(
        self, run_id: FromPath[str], gateway: GatewayDep, principal: PrincipalDep
    ) -> dict:
        principal.require("analyst")
        run = await own_run(gateway, principal.tenant, run_id)
        if run["status"] in TERMINAL_STATUSES:
            raise ApiError(409, "run_finished", f"run {run_id!r} is already {run['status']}")
        if not await gateway.gate.cancel(run_id):
            raise ApiError(503, "cancel_pending", "workers did not stop writing in time; retry")
        await gateway.runs.mark_cancelled(run_id)
        event = RunCancelled(run_id=run_id, tenant=principal.tenant)
        await gateway.runtime.broker.publish(
            event,
            TOPICS.run_control,
            key=run_id.encode(),
            headers={MESSAGE_TYPE_HEADER: event.schema_name},
        )
        return present(await own_run(gateway, principal.tenant, run_id))

    @get("/runs/{run_id:str}/results", summary="Stored results, by cursor")
    async def results(
        self,
        run_id: FromPath[str],
        gateway: GatewayDep,
        principal: PrincipalDep,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = 100,
        column: FromQuery[str | None] = None,
    ) -> dict:
        run = await own_run(gateway, principal.tenant, run_id)
        if not 1 <= limit <= 1000:
            raise ApiError(400, "invalid_request", "limit must be between 1 and 1000")
        header = await file_header(gateway, run)
        if column is not None and (column not in run["columns"] or column not in header):
            raise ApiError(
                422,
                "unknown_column",
                f"the run did not analyse a column {column!r}",
                available=run["columns"],
            )
        positions = [(c, header.index(c)) for c in run["columns"] if column in (None, c)]
        settled = run["status"] in TERMINAL_STATUSES
        items, after = await gateway.runs.results_page(
            run, positions, after=parse_cursor(cursor), limit=limit, settled=settled
        )
        next_cursor = f"{after[0]}.{after[1]}" if after is not None else None
        return {"items": items, "next_cursor": next_cursor, "complete": settled}

    @get(
        "/runs/{run_id:str}/summary", summary="Per column: labels, mean score, languages, keywords"
    )
    async def summary(
        self, run_id: FromPath[str], gateway: GatewayDep, principal: PrincipalDep
    ) -> dict:
        run = await own_run(gateway, principal.tenant, run_id)
        summary = RunSummary(run["columns"], run["chains"])
        header = await file_header(gateway, run)
        positions = [(c, header.index(c)) for c in run["columns"]]
        async for doc in gateway.runs.all_results(run, positions):
            summary.add(doc)
        return {"run_id": run_id, "status": run["status"], **summary.as_dict()}

    @get("/runs/{run_id:str}/export", summary="Original rows plus result columns, streamed")
    async def export(
        self,
        run_id: FromPath[str],
        gateway: GatewayDep,
        principal: PrincipalDep,
        format: FromQuery[str] = "csv",
    ) -> Stream:
        run = await own_run(gateway, principal.tenant, run_id)
        if format not in EXPORTERS:
            raise ApiError(
                400,
                "invalid_request",
                f"unknown export format {format!r}; the formats are {', '.join(EXPORTERS)}",
            )
        header = await file_header(gateway, run)
        body = export_run(gateway, run, header, EXPORTERS[format], EXPORT_WINDOW_ROWS)
        filename = f"run-{run_id}.{format}"
        return Stream(
            body,
            media_type=MEDIA_TYPES[format],
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    @get("/runs/{run_id:str}/events", summary="The run's live stream as Server-Sent Events")
    async def events(
        self,
        request: Request,
        run_id: FromPath[str],
        gateway: GatewayDep,
        principal: PrincipalDep,
        from_seq: FromQuery[int | None] = None,
    ) -> ServerSentEvent | Response:
        run = await own_run(gateway, principal.tenant, run_id)
        error, appear_by = await stream_state(gateway, run)
        if error:
            raise error
        after = stream_start(from_seq, request.headers.get("last-event-id"))
        if await had_everything(gateway, run, after):
            # 204 is what stops a browser's EventSource reconnecting.
            return Response(None, status_code=204)
        return ServerSentEvent(sse_events(gateway, run, after, appear_by, request.url.path))
