"""Which cells a run analyses: a blank or null-like cell (`null`, `n/a`, `-`, ...) is
skipped; every other one is analysed, with lone surrogates (which no encoder writes)
replaced. The worker applies it to every cell, the estimator to the cells it samples."""

import re

NULL_TOKENS = frozenset({"null", "none", "nan", "n/a", "na", "-"})
NULL_TOKEN_CHARS = max(map(len, NULL_TOKENS))  # casefolding never shortens a text
SURROGATES = re.compile(r"[\ud800-\udfff]")


def analysable(text: object) -> str | None:
    """The text to analyse, or None for a cell to skip."""
    if text is None:
        return None
    if not isinstance(text, str):
        text = str(text)  # a reader's number; a float NaN becomes "nan" and is skipped
    stripped = text.strip()
    if not stripped or (len(stripped) <= NULL_TOKEN_CHARS and stripped.casefold() in NULL_TOKENS):
        return None
    if text.isascii():
        return text
    return SURROGATES.sub("\ufffd", text)  # one code point for one: offsets still hold
