"""Events: facts that happened. Any number of consumer groups may read them."""

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

import msgspec
import pydantic_core
from pydantic import BaseModel, ConfigDict, Field

from textmill_contracts.envelope import Message

ColumnType = Literal[
    "text", "categorical", "integer", "float", "bool", "datetime", "id", "url", "email", "empty"
]
RunStatus = Literal["accepted", "queued", "running", "completed", "failed", "cancelled"]
# Which runs' shards the workers get first (`textmill_coordinator`'s scheduler): a high one
# before any normal one, a normal one before any low one.
Priority = Literal["high", "normal", "low"]
PRIORITIES: tuple[Priority, ...] = ("high", "normal", "low")
DEFAULT_PRIORITY: Priority = "normal"
TERMINAL_STATUSES: frozenset[str] = frozenset({"completed", "failed", "cancelled"})
CellStatus = Literal["ok", "skipped", "failed"]
# The most cell JSON one ResultBatch carries (unless a single cell is larger): Kafka refuses
# records over 1 MB by default, and websocket clients messages over 1 MiB (`websockets`).
RESULTS_MESSAGE_BYTES = 512 * 1024


# ---- services and files -------------------------------------------------------------------


class Heartbeat(Message):
    """Every service instance says it is alive every few seconds. 1.1 added a worker's
    `chain_processes` and `cells_per_s`."""

    schema_name: ClassVar[str] = "heartbeat"
    schema_version: str = "1.1"
    service: Literal["gateway", "profiler", "estimator", "coordinator", "worker"]
    instance_id: str
    started_at: datetime
    sequence: int = Field(ge=0)
    status: Literal["ready", "degraded", "draining"] = "ready"
    capacity: int = Field(default=1, ge=0, description="parallel units of work it can take")
    chain_processes: int | None = Field(
        default=None, ge=0, description="a worker's processes running chains (0: a thread)"
    )
    cells_per_s: float | None = Field(
        default=None, ge=0, description="a worker's cells analysed per second, lately"
    )

    @property
    def order(self) -> tuple[datetime, int]:
        """Where the beat comes among its instance id's: by its process's start, then its
        sequence (an id may outlive its process, whose successor counts from 0 again)."""
        return (self.started_at, self.sequence)


class FileDeleted(Message):
    """A stored file was deleted: its profiles and cached profiles must go too."""

    schema_name: ClassVar[str] = "file.deleted"
    tenant: str
    file_id: str
    sha256: str


# ---- profiles -----------------------------------------------------------------------------


class ColumnStats(BaseModel):
    """Statistics of one column, over every non-header row of the file."""

    model_config = ConfigDict(frozen=True)

    name: str
    position: int
    inferred_type: ColumnType
    rows: int
    null_ratio: float = Field(ge=0, le=1)
    distinct_ratio: float = Field(ge=0, le=1, description="distinct ÷ non-null values")
    avg_chars: float
    p95_chars: float
    avg_words: float
    p95_words: float
    alpha_ratio: float = Field(ge=0, le=1, description="letters ÷ characters, non-null values")
    samples: list[str]
    language: str | None = Field(
        default=None, description="ISO 639-1 guess from sampled values (text columns only)"
    )
    language_confidence: float | None = Field(default=None, ge=0, le=1)


class CandidateScore(BaseModel):
    """How worth analysing a column is: `final_score` in [0, 1] and the signals behind it."""

    model_config = ConfigDict(frozen=True)

    column: str
    final_score: float = Field(ge=0, le=1)
    inferred_type: ColumnType
    signals: dict[str, float]
    reasons: list[str]
    samples: list[str]


class ProfileCompleted(Message):
    """1.1 added `sampled_rows`; 1.2 added each column's `language` guess."""

    schema_name: ClassVar[str] = "profile.completed"
    schema_version: str = "1.2"
    correlation_id: str
    tenant: str
    file_id: str
    profiler_version: str
    rows: int = Field(description="data rows in the whole file")
    sampled_rows: int | None = Field(
        default=None, description="rows the statistics were computed on (the first ones)"
    )
    columns: list[ColumnStats]
    candidates: list[CandidateScore]


class ProfileFailed(Message):
    """1.1: `status` is no longer sent; the requester maps `code` to its own answer."""

    schema_name: ClassVar[str] = "profile.failed"
    schema_version: str = "1.1"
    correlation_id: str
    tenant: str
    file_id: str
    code: str = Field(description="stable error code, e.g. file_not_found, malformed_file")
    status: int | None = Field(default=None, description="deprecated (1.0 only)")
    detail: str


