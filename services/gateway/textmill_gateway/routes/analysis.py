"""Analysis runs: start one (`POST /api/v2/analyze`), read, list and cancel them, page
through their results, summarise and export them."""

from typing import Annotated, Literal

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.response import ServerSentEvent, Stream

from textmill_contracts.commands import AnalyzeRequested
from textmill_contracts.envelope import utc_now
from textmill_contracts.events import RunCancelled
from textmill_contracts.topics import TOPICS
from textmill_gateway.adapters.audit import AuditEntry
from textmill_gateway.adapters.files import StoredFile
from textmill_gateway.adapters.result_pages import results_page
from textmill_gateway.adapters.run_rows import export_rows, file_header
from textmill_gateway.context import Gateway
from textmill_gateway.domain.export import EXPORTERS, MEDIA_TYPES
from textmill_gateway.domain.pages import SEQUENCE_CURSOR, parse_sequence_cursor
from textmill_gateway.domain.positions import CURSOR, format_cursor, parse_cursor
from textmill_gateway.domain.principal import Principal
from textmill_gateway.domain.refusals import Refusal, forbidden, not_found
from textmill_gateway.domain.requests import AnalyzeRequest, chosen_chains, chosen_columns
from textmill_gateway.domain.run_view import present, run_links
from textmill_gateway.domain.summary import RunSummary
from textmill_gateway.domain.views import (
    ResultsPage,
    RunAccepted,
    RunPage,
    RunSummaryView,
    RunView,
)
from textmill_gateway.openapi import problems
from textmill_gateway.routes.deps import GatewayDep, PrincipalDep
from textmill_gateway.routes.params import Limit, cursor_param
from textmill_gateway.routes.streams import sse_events
from textmill_runs import DEFAULT_PRIORITY, Priority, Run, new_run_id

EXPORT_WINDOW_ROWS = 2_000
RunCursor = cursor_param(SEQUENCE_CURSOR)
ResultsCursor = cursor_param(CURSOR)
ExportFormat = Annotated[Literal["csv", "jsonl", "parquet"], Parameter(description="the format")]


async def own_run(gateway: Gateway, tenant: str, run_id: str, *, status: bool = False) -> Run:
    """The tenant's run, else 404 (another tenant's run is not found either). `status`: for
    `GET /runs/{id}` alone, read through the large runs' short-lived copies."""
    runs = gateway.large_runs if status else gateway.runs
    run = await runs.get_own(tenant, run_id)
    if run is None:
        raise not_found("run", run_id)
    return run


async def start_run(
    gateway: Gateway,
    principal: Principal,
    stored: StoredFile,
    columns: list[str],
    chains: list[str],
    priority: Priority = DEFAULT_PRIORITY,
) -> Run:
    """Store a run of `stored` (accepted) and ask for it to be planned; audited."""
    run = await gateway.runs.create(
        Run(
            id=new_run_id(),
            tenant=principal.tenant,
            file_id=stored.id,
            columns=columns,
            chains=chains,
            status="accepted",
            rows=stored.rows,
            cells_total=stored.rows * len(columns),
            created_at=utc_now(),
            priority=priority,
        )
    )
    command = AnalyzeRequested(
        run_id=run.id,
        tenant=run.tenant,
        file_id=run.file_id,
        columns=run.columns,
        chains=run.chains,
    )
    await gateway.publisher.publish(command, TOPICS.analyze_requested, key=run.id)
    await gateway.audit.record(
        AuditEntry(
            principal.tenant,
            principal.key_id,
            "run.started",
            run.id,
            {"file_id": stored.id, "columns": columns[:20], "chains": chains, "priority": priority},
        )
    )
    return run


def may_jump_the_queue(principal: Principal, cells: int, gateway: Gateway) -> None:
    """`high` is for quick runs, or an admin's: a large high run holds every worker."""
    limit = gateway.runtime.settings.high_priority_max_cells
    if principal.role != "admin" and cells > limit:
        raise forbidden(
            f"high priority is for runs of at most {limit:,} cells unless an admin asks; "
            f"this one has {cells:,} (rows × columns): ask normal or low"
        )


