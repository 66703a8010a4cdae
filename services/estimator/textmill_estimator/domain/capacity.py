"""The workers alive, from their heartbeats: how many chain processes each runs and how
fast it has gone lately. Pure: the clock is an argument."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from textmill_contracts.events import Heartbeat


@dataclass(frozen=True)
class WorkerSeen:
    instance_id: str
    chain_processes: int
    cells_per_s: float | None
    sequence: int
    seen_at: datetime
    started_at: datetime  # the process's, as its beats say


class Workers:
    """The latest beat of each worker; one is alive while its beat is younger than
    `timeout` (three missed beats, as the coordinator counts them)."""

    def __init__(self, timeout: timedelta) -> None:
        self._timeout = timeout
        self._seen: dict[str, WorkerSeen] = {}

    def see(self, beat: Heartbeat, now: datetime) -> None:
        if beat.service != "worker" or beat.status == "draining":
            self._seen.pop(beat.instance_id, None)
            return
        previous = self._seen.get(beat.instance_id)
        # A restarted process may keep its instance id (the local stack names its workers).
        if previous is not None and beat.order <= (previous.started_at, previous.sequence):
            return  # older or repeated
        processes = beat.chain_processes if beat.chain_processes is not None else 0
        self._seen[beat.instance_id] = WorkerSeen(
            beat.instance_id, processes, beat.cells_per_s, beat.sequence, now, beat.started_at
        )

    def alive(self, now: datetime) -> list[WorkerSeen]:
        for instance, seen in list(self._seen.items()):
            if now - seen.seen_at > self._timeout:
                del self._seen[instance]
        return sorted(self._seen.values(), key=lambda seen: seen.instance_id)