# ---- runs ---------------------------------------------------------------------------------


class RunCancelled(Message):
    """The run was cancelled (already fenced in Redis): the coordinator records it."""

    schema_name: ClassVar[str] = "run.cancelled"
    run_id: str
    tenant: str


class CellResult(BaseModel):
    """One analysed cell: what the chains said of it, or why it was skipped or failed."""

    model_config = ConfigDict(frozen=True)

    record: int = Field(ge=0, description="data row number in the file, from 0")
    status: CellStatus
    reason: str | None = None
    chains: dict[str, dict[str, Any]] = Field(default_factory=dict)


class ResultBatch(Message):
    """Results a worker has just stored (key: run_id): one stored batch of one column, aligned
    on a multiple of the batch size, or, when its cells' JSON is over
    `RESULTS_MESSAGE_BYTES`, one piece of it (`pieces`). A redone shard publishes the same
    batches, split the same way, again. Consumers dedupe on (column, first record), or on
    (column, record)."""

    schema_name: ClassVar[str] = "results.stored"
    run_id: str
    tenant: str
    shard_id: str
    column: str
    worker: str
    results: list[CellResult]

    @staticmethod
    def pieces(results_json: bytes, max_bytes: int = RESULTS_MESSAGE_BYTES) -> list[bytes]:
        """A batch's results (a JSON list) as JSON lists of at most `max_bytes` each, cells in
        order, each in one piece; a cell larger than that alone. The split depends on the
        cells' contents only, so the same cells always split the same way."""
        if len(results_json) <= max_bytes:
            return [results_json]
        pieces: list[list[bytes]] = [[]]
        size = 2  # the brackets
        for cell in map(pydantic_core.to_json, pydantic_core.from_json(results_json)):
            if pieces[-1] and size + len(cell) + 1 > max_bytes:
                pieces.append([])
                size = 2
            pieces[-1].append(cell)
            size += len(cell) + 1
        return [b"[" + b",".join(cells) + b"]" for cells in pieces]

    @classmethod
    def encode(cls, results_json: bytes, **fields: Any) -> bytes:
        """The JSON of a batch whose results are JSON already (a list of CellResult shapes,
        as stored): a worker publishes 1,000 cells without building 1,000 models."""
        head = cls(results=[], **fields).model_dump_json(exclude={"results"}).encode()
        return head[:-1] + b',"results":' + results_json + b"}"


class CellKey(msgspec.Struct, frozen=True):
    """A cell of a result batch read for its record number only."""

    record: Annotated[int, msgspec.Meta(ge=0)]


class ResultBatchKeys(msgspec.Struct, frozen=True):
    """A `ResultBatch` read for what routes and dedupes it (run, column, message id, record
    numbers) by a consumer that passes its cells on as published, such as the gateway's
    stream feeder: msgspec skips the rest without building it (about a tenth of the cost of
    the whole model). Not a schema of its own: these are `ResultBatch`'s fields, and
    `decode` refuses what `ResultBatch` would (a missing or mistyped field, a negative
    record, another major version) with `msgspec.ValidationError` or `DecodeError`."""

    schema_name: ClassVar[str] = ResultBatch.schema_name
    message_id: str
    run_id: str
    tenant: str
    shard_id: str
    column: str
    worker: str
    results: list[CellKey]
    schema_version: str = "1.0"

    def __post_init__(self) -> None:
        major = ResultBatch.model_fields["schema_version"].default.split(".")[0]
        if self.schema_version.split(".")[0] != major:
            raise ValueError(
                f"schema major {self.schema_version.split('.')[0]} unsupported (expected {major})"
            )

    @classmethod
    def decode(cls, body: bytes) -> "ResultBatchKeys":
        return _RESULT_BATCH_KEYS.decode(body)


_RESULT_BATCH_KEYS = msgspec.json.Decoder(ResultBatchKeys)


class ShardCosts(BaseModel):
    """What a shard cost the worker that analysed it (from its claim to its last row), and
    what it held: the history the estimator's cost model is fitted on."""

    model_config = ConfigDict(frozen=True)

    seconds: float = Field(ge=0, description="wall time from the claim to the last row stored")
    cells: int = Field(ge=0, description="cells analysed (not skipped as empty)")
    rows: int = Field(ge=0, description="rows of the shard analysed by this worker")
    chars: int = Field(ge=0, description="characters of the cells analysed")
    chars_squared: float = Field(ge=0, description="the sum of each cell's characters squared")
    chain_seconds: dict[str, float] = Field(description="seconds each chain ran")
    chain_processes: int = Field(ge=0, description="the worker's chain processes (0: a thread)")


