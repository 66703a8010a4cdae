"""A run as the API shows it: status, progress per column (folded from what it knows of
its shards), rate, remaining time and links."""

from datetime import datetime

from textmill_runs import Run


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


def present(run: Run, now: datetime) -> dict:
    progress = run.progress(now)
    columns = {c: {"done": 0, "total": 0} for c in run.columns}  # before planning too
    for column, (done, total) in progress.columns.items():
        columns[column] = {"done": done, "total": total}
    return {
        "run_id": run.id,
        "status": run.status,
        "priority": run.priority,
        "file_id": run.file_id,
        "columns": run.columns,
        "chains": run.chains,
        "cells_total": run.cells_total,
        "cells_done": progress.cells_done,
        "progress": columns,
        "rate_cells_per_s": progress.rate_cells_per_s,
        "eta_seconds": progress.eta_seconds if run.cells_total > progress.cells_done else None,
        "error": run.error,
        "created_at": _iso(run.created_at),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "estimate": run.estimate,
        **_against_estimate(run),
        "links": run_links(run.id),
    }


def _against_estimate(run: Run) -> dict:
    """Once the run has completed: how long it took from its acceptance, and how far that is
    from its estimate (actual ÷ estimated − 1). A cancelled or failed run did not do what
    was estimated."""
    if run.status != "completed" or run.finished_at is None or run.created_at is None:
        return {"actual_seconds": None, "estimate_error": None}
    actual = (run.finished_at - run.created_at).total_seconds()
    estimated = (run.estimate or {}).get("estimated_seconds")
    error = round(actual / estimated - 1, 4) if estimated else None
    return {"actual_seconds": round(actual, 3), "estimate_error": error}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
