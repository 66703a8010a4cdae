"""Which rows to read for a sample of a file: a few windows spread over it, read through its
row index, so that a sample never reads the whole file. The estimator samples a run's
columns for an estimate, the coordinator for the length of their texts when it plans."""

WINDOWS, WINDOW_ROWS = 8, 64


def sample_windows(
    rows: int, windows: int = WINDOWS, window_rows: int = WINDOW_ROWS
) -> list[tuple[int, int]]:
    """Row ranges [start, end) to read: the whole file when it is small, else `windows`
    ranges of `window_rows` spread evenly from its first row to its last."""
    if rows <= windows * window_rows:
        return [(0, rows)] if rows else []
    last = rows - window_rows
    starts = sorted({i * last // (windows - 1) for i in range(windows)})
    return [(start, start + window_rows) for start in starts]