class ShardProgress(Message):
    """A shard's checkpoint moved (key: run_id). `done` once the shard's last row is stored.
    1.1 added `n`; 1.2 `started_at` and, on the last one, `costs`."""

    schema_name: ClassVar[str] = "shard.progress"
    schema_version: str = "1.2"
    run_id: str
    shard_id: str
    n: int | None = Field(
        default=None, ge=0, description="the shard's number in its run's plan (1.1)"
    )
    column: str
    worker: str
    offset: int = Field(description="rows [start, offset) are stored")
    cells: int = Field(description="cells of this shard stored so far")
    done: bool = False
    failed: str | None = Field(default=None, description="why the shard cannot be analysed")
    started_at: datetime | None = Field(
        default=None, description="when this worker began the shard (1.2)"
    )
    costs: ShardCosts | None = Field(
        default=None, description="what the shard cost, on its last message (1.2)"
    )


class ColumnProgress(BaseModel):
    model_config = ConfigDict(frozen=True)

    done: int
    total: int


class RunUpdated(Message):
    """A run's status or progress changed (key: run_id); published by the coordinator."""

    schema_name: ClassVar[str] = "run.updated"
    run_id: str
    tenant: str
    status: RunStatus
    cells_done: int
    cells_total: int
    columns: dict[str, ColumnProgress]
    rate_cells_per_s: float | None = None
    eta_seconds: float | None = None
    error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class TextsAnalyzed(Message):
    """Reply to `AnalyzeTexts`: one result per text, in order (`record` = index). 1.1 added
    `chain_seconds`; 1.2 `chain_processes`."""

    schema_name: ClassVar[str] = "analyze-texts.completed"
    schema_version: str = "1.2"
    correlation_id: str
    results: list[CellResult]
    chain_seconds: dict[str, float] = Field(
        default_factory=dict, description="seconds each chain ran over the texts (1.1)"
    )
    chain_processes: int | None = Field(
        default=None,
        ge=0,
        description="the answering worker's chain processes (0: a thread), whose pace "
        "`chain_seconds` were measured at (1.2)",
    )


# ---- estimates ----------------------------------------------------------------------------


class EstimateAssumptions(BaseModel):
    """What an estimate rests on."""

    model_config = ConfigDict(frozen=True)

    workers_alive: int = Field(ge=0)
    chain_processes: int = Field(ge=0, description="of the workers alive, all together")
    cells_per_second: dict[str, float] = Field(
        description="each chain's throughput over these cells, as the model sees it"
    )
    backlog_cells: int = Field(ge=0, description="cells of other runs' shards still to do")
    backlog_seconds: float = Field(ge=0)
    shards: int = Field(ge=0, description="shards the run will be planned into")
    sample_rows: int = Field(ge=0, description="rows read from the file to estimate from")
    source: Literal["history", "calibration", "defaults"] = Field(
        description="where the chains' costs come from: completed shards, a calibration "
        "run of the chains on sampled cells, or the planner's defaults"
    )
    history_shards: int = Field(ge=0, description="completed shards the costs are fitted on")
    token_rule: str
    price_per_1k_tokens: dict[str, float]
    confidence_level: float = Field(gt=0, lt=1)
    compute_seconds: float = Field(ge=0, description="the run's shards on the workers")
    overhead_seconds: float = Field(ge=0, description="a run's planning, start and end")


class RunEstimate(BaseModel):
    """A run's time and cost before it starts."""

    model_config = ConfigDict(frozen=True)

    estimated_seconds: float = Field(gt=0)
    confidence_lower: float = Field(ge=0)
    confidence_upper: float = Field(gt=0)
    cells: int = Field(ge=0, description="non-empty cells that will be analysed")
    tokens: int = Field(ge=0)
    estimated_cost: float = Field(ge=0, description="in dollars")
    assumptions: EstimateAssumptions


class EstimateCompleted(Message):
    schema_name: ClassVar[str] = "estimate.completed"
    correlation_id: str
    estimate: RunEstimate


class EstimateFailed(Message):
    schema_name: ClassVar[str] = "estimate.failed"
    correlation_id: str
    code: str = Field(description="stable error code, e.g. file_not_found, unknown_column")
    detail: str
