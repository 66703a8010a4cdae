"""Runs and shards as documents, and back. Reads take documents of every earlier version
(fields missing from older ones get their defaults)."""

from textmill_runs import DEFAULT_PRIORITY, Run, Shard, ShardPlan, ShardState, shard_id


def run_document(run: Run) -> dict:
    """A new run as stored, before it is planned."""
    return {
        "_id": run.id,
        "tenant": run.tenant,
        "file_id": run.file_id,
        "columns": run.columns,
        "chains": run.chains,
        "status": run.status,
        "rows": run.rows,
        "cells_total": run.cells_total,
        "created_at": run.created_at,
        "priority": run.priority,
    }


def run_from(doc: dict) -> Run:
    return Run(
        id=doc["_id"],
        tenant=doc.get("tenant", ""),
        file_id=doc.get("file_id", ""),
        columns=list(doc.get("columns", [])),
        chains=list(doc.get("chains", [])),
        status=doc["status"],
        rows=doc.get("rows", 0),
        cells_total=doc.get("cells_total", 0),
        error=doc.get("error"),
        created_at=doc.get("created_at"),
        queued_at=doc.get("queued_at"),
        started_at=doc.get("started_at"),
        finished_at=doc.get("finished_at"),
        estimate=doc.get("estimate"),
        priority=doc.get("priority", DEFAULT_PRIORITY),
        shards={
            int(n): ShardState(
                column=shard["column"],
                total=shard["total"],
                cells=shard.get("cells", 0),
                done=bool(shard.get("done")),
            )
            for n, shard in (doc.get("shards") or {}).items()
        },
    )


def planned_shards(plans: list[ShardPlan]) -> dict:
    """What a run document says of its planned shards (`$set` fields)."""
    return {
        f"shards.{p.n}": {"column": p.column, "total": p.cells, "cells": 0, "done": False}
        for p in plans
    }


def shard_document(run_id: str, plan: ShardPlan, chains: list[str]) -> dict:
    return {
        "_id": shard_id(run_id, plan.n),
        "run_id": run_id,
        "n": plan.n,
        "column": plan.column,
        "start": plan.start,
        "end": plan.end,
        "offset": plan.start,
        "cells": 0,
        "done": False,
        "chains": chains,
    }


def shard_from(doc: dict) -> Shard:
    return Shard(
        id=doc["_id"],
        run_id=doc["run_id"],
        n=doc["n"],
        column=doc["column"],
        start=doc["start"],
        end=doc["end"],
        chains=list(doc.get("chains", [])),
        offset=int(doc.get("offset", doc["start"])),
        cells=doc.get("cells", 0),
        done=bool(doc.get("done")),
        worker=doc.get("worker"),
        attempt=doc.get("attempt", 1),
        updated_at=doc.get("updated_at"),
        republished_at=doc.get("republished_at"),
    )
