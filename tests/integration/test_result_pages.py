"""Pages of a run's results in the real store (`results_page`), while the run is
under way and once it has ended: a client that pages through a running run and comes back
with its cursor ends with every cell, once."""

import uuid

import pydantic_core

from textmill_gateway.adapters.result_pages import results_page
from textmill_runs import Run
from textmill_storage import ResultBatches

ROWS = 3_000


async def store_batch(db, run_id: str, first: int) -> None:
    records = list(range(first, first + 1_000))
    cells = [{"record": r, "status": "ok", "reason": None, "chains": {}} for r in records]
    await ResultBatches(db).write(run_id, "body", 0, records, pydantic_core.to_json(cells))


def a_run(run_id: str, status: str) -> Run:
    return Run(
        id=run_id, tenant="t", file_id="f", columns=["body"], chains=[], status=status, rows=ROWS
    )


async def page_all(store: ResultBatches, run: Run, cursor) -> tuple[list, tuple]:
    records = []
    while True:
        items, after = await results_page(store, run, [("body", 0)], after=cursor, limit=700)
        records += [item["record"] for item in items]
        if after is None or after == cursor:
            return records, after
        cursor = after


async def test_a_running_run_is_paged_up_to_its_first_cell_not_stored_and_resumed_later(
    scratch_db,
):
    # Given a running run of 3,000 rows whose first and last thousand are stored, not the middle
    run_id = uuid.uuid4().hex
    store = ResultBatches(scratch_db)
    await store_batch(scratch_db, run_id, 0)
    await store_batch(scratch_db, run_id, 2_000)
    # When a client pages through it, then comes back with its cursor once the middle is
    # stored and the run has ended
    first, cursor = await page_all(store, a_run(run_id, "running"), None)
    await store_batch(scratch_db, run_id, 1_000)
    rest, end = await page_all(store, a_run(run_id, "completed"), cursor)
    # Then the first pass stopped before the missing cells, with a cursor to come back
    # to, and the second got every other cell: all 3,000, once each
    assert first == list(range(1_000)) and cursor == (0, 999)
    assert first + rest == list(range(ROWS)) and end is None


async def test_a_running_run_with_nothing_stored_yet_gives_a_cursor_to_come_back_with(
    scratch_db,
):
    # Given a running run with no cell stored yet
    run = a_run(uuid.uuid4().hex, "running")
    # When its first page is asked for
    items, after = await results_page(
        ResultBatches(scratch_db), run, [("body", 0)], after=None, limit=100
    )
    # Then it is empty, and its cursor is not the end (None) but the beginning
    assert items == [] and after == (0, -1)


async def test_an_ended_runs_cells_never_stored_are_passed_over(scratch_db):
    # Given a cancelled run of 3,000 rows whose middle thousand was never analysed
    run_id = uuid.uuid4().hex
    await store_batch(scratch_db, run_id, 0)
    await store_batch(scratch_db, run_id, 2_000)
    # When it is paged through
    records, end = await page_all(ResultBatches(scratch_db), a_run(run_id, "cancelled"), None)
    # Then every stored cell comes, and the pages end
    assert records == [*range(1_000), *range(2_000, ROWS)] and end is None
