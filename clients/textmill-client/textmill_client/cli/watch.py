"""A run followed live in the terminal: one progress bar per column, with its rate and the
time remaining, fed by the run's stream (which the SDK resumes after a dropped connection)."""

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from textmill_client.client import Textmill
from textmill_client.models import Run


class CellRateColumn(ProgressColumn):
    """The column's own rate, over rich's recent samples of its progress."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} cells/s" if speed else "– cells/s", justify="right")


def progress_bars(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}", justify="left"),
        BarColumn(bar_width=30),
        MofNCompleteColumn(),
        CellRateColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def follow(tm: Textmill, run_id: str, console: Console) -> Run:
    """Shows the run's progress until it ends; returns it as it ended."""
    run = tm.run(run_id)
    status = run.status
    console.print(f"run {run_id}: {status}")
    with progress_bars(console) as bars:
        tasks: dict[str, TaskID] = {
            column: bars.add_task(column, total=max(p.total, 1))
            for column, p in run.progress.items()
        }
        streamed = dict.fromkeys(tasks, 0)
        for message in tm.stream(run_id):
            for item in message.results:
                streamed[item.column] = streamed.get(item.column, 0) + 1
            update = message.run
            if update is not None:
                if update.status != status:
                    status = update.status
                    bars.console.print(f"run {run_id}: {status}")
                for column, progress in update.progress.items():
                    if column not in tasks:
                        tasks[column] = bars.add_task(column, total=1)
                        streamed.setdefault(column, 0)
                    if progress.total:
                        bars.update(tasks[column], total=progress.total)
            for column, done in streamed.items():
                bars.update(tasks[column], completed=done)
    return tm.run(run_id)
