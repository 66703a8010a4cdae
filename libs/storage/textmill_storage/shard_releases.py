"""Which shards the coordinator has released to the workers, and when: one document per
shard (`_id` = shard id), inserted once. Two coordinator replicas releasing the same shard
at once both try the insert; one wins, publishes it, then marks it published. Updated only
by the replica that inserted it, so no two writers share a document (FerretDB v1 loses one
of two concurrent updates of one). A release never marked published is the sweep's to
publish soon (`release_lost`): its replica stopped between the two."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from textmill_contracts.envelope import utc_now
from textmill_infra.clients import find_by_ids
from textmill_storage.collections import LOOKUP_WINDOW, SHARD_RELEASES


@dataclass(frozen=True)
class Release:
    at: datetime
    partition: int | None  # None: released before partitions were recorded
    published: bool = True  # False: recorded, its publishing not yet confirmed


class ShardReleases:
    def __init__(self, db: AsyncDatabase) -> None:
        self._releases = db[SHARD_RELEASES]

    async def releases(self, shard_ids: Sequence[str]) -> dict[str, Release]:
        """When each of `shard_ids` that has been released went out, and to which partition."""
        docs = await find_by_ids(self._releases, list(shard_ids), LOOKUP_WINDOW)
        return {
            # A release recorded before `published` was: taken as published.
            doc["_id"]: Release(
                doc["released_at"], doc.get("partition"), doc.get("published", True)
            )
            for doc in docs
            if doc is not None
        }

    async def released(self, shard_ids: Sequence[str]) -> dict[str, datetime]:
        """When each of `shard_ids` that has been released went out."""
        return {i: release.at for i, release in (await self.releases(shard_ids)).items()}

    async def claim(
        self, shard_id: str, run_id: str, by: str, partition: int | None = None
    ) -> bool:
        """Record `shard_id` as released by `by` now, to `partition`; False when it was
        released before (by this replica or another): then it is not the caller's to publish."""
        try:
            await self._releases.insert_one(
                {
                    "_id": shard_id,
                    "run_id": run_id,
                    "by": by,
                    "released_at": utc_now(),
                    "partition": partition,
                    "published": False,
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def mark_published(self, shard_id: str) -> None:
        """The claimed release's shard is on Kafka (by the replica whose claim it is)."""
        await self._releases.update_one({"_id": shard_id}, {"$set": {"published": True}})
