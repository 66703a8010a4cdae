"""The v1 API's tasks in MongoDB (`tasks`, read by `_id`): a text task keeps its quick
analysis' answer, a file task the run it started (its status is the run's)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pymongo.asynchronous.database import AsyncDatabase

from textmill_contracts.envelope import utc_now

TASKS = "tasks"
TaskKind = Literal["text", "file"]


@dataclass(frozen=True)
class Task:
    id: str
    tenant: str
    kind: TaskKind
    status: str  # accepted | ready | error, for a text task; a file task's is its run's
    created_at: datetime
    run_id: str | None = None
    file_id: str | None = None
    column: str | None = None
    result: dict | None = None
    error: dict | None = None


class TaskStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self._tasks = db[TASKS]

    async def create(self, task: Task) -> Task:
        await self._tasks.insert_one(
            {
                "_id": task.id,
                "tenant": task.tenant,
                "kind": task.kind,
                "status": task.status,
                "created_at": task.created_at,
                "run_id": task.run_id,
                "file_id": task.file_id,
                "column": task.column,
            }
        )
        return task

    async def get_own(self, tenant: str, task_id: str) -> Task | None:
        """The task if it is `tenant`'s: another tenant's answers as an absent one."""
        doc = await self._tasks.find_one({"_id": task_id})
        if doc is None or doc.get("tenant") != tenant:
            return None
        return Task(
            id=doc["_id"],
            tenant=doc["tenant"],
            kind=doc["kind"],
            status=doc["status"],
            created_at=doc["created_at"],
            run_id=doc.get("run_id"),
            file_id=doc.get("file_id"),
            column=doc.get("column"),
            result=doc.get("result"),
            error=doc.get("error"),
        )

    async def finish(
        self, task_id: str, *, result: dict | None = None, error: dict | None = None
    ) -> None:
        """A task's outcome, once: `ready` with its result, or `error`."""
        status = "error" if error is not None else "ready"
        await self._tasks.update_one(
            {"_id": task_id},
            {"$set": {"status": status, "result": result, "error": error, "at": utc_now()}},
        )
