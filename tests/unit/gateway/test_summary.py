"""Run summaries: status counts, chain figures and bounded keyword memory."""

import pytest

from textmill_gateway.domain.summary import (
    KEYWORD_CAPACITY,
    BoundedCounter,
    ColumnTally,
    RunSummary,
    summarise,
)

CHAINS = ["sentiment", "language", "keywords", "pii", "stats"]


def _doc(record: int, column: str = "review", status: str = "ok", **chains: dict) -> dict:
    return {
        "_id": f"0001:{record:010d}",
        "column": column,
        "record": record,
        "status": status,
        "reason": None if status == "ok" else "empty cell",
        "chains": {name: {"version": "1.0.0", **entry} for name, entry in chains.items()},
    }


def _kw(*texts: str) -> dict:
    return {"keywords": [{"text": text, "score": 0.1} for text in texts]}


# Four analysed cells, one skipped, one failed, and a chain error on each chain somewhere.
DOCS = [
    _doc(
        0,
        sentiment={"label": "positive", "compound": 0.6, "confidence": 0.6},
        language={"language": "en", "confidence": 0.9},
        keywords=_kw("Battery life", "screen"),
        pii={"entities": [{"type": "email"}, {"type": "phone"}], "count": 2},
        stats={"chars": 100, "words": 20},
    ),
    _doc(
        1,
        sentiment={"label": "negative", "compound": -0.4, "confidence": 0.4},
        language={"language": "fr", "confidence": 0.8},
        keywords=_kw("battery  LIFE", "battery life", "price"),
        pii={"entities": [{"type": "email"}], "count": 1},
        stats={"chars": 50, "words": 9},
    ),
    _doc(
        2,
        sentiment={"label": "neutral", "compound": 0.1, "confidence": 0.2},
        language={"language": "en", "confidence": 0.7},
        keywords=_kw("screen", "price"),
        pii={"entities": [], "count": 0},
        stats={"chars": 31, "words": 6},
    ),
    _doc(
        3,
        sentiment={"error": "ValueError: boom"},
        language={"language": None, "confidence": 0.0},
        keywords={"error": "RuntimeError: boom"},
        pii={"error": "KeyError: boom"},
        stats={"error": "ZeroDivisionError: boom"},
    ),
    _doc(4, status="skipped"),
    _doc(5, status="failed"),
]


@pytest.fixture
def review() -> dict:
    return summarise(DOCS, ["review"], CHAINS)["columns"]["review"]


def test_cells_and_statuses_are_counted_including_skipped_and_failed(review: dict) -> None:
    """Given six docs of which one is skipped and one failed, when summarised, then every
    cell counts and each status has its own tally."""
    assert review["cells"] == 6
    assert review["status"] == {"ok": 4, "skipped": 1, "failed": 1}


def test_sentiment_counts_labels_and_means_without_chain_errors(review: dict) -> None:
    """Given three sentiment results and one sentiment error, then labels and means come
    from the three results only, rounded to four places."""
    assert review["sentiment"] == {
        "labels": {"positive": 1, "negative": 1, "neutral": 1},
        "mean_compound": 0.1,
        "mean_confidence": 0.4,
    }


def test_languages_are_counted_most_common_first_and_undetermined_is_left_out(
    review: dict,
) -> None:
    """Given two English, one French and one undetermined cell, then the undetermined one
    is not a language and English leads."""
    assert list(review["languages"].items()) == [("en", 2), ("fr", 1)]


def test_keywords_count_cells_not_mentions_case_insensitively_ties_by_text(
    review: dict,
) -> None:
    """Given 'Battery life' in one cell and twice (differently cased and spaced) in
    another, then it counts two cells; 'price' and 'screen' tie and sort by text."""
    assert review["keywords"] == [
        {"text": "battery life", "count": 2},
        {"text": "price", "count": 2},
        {"text": "screen", "count": 2},
    ]


def test_pii_counts_cells_with_pii_and_entities_by_type(review: dict) -> None:
    """Given two cells with PII (two emails, one phone) and one clean cell, then two cells
    have PII and each entity counts under its type."""
    assert review["pii"] == {"cells_with_pii": 2, "by_type": {"email": 2, "phone": 1}}


def test_stats_means_skip_errored_cells(review: dict) -> None:
    """Given three stats results and one stats error, then the means are of the three."""
    assert review["stats"] == {"mean_chars": 60.3333, "mean_words": 11.6667}


def test_only_the_chains_the_run_asked_for_have_a_block() -> None:
    """Given a run of sentiment only, then no other chain's block is present."""
    figures = summarise(DOCS, ["review"], ["sentiment"])["columns"]["review"]
    assert set(figures) == {"cells", "status", "sentiment"}


