"""Typed views of what the gateway answers. Each keeps the whole document in `raw`, so a
field the gateway adds later is there before this package names it."""

from dataclasses import dataclass, field
from typing import Any

TERMINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})


@dataclass(frozen=True, kw_only=True)
class StoredFile:
    id: str
    filename: str
    format: str
    rows: int
    header: list[str]
    size: int
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> "StoredFile":
        return cls(
            id=doc["id"],
            filename=doc.get("filename") or "",
            format=doc.get("format") or "",
            rows=doc.get("rows") or 0,
            header=list(doc.get("header") or []),
            size=doc.get("size") or 0,
            raw=doc,
        )


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """A column ranked for analysis: its score in [0, 1] and the reasons for it."""

    column: str
    final_score: float
    inferred_type: str
    reasons: list[str]
    samples: list[str]

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> "Candidate":
        return cls(
            column=doc["column"],
            final_score=float(doc.get("final_score") or 0.0),
            inferred_type=doc.get("inferred_type") or "",
            reasons=list(doc.get("reasons") or []),
            samples=[str(s) for s in doc.get("samples") or []],
        )


@dataclass(frozen=True, kw_only=True)
class Profile:
    file_id: str
    rows: int
    candidates: list[Candidate]
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> "Profile":
        return cls(
            file_id=doc["file_id"],
            rows=doc.get("rows") or 0,
            candidates=[Candidate.parse(c) for c in doc.get("candidates") or []],
            raw=doc,
        )

    def top(self, n: int = 1, min_score: float = 0.3) -> list[str]:
        """The best n columns scoring at least `min_score` (the best one if none does)."""
        ranked = sorted(self.candidates, key=lambda c: c.final_score, reverse=True)
        chosen = [c.column for c in ranked if c.final_score >= min_score][:n]
        return chosen or [c.column for c in ranked[:1]]


@dataclass(frozen=True, kw_only=True)
class Estimate:
    estimated_seconds: float
    confidence_lower: float
    confidence_upper: float
    cells: int
    tokens: int
    estimated_cost: float
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> "Estimate":
        return cls(
            estimated_seconds=float(doc.get("estimated_seconds") or 0.0),
            confidence_lower=float(doc.get("confidence_lower") or 0.0),
            confidence_upper=float(doc.get("confidence_upper") or 0.0),
            cells=doc.get("cells") or 0,
            tokens=doc.get("tokens") or 0,
            estimated_cost=float(doc.get("estimated_cost") or 0.0),
            raw=doc,
        )


@dataclass(frozen=True, kw_only=True)
class ColumnProgress:
    done: int
    total: int


@dataclass(frozen=True, kw_only=True)
class Run:
    """A run as `GET /runs/{id}` shows it, or as a `run` message of its stream updates it."""

    run_id: str
    status: str
    columns: list[str]
    chains: list[str]
    cells_done: int
    cells_total: int
    progress: dict[str, ColumnProgress]
    rate_cells_per_s: float | None
    eta_seconds: float | None
    error: str | None
    raw: dict[str, Any] = field(repr=False)
    priority: str | None = None  # GET /runs/{id} says it; a stream's messages do not

    @property
    def ended(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> "Run":
        # A stream's RunUpdated names its progress `columns`; GET /runs/{id} says `progress`.
        progress = doc.get("progress") or doc.get("columns") or {}
        if isinstance(progress, list):
            progress = {}
        return cls(
            run_id=doc["run_id"],
            status=doc.get("status") or "unknown",
            columns=list(doc["columns"]) if isinstance(doc.get("columns"), list) else [*progress],
            chains=list(doc.get("chains") or []),
            cells_done=doc.get("cells_done") or 0,
            cells_total=doc.get("cells_total") or 0,
            progress={
                c: ColumnProgress(done=p.get("done") or 0, total=p.get("total") or 0)
                for c, p in progress.items()
            },
            rate_cells_per_s=doc.get("rate_cells_per_s"),
            eta_seconds=doc.get("eta_seconds"),
            error=doc.get("error"),
            raw=doc,
            priority=doc.get("priority"),
        )


@dataclass(frozen=True, kw_only=True)
class ResultItem:
    """One analysed cell: its column, its record (row) number and each chain's output."""

    column: str
    record: int
    status: str
    reason: str | None
    chains: dict[str, dict[str, Any]]

    @classmethod
    def parse(cls, doc: dict[str, Any], column: str | None = None) -> "ResultItem":
        return cls(
            column=doc.get("column") or column or "",
            record=doc["record"],
            status=doc.get("status") or "",
            reason=doc.get("reason"),
            chains=dict(doc.get("chains") or {}),
        )


@dataclass(frozen=True, kw_only=True)
class ResultPage:
    items: list[ResultItem]
    next_cursor: str | None
    complete: bool

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> "ResultPage":
        return cls(
            items=[ResultItem.parse(i) for i in doc.get("items") or []],
            next_cursor=doc.get("next_cursor"),
            complete=bool(doc.get("complete")),
        )


@dataclass(frozen=True, kw_only=True)
class StreamMessage:
    """One message of a run's live stream: `type` is "run" (data: the run's update, also
    parsed as `run`) or "results" (data: a batch of analysed cells, also as `results`)."""

    seq: int
    type: str
    data: dict[str, Any]

    @property
    def run(self) -> Run | None:
        return Run.parse(self.data) if self.type == "run" else None

    @property
    def results(self) -> list[ResultItem]:
        if self.type != "results":
            return []
        column = self.data.get("column")
        return [ResultItem.parse(r, column) for r in self.data.get("results") or []]

    @property
    def is_final(self) -> bool:
        return self.type == "run" and self.data.get("status") in TERMINAL_STATUSES


@dataclass(frozen=True, kw_only=True)
class CreatedKey:
    key_id: str
    key: str
    tenant: str
    role: str

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> "CreatedKey":
        return cls(key_id=doc["key_id"], key=doc["key"], tenant=doc["tenant"], role=doc["role"])
