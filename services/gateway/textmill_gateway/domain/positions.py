"""Where a client resumes: a results cursor (`<column index>.<record>`) and a stream's
sequence number (`from_seq`, `Last-Event-ID`). Numbers are ASCII digits of a size the
stores take: `isdigit()` also passes "²", which `int()` refuses, and a negative record
made a page walk the store from there up to record 0."""

import re

from textmill_gateway.domain.refusals import invalid_request

CURSOR = re.compile(r"([0-9]{1,9})\.(-1|[0-9]{1,18})", re.ASCII)  # -1: before a column's first
SEQ = re.compile(r"-?[0-9]{1,20}", re.ASCII)
MAX_SEQ = 2**63 - 1


def parse_cursor(cursor: str | None) -> tuple[int, int] | None:
    """A results cursor as `next_cursor` gives it: (column index, record)."""
    if cursor is None:
        return None
    if not (match := CURSOR.fullmatch(cursor)):
        raise invalid_request(f"not a results cursor: {cursor[:40]!r}")
    return int(match[1]), int(match[2])


def format_cursor(after: tuple[int, int] | None) -> str | None:
    return f"{after[0]}.{after[1]}" if after is not None else None


def parse_from_seq(raw: str | None) -> int | None:
    """`?from_seq=` as a websocket gets it (a string, unparsed by the framework)."""
    if not raw:
        return None
    if not SEQ.fullmatch(raw):
        raise invalid_request(f"from_seq must be an integer, not {raw[:40]!r}")
    return int(raw)


def stream_start(from_seq: int | None, last_event_id: str | None) -> int:
    """The sequence number a stream is read after: `from_seq`, else `Last-Event-ID`, else
    0. A Last-Event-ID that is no number is ignored, as a browser may send any it was given."""
    if from_seq is None and last_event_id and SEQ.fullmatch(last_event_id.strip()):
        from_seq = int(last_event_id.strip())
    if from_seq is not None and from_seq > MAX_SEQ:
        raise invalid_request(f"no sequence number goes past {MAX_SEQ}")
    return max(0, from_seq or 0)


def page_limit(limit: int, most: int = 1000) -> int:
    if not 1 <= limit <= most:
        raise invalid_request(f"limit must be between 1 and {most}")
    return limit
