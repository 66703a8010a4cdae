"""Events: facts that happened. Any number of consumer groups may read them."""

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from textmill_contracts.envelope import Message

ColumnType = Literal[
    "text", "categorical", "integer", "float", "bool", "datetime", "id", "url", "email", "empty"
]


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
    schema_name: ClassVar[str] = "profile.failed"
    correlation_id: str
    tenant: str
    file_id: str
    code: str = Field(description="stable error code, e.g. file_not_found, malformed_file")
    status: int = Field(description="HTTP status the gateway answers with")
    detail: str


class Heartbeat(Message):
    """Every service instance says it is alive every few seconds."""

    schema_name: ClassVar[str] = "heartbeat"
    service: Literal["gateway", "profiler", "estimator", "coordinator", "worker"]
    instance_id: str
    started_at: datetime
    sequence: int = Field(ge=0)
    status: Literal["ready", "degraded", "draining"] = "ready"
    capacity: int = Field(default=1, ge=0, description="parallel units of work it can take")


class FileDeleted(Message):
    """A stored file was deleted: its profiles and cached profiles must go too."""

    schema_name: ClassVar[str] = "file.deleted"
    tenant: str
    file_id: str
    sha256: str
