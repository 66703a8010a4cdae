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

    def as_dict(self) -> dict:
        return {**asdict(self), "last_seen": self.last_seen.isoformat()}


def observe(
    previous: InstanceLiveness | None, beat: Heartbeat, received_at: datetime
) -> InstanceLiveness | None:
    """The instance's new liveness, or None when the beat is a duplicate or arrived late.

    Instance ids carry the process id, so a restarted process is a new instance and its
    sequence restarting at 0 never collides with the old one's.
    """
    if previous is not None and beat.sequence <= previous.last_sequence:
        return None
    return InstanceLiveness(
        service=beat.service,
        instance_id=beat.instance_id,
        last_sequence=beat.sequence,
        last_seen=received_at,
        status=beat.status,
        capacity=beat.capacity,
    )


def liveness_timeout(heartbeat_seconds: float, missed_beats: int = 3) -> timedelta:
    return timedelta(seconds=heartbeat_seconds * missed_beats)
