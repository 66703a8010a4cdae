"""Ranking of text candidates on realistic tables: free text first, then short text,
then everything else.

The tables are generated in conftest.py from seeded word lists.
"""

from textmill_profiler.domain import TableProfile, profile_table

Table = tuple[list[str], list[list[str]]]


def profile(table: Table) -> TableProfile:
    header, rows = table
    return profile_table(header, iter(rows))


def scores(result: TableProfile) -> dict[str, float]:
    return {candidate.column: candidate.final_score for candidate in result.candidates}


def ranking(result: TableProfile) -> list[str]:
    return [candidate.column for candidate in result.candidates]


def test_review_bodies_rank_first_and_score_high(reviews_table: Table) -> None:
    """Given a product reviews table, when profiled, then body is first with ≥ 0.7."""
    result = profile(reviews_table)
    assert ranking(result)[0] == "body"
    assert scores(result)["body"] >= 0.7


def test_review_titles_rank_second_with_a_middling_score(reviews_table: Table) -> None:
    """Given a product reviews table, then title is second, between 0.35 and 0.7."""
    result = profile(reviews_table)
    assert ranking(result)[1] == "title"
    assert 0.35 <= scores(result)["title"] <= 0.7


def test_review_labels_names_ids_dates_and_numbers_score_low(reviews_table: Table) -> None:
    """Given a product reviews table, then every other column scores below 0.35."""
    others = {name: score for name, score in scores(profile(reviews_table)).items()}
    others.pop("body")
    others.pop("title")
    assert all(score < 0.35 for score in others.values()), others


def test_ticket_descriptions_rank_before_subjects(support_tickets: Table) -> None:
    """Given a support tickets table, then description is first and subject second."""
    assert ranking(profile(support_tickets))[:2] == ["description", "subject"]


def test_survey_free_text_answers_are_the_top_two(survey_table: Table) -> None:
    """Given a survey whose free-text answers are 20 % and 30 % blank, then both answer
    columns still rank above the ids, numbers and categories."""
    top_two = set(ranking(profile(survey_table))[:2])
    assert top_two == {"what_did_you_like", "what_to_improve"}


def test_a_table_without_text_has_no_strong_candidate(no_text_table: Table) -> None:
    """Given ids, numbers, dates, categories, emails, urls and flags, then nothing
    scores above 0.5."""
    assert max(scores(profile(no_text_table)).values()) <= 0.5


def test_every_column_gets_one_candidate_with_signals_in_range(reviews_table: Table) -> None:
    """Given any table, then each column has one candidate whose score and signals are
    in [0, 1] and whose reasons are not empty."""
    result = profile(reviews_table)
    assert sorted(ranking(result)) == sorted(reviews_table[0])
    for candidate in result.candidates:
        assert 0.0 <= candidate.final_score <= 1.0
        assert all(0.0 <= value <= 1.0 for value in candidate.signals.values())
        assert candidate.reasons


def test_long_text_is_explained_with_its_average_length(reviews_table: Table) -> None:
    """Given review bodies, then the first reason names long free text and its words."""
    body = next(c for c in profile(reviews_table).candidates if c.column == "body")
    assert body.reasons[0].startswith("long free text (avg ")


def test_categories_are_explained_with_their_distinct_count(reviews_table: Table) -> None:
    """Given a six-valued category column, then the reason says so."""
    category = next(c for c in profile(reviews_table).candidates if c.column == "product_category")
    assert category.reasons[0] == "categorical: 6 distinct values"