def test_a_column_without_values_has_zero_counts_and_no_means() -> None:
    """Given a column of skipped cells only, then counts are zero and means are None."""
    docs = [_doc(0, status="skipped"), _doc(1, status="skipped")]
    figures = summarise(docs, ["review"], CHAINS)["columns"]["review"]
    assert figures["sentiment"] == {
        "labels": {"positive": 0, "negative": 0, "neutral": 0},
        "mean_compound": None,
        "mean_confidence": None,
    }
    assert figures["languages"] == {}
    assert figures["keywords"] == []
    assert figures["pii"] == {"cells_with_pii": 0, "by_type": {}}
    assert figures["stats"] == {"mean_chars": None, "mean_words": None}


def test_each_column_is_summarised_on_its_own_and_unknown_columns_are_ignored() -> None:
    """Given docs for two run columns and one stray column, then each run column has its
    own figures, a column without docs is present, and the stray one is left out."""
    docs = [_doc(0, "title"), _doc(1, "review"), _doc(2, "review"), _doc(3, "stray")]
    columns = summarise(docs, ["review", "title", "empty"], [])["columns"]
    assert {name: figures["cells"] for name, figures in columns.items()} == {
        "review": 2,
        "title": 1,
        "empty": 0,
    }


def test_values_of_the_wrong_kind_do_not_poison_means() -> None:
    """Given NaN, text, bools and a huge int where numbers belong, then only the one real
    number makes the mean."""
    docs = [
        _doc(i, stats={"chars": bad, "words": 1})
        for i, bad in enumerate([float("nan"), "12", True, 10**400])
    ] + [_doc(9, stats={"chars": 7, "words": 1})]
    assert summarise(docs, ["review"], ["stats"])["columns"]["review"]["stats"] == {
        "mean_chars": 7.0,
        "mean_words": 1.0,
    }


def test_folding_one_doc_at_a_time_equals_summarising_the_stream() -> None:
    """Given the same docs, when added one by one, then the summary equals summarise()."""
    summary = RunSummary(["review"], CHAINS)
    for doc in DOCS:
        summary.add(doc)
    assert summary.as_dict() == summarise(DOCS, ["review"], CHAINS)


def test_top_keywords_are_at_most_ten() -> None:
    """Given 25 keywords of distinct frequencies, then the ten most frequent come back."""
    docs = [_doc(i, keywords=_kw(*(f"k{n:02d}" for n in range(i + 1)))) for i in range(25)]
    keywords = summarise(docs, ["review"], ["keywords"])["columns"]["review"]["keywords"]
    assert [k["text"] for k in keywords] == [f"k{n:02d}" for n in range(10)]
    assert keywords[0]["count"] == 25


def test_keyword_memory_stays_bounded_and_a_steady_keyword_keeps_its_exact_count() -> None:
    """Given 60,000 cells each with a unique keyword and the same steady keyword, when
    folded into a column's tally, then at most KEYWORD_CAPACITY keywords are ever held and
    the steady one leads with its exact count."""
    tally = ColumnTally(["keywords"])
    held = 0
    for i in range(60_000):
        tally.add(_doc(i, keywords=_kw("steady", f"unique {i}")))
        held = max(held, len(tally.keywords))
    assert held <= KEYWORD_CAPACITY
    assert tally.as_dict()["keywords"][0] == {
        "text": "steady",
        "count": 60_000,
    }


def test_bounded_counter_prunes_the_rarest_and_keeps_recent_ties() -> None:
    """Given a full counter of four keys, one of them common, when a fifth key arrives,
    then it keeps half its capacity: the common key and the newest of the rare ones."""
    counter = BoundedCounter(4)
    counter.add("common", 5)
    for key in ["first", "second", "third", "fourth"]:
        counter.add(key)
    assert counter.top(10) == [("common", 5), ("fourth", 1)]


def test_a_model_chain_is_summarised_by_its_labels_and_mean_confidence() -> None:
    # Given three cells of a model chain, one of which it failed on
    docs = [
        _doc(0, **{"model:tiny": {"label": "positive", "confidence": 0.9}}),
        _doc(1, **{"model:tiny": {"label": "positive", "confidence": 0.7}}),
        _doc(2, status="failed", **{"model:tiny": {"error": "ModelError: no"}}),
    ]
    # When they are summarised
    figures = summarise(docs, ["review"], ["model:tiny"])["columns"]["review"]
    # Then the model's labels are counted and its confidence averaged over the cells it ran on
    assert figures["models"] == {"model:tiny": {"labels": {"positive": 2}, "mean_confidence": 0.8}}


def test_a_run_without_a_model_chain_has_no_model_figures() -> None:
    assert (
        "models"
        not in summarise([_doc(0, stats={"chars": 3})], ["review"], ["stats"])["columns"]["review"]
    )
