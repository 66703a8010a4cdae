"""The cursors of the lists (`/runs`, `/files`, `/keys`, `/audit`): opaque to clients, each
naming where the next page starts, and refused (400) when they are not one of ours."""

import re
from datetime import UTC, datetime

from textmill_gateway.domain.refusals import invalid_request

SEQUENCE_CURSOR = re.compile(r"[1-9][0-9]{0,11}", re.ASCII)  # runs and audit: below this n
FILE_CURSOR = re.compile(r"([0-9]{1,13})\.([0-9a-f]{24})", re.ASCII)  # uploaded (ms), id
KEY_CURSOR = re.compile(r"([0-9]{1,13})\.([A-Za-z0-9_-]{1,64})", re.ASCII)  # created (ms), id


def parse_sequence_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not SEQUENCE_CURSOR.fullmatch(cursor):
        raise invalid_request(f"not a cursor of this list: {cursor[:40]!r}")
    return int(cursor)


def parse_file_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    return _timed(FILE_CURSOR, cursor)


def parse_key_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    return _timed(KEY_CURSOR, cursor)


def format_file_cursor(at: datetime, file_id: str) -> str:
    return f"{_ms(at)}.{file_id}"


def format_key_cursor(at: datetime | None, key_id: str) -> str:
    return f"{_ms(at) if at else 0}.{key_id}"


def _timed(pattern: re.Pattern, cursor: str | None) -> tuple[datetime, str] | None:
    if cursor is None:
        return None
    if not (match := pattern.fullmatch(cursor)):
        raise invalid_request(f"not a cursor of this list: {cursor[:40]!r}")
    # 13 digits of milliseconds reach the year 2286, which a datetime holds.
    return datetime.fromtimestamp(int(match[1]) / 1000, UTC), match[2]


def _ms(at: datetime) -> int:
    return round(at.timestamp() * 1000)
