"""How the command line shows what the gateway answers: rich tables of candidates, an
estimate, runs, results and a summary."""

from typing import Any

from rich.table import Table

from textmill_client.models import Estimate, Profile, ResultItem, Run


def candidates_table(profile: Profile) -> Table:
    table = Table(title=f"Text candidates of file {profile.file_id} ({profile.rows:,} rows)")
    table.add_column("column")
    table.add_column("score", justify="right")
    table.add_column("type")
    table.add_column("why")
    for candidate in sorted(profile.candidates, key=lambda c: c.final_score, reverse=True):
        table.add_row(
            candidate.column,
            f"{candidate.final_score:.2f}",
            candidate.inferred_type,
            "; ".join(candidate.reasons),
        )
    return table


def estimate_table(estimate: Estimate, columns: list[str], chains: list[str]) -> Table:
    table = Table(title="Estimate", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("columns", ", ".join(columns))
    table.add_row("chains", ", ".join(chains))
    table.add_row("cells", f"{estimate.cells:,}")
    table.add_row(
        "time",
        f"{duration(estimate.estimated_seconds)} "
        f"(90 %: {duration(estimate.confidence_lower)} – {duration(estimate.confidence_upper)})",
    )
    table.add_row("tokens", f"{estimate.tokens:,}")
    table.add_row("cost", f"${estimate.estimated_cost:,.4f}")
    return table


def runs_table(runs: list[Run]) -> Table:
    table = Table(title="Runs, newest first")
    for name in ("run", "status", "columns", "chains", "cells", "created"):
        table.add_column(name, justify="right" if name == "cells" else "left")
    for run in runs:
        table.add_row(
            run.run_id,
            run.status,
            ", ".join(run.columns),
            ", ".join(run.chains),
            f"{run.cells_done:,}/{run.cells_total:,}",
            (run.raw.get("created_at") or "")[:19].replace("T", " "),
        )
    return table


def results_table(items: list[ResultItem], chains: list[str]) -> Table:
    table = Table(title="Results")
    table.add_column("column")
    table.add_column("record", justify="right")
    table.add_column("status")
    for chain in chains:
        table.add_column(chain)
    for item in items:
        cells = [brief(chain, item.chains.get(chain)) for chain in chains]
        table.add_row(item.column, str(item.record), item.status, *cells)
    return table


def brief(chain: str, output: dict[str, Any] | None) -> str:
    """One chain's output of one cell in a few characters."""
    if not output:
        return ""
    if chain == "sentiment":
        return f"{output.get('label')} {output.get('compound', 0):+.2f}"
    if chain == "language":
        return str(output.get("language") or "?")
    if chain == "keywords":
        words = [k.get("text", k) if isinstance(k, dict) else k for k in output.get("keywords", [])]
        return ", ".join(str(w) for w in words[:3])
    if chain == "pii":
        return f"{output.get('count', 0)} found"
    if chain == "stats":
        return f"{output.get('words')} words"
    return str(output)[:40]


def summary_table(summary: dict[str, Any]) -> Table:
    table = Table(title=f"Summary of run {summary.get('run_id')} ({summary.get('status')})")
    table.add_column("column")
    table.add_column("figure")
    table.add_column("value")
    for column, figures in (summary.get("columns") or {}).items():
        for name, value in figures.items():
            table.add_row(column, name, figure(value))
            column = ""
    return table


def figure(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {figure(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(
            f"{v.get('text')} ({v.get('count')})" if isinstance(v, dict) else str(v)
            for v in value[:8]
        )
    if isinstance(value, float):
        return f"{value:.3f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return (
        f"{minutes} min {rest:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"
    )
