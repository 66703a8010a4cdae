"""Finding the delimiter of a CSV/TSV sample.

csv.Sniffer answers first, but it is only trusted when its delimiter splits every sampled record
into the same number of fields; otherwise the candidate that splits them most consistently wins.
"""

import csv
import io
from itertools import islice

CANDIDATES = (",", ";", "\t", "|")
_SAMPLE_RECORDS = 50
_SNIFF_LINES = 20
# Sniffer's quote regex is quadratic on hostile input (many unmatched quotes): keep it small.
_SNIFF_CHARS = 4096


def sniff_delimiter(text: str, preferred: str | None = None) -> str | None:
    """The delimiter of `text`, or None when no candidate splits the header (one column)."""
    scores = {delimiter: _consistency(text, delimiter) for delimiter in CANDIDATES}
    sniffed = _sniffer_guess(text)
    if sniffed is not None and (score := scores[sniffed]) is not None and score[0] == 1.0:
        return sniffed
    usable = [delimiter for delimiter, score in scores.items() if score is not None]
    if not usable:
        return None

    def rank(delimiter: str) -> tuple[float, bool, int, int]:
        share, width = scores[delimiter] or (0.0, 0)
        return share, delimiter == preferred, width, -CANDIDATES.index(delimiter)

    return max(usable, key=rank)


def _consistency(text: str, delimiter: str) -> tuple[float, int] | None:
    """(share of records as wide as the header, header width), or None if it is one column."""
    records = _sample_records(text, delimiter)
    if not records or len(records[0]) < 2:
        return None
    width = len(records[0])
    return sum(len(record) == width for record in records) / len(records), width


def _sample_records(text: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = [record for record in islice(reader, _SAMPLE_RECORDS + 1) if record]
    except csv.Error:
        return []
    # The sample may stop in the middle of a record, so the last one is not trusted.
    return records[:-1] if len(records) > 2 else records


def _sniffer_guess(text: str) -> str | None:
    sample = "".join(text[:_SNIFF_CHARS].splitlines(keepends=True)[:_SNIFF_LINES])
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters="".join(CANDIDATES)).delimiter
    except csv.Error:
        return None
    return delimiter if delimiter in CANDIDATES else None
