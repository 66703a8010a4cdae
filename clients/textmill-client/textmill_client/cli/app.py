"""The `textmill` command: upload, profile, estimate and run files, watch runs, read their
results, summaries and exports, manage keys. Exit codes: 0 done; 1 the run failed or was
cancelled; 2 a usage error; 3 the gateway refused (the problem's code is printed); 4 the
gateway could not be reached; 130 interrupted."""

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
from rich.prompt import Confirm

from textmill_client.cli import views
from textmill_client.cli.config import ConfigError, connection
from textmill_client.cli.watch import follow
from textmill_client.client import Textmill
from textmill_client.errors import TextmillError, TextmillUnavailable

EXIT_RUN_FAILED, EXIT_REFUSED, EXIT_UNREACHABLE, EXIT_INTERRUPTED = 1, 3, 4, 130
CHAINS = ("sentiment", "language", "keywords", "pii", "stats")

app = typer.Typer(
    name="textmill",
    help="Analyse the free-text columns of tabular files with textmill.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
keys_app = typer.Typer(help="API keys: create one, list them.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
out = Console()
err = Console(stderr=True)
state: dict[str, str | None] = {"url": None, "api_key": None}


@app.callback()
def options(
    url: Annotated[
        str | None, typer.Option(help="The gateway's URL (else TEXTMILL_URL, the config file).")
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            help="An API key (else TEXTMILL_API_KEY, the config file).", show_default=False
        ),
    ] = None,
) -> None:
    state["url"], state["api_key"] = url, api_key


@contextmanager
def client():
    """The SDK client of the chosen URL and key; a refusal or an unreachable gateway is
    printed with its code and request id, and ends the command with its exit code."""
    try:
        chosen = connection(state["url"], state["api_key"])
    except ConfigError as failure:
        err.print(f"[red]error:[/] {failure}")
        raise typer.Exit(2) from None
    if chosen.api_key is None:
        err.print(
            "[red]error:[/] no API key: pass --api-key, set TEXTMILL_API_KEY, or put "
            "api_key in ~/.config/textmill/config.toml"
        )
        raise typer.Exit(2)
    try:
        with Textmill(chosen.url, chosen.api_key) as tm:
            yield tm
    except TextmillUnavailable as failure:
        err.print(f"[red]error:[/] cannot reach textmill at {chosen.url}: {failure.detail}")
        raise typer.Exit(EXIT_UNREACHABLE) from None
    except TextmillError as failure:
        err.print(f"[red]error {failure.code}[/] ({failure.status}): {failure.detail}")
        if failure.code == "unauthorized":
            err.print(f"  the key from {chosen.source} was not accepted")
        if failure.request_id:
            err.print(f"  request id: {failure.request_id}")
        raise typer.Exit(EXIT_REFUSED) from None


def split(values: list[str] | None) -> list[str]:
    """Options given repeated or comma-separated: --columns a,b --columns c."""
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def upload_file(tm: Textmill, path: Path):
    with Progress(
        "[bold]upload[/] {task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=err,
        transient=not err.is_terminal,
    ) as bars:
        task = bars.add_task(path.name, total=path.stat().st_size)
        return tm.upload(path, progress=lambda sent, total: bars.update(task, completed=sent))


Columns = Annotated[
    list[str] | None, typer.Option("--columns", "-c", help="Columns to analyse (a,b or repeated).")
]
Chains = Annotated[
    list[str] | None,
    typer.Option("--chains", help=f"Chains to apply, of {', '.join(CHAINS)} (default: sentiment)."),
]


@app.command()
def upload(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the file id.")] = False,
) -> None:
    """Upload a tabular file (CSV/TSV, JSON, JSONL, Parquet, Excel); prints its id."""
    with client() as tm:
        stored = upload_file(tm, file)
    if quiet:
        print(stored.id)
        return
    out.print(
        f"file [bold]{stored.id}[/]: {stored.filename}, {stored.format}, "
        f"{stored.rows:,} rows × {len(stored.header)} columns"
    )


@app.command()
def profile(file_id: str) -> None:
    """Profile a stored file: its columns ranked as text worth analysing."""
    with client() as tm:
        out.print(views.candidates_table(tm.profile(file_id)))


@app.command()
def estimate(file_id: str, columns: Columns = None, chains: Chains = None) -> None:
    """Estimate a run's time, cells, tokens and cost before starting it."""
    with client() as tm:
        chosen = split(columns) or tm.profile(file_id).top(1)
        chain_names = split(chains) or ["sentiment"]
        out.print(
            views.estimate_table(tm.estimate(file_id, chosen, chain_names), chosen, chain_names)
        )


@app.command()
def run(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    columns: Columns = None,
    chains: Chains = None,
    top: Annotated[int, typer.Option(help="Columns to pick when none is named.")] = 1,
    watch: Annotated[bool, typer.Option("--watch/--no-watch", help="Follow it to its end.")] = True,
) -> None:
    """Upload FILE, profile it, estimate and start a run, and follow it with progress bars."""
    with client() as tm:
        stored = upload_file(tm, file)
        out.print(f"file [bold]{stored.id}[/]: {stored.rows:,} rows")
        chosen = split(columns)
        if not chosen:
            found = tm.profile(stored.id)
            chosen = found.top(top)
            out.print(views.candidates_table(found))
            out.print(f"no column named: analysing the top {len(chosen)}: {', '.join(chosen)}")
        chain_names = split(chains) or ["sentiment"]
        try:
            found_estimate = tm.estimate(stored.id, chosen, chain_names)
            out.print(views.estimate_table(found_estimate, chosen, chain_names))
        except TextmillError as failure:
            if failure.code not in ("upstream_timeout", "estimate_failed"):
                raise
            err.print(f"[yellow]no estimate[/] ({failure.code}); starting the run all the same")
        run_id = tm.analyze(stored.id, chosen, chain_names)
        out.print(f"run [bold]{run_id}[/] started")
        if watch:
            watch_run(tm, run_id)
        else:
            print(run_id)


@app.command("watch")
def watch_command(run_id: str) -> None:
    """Follow a run with per-column progress bars until it ends, then show its summary."""
    with client() as tm:
        watch_run(tm, run_id)


def watch_run(tm: Textmill, run_id: str) -> None:
    try:
        ended = follow(tm, run_id, out)
    except KeyboardInterrupt:
        offer_to_cancel(tm, run_id)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    line = f"run {run_id} [bold]{ended.status}[/]: {ended.cells_done:,} cells"
    if ended.raw.get("actual_seconds") is not None:
        line += f" in {views.duration(ended.raw['actual_seconds'])}"
    out.print(line)
    if ended.status != "completed":
        if ended.error:
            err.print(f"[red]error:[/] {ended.error}")
        raise typer.Exit(EXIT_RUN_FAILED)
    out.print(views.summary_table(tm.summary(run_id)))


def offer_to_cancel(tm: Textmill, run_id: str) -> None:
    try:
        cancel_it = sys.stdin.isatty() and Confirm.ask(
            f"\nCancel run {run_id}?", console=err, default=False
        )
    except (KeyboardInterrupt, EOFError):
        cancel_it = False
    if cancel_it:
        ended = tm.cancel(run_id)
        err.print(f"run {run_id} {ended.status}")
    else:
        err.print(f"run {run_id} goes on; follow it again with: textmill watch {run_id}")


@app.command()
def cancel(run_id: str) -> None:
    """Cancel a run."""
    with client() as tm:
        out.print(f"run {run_id} {tm.cancel(run_id).status}")


@app.command()
def runs() -> None:
    """The tenant's runs, newest first."""
    with client() as tm:
        out.print(views.runs_table(tm.runs()))


@app.command()
def results(
    run_id: str,
    limit: Annotated[int, typer.Option(help="How many results to show.")] = 20,
    column: Annotated[str | None, typer.Option(help="Only this column's results.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line.")] = False,
) -> None:
    """A run's stored results (the first LIMIT), as a table or as JSON lines."""
    with client() as tm:
        found = tm.run(run_id)
        items = []
        for item in tm.results(run_id, column=column, page_size=min(max(limit, 1), 1000)):
            items.append(item)
            if len(items) >= limit:
                break
    if as_json:
        for item in items:
            print(
                json.dumps(
                    {
                        "column": item.column,
                        "record": item.record,
                        "status": item.status,
                        "chains": item.chains,
                    }
                )
            )
        return
    out.print(views.results_table(items, found.chains))


@app.command()
def summary(run_id: str) -> None:
    """Per column: labels, mean score, languages, keywords, PII."""
    with client() as tm:
        out.print(views.summary_table(tm.summary(run_id)))


@app.command()
def export(
    run_id: str,
    output: Annotated[Path, typer.Option("--output", "-o", help="The file to write.")],
    format: Annotated[str, typer.Option("--format", "-f", help="csv, jsonl or parquet.")] = "csv",
) -> None:
    """Write the run's rows with their result columns to a file."""
    if format not in ("csv", "jsonl", "parquet"):
        err.print(f"[red]error:[/] unknown format {format!r}: csv, jsonl or parquet")
        raise typer.Exit(2)
    with client() as tm:
        written = tm.export(run_id, output, format=format)
    out.print(f"wrote {written} ({written.stat().st_size:,} bytes)")


@keys_app.command("create")
def create_key(
    tenant: Annotated[str, typer.Option(help="The tenant the key acts for.")],
    role: Annotated[str, typer.Option(help="viewer, analyst or admin.")] = "analyst",
) -> None:
    """Create a key (admin only); it is shown this once."""
    with client() as tm:
        created = tm.create_key(tenant, role)
    out.print(f"key {created.key_id} for tenant {created.tenant} ({created.role}), shown once:")
    print(created.key)


@keys_app.command("list")
def list_keys() -> None:
    """The tenant's keys, where the gateway lists them."""
    with client() as tm:
        try:
            found = tm.keys()
        except TextmillError as failure:
            if failure.status in (404, 405):
                err.print("this gateway does not list keys yet (it only creates them)")
                raise typer.Exit(EXIT_REFUSED) from None
            raise
    for key in found:
        out.print(" ".join(f"{k}={v}" for k, v in key.items() if k != "key"))


def main() -> None:
    app()
