"""Liveness of service instances, from their heartbeats. Pure: no clock reads, no I/O.

An instance is alive while its latest heartbeat is younger than the liveness timeout
(three missed beats by default): its table entry expires after that long.
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from textmill_contracts.events import Heartbeat


@dataclass(frozen=True)
class InstanceLiveness:
    service: str
    instance_id: str
    last_sequence: int
    last_seen: datetime
    status: str
    capacity: int
    started_at: datetime | None = None  # of the process that sent it; None: stored before

    def as_dict(self) -> dict:
        started = self.started_at.isoformat() if self.started_at is not None else None
        return {**asdict(self), "last_seen": self.last_seen.isoformat(), "started_at": started}


def observe(
    previous: InstanceLiveness | None, beat: Heartbeat, received_at: datetime
) -> InstanceLiveness | None:
    """The instance's new liveness, or None when the beat is a duplicate or arrived late.

    Beats are ordered by (process start, sequence): an instance id may outlive its process
    (the local stack names its worker `<host>-worker-local`; a StatefulSet's pod keeps its
    name), and a restarted process counts its sequence from 0 again. Ordered by sequence
    alone, its beats were dropped until its former process's entry expired.
    """
    if previous is not None:
        if beat.order <= (previous.started_at or beat.started_at, previous.last_sequence):
            return None
    return InstanceLiveness(
        service=beat.service,
        instance_id=beat.instance_id,
        last_sequence=beat.sequence,
        last_seen=received_at,
        status=beat.status,
        capacity=beat.capacity,
        started_at=beat.started_at,
    )


def liveness_timeout(heartbeat_seconds: float, missed_beats: int = 3) -> timedelta:
    return timedelta(seconds=heartbeat_seconds * missed_beats)
