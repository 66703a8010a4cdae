"""The v1 task API, kept beside v2 and built on it: `POST /api/v1/tasks/text` is a quick
analysis (a worker over Kafka request/reply, in the background), `POST /api/v1/tasks/file`
a v2 run of one column with the sentiment chain; `GET /api/v1/tasks/{id}` reads either.
Refusals carry the v1 codes (`errors.py`: 01 invalid input, 02 file processing or format,
03 analysis failure)."""

import asyncio
from collections.abc import Coroutine

from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody

from textmill_contracts.commands import AnalyzeTexts
from textmill_contracts.envelope import utc_now
from textmill_contracts.events import TextsAnalyzed
from textmill_contracts.topics import TOPICS
from textmill_gateway.adapters.audit import AuditEntry
from textmill_gateway.adapters.run_rows import file_header
from textmill_gateway.adapters.tasks import Task
from textmill_gateway.adapters.uploads import receive_upload
from textmill_gateway.context import Gateway
from textmill_gateway.domain.principal import Principal
from textmill_gateway.domain.refusals import Refusal, not_found
from textmill_gateway.domain.requests import TextTaskRequest, chosen_columns
from textmill_gateway.domain.summary import RunSummary
from textmill_gateway.domain.tasks import (
    CHAINS,
    MAX_FILE_BYTES,
    analysis_failure,
    batch_result,
    new_task_id,
    overdue,
    task_status,
    text_result,
)
from textmill_gateway.domain.views import TaskAccepted, TaskView
from textmill_gateway.openapi import problems
from textmill_gateway.routes.analysis import start_run
from textmill_gateway.routes.deps import GatewayDep, PrincipalDep
from textmill_gateway.routes.files import store_upload
from textmill_gateway.routes.profile import profile_of
from textmill_infra.logs import get_logger
from textmill_infra.replies import decode_reply

log = get_logger(__name__)
COLUMN_FIELD = "text_column"


class TasksController(Controller):
    path = "/api/v1/tasks"
    tags = ["v1 tasks"]

    @post(
        "/text",
        status_code=202,
        summary="Analyse the sentiment of one text (up to 512 characters)",
        opt={"role": "analyst"},
        responses=problems(400, 403),
    )
    async def text_task(
        self, data: JSONBody[TextTaskRequest], gateway: GatewayDep, principal: PrincipalDep
    ) -> TaskAccepted:
        task = await _accepted(
            gateway, principal, Task(new_task_id(), principal.tenant, "text", "accepted", utc_now())
        )
        _in_background(gateway, analyse_text(gateway, task.id, data.text))
        return {"task_id": task.id, "status": "accepted"}

    @post(
        "/file",
        status_code=202,
        summary="Analyse the sentiment of a file's text column (multipart 'file', up to "
        "10 MiB; 'text_column', else the profiler's top candidate)",
        opt={"role": "analyst"},
        responses=problems(400, 403, 413, 415, 422, 500, 504),
    )
    async def file_task(
        self, request: Request, gateway: GatewayDep, principal: PrincipalDep
    ) -> TaskAccepted:
        upload = await receive_upload(
            request, MAX_FILE_BYTES, gateway.upload_dir, wanted=(COLUMN_FIELD,)
        )
        try:
            stored = await store_upload(gateway, principal, upload)
        finally:
            upload.path.unlink(missing_ok=True)
        column = upload.fields.get(COLUMN_FIELD, "").strip()
        if not column:
            candidates = (await profile_of(gateway, stored)).candidates
            if not candidates:
                raise Refusal(
                    "empty_selection",
                    f"the file has no column of text; name one as the '{COLUMN_FIELD}' field",
                )
            column = candidates[0].column
        columns = chosen_columns([column], stored.header)
        run = await start_run(gateway, principal, stored, columns, CHAINS)
        task = Task(
            new_task_id(),
            principal.tenant,
            "file",
            "accepted",
            utc_now(),
            run_id=run.id,
            file_id=stored.id,
            column=column,
        )
        await _accepted(gateway, principal, task)
        return {"task_id": task.id, "status": "accepted"}

    @get("/{task_id:str}", summary="A task's status and result", responses=problems(404))
    async def get_task(
        self, task_id: FromPath[str], gateway: GatewayDep, principal: PrincipalDep
    ) -> TaskView:
        task = await gateway.tasks.get_own(principal.tenant, task_id)
        if task is None:
            raise not_found("task", task_id)
        view: dict = {
            "task_id": task.id,
            "type": task.kind,
            "status": task.status,
            "created_at": task.created_at.isoformat(),
            "result": task.result,
            "error": task.error,
        }
        if task.kind == "text":
            timeout = gateway.runtime.settings.reply_timeout_seconds
            if task.status == "accepted" and overdue(task.created_at, utc_now(), timeout):
                view |= {"status": "error", "error": analysis_failure("the analysis was lost")}
            return view
        return await _file_view(gateway, task, view)


async def _accepted(gateway: Gateway, principal: Principal, task: Task) -> Task:
    await gateway.tasks.create(task)
    await gateway.audit.record(
        AuditEntry(
            principal.tenant,
            principal.key_id,
            "task.started",
            task.id,
            {"type": task.kind, "run_id": task.run_id},
        )
    )
    return task


async def _file_view(gateway: Gateway, task: Task, view: dict) -> TaskView:
    view["run_id"] = task.run_id
    if task.status in ("ready", "error"):
        return view
    run = await gateway.runs.get_own(task.tenant, task.run_id or "")
    if run is None:
        return view | {"status": "error", "error": analysis_failure("its run is gone")}
    status = task_status(run.status)
    if status == "error":
        error = analysis_failure(f"the run {run.status}: {run.error or 'no reason given'}")
        await gateway.tasks.finish(task.id, error=error)
        return view | {"status": status, "error": error}
    if status != "ready":
        return view | {"status": status}
    column = task.column or run.columns[0]
    header = await file_header(gateway.files, run)
    summary = RunSummary([column], run.chains)
    async for cell in gateway.results.all_cells(run.id, run.rows, [(column, header.index(column))]):
        summary.add(cell)
    result = batch_result(column, summary.as_dict()["columns"][column])
    await gateway.tasks.finish(task.id, result=result)
    return view | {"status": "ready", "result": result}


async def analyse_text(gateway: Gateway, task_id: str, text: str) -> None:
    """A text task's quick analysis, and its outcome stored on the task."""
    try:
        reply = await gateway.replies.ask(
            gateway.publisher,
            TOPICS.analyze_texts,
            lambda correlation_id, reply_to: AnalyzeTexts(
                correlation_id=correlation_id, reply_to=reply_to, texts=[text], chains=CHAINS
            ),
            what="worker",
        )
        cells = decode_reply(reply, TextsAnalyzed).results
        result, error = (
            text_result(cells[0].model_dump(mode="json"))
            if cells
            else (None, analysis_failure("the worker answered no result"))
        )
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a timeout, a reply that is not one: the task failed, said so
        log.warning("text task failed", task_id=task_id, error=str(exc))
        result, error = None, analysis_failure(f"the analysis failed: {exc}")
    await gateway.tasks.finish(task_id, result=result, error=error)


def _in_background(gateway: Gateway, work: Coroutine) -> None:
    task = asyncio.create_task(work)
    gateway.background.add(task)
    task.add_done_callback(gateway.background.discard)
