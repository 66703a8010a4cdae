"""What `GET /api/v2/stats` answers, folded from the stored files and runs: counts and bytes
per tenant, runs by status, shards waiting and under way. Pure: the adapter reads, this adds.
"""

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class TenantTally:
    files: int = 0
    file_bytes: int = 0
    runs: int = 0
    cells: int = 0
    cells_done: int = 0

    def as_dict(self, tenant: str) -> dict:
        return {"tenant": tenant, **self.__dict__}


@dataclass
class StoreStats:
    """Every tenant in view, tallied as its files and runs are added one by one."""

    tenants: dict[str, TenantTally] = field(default_factory=dict)
    runs_by_status: Counter = field(default_factory=Counter)
    shards_queued: int = 0
    shards_running: int = 0

    def add_file(self, tenant: str, size: int) -> None:
        tally = self.tenants.setdefault(tenant, TenantTally())
        tally.files += 1
        tally.file_bytes += size

    def add_run(self, tenant: str, status: str, cells: int, shards: dict) -> None:
        """A run and what its document says of its shards (`shards.<n>`: total, cells, done):
        a shard not done is queued until its first cells are counted, running after."""
        tally = self.tenants.setdefault(tenant, TenantTally())
        tally.runs += 1
        tally.cells += cells
        self.runs_by_status[status] += 1
        for shard in shards.values():
            done_cells = int(shard.get("cells", 0))
            tally.cells_done += done_cells
            if status in ("queued", "running") and not shard.get("done"):
                if done_cells:
                    self.shards_running += 1
                else:
                    self.shards_queued += 1

    def as_dict(self, workers_alive: int) -> dict:
        return {
            "tenants": [self.tenants[t].as_dict(t) for t in sorted(self.tenants)],
            "runs_by_status": dict(sorted(self.runs_by_status.items())),
            "shards_queued": self.shards_queued,
            "shards_running": self.shards_running,
            "workers_alive": workers_alive,
        }
