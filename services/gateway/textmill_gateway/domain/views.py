"""What every route answers, typed: the OpenAPI document is generated from these, and
schemathesis holds the answers to it. Plain dicts at run time (TypedDicts cost nothing)."""

from typing import Any, Literal, NotRequired, TypedDict

from textmill_contracts.events import CandidateScore, CellResult, ColumnStats, RunEstimate
from textmill_gateway.domain.principal import Role

RunStatus = Literal["accepted", "queued", "running", "completed", "failed", "cancelled"]


class FileView(TypedDict):
    id: str
    tenant: str
    filename: str
    content_type: str
    size: int
    sha256: str
    format: str
    encoding: str
    delimiter: str
    rows: int
    columns: int
    uploaded_at: str
    header: list[str]


class FilePage(TypedDict):
    items: list[FileView]
    next_cursor: str | None


class RunLinks(TypedDict):
    self: str
    events: str
    stream: str
    results: str
    summary: str
    export: str
    cancel: str


class ColumnDone(TypedDict):
    done: int
    total: int


class RunView(TypedDict):
    run_id: str
    status: RunStatus
    priority: Literal["high", "normal", "low"]
    file_id: str
    columns: list[str]
    chains: list[str]
    cells_total: int
    cells_done: int
    progress: dict[str, ColumnDone]
    rate_cells_per_s: float | None
    eta_seconds: float | None
    error: str | None
    created_at: str | None
    started_at: str | None
    finished_at: str | None
    estimate: dict[str, Any] | None
    actual_seconds: float | None
    estimate_error: float | None
    links: RunLinks


class RunPage(TypedDict):
    items: list[RunView]
    next_cursor: str | None


class RunAccepted(TypedDict):
    run_id: str
    status: Literal["accepted"]
    links: RunLinks


class ResultCell(TypedDict):
    column: str
    record: int
    status: Literal["ok", "skipped", "failed"]
    reason: NotRequired[str | None]
    chains: dict[str, dict[str, Any]]


class ResultsPage(TypedDict):
    items: list[ResultCell]
    next_cursor: str | None
    complete: bool


class ColumnSummary(TypedDict):
    cells: int
    status: dict[str, int]
    sentiment: NotRequired[dict[str, Any]]
    languages: NotRequired[dict[str, int]]
    keywords: NotRequired[list[dict[str, Any]]]
    pii: NotRequired[dict[str, Any]]
    stats: NotRequired[dict[str, Any]]


class RunSummaryView(TypedDict):
    run_id: str
    status: RunStatus
    columns: dict[str, ColumnSummary]


class ProfileView(TypedDict):
    file_id: str
    profiler_version: str
    rows: int
    sampled_rows: int | None
    columns: list[ColumnStats]
    candidates: list[CandidateScore]


class EstimateView(RunEstimate):
    """An estimate, with what it was asked for."""

    file_id: str
    columns: list[str]
    chains: list[str]


class TextsView(TypedDict):
    results: list[CellResult]


class KeyView(TypedDict):
    key_id: str
    tenant: str
    role: Role
    created_at: str | None
    last_used_at: str | None
    revoked_at: str | None
    expires_at: str | None
    rotated_from: str | None
    created_by: str | None
    active: bool


class KeyCreated(KeyView):
    key: str  # shown once


class KeyPage(TypedDict):
    items: list[KeyView]
    next_cursor: str | None


class AuditEntryView(TypedDict):
    id: str
    at: str
    tenant: str
    actor: str
    action: str
    target: str | None
    request_id: str | None
    detail: dict[str, Any]


class AuditPage(TypedDict):
    items: list[AuditEntryView]
    next_cursor: str | None


class TenantStatsView(TypedDict):
    tenant: str
    files: int
    file_bytes: int  # the files' stored size
    runs: int
    cells: int  # cells the runs asked for
    cells_done: int  # cells the runs' shards have analysed


class StatsView(TypedDict):
    tenants: list[TenantStatsView]
    runs_by_status: dict[str, int]
    shards_queued: int  # shards of queued or running runs that have not begun
    shards_running: int  # shards begun and not done
    workers_alive: int  # worker instances heard from within the liveness timeout
    generated_at: str


TaskStatus = Literal["accepted", "queued", "ready", "error"]
Sentiment = Literal["positive", "negative", "neutral"]


class TaskAccepted(TypedDict):
    task_id: str
    status: Literal["accepted"]


class TextResult(TypedDict):
    sentiment: Sentiment
    confidence: float


class BatchResult(TypedDict):
    column: str
    total: int  # rows analysed
    counts: dict[Sentiment, int]
    percentages: dict[Sentiment, float]
    skipped: int
    failed: int


class TaskError(TypedDict):
    code: Literal["01", "02", "03"]
    message: str


class TaskView(TypedDict):
    task_id: str
    type: Literal["text", "file"]
    status: TaskStatus
    created_at: str
    result: TextResult | BatchResult | None
    error: TaskError | None
    run_id: NotRequired[str]
