"""A language guess for a text column, from its sampled values (lingua, low-accuracy mode:
fast, and plenty for a column-level guess built from many values at once)."""

from functools import cache

from lingua import LanguageDetector, LanguageDetectorBuilder

# Enough text for a confident guess; more only costs time.
MAX_CHARS = 2_000


@cache
def detector() -> LanguageDetector:
    """Built once per process; its models load on first use (see `warm_up`)."""
    return LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()


def warm_up() -> None:
    detector().detect_language_of("warm up the language models")


def guess_language(texts: list[str]) -> tuple[str | None, float | None]:
    """ISO 639-1 code and confidence of the values' main language, or (None, None)."""
    joined, size = [], 0
    for text in texts:
        if size >= MAX_CHARS:
            break
        joined.append(text)
        size += len(text) + 1
    if not joined:
        return None, None
    confidences = detector().compute_language_confidence_values(" ".join(joined)[:MAX_CHARS])
    if not confidences or confidences[0].value <= 0:
        return None, None
    best = confidences[0]
    return best.language.iso_code_639_1.name.lower(), round(best.value, 4)