class RunsController(Controller):
    path = "/api/v2"
    tags = ["runs"]

    @post(
        "/analyze",
        status_code=202,
        summary="Start an analysis run over columns of a file",
        opt={"role": "analyst"},
        responses=problems(400, 403, 404, 422),
    )
    async def analyze(
        self,
        request: Request,
        data: JSONBody[AnalyzeRequest],
        gateway: GatewayDep,
        principal: PrincipalDep,
    ) -> Response[RunAccepted]:
        stored = await gateway.files.get(principal.tenant, data.file_id)
        if stored is None:
            raise not_found("file", data.file_id)
        columns = chosen_columns(data.columns, stored.header)
        chains = chosen_chains(data.chains, gateway.models())
        if data.priority == "high":
            may_jump_the_queue(principal, stored.rows * len(columns), gateway)
        run = await start_run(gateway, principal, stored, columns, chains, data.priority)
        if "text/event-stream" in request.headers.get("accept", ""):
            events = sse_events(gateway, run, 0, None, f"/api/v2/runs/{run.id}/events")
            return ServerSentEvent(events, headers={"X-Run-Id": run.id})
        body: RunAccepted = {"run_id": run.id, "status": "accepted", "links": run_links(run.id)}
        return Response(body, status_code=202, headers={"Location": f"/api/v2/runs/{run.id}"})

    @get("/runs", summary="The tenant's runs, newest first, by cursor", responses=problems(400))
    async def list_runs(
        self,
        gateway: GatewayDep,
        principal: PrincipalDep,
        limit: Limit = 100,
        cursor: RunCursor = None,
    ) -> RunPage:
        runs, below = await gateway.runs.page(
            principal.tenant, limit, parse_sequence_cursor(cursor)
        )
        now = utc_now()
        return {
            "items": [present(run, now) for run in runs],
            "next_cursor": str(below) if below is not None else None,
        }

    @get(
        "/runs/{run_id:str}",
        summary="One run: status, progress per column, rate, ETA",
        responses=problems(404),
    )
    async def get_run(
        self, run_id: FromPath[str], gateway: GatewayDep, principal: PrincipalDep
    ) -> RunView:
        return present(await own_run(gateway, principal.tenant, run_id, status=True), utc_now())

    @post(
        "/runs/{run_id:str}/cancel",
        status_code=200,
        summary="Cancel a run",
        opt={"role": "analyst"},
        responses=problems(403, 404, 409, 503),
    )
    async def cancel(
        self, run_id: FromPath[str], gateway: GatewayDep, principal: PrincipalDep
    ) -> RunView:
        run = await own_run(gateway, principal.tenant, run_id)
        if run.ended:
            raise Refusal("run_finished", f"run {run_id!r} is already {run.status}")
        if not await gateway.fence.cancel(run_id):
            raise Refusal("cancel_pending", "workers did not stop writing in time; retry")
        await gateway.runs.move(run_id, "cancelled", finished_at=utc_now())
        gateway.large_runs.forget(run_id)
        event = RunCancelled(run_id=run_id, tenant=principal.tenant)
        await gateway.publisher.publish(event, TOPICS.run_control, key=run_id)
        await gateway.audit.record(
            AuditEntry(principal.tenant, principal.key_id, "run.cancelled", run_id)
        )
        # The end as claimed: a progress fold at this moment can write the older status back.
        [run] = await gateway.runs.settled([await own_run(gateway, principal.tenant, run_id)])
        return present(run, utc_now())

    @get(
        "/runs/{run_id:str}/results",
        summary="Stored results, by cursor",
        responses=problems(400, 404, 410, 422),
    )
    async def results(
        self,
        run_id: FromPath[str],
        gateway: GatewayDep,
        principal: PrincipalDep,
        cursor: ResultsCursor = None,
        limit: Limit = 100,
        column: FromQuery[str | None] = None,
    ) -> ResultsPage:
        run = await own_run(gateway, principal.tenant, run_id)
        header = await file_header(gateway.files, run)
        if column is not None and (column not in run.columns or column not in header):
            raise Refusal(
                "unknown_column",
                f"the run did not analyse a column {column!r}",
                available=run.columns,
            )
        positions = [(c, header.index(c)) for c in run.columns if column in (None, c)]
        items, after = await results_page(
            gateway.results, run, positions, after=parse_cursor(cursor), limit=limit
        )
        return {"items": items, "next_cursor": format_cursor(after), "complete": run.ended}

    @get(
        "/runs/{run_id:str}/summary",
        summary="Per column: labels, mean score, languages, keywords",
        responses=problems(404, 410),
    )
    async def summary(
        self, run_id: FromPath[str], gateway: GatewayDep, principal: PrincipalDep
    ) -> RunSummaryView:
        run = await own_run(gateway, principal.tenant, run_id)
        summary = RunSummary(run.columns, run.chains)
        header = await file_header(gateway.files, run)
        positions = [(c, header.index(c)) for c in run.columns]
        async for cell in gateway.results.all_cells(run.id, run.rows, positions):
            summary.add(cell)
        return {"run_id": run_id, "status": run.status, **summary.as_dict()}

    @get(
        "/runs/{run_id:str}/export",
        summary="Original rows plus result columns, streamed (CSV, JSON lines or Parquet)",
        responses=problems(400, 404, 410),
    )
    async def export(
        self,
        run_id: FromPath[str],
        gateway: GatewayDep,
        principal: PrincipalDep,
        format: ExportFormat = "csv",
    ) -> Stream:
        run = await own_run(gateway, principal.tenant, run_id)
        header = await file_header(gateway.files, run)
        body = export_rows(
            gateway.sync_db, gateway.results, run, header, EXPORTERS[format], EXPORT_WINDOW_ROWS
        )
        return Stream(
            body,
            media_type=MEDIA_TYPES[format],
            headers={"Content-Disposition": f'attachment; filename="run-{run_id}.{format}"'},
        )
