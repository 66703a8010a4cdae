"""The `pii` chain: personal data in free text, found by regular expressions and then
validated, so that a number is only called a phone, a card or an IBAN when a check says so.

Choices:
- Types: e-mail, phone, payment card, IBAN, IP (v4 and v6), URL. Spans are character
  offsets into the original text; `redacted` puts `[EMAIL]`, `[PHONE]`, ... in their place.
- Cards: 13–19 digits, **Luhn-checked**, starting as an issuer's numbers do (2–6), and
  either written in a card's layout (4-4-4-4, 4-6-5, ... separated by single spaces or
  dashes) or after a card word ("card", "visa", "paid with", ...): Luhn alone passes one
  random number in ten ("order 1234567812345670"). Any window of groups inside a longer
  run of numbers may be the card ("ref 2024 4111 1111 1111 1111").
- IBAN: two letters, two check digits, 11–30 letters or digits with optional single
  spaces (any case), **mod-97 checked**; per-country lengths are not. A match that
  swallowed the words after it is trimmed group by group until it checks.
- Phone: a run of 7–15 digits in groups (`phones.py`), validated and normalised to E.164
  by `phonenumbers`: international numbers (`+CC`, `00CC`) as they are, national ones in
  the default region (the first of `TEXTMILL_PHONE_REGIONS`) with or without separators
  ("4155552671"), and national ones with a trunk `0` in any of those regions. A local
  number without its area code (NANP "555-1234") counts when written 3-4. Entities of
  type phone carry `normalized`.
- IP: dotted quads and colon-hex candidates, validated by `ipaddress` (999.1.1.1 is not).
- URL: `http://`, `https://`, `ftp://`, `www.`, or a bare host with a known top-level
  domain ("example.com/path"); trailing sentence punctuation is not part of it.
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

from textmill_worker.domain.chains.cards import find_cards
from textmill_worker.domain.chains.phones import find_phones

NAME = "pii"
VERSION = "1.1.0"  # 1.1: phones by phonenumbers, cards in context, bare and ftp URLs
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
URL = re.compile(r"(?<![\w@/.-])(?:(?:https?|ftps?)://|www\.)[^\s<>\"'`{}|\\^]+", re.IGNORECASE)
# A host without a scheme: lowercase labels ending in a known top-level domain, then a path
# or nothing. Top-level domains that are also short words ("it", "me", "in") need a path.
BARE_URL = re.compile(
    r"(?<![\w@/.-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,6})"
    r"(?![\w@-])(/[^\s<>\"'`{}|\\^]*)?"
)
HOST_DOT = re.compile(r"[a-z0-9]\.[a-z]{2}")
TOP_LEVEL_DOMAINS = frozenset(
    "com org net edu gov mil int info biz app dev io ai co shop store online site tech xyz "
    "blog news cloud uk de fr es nl se pl ru ch au ca jp cn br eu dk fi nz za mx ie pt cz "
    "at be gr hu ro tr ua kr tw hk sg ar cl tv fm ly".split()
)
WORDLIKE_DOMAINS = frozenset("at be co in is it me my no so to us am as do go id".split())
IPV4 = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?!\w|\.\d)")
IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f:.]{2,45}(?![\w:])")
IBAN = re.compile(r"(?<![^\W_])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}")
TRAILING_PUNCTUATION = ".,;:!?'\"”’)]}>"


DEFAULT_PHONE_REGIONS = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "AU", "IN")


class Entity(NamedTuple):
    type: str
    start: int
    end: int
    normalized: str | None = None  # a phone's E.164 form


class PiiChain:
    name = NAME
    version = VERSION

    def __init__(self, phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS) -> None:
        if not phone_regions:
            raise ValueError("the pii chain needs at least one phone region")
        self.phone_regions = tuple(region.upper() for region in phone_regions)

    def analyse(self, texts: list[str]) -> list[dict]:
        return [analyse_text(text, self.phone_regions) for text in texts]


def analyse_text(text: str, phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS) -> dict:
    entities = find_entities(text, phone_regions)
    return {
        "entities": [_shown(text, e) for e in entities],
        "redacted": redact(text, entities),
        "count": len(entities),
    }


def _shown(text: str, entity: Entity) -> dict:
    shown = {"type": entity.type, "start": entity.start, "end": entity.end}
    shown["text"] = text[entity.start : entity.end]
    if entity.normalized is not None:
        shown["normalized"] = entity.normalized
    return shown


def find_entities(
    text: str, phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS
) -> list[Entity]:
    """Non-overlapping entities in text order."""
    candidates = [
        *_emails(text),
        *_urls(text),
        *_ips(text),
        *(Entity("card", start, end) for start, end in find_cards(text)),
        *_ibans(text),
        *(Entity("phone", *phone) for phone in find_phones(text, phone_regions)),
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
        yield from _url(text, match.start(), match.end())
    if not HOST_DOT.search(text):
        return  # no "x.ab" anywhere: most cells, and the bare-host scan is the costly one
    for match in BARE_URL.finditer(text):
        domain, path = match.group(1), match.group(2)
        if domain in TOP_LEVEL_DOMAINS and (path or domain not in WORDLIKE_DOMAINS):
            yield from _url(text, match.start(), match.end())


def _url(text: str, start: int, end: int) -> Iterator[Entity]:
    """The URL from start to end, less trailing sentence punctuation."""
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


def _trimmed_ends(text: str, start: int, end: int) -> Iterator[int]:
    """The match's end, then each shorter end just before a space, longest first; only
    ends that are not glued to a following word."""
    while end > start:
        if end == len(text) or not text[end].isalnum():
            yield end
        end = text.rfind(" ", start, end)
