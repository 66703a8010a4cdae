"""The `pii` chain: personal data in free text, found by regular expressions and then
validated, so that a number is only called a card or an IBAN when its checksum says so.

Choices:
- Types: e-mail, phone, payment card, IBAN, IP (v4 and v6), URL. Spans are character
  offsets into the original text; `redacted` puts `[EMAIL]`, `[PHONE]`, ... in their place.
- Cards: 13–19 digits, written as one run or in groups of 3–6 separated by single spaces or
  dashes, **Luhn-checked**; all zeros is not a card. Any window of groups inside a longer
  run of numbers may be the card ("order 2024 4111 1111 1111 1111").
- IBAN: two letters, two check digits, 11–30 letters or digits with optional single
  spaces (any case), **mod-97 checked**; per-country lengths are not. A match that
  swallowed the words after it is trimmed group by group until it checks.
- Phone: 7–15 digits (E.164 allows 15) in groups, and one of the shapes phones are
  written in: international (`+CC` or `00CC`), national with a trunk `0` or an area code
  in parentheses, or North American 3-3-4. Plain numbers, years, dates, prices and
  version strings are not phones. Trailing groups are trimmed the same way as IBANs.
- IP: dotted quads and colon-hex candidates, validated by `ipaddress` (999.1.1.1 is not).
- URL: `http://`, `https://` or `www.`; trailing sentence punctuation is not part of it.
- Overlaps: the longest span wins, so redaction covers the most; on a tie the more
  specific type (email, card, iban, ip, url, phone).
- Every pattern starts with a look-behind that refuses to start inside a token, so each
  position costs O(1) and hostile strings (50 KB of digits or letters) stay linear.
- No length cap: a redacted text must not leak its tail.
"""

import ipaddress
import re
from bisect import bisect_right, insort
from collections.abc import Iterator
from typing import NamedTuple

NAME = "pii"
VERSION = "1.0.0"
LABELS = {
    "email": "[EMAIL]",
    "phone": "[PHONE]",
    "card": "[CARD]",
    "iban": "[IBAN]",
    "ip": "[IP]",
    "url": "[URL]",
}
SPECIFICITY = ("email", "card", "iban", "ip", "url", "phone")

EMAIL = re.compile(r"(?<![\w.%+-])\w[\w.%+-]*@(?:[\w-]+\.)+[^\W\d_]{2,}(?![\w-])")
URL = re.compile(r"(?<![\w@/.-])(?:https?://|www\.)[^\s<>\"'`{}|\\^]+", re.IGNORECASE)
IPV4 = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?!\w|\.\d)")
IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f:.]{2,45}(?![\w:])")
# No look-ahead at the end: backing off a long run from every start would be quadratic.
NUMBER_RUN = re.compile(r"(?<!\w)\d+(?:[ -]\d+)*")
IBAN = re.compile(r"(?<![^\W_])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}")
PHONE = re.compile(r"(?<![\w+(])\+?(?:\(\d{1,5}\) ?)?\d+(?:(?:[ .\-/]| ?\(\d{1,5}\) ?)\d+)*")
DIGITS = re.compile(r"\d+")
DATE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}")
NANP = re.compile(r"(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}")
TRAILING_PUNCTUATION = ".,;:!?'\"”’)]}>"


class Entity(NamedTuple):
    type: str
    start: int
    end: int


class PiiChain:
    name = NAME
    version = VERSION

    def analyse(self, texts: list[str]) -> list[dict]:
        return [analyse_text(text) for text in texts]


def analyse_text(text: str) -> dict:
    entities = find_entities(text)
    return {
        "entities": [
            {"type": e.type, "start": e.start, "end": e.end, "text": text[e.start : e.end]}
            for e in entities
        ],
        "redacted": redact(text, entities),
        "count": len(entities),
    }


def find_entities(text: str) -> list[Entity]:
    """Non-overlapping entities in text order."""
    candidates = [
        *_emails(text),
        *_urls(text),
        *_ips(text),
        *_cards(text),
        *_ibans(text),
        *_phones(text),
    ]
    candidates.sort(key=lambda e: (e.start - e.end, SPECIFICITY.index(e.type), e.start))
    starts: list[int] = []
    kept: dict[int, Entity] = {}
    for entity in candidates:
        at = bisect_right(starts, entity.start)
        if at > 0 and kept[starts[at - 1]].end > entity.start:
            continue
        if at < len(starts) and starts[at] < entity.end:
            continue
        insort(starts, entity.start)
        kept[entity.start] = entity
    return [kept[start] for start in starts]


