"""A run's stored results page by page, in column then record order, by cursor."""

from textmill_runs import RESULT_BATCH, Run
from textmill_storage import ResultBatches


async def results_page(
    results: ResultBatches,
    run: Run,
    positions: list[tuple[str, int]],
    *,
    after: tuple[int, int] | None,
    limit: int,
) -> tuple[list[dict], tuple[int, int] | None]:
    """Up to `limit` cells after the cursor (column index in `positions`, record); returns
    them and the next cursor (None at the end).

    While the run is under way, a page stops before the first cell not stored yet, and the
    cursor stays there for the client to come back: a cursor that jumped over cells still
    to come would never return to them. Once the run has ended, a cell never stored (a
    cancelled run's) is passed over."""
    settled = run.ended
    items: list[dict] = []
    column_index, record = after if after is not None else (0, -1)
    rows = run.rows
    while column_index < len(positions) and len(items) < limit:
        column, position = positions[column_index]
        start = record + 1
        end = min(rows, start + limit - len(items) + RESULT_BATCH)
        if start >= rows:
            column_index, record = column_index + 1, -1
            continue
        cells = await results.cells_between(run.id, position, start, end)
        for r in sorted(cells):
            if len(items) == limit or not (settled or r == record + 1):
                break
            items.append({"column": column, **cells[r]})
            record = r
        else:
            if settled:
                record = end - 1  # nothing more stored below `end`
        if not settled and record < end - 1:
            return items, (column_index, record)  # the next cell is not stored yet
    more = not settled or (
        column_index < len(positions)
        and not (column_index == len(positions) - 1 and record >= rows - 1)
    )
    return items, ((column_index, record) if more else None)
