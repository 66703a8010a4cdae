"""Pages of a run's results in the real store (`RunStore.results_page`), while the run is
under way and once it has ended: a client that pages through a running run and comes back
with its cursor ends with every cell, once."""

import uuid

import pydantic_core

from textmill_gateway.adapters.runs import RunStore
from textmill_worker.adapters.shards import ShardStore

ROWS = 3_000


async def store_batch(db, run_id: str, first: int) -> None:
    records = list(range(first, first + 1_000))
    cells = [{"record": r, "status": "ok", "reason": None, "chains": {}} for r in records]
    await ShardStore(db).write_batch(run_id, "body", 0, records, pydantic_core.to_json(cells))


async def page_all(store: RunStore, run: dict, cursor, *, settled: bool) -> tuple[list, tuple]:
    records = []
    while True:
        items, after = await store.results_page(
            run, [("body", 0)], after=cursor, limit=700, settled=settled
        )
        records += [item["record"] for item in items]
        if after is None or after == cursor:
            return records, after
        cursor = after


async def test_a_running_run_is_paged_up_to_its_first_cell_not_stored_and_resumed_later(
    scratch_db,
):
    # Given a running run of 3,000 rows whose first and last thousand are stored, not the middle
    run_id = uuid.uuid4().hex
    run, store = {"_id": run_id, "rows": ROWS}, RunStore(scratch_db)
    await store_batch(scratch_db, run_id, 0)
    await store_batch(scratch_db, run_id, 2_000)
    # When a client pages through it, then comes back with its cursor once the middle is
    # stored and the run has ended
    first, cursor = await page_all(store, run, None, settled=False)
    await store_batch(scratch_db, run_id, 1_000)
    rest, end = await page_all(store, run, cursor, settled=True)
    # Then the first pass stopped before the missing cells, with a cursor to come back
    # to, and the second got every other cell: all 3,000, once each
    assert first == list(range(1_000)) and cursor == (0, 999)
    assert first + rest == list(range(ROWS)) and end is None


async def test_a_running_run_with_nothing_stored_yet_gives_a_cursor_to_come_back_with(
    scratch_db,
):
    # Given a running run with no cell stored yet
    run = {"_id": uuid.uuid4().hex, "rows": ROWS}
    # When its first page is asked for
    items, after = await RunStore(scratch_db).results_page(
        run, [("body", 0)], after=None, limit=100, settled=False
    )
    # Then it is empty, and its cursor is not the end (None) but the beginning
    assert items == [] and after == (0, -1)


async def test_an_ended_runs_cells_never_stored_are_passed_over(scratch_db):
    # Given a cancelled run of 3,000 rows whose middle thousand was never analysed
    run_id = uuid.uuid4().hex
    run = {"_id": run_id, "rows": ROWS}
    await store_batch(scratch_db, run_id, 0)
    await store_batch(scratch_db, run_id, 2_000)
    # When it is paged through
    records, end = await page_all(RunStore(scratch_db), run, None, settled=True)
    # Then every stored cell comes, and the pages end
    assert records == [*range(1_000), *range(2_000, ROWS)] and end is None
