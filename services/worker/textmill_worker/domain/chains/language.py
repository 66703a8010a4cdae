"""The `language` chain: which language a text is written in (lingua, all languages,
low-accuracy mode: fast, and reliable from a sentence on).

Choices:
- `language` is the ISO 639-1 code, lowercase; `confidence` is lingua's confidence value
  for that language (its share among all languages, in [0, 1]), rounded to 4 places.
- Texts with fewer than 3 letters get `{"language": None, "confidence": 0.0}`: there is
  nothing to go on, and lingua would guess anyway ("abc" is 26 % Finnish).
- Only the first 1,000 characters are read: plenty for a guess, and the cost stays flat.
- A batch goes through lingua's parallel API (its Rust threads; cap them with
  RAYON_NUM_THREADS when several workers share a machine).
- Models are preloaded when the detector is first built, so the first cell does not pay
  for them and nothing is read from disk mid-run.
"""

from functools import cache

from lingua import LanguageDetector, LanguageDetectorBuilder

NAME = "language"
VERSION = "1.0.0"
MIN_LETTERS = 3
MAX_CHARS = 1_000
UNKNOWN = {"language": None, "confidence": 0.0}


@cache
def detector() -> LanguageDetector:
    """Built once per process: preloading every model takes a moment and some memory."""
    return (
        LanguageDetectorBuilder.from_all_languages()
        .with_low_accuracy_mode()
        .with_preloaded_language_models()
        .build()
    )


class LanguageChain:
    name = NAME
    version = VERSION

    def analyse(self, texts: list[str]) -> list[dict]:
        clipped = [text[:MAX_CHARS] for text in texts]
        readable = [i for i, text in enumerate(clipped) if has_enough_letters(text)]
        results = [dict(UNKNOWN) for _ in texts]
        values = detector().compute_language_confidence_values_in_parallel(
            [clipped[i] for i in readable]
        )
        for i, confidences in zip(readable, values, strict=True):
            results[i] = best_guess(confidences)
        return results


def has_enough_letters(text: str) -> bool:
    letters = 0
    for char in text:
        if char.isalpha():
            letters += 1
            if letters >= MIN_LETTERS:
                return True
    return False


def best_guess(confidences: list) -> dict:
    if not confidences or confidences[0].value <= 0:
        return dict(UNKNOWN)
    best = confidences[0]
    return {
        "language": best.language.iso_code_639_1.name.lower(),
        "confidence": round(float(best.value), 4),
    }
