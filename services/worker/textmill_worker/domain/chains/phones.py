"""Phone numbers in free text, for the `pii` chain: candidates found by shape (digits in
groups, as phones are written), then validated and normalised by `phonenumbers`.

A candidate's ending groups are tried longest first, so "call 020 7946 0958 at 5" finds the
number without the time. What `phonenumbers` cannot tell apart, the shape does: dates,
and years in a row, are not phones however they validate.
"""

import re
from collections.abc import Iterator
from typing import NamedTuple

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

CANDIDATE = re.compile(r"(?<![\w+(])\+?(?:\(\d{1,5}\) ?)?\d+(?:(?:[ .\-/]| ?\(\d{1,5}\) ?)\d+)*")
DIGITS = re.compile(r"\d+")
DATE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}")
LOCAL_NANP = re.compile(r"\d{3}[-.]\d{4}")
NANP_REGIONS = frozenset({"US", "CA"})
MAX_DIGITS = 15  # E.164


class Phone(NamedTuple):
    start: int
    end: int
    normalized: str  # E.164, or the digits of a local number without its area code


def find_phones(text: str, regions: tuple[str, ...]) -> Iterator[Phone]:
    for match in CANDIDATE.finditer(text):
        ends, digits = [], 0
        for group in DIGITS.finditer(text, match.start(), match.end()):
            digits += group.end() - group.start()
            if digits > MAX_DIGITS:
                break
            ends.append(group.end())
        for end in reversed(ends):
            if not ends_number(text, end):
                continue
            normalized = validate(text[match.start() : end], regions)
            if normalized is not None:
                yield Phone(match.start(), end, normalized)
                break


def validate(candidate: str, regions: tuple[str, ...]) -> str | None:
    """The candidate's E.164 form when it is a phone number, else None.

    International numbers stand alone; national ones must be valid in the default region
    (`regions[0]`), or, when they start with a trunk 0, in any of `regions`."""
    groups = DIGITS.findall(candidate)
    digits = "".join(groups)
    if not 7 <= len(digits) <= MAX_DIGITS or candidate.count("(") != candidate.count(")"):
        return None
    if DATE.fullmatch(candidate) or sum(len(g) == 1 for g in groups[1:]) > 2:
        return None
    if candidate.startswith(("+", "00")):
        return _valid("+" + digits.removeprefix("00"), None)
    tried = regions if digits.startswith("0") else regions[:1]
    for region in tried:
        if (normalized := _valid(candidate, region)) is not None:
            return normalized
    if regions[0] in NANP_REGIONS and LOCAL_NANP.fullmatch(candidate):
        return _local(candidate, regions[0])
    return None


def _valid(candidate: str, region: str | None) -> str | None:
    try:
        number = phonenumbers.parse(candidate, region)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _local(candidate: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(candidate, region)
    except NumberParseException:
        return None
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        return None
    return "".join(DIGITS.findall(candidate))


def ends_number(text: str, end: int) -> bool:
    """False when a letter follows, or a separator and more digits or letters (a date, a
    decimal, a code: "4155552671-B")."""
    if end == len(text):
        return True
    if text[end].isalnum():
        return False
    return not (end + 1 < len(text) and text[end] in "-/" and text[end + 1].isalnum()) and not (
        end + 1 < len(text) and text[end] == "." and text[end + 1].isdigit()
    )
