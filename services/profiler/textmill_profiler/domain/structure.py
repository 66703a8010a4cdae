"""Structure across a column's cells: what tells templated and structured strings (postal
addresses, serialized tag lists, codes with words, names) from free text of the same length.

Each signal is a share of the sampled distinct values, in [0, 1]:
- `template`: values whose shape (numbers, capitalised runs, lowercase words, punctuation)
  another value shares, when that shape holds a number, a bracket or separator, or more
  capitalised words than lowercase ones: "14 Baker Street, London NW1 6XE" and "221 Elm
  Road, Leeds LS1 4AB" have one shape; "Love it." and "Runs small." share theirs too, but
  prose shapes do not count.
- `serialized`: values written as a list: in brackets (`["a", "b"]`), split by `|` or `;`,
  or three or more comma-separated items of at most two words and no sentence.
- `codes`: values holding a number beside capitalised words with few lowercase ones
  ("SKU-4411 Blue Widget XL", "12 Oak Rd, Austin TX 73301").
- `names`: values of two to five words, every one capitalised ("Anna K. Smith").

Templates and codes are values of at most 16 words: a long text with a number in the same
place is still prose.

`structure` is the largest of them: one kind of structure is enough to make a column data
rather than prose.
"""

import re
from collections import Counter

_TOKEN = re.compile(r"\d+|[^\W\d_]+|[^\w\s]")
_CAPITALISED_RUN = re.compile(r"(?:A )*A")
_LIST_IN_BRACKETS = re.compile(r"\s*[\[{(].*[\]})]\s*", re.DOTALL)
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
_DATA_MARKS = frozenset("[]{}()|;\"'#/:_")
MIN_VALUES = 5
MAX_TEMPLATE_WORDS = 16  # fewer distinct values say nothing about shapes
SIGNALS = ("template", "serialized", "codes", "names")


def structure_signals(values: list[str]) -> dict[str, float]:
    """The column's structure signals and their maximum (`structure`), over distinct values."""
    distinct = list(dict.fromkeys(value.strip() for value in values if value.strip()))
    if len(distinct) < MIN_VALUES:
        return {name: 0.0 for name in (*SIGNALS, "structure")}
    shapes = [shape(value) for value in distinct]
    counts = Counter(shapes)
    signals = {
        "template": _share(
            counts[s] > 1 and is_data_shape(s) and _short(v)
            for v, s in zip(distinct, shapes, strict=True)
        ),
        "serialized": _share(map(is_serialized, distinct)),
        "codes": _share(_short(v) and is_code_with_words(v) for v in distinct),
        "names": _share(map(is_name, distinct)),
    }
    signals["structure"] = max(signals.values())
    return {name: round(value, 4) for name, value in signals.items()}


def shape(value: str) -> str:
    """Numbers as 0, capitalised words as A (a run of them as one), lowercase words as a,
    punctuation as itself."""
    classes = []
    for token in _TOKEN.findall(value):
        if token.isdigit():
            classes.append("0")
        elif token[0].isalpha():
            classes.append("A" if token[0].isupper() else "a")
        else:
            classes.append(token)
    return _CAPITALISED_RUN.sub("A", " ".join(classes))


def is_data_shape(shape: str) -> bool:
    classes = shape.split()
    if "0" in classes or any(mark in classes for mark in _DATA_MARKS):
        return True
    return classes.count("A") > classes.count("a")


def is_serialized(value: str) -> bool:
    if _LIST_IN_BRACKETS.fullmatch(value) and ("," in value or ";" in value or "|" in value):
        return True
    for separator in ("|", ";"):
        if value.count(separator) >= 2 and _short_items(value.split(separator)):
            return True
    items = value.split(",")
    return len(items) >= 3 and not _SENTENCE_END.search(value) and _short_items(items)


def is_code_with_words(value: str) -> bool:
    words = [t for t in _TOKEN.findall(value) if t[0].isalpha()]
    if not any(char.isdigit() for char in value) or len(words) < 2:
        return False
    capitalised = sum(word[0].isupper() for word in words)
    return capitalised >= 2 and (len(words) - capitalised) <= 0.3 * len(words)


def is_name(value: str) -> bool:
    words = value.split()
    return 2 <= len(words) <= 5 and all(
        word[0].isupper() and word.replace(".", "").replace("-", "").replace("'", "").isalpha()
        for word in words
    )


def _short(value: str) -> bool:
    """Templates and codes are short: a long text with a number in it is still prose."""
    return len(value.split()) <= MAX_TEMPLATE_WORDS


def _short_items(items: list[str]) -> bool:
    items = [item.strip(" \"'[](){}") for item in items]
    return all(0 < len(item.split()) <= 2 for item in items if item)


def _share(flags) -> float:
    flags = list(flags)
    return sum(flags) / len(flags) if flags else 0.0
