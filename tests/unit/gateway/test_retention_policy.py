"""How long files and runs are kept: one age for every tenant, or a tenant's own; runs under
way are never expired."""

from datetime import UTC, datetime, timedelta

import pytest

from textmill_gateway.domain.retention import RetentionPolicy

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
DAY = 24 * 3600


def test_a_tenants_own_age_wins_over_everyones() -> None:
    policy = RetentionPolicy(seconds=30 * DAY, by_tenant={"brief": 7 * DAY})
    eight_days_ago = NOW - timedelta(days=8)
    # A file of 8 days has expired for the tenant kept 7 days, not for the others
    assert policy.file_expired("brief", eight_days_ago, NOW)
    assert not policy.file_expired("acme", eight_days_ago, NOW)


def test_an_ended_run_expires_its_age_after_it_ended() -> None:
    policy = RetentionPolicy(seconds=DAY)
    assert policy.run_expired("acme", "completed", NOW - timedelta(days=2), NOW)
    assert policy.run_expired("acme", "cancelled", NOW - timedelta(days=1), NOW)
    assert not policy.run_expired("acme", "failed", NOW - timedelta(hours=23), NOW)


@pytest.mark.parametrize("status", ["accepted", "queued", "running"])
def test_a_run_under_way_never_expires(status: str) -> None:
    policy = RetentionPolicy(seconds=DAY)
    assert not policy.run_expired("acme", status, NOW - timedelta(days=365), NOW)


def test_an_age_of_zero_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="acme"):
        RetentionPolicy(seconds=DAY, by_tenant={"acme": 0})
