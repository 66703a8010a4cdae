"""A run's statuses and the moves between them:
accepted → queued → running → completed | failed | cancelled, and an end from any status
before it. A run ends once; which end wins a race is the store's to settle
(`textmill_storage.RunStatuses`)."""

from textmill_contracts.events import (
    DEFAULT_PRIORITY,
    PRIORITIES,
    TERMINAL_STATUSES,
    Priority,
    RunStatus,
)

__all__ = ["DEFAULT_PRIORITY", "PRIORITIES", "Priority"]  # defined with the contracts

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
