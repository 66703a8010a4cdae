"""Measures of one cell: is it null, how many words and letters, does it read like prose.

These run once per cell over files of millions of rows, so each one is a handful of
C-level string operations rather than a Python loop over characters.
"""

import string

# Compared after strip() and lower(); none is longer than four characters, which lets
# `clean_cell` skip the lookup for every longer value.
NULL_TOKENS = frozenset({"null", "none", "nan", "n/a", "na", "-"})
_NULL_TOKEN_MAX_LEN = max(len(token) for token in NULL_TOKENS)

_ASCII_LETTERS = string.ascii_letters.encode()
_SENTENCE_PUNCTUATION = frozenset(".!?")


def clean_cell(cell: str) -> str | None:
    """The cell without surrounding whitespace, or None when it is a null cell."""
    value = cell.strip()
    if not value:
        return None
    if len(value) <= _NULL_TOKEN_MAX_LEN and value.lower() in NULL_TOKENS:
        return None
    return value


def count_letters(value: str) -> int:
    """Letters in any script; ASCII text (the common case) takes a bytes fast path."""
    if value.isascii():
        return len(value) - len(value.encode().translate(None, _ASCII_LETTERS))
    return sum(1 for char in value if char.isalpha())


def sentence_likeness(value: str) -> float:
    """1 for prose, 0.5 for a short phrase, 0 for labels, codes and numbers.

    Prose is eight words or more, or four or more ending in (or holding) sentence
    punctuation. A value whose words are mostly letter-free tokens ("12 40 7 19") is
    not prose whatever its length.
    """
    words = value.split()
    if len(words) < 4:
        return 0.0
    wordy = sum(1 for word in words if any(char.isalpha() for char in word))
    if wordy < 0.6 * len(words):
        return 0.0
    if len(words) >= 8 or any(char in _SENTENCE_PUNCTUATION for char in value):
        return 1.0
    return 0.5
