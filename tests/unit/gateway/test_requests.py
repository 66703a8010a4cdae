"""The body of POST /api/v2/analyze: the spec's shape and the short one, chains named once."""

import pytest
from pydantic import ValidationError

from textmill_gateway.domain.requests import AnalyzeRequest, shown


def test_the_specs_shape_names_columns_and_chains():
    # Given the body as the spec writes it
    body = {"file_id": "f", "selected_columns": ["title"], "options": {"chains": ["pii"]}}
    # When it is read
    request = AnalyzeRequest.model_validate(body)
    # Then it selects those columns and runs those chains
    assert (request.columns, request.chains) == (["title"], ["pii"])


@pytest.mark.parametrize(
    "chains",
    [{"chains": ["pii", "stats"]}, {"options": {"chains": ["pii", "stats"]}}],
)
def test_chains_come_from_the_top_level_or_the_options(chains):
    request = AnalyzeRequest.model_validate({"file_id": "f", "columns": ["a"], **chains})
    assert request.chains == ["pii", "stats"]


@pytest.mark.parametrize(
    "chain_type", [{"chain_type": "language"}, {"options": {"chain_type": "language"}}]
)
def test_a_chain_type_names_one_chain(chain_type):
    request = AnalyzeRequest.model_validate({"file_id": "f", "columns": ["a"], **chain_type})
    assert request.chains == ["language"]


def test_without_chains_a_run_is_sentiment():
    assert AnalyzeRequest.model_validate({"file_id": "f", "columns": ["a"]}).chains == ["sentiment"]


@pytest.mark.parametrize(
    "body",
    [
        {"chains": ["pii"], "options": {"chains": ["sentiment"]}},
        {"chains": ["pii"], "chain_type": "pii"},
        {"options": {"chains": ["pii"], "chain_type": "stats"}},
    ],
)
def test_chains_named_in_two_places_are_refused_rather_than_one_ignored(body):
    with pytest.raises(ValidationError, match="name the chains once"):
        AnalyzeRequest.model_validate({"file_id": "f", "columns": ["a"], **body})


def test_an_option_this_release_does_not_know_is_refused_rather_than_ignored():
    with pytest.raises(ValidationError, match="temperature"):
        AnalyzeRequest.model_validate(
            {"file_id": "f", "columns": ["a"], "options": {"temperature": 0.2}}
        )


def test_a_chain_named_several_times_is_no_reason_to_refuse():
    body = {"file_id": "f", "columns": ["a"], "chains": ["stats"] * 6}
    assert AnalyzeRequest.model_validate(body).chains == ["stats"] * 6  # the route dedupes


def test_a_long_name_is_echoed_by_its_start():
    assert shown("review") == "review"
    echoed = shown("x" * 10_000_000)
    assert len(echoed) < 250 and echoed.endswith("(10,000,000 chars)")


def test_columns_named_in_both_ways_are_refused_rather_than_one_ignored():
    body = {"file_id": "f", "columns": ["a"], "selected_columns": ["b"]}
    with pytest.raises(ValidationError, match="name the columns once"):
        AnalyzeRequest.model_validate(body)
