"""The chain registry: the names a run may ask for, and how unknown names are refused."""

import pytest

from textmill_contracts.chains import CHAIN_NAMES
from textmill_worker.domain.chains import CHAINS, UnknownChain, available, get_chains, warm_up


def test_the_registry_implements_exactly_the_shared_chain_names() -> None:
    """Given the contract's chain names, then the worker implements exactly those."""
    assert set(CHAINS) == set(CHAIN_NAMES)
    assert len(CHAINS) == len(CHAIN_NAMES)


def test_every_chain_is_registered_under_its_own_name_with_a_semver_version() -> None:
    for name, chain in CHAINS.items():
        assert chain.name == name
        assert [part.isdigit() for part in chain.version.split(".")] == [True, True, True]


def test_available_chains_are_listed_sorted() -> None:
    assert available() == sorted(CHAIN_NAMES)


def test_chains_are_returned_in_the_order_asked_and_each_once() -> None:
    # When a request names chains out of order, one of them twice
    chains = get_chains(["stats", "pii", "stats"])
    # Then they come back in that order, without the repeat
    assert [chain.name for chain in chains] == ["stats", "pii"]


def test_unknown_chains_are_refused_naming_them_and_listing_the_available_ones() -> None:
    # When a request names two chains that do not exist
    with pytest.raises(UnknownChain) as refused:
        get_chains(["sentiment", "summary", "toxicity"])
    # Then the error names both and lists what is available
    error = refused.value
    assert isinstance(error, ValueError)
    assert error.code == "unknown_chain"
    assert error.unknown == ["summary", "toxicity"]
    assert "summary" in str(error) and "toxicity" in str(error)
    assert all(name in str(error) for name in CHAIN_NAMES)


def test_warming_up_builds_every_chain_without_error() -> None:
    warm_up()
