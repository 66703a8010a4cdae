"""An example subscriber of textmill's public results topic, `textmill.events.results.v1`:
it reads the analysed cells of one run (or of every run) by their contract and keeps them in
a SQLite file, each cell once, across restarts.

    python examples/result_subscriber.py --bootstrap 127.0.0.1:19092 --run RUN_ID \
        --group my-system --db results.sqlite

Delivery: Kafka gives each message at least once (a redone shard republishes its batches;
a consumer that stops before committing reads again what it had). So:
- offsets are committed only after the cells they carry are written (nothing is lost);
- a cell is written under its key (run_id, column, record), and a cell already there is
  skipped (nothing is repeated).
The contract (libs/contracts/generated/schemas/results.stored.json): each message is JSON,
keyed by run_id, with `schema_version` 1.x, `run_id`, `tenant`, `column`, `shard_id` and
`results`: [{record, status, reason, chains}]. A minor version adds fields, which are
ignored here; a message of another major version is refused (it would come on a new topic).
"""

import argparse
import asyncio
import json
import signal
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer

TOPIC = "textmill.events.results.v1"
MAJOR = "1"


@dataclass(frozen=True)
class Cell:
    run_id: str
    column: str
    record: int
    status: str
    chains: str  # each chain's output, as JSON


def cells_of(value: bytes) -> list[Cell]:
    """The cells a results message carries; [] for a message this reader cannot trust."""
    try:
        batch = json.loads(value)
        if str(batch.get("schema_version", "")).split(".")[0] != MAJOR:
            return []
        return [
            Cell(
                run_id=batch["run_id"],
                column=batch["column"],
                record=int(cell["record"]),
                status=cell["status"],
                chains=json.dumps(cell.get("chains") or {}, sort_keys=True),
            )
            for cell in batch["results"]
        ]
    except (ValueError, KeyError, TypeError, AttributeError):
        return []


class CellStore:
    """The cells read so far, in SQLite, keyed by (run_id, column, record)."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS cells (run_id TEXT, column_name TEXT, record INTEGER,"
            " status TEXT, chains TEXT, PRIMARY KEY (run_id, column_name, record))"
        )
        self.db.commit()

    def add(self, cells: Iterable[Cell]) -> int:
        """Writes the cells not stored yet, durably; returns how many were new."""
        before = self.db.total_changes
        self.db.executemany(
            "INSERT OR IGNORE INTO cells VALUES (?, ?, ?, ?, ?)",
            [(c.run_id, c.column, c.record, c.status, c.chains) for c in cells],
        )
        self.db.commit()
        return self.db.total_changes - before

    def close(self) -> None:
        self.db.close()


async def subscribe(
    bootstrap: str, group: str, store: CellStore, run_id: str | None, topic: str = TOPIC
) -> None:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,  # the position is the group's: a restart resumes where it committed
        enable_auto_commit=False,  # committed below, after the cells are stored
        auto_offset_reset="earliest",  # a new group reads what the topic still keeps
    )
    await consumer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=1000, max_records=200)
            for records in batches.values():
                cells = [
                    cell
                    for record in records
                    for cell in cells_of(record.value)
                    if run_id is None or cell.run_id == run_id
                ]
                new = store.add(cells)
                if cells:
                    print(
                        f"{len(cells)} cells read, {new} new, {len(cells) - new} seen before",
                        flush=True,
                    )
            if batches:
                await consumer.commit()
    finally:
        await consumer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:19092")
    parser.add_argument("--group", default="textmill-example-results")
    parser.add_argument("--db", type=Path, default=Path("results.sqlite"))
    parser.add_argument("--run", help="only this run's cells (default: every run)")
    parser.add_argument("--topic", default=TOPIC)
    args = parser.parse_args()
    store = CellStore(args.db)

    async def run() -> None:
        task = asyncio.create_task(
            subscribe(args.bootstrap, args.group, store, args.run, args.topic)
        )
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            pass

    try:
        asyncio.run(run())
    finally:
        store.close()


if __name__ == "__main__":
    main()
