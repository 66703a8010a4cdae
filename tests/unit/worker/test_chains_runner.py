"""The runner: skipped cells, one failing cell among good ones, hostile content."""

import json

import pytest

from textmill_contracts.chains import CHAIN_NAMES
from textmill_worker.domain.chains import Chain, analyse_cells, get_chains

REVIEW = "The kettle boils fast and looks lovely, but the lid squeaks. Mail me at a@b.com"


class Upper:
    """A fake chain that refuses any text containing "boom", in a batch or alone."""

    name = "upper"
    version = "0.1.0"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def analyse(self, texts: list[str]) -> list[dict]:
        self.calls.append(texts)
        if any("boom" in text for text in texts):
            raise RuntimeError("cannot shout boom")
        return [{"upper": text.upper()} for text in texts]


class Wrong:
    """A fake chain that returns fewer results than texts."""

    name = "wrong"
    version = "0.1.0"

    def analyse(self, texts: list[str]) -> list[dict]:
        return []


@pytest.fixture(scope="module")
def every_chain() -> list[Chain]:
    return get_chains(list(CHAIN_NAMES))


@pytest.mark.parametrize("cell", [None, "", "   ", "\n\t", "null", "NULL", " None ", "NaN", "n/a"])
def test_empty_and_null_like_cells_are_skipped(cell: str | None) -> None:
    # Given a chain that records what it is given
    chain = Upper()
    # When a null-like cell is analysed
    [result] = analyse_cells([chain], [cell])
    # Then it is skipped and never reaches the chain
    assert result == {"status": "skipped", "reason": "empty cell", "chains": {}}
    assert chain.calls == []


def test_more_null_tokens_are_skipped() -> None:
    results = analyse_cells([Upper()], ["NA", "-", " N/A "])
    assert [r["status"] for r in results] == ["skipped"] * 3


def test_a_chain_runs_once_on_the_whole_batch_of_analysable_cells() -> None:
    # Given three cells, one of them empty
    chain = Upper()
    # When they are analysed
    results = analyse_cells([chain], ["one", None, "two"])
    # Then the chain saw one batch of the two others, and results keep cell order
    assert chain.calls == [["one", "two"]]
    assert [r["status"] for r in results] == ["ok", "skipped", "ok"]
    assert results[0]["chains"] == {"upper": {"version": "0.1.0", "upper": "ONE"}}
    assert results[2]["chains"]["upper"]["upper"] == "TWO"
    assert results[0]["reason"] is None


def test_a_chain_failing_on_one_cell_fails_only_that_cell() -> None:
    # Given a batch where one cell makes the fake chain raise, and the real stats chain
    chains = [Upper(), *get_chains(["stats"])]
    # When the batch is analysed
    results = analyse_cells(chains, ["fine", "boom goes the kettle", "also fine"])
    # Then only that cell failed, naming the chain and the error
    assert [r["status"] for r in results] == ["ok", "failed", "ok"]
    failed = results[1]
    assert failed["reason"] == "failed chains: upper"
    assert failed["chains"]["upper"] == {
        "version": "0.1.0",
        "error": "RuntimeError: cannot shout boom",
    }
    # And the other chain's output for that cell is kept
    assert failed["chains"]["stats"]["words"] == 4
    assert results[2]["chains"]["upper"]["upper"] == "ALSO FINE"


def test_a_chain_breaking_its_contract_fails_its_cells_instead_of_the_run() -> None:
    [result] = analyse_cells([Wrong()], ["text"])
    assert result["status"] == "failed"
    assert result["chains"]["wrong"]["error"].startswith("TypeError: chain wrong")


def test_no_chains_leaves_analysable_cells_ok_and_empty() -> None:
    assert analyse_cells([], ["text"]) == [{"status": "ok", "reason": None, "chains": {}}]


def test_every_chain_gives_every_cell_a_versioned_output(every_chain: list[Chain]) -> None:
    [result] = analyse_cells(every_chain, [REVIEW])
    assert result["status"] == "ok"
    assert set(result["chains"]) == set(CHAIN_NAMES)
    versions = {chain.name: chain.version for chain in every_chain}
    assert {name: output["version"] for name, output in result["chains"].items()} == versions


HOSTILE = [
    "x" * 200_000,
    "1 " * 50_000,
    "4111 " * 20_000,
    "a@" * 30_000,
    "http://" * 10_000,
    ":" * 50_000,
    "\x00\x01\x02\x1b[31m\x7f text with controls \x0b\x0c",
    "😀🔥💯 " * 2_000,
    "lone \ud800 surrogate \udfff here",
    "\ud800",
    "!?.,;:-()[]{}",
    "مرحبا بالعالم، هذا نص عربي",
    "日本語のテキストです。とても良い製品でした！",
    "\u202e\u200b\ufeff zero width and bidi",
    "Ω" * 30_000 + "\n" * 1_000,
]


def test_hostile_cells_never_make_the_runner_raise(every_chain: list[Chain]) -> None:
    # When cells built to break parsers are analysed by every chain
    results = analyse_cells(every_chain, HOSTILE)
    # Then every one of them is analysed, without a failure
    assert len(results) == len(HOSTILE)
    assert [r["status"] for r in results] == ["ok"] * len(HOSTILE)


def test_lone_surrogates_are_replaced_so_results_can_be_encoded(every_chain) -> None:
    [result] = analyse_cells(every_chain, ["call me \ud800 at jane@example.com"])
    pii = result["chains"]["pii"]
    assert pii["redacted"] == "call me \ufffd at [EMAIL]"
    assert pii["entities"][0]["start"] == len("call me \ufffd at ")
    json.dumps(result).encode("utf-8")


def assert_plain_json(value: object) -> None:
    """Exactly JSON's types: no numpy floats (a float subclass), no tuples."""
    if isinstance(value, dict):
        assert all(type(key) is str for key in value)
        for item in value.values():
            assert_plain_json(item)
    elif isinstance(value, list) and type(value) is list:
        for item in value:
            assert_plain_json(item)
    else:
        assert type(value) in (str, int, float, bool, type(None)), type(value)


def test_results_are_plain_json(every_chain: list[Chain]) -> None:
    # Given reviews, a skipped cell and hostile content
    cells = [REVIEW, None, "C'est génial 😀 https://x.fr 4111 1111 1111 1111", *HOSTILE[6:]]
    # When analysed by every chain
    results = analyse_cells(every_chain, cells)
    # Then they are plain JSON types and survive a strict JSON round trip unchanged
    assert_plain_json(results)
    encoded = json.dumps(results, allow_nan=False, ensure_ascii=False).encode("utf-8")
    assert json.loads(encoded) == results


def test_non_string_cells_are_analysed_as_their_text() -> None:
    results = analyse_cells(get_chains(["stats"]), [42, float("nan")])  # type: ignore[list-item]
    assert results[0]["chains"]["stats"]["chars"] == 2
    assert results[1]["status"] == "skipped"
