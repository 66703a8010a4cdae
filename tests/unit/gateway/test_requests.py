"""The body of POST /api/v2/analyze: the spec's shape and the short one, chains named once."""

import pytest
from pydantic import ValidationError

from textmill_contracts.chains import CHAIN_NAMES
from textmill_gateway.domain.refusals import Refusal
from textmill_gateway.domain.requests import (
    MAX_TEXT_CHARS,
    AnalyzeRequest,
    checked_texts,
    chosen_chains,
    chosen_columns,
    shown,
)


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


@pytest.mark.parametrize("priority", ["low", "normal", "high"])
def test_a_run_asks_for_a_priority(priority):
    body = {"file_id": "f", "columns": ["a"], "priority": priority}
    assert AnalyzeRequest.model_validate(body).priority == priority


def test_without_a_priority_a_run_is_normal():
    assert AnalyzeRequest.model_validate({"file_id": "f", "columns": ["a"]}).priority == "normal"


def test_a_priority_there_is_not_is_refused_naming_the_field():
    with pytest.raises(ValidationError, match="priority"):
        AnalyzeRequest.model_validate({"file_id": "f", "columns": ["a"], "priority": "urgent"})


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


# ---- checked against the file and the chains there are -------------------------------------

HEADER = ["id", "title", "review"]


def test_the_columns_chosen_are_the_files_each_once_in_the_order_asked():
    assert chosen_columns(["review", "title", "review"], HEADER) == ["review", "title"]


def test_no_column_chosen_is_an_empty_selection():
    with pytest.raises(Refusal) as refused:
        chosen_columns([], HEADER)
    assert refused.value.code == "empty_selection"


def test_columns_the_file_lacks_are_refused_with_the_ones_it_has():
    # Given a selection naming two columns the file does not have, one of them long
    long_name = "x" * 10_000
    # When it is checked
    with pytest.raises(Refusal) as refused:
        chosen_columns(["title", "rating", long_name], HEADER)
    # Then it is refused naming them (the long one cut short) and listing the file's
    assert refused.value.code == "unknown_column"
    assert refused.value.extra["unknown"] == ["rating", shown(long_name)]
    assert refused.value.extra["available"] == HEADER
    assert len(refused.value.detail) < 1_000


def test_the_chains_chosen_are_each_once_in_the_order_asked():
    assert chosen_chains(["pii", "sentiment", "pii"]) == ["pii", "sentiment"]


@pytest.mark.parametrize("chains", [[], None, ["sentiment", "mystery"]])
def test_no_chain_or_an_unknown_one_is_refused_with_the_chains_there_are(chains):
    with pytest.raises(Refusal) as refused:
        chosen_chains(chains)
    assert refused.value.code == "unknown_chain"
    assert refused.value.extra["available"] == list(CHAIN_NAMES)


def test_a_text_too_long_for_a_quick_analysis_is_too_large_naming_it():
    texts = ["short", "x" * (MAX_TEXT_CHARS + 1), "x" * MAX_TEXT_CHARS]
    with pytest.raises(Refusal, match=r"texts \[1\] exceed") as refused:
        checked_texts(texts)
    assert refused.value.code == "too_large"
    assert checked_texts(texts[::2]) == texts[::2]


def test_a_model_chain_is_accepted_when_the_model_is_in_the_folder() -> None:
    assert chosen_chains(["sentiment", "model:tiny"], ["tiny"]) == ["sentiment", "model:tiny"]


def test_a_model_chain_of_a_model_not_in_the_folder_lists_the_ones_there_are() -> None:
    with pytest.raises(Refusal) as refused:
        chosen_chains(["model:absent"], ["tiny"])
    assert refused.value.code == "unknown_chain"
    assert refused.value.extra["available"] == [*CHAIN_NAMES, "model:tiny"]
