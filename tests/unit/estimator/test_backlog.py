"""The backlog ahead of a run, in the order the coordinator releases shards: priorities
first, then tenants in turn, then a tenant's runs in turn."""

from datetime import UTC, datetime

import pytest

from textmill_estimator.domain.backlog import RunLeft, backlog_ahead, runs_left
from textmill_runs import Run, ShardState
from textmill_runs.plan import CHAIN_CELLS_PER_SECOND


def a_run(run_id: str, done: int, estimate: dict | None) -> Run:
    return Run(
        id=run_id,
        tenant="t",
        file_id="f",
        columns=["a"],
        chains=["sentiment"],
        status="running",
        cells_total=10_000,
        created_at=datetime(2026, 12, 7, tzinfo=UTC),
        shards={0: ShardState(column="a", total=10_000, cells=done)},
        estimate=estimate,
    )


def test_the_work_left_of_a_run_is_its_estimate_s_share_or_the_planner_s_speeds():
    runs = [
        a_run("estimated", 5_000, {"assumptions": {"compute_seconds": 8.0}}),  # half left: 4 s
        a_run("unestimated", 0, None),  # 10,000 sentiment cells at the planner's speed
        a_run("me", 0, {"assumptions": {"compute_seconds": 99.0}}),  # the run being estimated
    ]
    one = runs_left(runs, leaving_out="me", chain_processes=1)
    two = runs_left(runs, leaving_out="me", chain_processes=2)
    by_planner = 10_000 / CHAIN_CELLS_PER_SECOND["sentiment"]
    assert [(r.run_id, r.cells) for r in one] == [("estimated", 5_000), ("unestimated", 10_000)]
    assert [r.seconds for r in one] == pytest.approx([4.0, by_planner])
    # Two chain processes share the unestimated run's cells
    assert [r.seconds for r in two] == pytest.approx([4.0, by_planner / 2])


def test_a_higher_priority_run_is_ahead_with_all_it_has_left_and_a_lower_one_not_at_all():
    others = [
        RunLeft("urgent", "b", "high", cells=1_000, seconds=30.0),
        RunLeft("later", "b", "low", cells=9_000, seconds=90.0),
    ]
    backlog = backlog_ahead(others, tenant="a", priority="normal", own_seconds=5.0)
    assert (backlog.cells, backlog.seconds) == (1_000, pytest.approx(30.0))


def test_another_tenant_s_big_run_of_the_same_priority_delays_a_run_by_its_share():
    # Given tenant b's run with 600 s left, and a 5 s run of tenant a at the same priority
    others = [RunLeft("big", "b", "normal", cells=600_000, seconds=600.0)]
    backlog = backlog_ahead(others, tenant="a", priority="normal", own_seconds=5.0)
    # Then tenants take turns: b gets as much done as a while a's run lasts, not all of it
    assert backlog.seconds == pytest.approx(5.0)
    assert backlog.cells == 5_000
    # And a run that has less left than that is ahead with all of it
    small = [RunLeft("small", "b", "normal", cells=2_000, seconds=2.0)]
    assert backlog_ahead(small, tenant="a", priority="normal", own_seconds=5.0).seconds == 2.0


def test_a_tenant_s_runs_take_turns_and_their_turns_lengthen_the_other_tenants_turns():
    # Given tenant a's own run with 3 s left, and tenant b's two runs with 100 s left
    others = [
        RunLeft("mine", "a", "normal", cells=3_000, seconds=3.0),
        RunLeft("b1", "b", "normal", cells=50_000, seconds=50.0),
        RunLeft("b2", "b", "normal", cells=50_000, seconds=50.0),
    ]
    backlog = backlog_ahead(others, tenant="a", priority="normal", own_seconds=5.0)
    # Then a's run waits for a's other run (3 s) and for as much of b's as a does (8 s)
    assert backlog.seconds == pytest.approx(3.0 + 8.0)
    # And of b's runs, the share each has left
    assert backlog.cells == 3_000 + 8_000


def test_the_backlog_of_a_run_of_another_tenant_grows_with_the_run_up_to_all_of_it():
    others = [RunLeft("big", "b", "normal", cells=60_000, seconds=60.0)]
    waits = [
        backlog_ahead(others, tenant="a", priority="normal", own_seconds=own).seconds
        for own in (1.0, 10.0, 100.0)
    ]
    assert waits[0] < waits[1] < waits[2] == pytest.approx(60.0)
