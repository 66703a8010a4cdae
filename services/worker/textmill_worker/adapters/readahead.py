"""Reading a shard's rows ahead of the store.

A batch takes three steps: read its rows (FerretDB round trips for the file's chunks),
analyse them (the chains: CPU), store and publish the results (round trips again). Taking
turns, the chains sat idle for the reads and the writes: on short texts (titles) half of
each shard's time. `ReadAhead` reads in a task of its own and starts each batch's analysis
as soon as its rows are read, keeping up to `depth` batches read ahead of the store.
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from itertools import islice
from typing import Generic, TypeVar

Rows = Iterator[tuple[int, list[str]]]
Analysed = TypeVar("Analysed")
# (records, the column's values) → what the batch's analysis gives (for a shard: its cells'
# JSON).
Analyse = Callable[[list[int], list[str | None]], Awaitable[Analysed]]


def take_rows(rows: Rows, limit: int) -> tuple[list[int], list[str | None]]:
    """The next `limit` rows: (records, the column's values). Runs in a thread."""
    taken = list(islice(rows, limit))
    return [record for record, _ in taken], [values[0] for _, values in taken]


class ReadAhead(Generic[Analysed]):
    def __init__(self, rows: Rows, batch_rows: int, depth: int, analyse: Analyse[Analysed]) -> None:
        self._rows, self._stopping = rows, False
        self._queue: asyncio.Queue = asyncio.Queue()
        self._slots = asyncio.Semaphore(max(1, depth))  # batches read and not yet taken
        self._task = asyncio.create_task(self._read(batch_rows, analyse))

    async def next(self) -> tuple[list[int], Analysed] | None:
        """The next batch's records and analysis, in file order; None after the last one.
        Raises what reading the rows raised."""
        item = await self._queue.get()
        if item is None:
            return None
        if isinstance(item, Exception):
            raise item
        self._slots.release()
        records, analysed = item
        return records, await analysed

    async def close(self) -> None:
        """Stop reading and drop what was read ahead. Returns once no read is in progress,
        so the caller may close the rows."""
        self._stopping = True
        self._discard()  # a reader waiting for a slot gets one, and sees the stop
        await asyncio.wait({self._task})
        self._discard()

    async def _read(self, batch_rows: int, analyse: Analyse[Analysed]) -> None:
        try:
            while not self._stopping:
                await self._slots.acquire()
                if self._stopping:
                    break
                records, texts = await asyncio.to_thread(take_rows, self._rows, batch_rows)
                if not records:
                    break
                self._queue.put_nowait((records, asyncio.ensure_future(analyse(records, texts))))
        except Exception as exc:
            self._queue.put_nowait(exc)
            return
        self._queue.put_nowait(None)

    def _discard(self) -> None:
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if isinstance(item, tuple):
                item[1].cancel()
                self._slots.release()
