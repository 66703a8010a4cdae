"""What the coordinator reads and keeps to size shards from measured speed
(`textmill_runs.pace`): a sample of the run's columns as it plans, and, in Redis, the pace
of completed shards by chains and text length, which both replicas share and a restart
keeps."""

import json
from typing import Any

import redis.asyncio as aioredis
from pymongo.synchronous.database import Database

from textmill_infra.blobs import open_stored_file
from textmill_runs.pace import ColumnLength, Pace, observe
from textmill_runs.sampling import sample_windows
from textmill_tabular import RowIndex, read_rows

KEY = "textmill:shard-paces"


class ShardPaces:
    """One Redis hash, a field a pace key. Two replicas folding shards into one field at
    the same moment may lose one shard of an average that newer shards outweigh anyway."""

    def __init__(self, redis: aioredis.Redis, key: str = KEY) -> None:
        self._redis, self._key = redis, key

    async def get(self, keys: list[str]) -> dict[str, Pace]:
        values = await self._redis.hmget(self._key, keys) if keys else []
        return {
            key: Pace.from_dict(json.loads(raw))
            for key, raw in zip(keys, values, strict=True)
            if raw is not None
        }

    async def observe(self, key: str, cells: int, seconds: float) -> None:
        old = (await self.get([key])).get(key)
        new = observe(old, cells, seconds)
        if new is not None and new != old:
            await self._redis.hset(self._key, key, json.dumps(new.as_dict()))


class ColumnLengths:
    """Synchronous (called in a thread): the run's columns sampled in the stored file."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def measure(
        self, tenant: str, file_id: str, index: RowIndex, columns: list[str]
    ) -> dict[str, ColumnLength]:
        source = open_stored_file(self._db, tenant, file_id)
        return measure_columns(source, source.name, index, columns)


def measure_columns(
    source: Any, name: str, index: RowIndex, columns: list[str]
) -> dict[str, ColumnLength]:
    """`columns` sampled in a few windows of rows read through the file's row index
    (`sample_windows`), never the whole file; `source` a path or a stored file's source."""
    values: dict[str, list[object]] = {column: [] for column in columns}
    for start, end in sample_windows(index.rows):
        rows = read_rows(source, name, columns=columns, start=start, end=end, index=index)
        try:
            for _, row in rows:
                for column, value in zip(columns, row, strict=True):
                    values[column].append(value)
        finally:
            rows.close()
    return {column: ColumnLength.of(column_values) for column, column_values in values.items()}
