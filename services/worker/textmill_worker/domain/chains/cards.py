"""Payment card numbers in free text, for the `pii` chain: Luhn-checked, with an issuer's
first digits, and either in a card's layout or after a card word.

Luhn alone passes one number in ten, so an order or tracking number of 16 digits would be
a card one time in ten; a card written out in groups of four, or named ("card", "visa",
"paid with"), is what people mean.
"""

import re
from collections.abc import Iterator

from textmill_worker.domain.chains.phones import ends_number

# No look-ahead at the end: backing off a long run from every start would be quadratic.
NUMBER_RUN = re.compile(r"(?<!\w)\d+(?:[ -]\d+)*")
DIGITS = re.compile(r"\d+")
CONTEXT_CHARS = 40
CONTEXT = re.compile(
    r"\b(?:card|cards|credit|debit|visa|master ?card|mc|amex|american express|discover|"
    r"maestro|jcb|diners|unionpay|cc|ccn|cvv|cvc|payment|paid|pay|charged|billed|billing)\b",
    re.IGNORECASE,
)
# Group lengths of the layouts cards are printed in.
LAYOUTS = frozenset({(4, 4, 4, 4), (4, 4, 4, 4, 3), (4, 6, 5), (4, 6, 4), (4, 4, 4, 1)})


def find_cards(text: str) -> Iterator[tuple[int, int]]:
    for run in NUMBER_RUN.finditer(text):
        groups = [g.span() for g in DIGITS.finditer(text, run.start(), run.end())]
        first = 0
        while first < len(groups):
            last = _card_ending_at(text, groups, first)
            if last is None:
                first += 1
                continue
            yield groups[first][0], groups[last][1]
            first = last + 1


def _card_ending_at(text: str, groups: list[tuple[int, int]], first: int) -> int | None:
    """The last group of the longest card starting at group `first`, if any."""
    if groups[first][1] - groups[first][0] < 3:
        return None  # no card starts with a group that short (the fast path for "1 1 1 ...")
    context = None
    for last in range(min(len(groups), first + 6) - 1, first - 1, -1):
        window = groups[first : last + 1]
        if len(window) > 1 and any(not 3 <= end - start <= 6 for start, end in window):
            continue
        if not ends_number(text, window[-1][1]):
            continue
        digits = "".join(text[start:end] for start, end in window)
        if not (13 <= len(digits) <= 19 and issued(digits) and luhn(digits)):
            continue
        if len(window) > 1 and _one_separator(text, window) and _laid_out(window):
            return last
        if context is None:
            start = window[0][0]
            context = CONTEXT.search(text, max(0, start - CONTEXT_CHARS), start) is not None
        if context:
            return last
    return None


def issued(digits: str) -> bool:
    """Whether the number starts as issuers' numbers do: 2221–2720 and 2200–2204 (Mastercard,
    Mir), 3 (Amex, Diners, JCB), 4 (Visa), 5 (Mastercard, Maestro), 6 (Discover, UnionPay)."""
    if digits[0] in "3456":
        return True
    head = int(digits[:4])
    return 2221 <= head <= 2720 or 2200 <= head <= 2204


def luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _laid_out(window: list[tuple[int, int]]) -> bool:
    return tuple(end - start for start, end in window) in LAYOUTS


def _one_separator(text: str, window: list[tuple[int, int]]) -> bool:
    """Groups separated alike: all spaces or all dashes."""
    return len({text[end] for _, end in window[:-1]}) == 1
