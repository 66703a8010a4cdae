"""The language guess of a column, from its sampled values."""

from textmill_profiler.domain import profile_table
from textmill_profiler.domain.language import guess_language


def test_english_reviews_are_guessed_english():
    texts = ["The kettle boils fast and looks lovely", "Support never answered my emails"] * 5
    language, confidence = guess_language(texts)
    assert language == "en"
    assert 0 < confidence <= 1


def test_german_comments_are_guessed_german():
    texts = ["Der Wasserkocher ist schnell und sieht gut aus", "Leider kam die Lieferung zu spät"]
    assert guess_language(texts)[0] == "de"


def test_no_text_has_no_language():
    assert guess_language([]) == (None, None)


def test_only_free_text_columns_get_a_language():
    # Given a table with a French free-text column and numeric ratings
    header = ["avis", "note"]
    rows = [
        [
            f"La bouilloire numéro {i} est rapide, silencieuse et très jolie dans la cuisine",
            str(i % 5),
        ]
        for i in range(50)
    ]
    # When it is profiled
    columns = {c.name: c for c in profile_table(header, rows).columns}
    # Then the text column is French and the numbers have no language
    assert columns["avis"].language == "fr"
    assert columns["note"].language is None
