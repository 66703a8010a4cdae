"""A worker's recent throughput, for its heartbeats: cells analysed over the last
`window` seconds. Pure: the clock is an argument."""

from collections import deque


class Throughput:
    def __init__(self, window: float = 10.0) -> None:
        self._window = window
        self._counts: deque[tuple[float, int]] = deque()

    def add(self, now: float, cells: int) -> None:
        self._counts.append((now, cells))
        self._forget(now)

    def cells_per_s(self, now: float) -> float | None:
        """Cells a second over the window; None when nothing was analysed in it."""
        self._forget(now)
        if not self._counts:
            return None
        return round(sum(cells for _, cells in self._counts) / self._window, 1)

    def _forget(self, now: float) -> None:
        while self._counts and self._counts[0][0] < now - self._window:
            self._counts.popleft()
