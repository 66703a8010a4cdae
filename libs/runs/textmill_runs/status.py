"""A run's statuses and the moves between them:
accepted → queued → running → completed | failed | cancelled, and an end from any status
before it. A run ends once; which end wins a race is the store's to settle
(`textmill_storage.RunStatuses`)."""

from typing import Literal

from textmill_contracts.events import TERMINAL_STATUSES, RunStatus

# Which runs' shards the workers get first (`textmill_coordinator`'s scheduler): a high one
# before any normal one, a normal one before any low one.
Priority = Literal["high", "normal", "low"]
PRIORITIES: tuple[Priority, ...] = ("high", "normal", "low")
DEFAULT_PRIORITY: Priority = "normal"

ACTIVE: tuple[RunStatus, ...] = ("accepted", "queued", "running")
UNDER_WAY: tuple[RunStatus, ...] = ("queued", "running")  # planned, shards out
# The statuses a run may move to each status from.
MOVES_FROM: dict[str, tuple[RunStatus, ...]] = {
    "queued": ("accepted",),
    "running": ("queued",),
    "completed": ACTIVE,
    "failed": ACTIVE,
    "cancelled": ACTIVE,
}


def is_terminal(status: str) -> bool:
    return status in TERMINAL_STATUSES


def moves_from(status: str) -> tuple[RunStatus, ...]:
    """The statuses from which a run may move to `status`; ValueError for no status."""
    try:
        return MOVES_FROM[status]
    except KeyError:
        raise ValueError(f"no run moves to {status!r}") from None
