"""examples/result_subscriber.py against the real Kafka: it reads a run's cells by the
results topic's contract and keeps each once, through a kill, a restart, a redone shard's
republished batch, another run's batches and a message of a future major version."""

import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from textmill_contracts.events import CellResult, ResultBatch

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "result_subscriber.py"
CELLS = 500


def batch(run_id: str, first: int, column: str = "review") -> bytes:
    cells = [
        CellResult(record=r, status="ok", chains={"sentiment": {"label": "positive"}})
        for r in range(first, first + CELLS)
    ]
    return (
        ResultBatch(
            run_id=run_id,
            tenant="t",
            shard_id=f"{run_id}:{first // CELLS:05d}",
            column=column,
            worker="w",
            results=cells,
        )
        .model_dump_json()
        .encode()
    )


def start(settings, topic: str, group: str, db: Path, run_id: str) -> subprocess.Popen:
    command = [sys.executable, str(EXAMPLE), "--bootstrap", settings.kafka_bootstrap]
    command += ["--topic", topic, "--group", group, "--db", str(db), "--run", run_id]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stored(db: Path) -> list[tuple]:
    if not db.exists():
        return []
    with sqlite3.connect(db) as connection:
        try:
            return connection.execute("SELECT run_id, column_name, record FROM cells").fetchall()
        except sqlite3.OperationalError:  # the table is not made yet
            return []


async def wait_for(db: Path, count: int, timeout: float = 60) -> list[tuple]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(found := stored(db)) >= count:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"{len(stored(db))} cells stored, not {count}")


@pytest.mark.timeout(180)
async def test_the_example_keeps_every_cell_once_across_a_kill_and_a_restart(
    settings, producer, topic, tmp_path
):
    # Given a run's first two batches on the topic, and another run's batch
    run_id, other = uuid.uuid4().hex, uuid.uuid4().hex
    for first in (0, CELLS):
        await producer.send_and_wait(topic, batch(run_id, first), key=run_id.encode())
    await producer.send_and_wait(topic, batch(other, 0), key=other.encode())
    db, group = tmp_path / "results.sqlite", f"example-{uuid.uuid4().hex[:8]}"
    # When the example reads them and is killed (no goodbye, maybe before its commit)
    first = start(settings, topic, group, db, run_id)
    await wait_for(db, 2 * CELLS)
    first.send_signal(signal.SIGKILL)
    first.wait()
    # And, while it is down, a redone shard republishes the second batch, the third comes,
    # and a message of a future major version
    await producer.send_and_wait(topic, batch(run_id, CELLS), key=run_id.encode())
    await producer.send_and_wait(topic, batch(run_id, 2 * CELLS), key=run_id.encode())
    future = batch(run_id, 3 * CELLS).replace(b'"schema_version":"1.0"', b'"schema_version":"2.0"')
    await producer.send_and_wait(topic, future, key=run_id.encode())
    # And it is started again in the same group
    second = start(settings, topic, group, db, run_id)
    try:
        await wait_for(db, 3 * CELLS)
        await asyncio.sleep(1.5)  # a repeat, if any, would land now
        cells = stored(db)
    finally:
        second.send_signal(signal.SIGTERM)
        output = second.communicate(timeout=20)[0]
    # Then every cell of the run's three batches is there once, and nothing else
    assert len(cells) == len(set(cells)) == 3 * CELLS, output
    assert {c[0] for c in cells} == {run_id}
    assert sorted(c[2] for c in cells) == list(range(3 * CELLS))
    # And after the restart only the third batch was new: the republished one (and whatever
    # the killed reader had not committed) was read again and recognised as seen before
    counts = [
        tuple(map(int, m)) for m in re.findall(r"(\d+) cells read, (\d+) new, (\d+) seen", output)
    ]
    assert sum(new for _, new, _ in counts) == CELLS, output
    assert sum(seen for _, _, seen in counts) >= CELLS, output
    # And the restarted reader stopped cleanly on SIGTERM
    assert second.returncode == 0, output
    assert os.path.getsize(db) > 0
