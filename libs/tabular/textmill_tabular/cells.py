"""The text of one typed value (JSON, Parquet, Excel), as every reader hands cells on.

Rows are lists of strings whatever the format, so the profiler and the workers see one shape:
missing values are "", booleans "true"/"false", nested values compact JSON, dates ISO 8601.
"""

import datetime as dt
import json
import math
from decimal import Decimal

_COMPACT = {"separators": (",", ":"), "ensure_ascii": False}
_encode_json = json.JSONEncoder(**_COMPACT).encode  # built once: rows hold millions of values
_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def _scalar_text(value: object) -> str | None:
    """Text of the values every format writes alike (str, None, bool), else None."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return None


def json_text(value: object) -> str:
    """A value decoded from JSON: strings as they are, everything else as its JSON text."""
    if (text := _scalar_text(value)) is not None:
        return text
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # What json.dumps writes, without building an encoder per number.
        return repr(value) if math.isfinite(value) else _NON_FINITE.get(value, "NaN")
    return _encode_json(value)


def cell_text(value: object) -> str:
    """A value read from a typed column (Parquet, Excel)."""
    if (text := _scalar_text(value)) is not None:
        return text
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, bytes):
        return _bytes_text(value)
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, default=_json_default, **_COMPACT)
    return str(value)


def _bytes_text(value: bytes) -> str:
    # Old Parquet writers store text as plain binary: show it as text when it is UTF-8.
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.hex()


def _json_default(value: object) -> object:
    if isinstance(value, bytes):
        return _bytes_text(value)
    return cell_text(value)
