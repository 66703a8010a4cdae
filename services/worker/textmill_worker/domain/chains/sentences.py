"""Where sentences end, for the `stats` and `keywords` chains: rules rather than a model,
because reviews break the rules a model learnt from edited prose ("seam.Great buy").

- `.`, `!`, `?` (and runs of them, "!!!", "...") end a sentence when a space, a line break
  or the end of the text follows, and line breaks end one too;
- a full stop glued to a capitalised word ends one as well ("seam.Great"), unless the
  word before it is a single letter ("U.S.A");
- a full stop after a known abbreviation ("e.g.", "Dr.", "approx.") or an initial ("J.")
  does not, nor one inside a number ("3.5") or a name ("example.com").
"""

import re

ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt vs etc eg e.g ie i.e cf al approx appt apt dept est "
    "fig inc ltd co corp vol pp ph.d a.m p.m u.s u.k jan feb apr jun jul aug "
    "sep sept oct nov dec mon tue thu fri".split()
)
# A candidate end: punctuation, then whitespace, the end, or (for a lone full stop) a
# capital letter glued to it.
_END = re.compile(r"[.!?…]+(?=\s|$)|(?<=[^\W\d_]{2})\.(?=[A-Z][a-z])|\n+")
_WORD_BEFORE = re.compile(r"([\w.]+)\.$")
_HAS_WORD = re.compile(r"[^\W_]")


def split_sentences(text: str) -> list[str]:
    """The text's sentences, stripped, each with at least one letter or digit."""
    pieces, start = [], 0
    for end in _ends(text):
        pieces.append(text[start:end])
        start = end
    pieces.append(text[start:])
    return [piece.strip() for piece in pieces if _HAS_WORD.search(piece)]


def count_sentences(text: str) -> int:
    return len(split_sentences(text))


def _ends(text: str) -> list[int]:
    ends = []
    for match in _END.finditer(text):
        if match.group() == "." and not _ends_sentence(text, match.start()):
            continue
        ends.append(match.end())
    return ends


def _ends_sentence(text: str, dot: int) -> bool:
    """Whether the lone full stop at `dot` ends a sentence (not an abbreviation or initial)."""
    if dot + 1 >= len(text.rstrip()):
        return True
    word = _WORD_BEFORE.search(text, max(0, dot - 12), dot + 1)
    if word is None:
        return True
    before = word.group(1).lower()
    if before in ABBREVIATIONS or "." in before:  # "e.g.", "U.S.A."
        return False
    return not (len(before) == 1 and before.isalpha())
