"""The coordinator's liveness table on the real Redis: an entry reads back as written,
with the start of the process that beat; one stored before entries had it reads as None."""

import json
import uuid
from datetime import UTC, datetime, timedelta

from textmill_coordinator.adapters.liveness import PREFIX, LivenessTable
from textmill_coordinator.domain.liveness import InstanceLiveness


async def test_an_entry_reads_back_with_its_process_start(redis):
    # Given an entry written, and one stored before entries said when their process started
    table = LivenessTable(redis, timedelta(minutes=1))
    now = datetime.now(UTC)
    written = InstanceLiveness("worker", f"w-{uuid.uuid4().hex}", 7, now, "ready", 1, now)
    old = f"w-{uuid.uuid4().hex}"
    before = {k: v for k, v in written.as_dict().items() if k != "started_at"}
    try:
        await table.put(written)
        await redis.set(PREFIX + old, json.dumps(before | {"instance_id": old}), ex=60)

        # When both are read, Then each reads as it was stored
        assert await table.get(written.instance_id) == written
        assert (await table.get(old)).started_at is None
    finally:
        await redis.delete(PREFIX + written.instance_id, PREFIX + old)