def redact(text: str, entities: list[Entity]) -> str:
    pieces, cursor = [], 0
    for entity in entities:
        pieces += [text[cursor : entity.start], LABELS[entity.type]]
        cursor = entity.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _emails(text: str) -> Iterator[Entity]:
    for match in EMAIL.finditer(text):
        yield Entity("email", *match.span())


def _urls(text: str) -> Iterator[Entity]:
    for match in URL.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in TRAILING_PUNCTUATION:
            # A closing bracket belongs to the URL when it closes one opened inside it.
            if text[end - 1] == ")" and text.count("(", start, end) >= text.count(")", start, end):
                break
            end -= 1
        host = text[start:end].split("//", 1)[-1].removeprefix("www.")
        if any(ch.isalnum() for ch in host):
            yield Entity("url", start, end)


def _ips(text: str) -> Iterator[Entity]:
    for match in IPV4.finditer(text):
        if _is_ip(match.group()):
            yield Entity("ip", *match.span())
    for match in IPV6.finditer(text):
        start, end = match.start(), match.end()
        while end > start and text[end - 1] == ".":
            end -= 1
        candidate = text[start:end]
        if candidate.count(":") >= 2 and any(c.isalnum() for c in candidate):
            if _is_ip(candidate):
                yield Entity("ip", start, end)


def _is_ip(candidate: str) -> bool:
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


def _cards(text: str) -> Iterator[Entity]:
    for run in NUMBER_RUN.finditer(text):
        groups = [g.span() for g in DIGITS.finditer(text, run.start(), run.end())]
        first = 0
        while first < len(groups):
            last = _card_ending_at(text, groups, first)
            if last is None:
                first += 1
                continue
            yield Entity("card", groups[first][0], groups[last][1])
            first = last + 1


def _card_ending_at(text: str, groups: list[tuple[int, int]], first: int) -> int | None:
    """The last group of the longest valid card starting at group `first`, if any."""
    for last in range(min(len(groups), first + 6) - 1, first - 1, -1):
        window = groups[first : last + 1]
        if len(window) > 1 and any(not 3 <= end - start <= 6 for start, end in window):
            continue
        if not _ends_number(text, window[-1][1]):
            continue
        digits = "".join(text[start:end] for start, end in window)
        if 13 <= len(digits) <= 19 and digits.strip("0") and _luhn(digits):
            return last
    return None


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _ibans(text: str) -> Iterator[Entity]:
    for match in IBAN.finditer(text):
        for end in _trimmed_ends(text, match.start(), match.end()):
            if _mod97(text[match.start() : end]):
                yield Entity("iban", match.start(), end)
                break


def _mod97(candidate: str) -> bool:
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _phones(text: str) -> Iterator[Entity]:
    for match in PHONE.finditer(text):
        # Only the first 15 digits can be a phone; shorter ends are tried longest first.
        ends, digits = [], 0
        for group in DIGITS.finditer(text, match.start(), match.end()):
            digits += group.end() - group.start()
            if digits > 15:
                break
            ends.append(group.end())
        for end in reversed(ends):
            if _is_phone(text[match.start() : end]) and _ends_number(text, end):
                yield Entity("phone", match.start(), end)
                break


def _is_phone(candidate: str) -> bool:
    groups = DIGITS.findall(candidate)
    digits = sum(len(g) for g in groups)
    if not 7 <= digits <= 15 or candidate.count("(") != candidate.count(")"):
        return False
    if DATE.fullmatch(candidate) or sum(len(g) == 1 for g in groups[1:]) > 2:
        return False
    if candidate.startswith(("+", "00")):
        return True
    if len(groups) == 1:
        # One unformatted run is only a phone with a trunk prefix (07946095812).
        return candidate.startswith("0") and 9 <= digits <= 12
    return candidate.startswith(("0", "(")) or NANP.fullmatch(candidate) is not None


def _trimmed_ends(text: str, start: int, end: int) -> Iterator[int]:
    """The match's end, then each shorter end just before a space, longest first; only
    ends that are not glued to a following word."""
    while end > start:
        if end == len(text) or not text[end].isalnum():
            yield end
        end = text.rfind(" ", start, end)


def _ends_number(text: str, end: int) -> bool:
    """False when a letter follows, or a separator and more digits (a date, a decimal)."""
    if end == len(text):
        return True
    if text[end].isalnum():
        return False
    return not (end + 1 < len(text) and text[end] in ".-/" and text[end + 1].isdigit())
