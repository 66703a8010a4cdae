"""The v1 task API, as pure rules over v2's runs and quick analyses: a task's status from
its run's, its result from a quick analysis' sentiment or a run's summary, and the v1 error
codes (`01` invalid input, `02` file processing or unsupported format, `03` analysis
failure) of v2's codes."""

import secrets
from datetime import datetime, timedelta

from textmill_gateway.domain.summary import LABELS

MAX_FILE_BYTES = 10 * 1024 * 1024
CHAINS = ["sentiment"]

V1_CODES: dict[str, str] = {
    "invalid_request": "01",
    "unknown_column": "01",
    "empty_selection": "02",
    "file_too_large": "02",
    "too_large": "02",
    "unsupported_media_type": "02",
    "unsupported_format": "02",
    "malformed_file": "02",
    "empty_file": "02",
    "tabular_error": "02",
    "file_gone": "02",
    "profile_failed": "03",
    "internal_error": "03",
    "upstream_timeout": "03",
}
RUN_TO_TASK = {
    "accepted": "accepted",
    "queued": "queued",
    "running": "queued",
    "completed": "ready",
    "failed": "error",
    "cancelled": "error",
}


def new_task_id() -> str:
    return secrets.token_hex(12)


def task_status(run_status: str) -> str:
    return RUN_TO_TASK.get(run_status, "error")


def analysis_failure(message: str) -> dict:
    return {"code": "03", "message": message}


def overdue(created_at: datetime, now: datetime, reply_timeout_seconds: float) -> bool:
    """A text task still `accepted` this long after it was made lost its analysis (the
    replica that ran it stopped): it is reported failed."""
    return now - created_at > timedelta(seconds=reply_timeout_seconds + 30)


def text_result(cell: dict) -> tuple[dict | None, dict | None]:
    """(result, error) of a quick analysis' one cell."""
    entry = (cell.get("chains") or {}).get("sentiment")
    if cell.get("status") == "skipped":
        return None, {"code": "01", "message": f"the text was not analysed: {cell.get('reason')}"}
    if not isinstance(entry, dict) or "error" in entry or entry.get("label") not in LABELS:
        why = entry.get("error") if isinstance(entry, dict) else cell.get("reason")
        return None, analysis_failure(f"the sentiment analysis failed: {why}")
    return {"sentiment": entry["label"], "confidence": float(entry.get("confidence", 0.0))}, None


def batch_result(column: str, figures: dict) -> dict:
    """A file task's result from its run's summary of the column: totals and percentages
    per sentiment, of the cells analysed."""
    labels = figures.get("sentiment", {}).get("labels", {})
    counts = {label: int(labels.get(label, 0)) for label in LABELS}
    total = sum(counts.values())
    status = figures.get("status", {})
    return {
        "column": column,
        "total": total,
        "counts": counts,
        "percentages": {
            label: round(100 * n / total, 2) if total else 0.0 for label, n in counts.items()
        },
        "skipped": int(status.get("skipped", 0)),
        "failed": int(status.get("failed", 0)),
    }
