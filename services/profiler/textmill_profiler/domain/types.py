"""Type inference: what kind of values a column holds, decided on its reservoir sample.

A type wins when at least 90 % of the sampled non-null values match it; types are tried
in a fixed order, most specific first: bool, integer, float, datetime, email, url, id,
categorical, and text when nothing else fits ("empty" when there is no non-null value).

- bool: true/false, yes/no, y/n, t/f, 0/1 (any case), so a 0/1 column is bool.
- integer: optional sign, digits, optionally grouped by commas ("1,234"). Integers
  written with leading zeros ("00417") are codes, so such a column is an id.
- float: integers and decimals with a dot ("1,234.5", ".5", "1e-3"), optionally with a
  leading currency symbol or a trailing "%". A decimal comma ("1,5") is not a number.
- datetime: whatever `datetime.fromisoformat` reads, plus d/m/Y, m/d/Y, d.m.Y, d-m-Y,
  Y/m/d (with optional times) and "5 Mar 2024" / "March 5, 2024".
- email, url: one address per cell.
- id: token-like values (no spaces, at least one digit, letters/digits/-_.# only, or a
  UUID) that are mostly distinct (≥ 50 %) or too many to be categories (> 50 distinct).
- categorical: short values (≤ 4 words on average) that repeat: at most 50 distinct
  values making up at most half of the cells, or at most 5 % distinct whatever the count.
"""

import re
from collections.abc import Callable, Sequence
from datetime import datetime

from textmill_contracts.events import ColumnType

MAJORITY = 0.9
CATEGORICAL_MAX_DISTINCT = 50
CATEGORICAL_MAX_AVG_WORDS = 4.0
ID_MIN_DISTINCT_RATIO = 0.5

_BOOL_TOKENS = frozenset({"true", "false", "yes", "no", "y", "n", "t", "f", "0", "1"})
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)"
_INTEGER = re.compile(rf"[+-]?{_DIGITS}")
_NUMBER = re.compile(rf"[$€£¥]?[+-]?(?:{_DIGITS}(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_URL = re.compile(r"(?:https?|ftp)://[^\s/?#]+[^\s]*|www\.[^\s/]+\.[^\s]+", re.IGNORECASE)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_ID_TOKEN = re.compile(r"(?=[^\d]*\d)[A-Za-z0-9][A-Za-z0-9_\-.#]{2,63}")
# Cheap shape test before any parsing: strptime is slow and text columns are long.
_DATE_SHAPE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2} [A-Za-z]{3}|[A-Za-z]{3,9}\.? \d")
_DATE_FORMATS = (
    *(
        f"{date}{time}"
        for date in ("%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d")
        for time in ("", " %H:%M", " %H:%M:%S", " %I:%M %p")
    ),
    *("%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y"),
)


def infer_type(sample: Sequence[str], *, distinct_values: int, non_null: int) -> ColumnType:
    """The column's type, from a sample of its non-null values and its distinct count."""
    if non_null == 0 or not sample:
        return "empty"
    if _majority(sample, is_bool):
        return "bool"
    if _majority(sample, is_integer):
        return "id" if _majority(sample, _has_leading_zero, threshold=0.5) else "integer"
    for type_name, matches in _SCALAR_MATCHERS:
        if _majority(sample, matches):
            return type_name
    distinct_ratio = min(1.0, distinct_values / non_null)
    if _majority(sample, is_id_token) and (
        distinct_ratio >= ID_MIN_DISTINCT_RATIO or distinct_values > CATEGORICAL_MAX_DISTINCT
    ):
        return "id"
    if _is_categorical(sample, distinct_values, distinct_ratio):
        return "categorical"
    return "text"


def is_bool(value: str) -> bool:
    return value.lower() in _BOOL_TOKENS


def is_integer(value: str) -> bool:
    return _INTEGER.fullmatch(value) is not None


def is_number(value: str) -> bool:
    return _NUMBER.fullmatch(value) is not None


def is_datetime(value: str) -> bool:
    if len(value) > 40 or not _DATE_SHAPE.match(value):
        return False
    try:
        datetime.fromisoformat(value)
        return True
    except ValueError:
        pass
    for date_format in _DATE_FORMATS:
        try:
            datetime.strptime(value, date_format)
            return True
        except ValueError:
            continue
    return False


def is_email(value: str) -> bool:
    return _EMAIL.fullmatch(value) is not None


def is_url(value: str) -> bool:
    return _URL.fullmatch(value) is not None


def is_id_token(value: str) -> bool:
    return _UUID.fullmatch(value) is not None or _ID_TOKEN.fullmatch(value) is not None


_SCALAR_MATCHERS: tuple[tuple[ColumnType, Callable[[str], bool]], ...] = (
    ("float", is_number),
    ("datetime", is_datetime),
    ("email", is_email),
    ("url", is_url),
)


def _has_leading_zero(value: str) -> bool:
    digits = value.lstrip("+-")
    return len(digits) > 1 and digits.startswith("0")


def _is_categorical(sample: Sequence[str], distinct_values: int, distinct_ratio: float) -> bool:
    avg_words = sum(len(value.split()) for value in sample) / len(sample)
    if avg_words > CATEGORICAL_MAX_AVG_WORDS:
        return False
    few_values = distinct_values <= CATEGORICAL_MAX_DISTINCT and distinct_ratio <= 0.5
    return few_values or distinct_ratio <= 0.05


def _majority(
    sample: Sequence[str], matches: Callable[[str], bool], *, threshold: float = MAJORITY
) -> bool:
    """Whether at least `threshold` of the sample matches; stops once that is out of reach."""
    allowed_misses = len(sample) - threshold * len(sample)
    misses = 0
    for value in sample:
        if not matches(value):
            misses += 1
            if misses > allowed_misses:
                return False
    return True
