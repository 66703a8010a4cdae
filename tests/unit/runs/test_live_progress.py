"""A run's live rate and time left: from when its first shard really began, over its recent
progress, weighed against its estimate early on; an ended run says the rate it had."""

from datetime import UTC, datetime, timedelta

import pytest

from textmill_runs import RecentRate, Run, ShardState, blended_eta, fold_progress

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def a_run(status: str, done: int, *, compute: float | None = None, **times) -> Run:
    return Run(
        id="r",
        tenant="t",
        file_id="f",
        columns=["review"],
        chains=["sentiment"],
        status=status,
        cells_total=20_000,
        created_at=T0,
        shards={0: ShardState(column="review", total=20_000, cells=done, done=done == 20_000)},
        estimate={"assumptions": {"compute_seconds": compute}} if compute is not None else None,
        **times,
    )


def test_an_ended_run_reports_the_rate_it_had_from_its_first_shards_start():
    # Given a run of 20,000 cells whose first shard began at T0 + 1 s and that ended 0.2 s later
    run = a_run(
        "completed",
        20_000,
        started_at=T0 + timedelta(seconds=1),
        finished_at=T0 + timedelta(seconds=1.2),
    )
    # When it is shown a minute later
    progress = run.progress(T0 + timedelta(minutes=1))
    # Then its rate is its cells over those 0.2 s, and nothing is left
    assert progress.rate_cells_per_s == pytest.approx(100_000.0)
    assert progress.eta_seconds == 0.0


def test_early_in_a_run_the_time_left_leans_on_the_estimate():
    # Given a run whose shards were estimated at 6 s, 5 % done 1 s after it started at a
    # rate that says 19 s are left
    run = a_run("running", 1_000, compute=6.0, started_at=T0)
    progress = run.progress(T0 + timedelta(seconds=1))
    # Then the time left is mostly what the estimate says of 95 % of the cells: 5.7 s
    assert progress.eta_seconds == pytest.approx(0.95 * 5.7 + 0.05 * 19, abs=0.1)


def test_late_in_a_run_the_time_left_follows_the_measured_rate():
    run = a_run("running", 19_000, compute=60.0, started_at=T0)
    progress = run.progress(T0 + timedelta(seconds=19))
    # 1,000 left at 1,000 cells/s: 1 s, and the estimate's 3 s for them barely counts
    assert progress.eta_seconds == pytest.approx(0.95 * 1 + 0.05 * 3, abs=0.1)


def test_a_run_slower_than_its_estimate_is_not_told_it_is_nearly_done():
    # Given a run estimated at 10 s that is 30 % done after 15 s (the estimate's clock has
    # run out; at its rate, 35 s are left)
    run = a_run("running", 6_000, compute=10.0, started_at=T0)
    progress = run.progress(T0 + timedelta(seconds=15))
    # Then the time left is what the estimate says of the cells left, weighed with the
    # measured 35 s: not the few seconds the estimate's clock would leave
    assert progress.eta_seconds == pytest.approx(0.7 * 7.0 + 0.3 * 35, abs=0.1)


def test_a_run_without_an_estimate_or_a_rate_has_no_time_left_to_say():
    assert a_run("queued", 0).progress(T0).eta_seconds is None


def test_the_recent_rate_replaces_the_rate_since_the_start_while_a_run_goes_on():
    run = a_run("running", 10_000, started_at=T0)
    progress = run.progress(T0 + timedelta(seconds=10), recent_rate=2_000.0)
    assert progress.rate_cells_per_s == 2_000.0
    assert progress.eta_seconds == pytest.approx(5.0)


def test_the_recent_rate_is_measured_over_its_window_and_not_before_a_second():
    rate = RecentRate(window=5.0)
    assert rate.add(100.0, 0) is None
    assert rate.add(100.5, 500) is None  # half a second: too short to say
    assert rate.add(101.0, 1_000) == pytest.approx(1_000.0)
    # Ten seconds later, the early samples are out of the window
    rate.add(108.0, 2_000)
    assert rate.add(110.0, 6_000) == pytest.approx(2_000.0)


def test_progress_told_out_of_order_never_runs_the_rates_clock_backwards():
    rate = RecentRate(window=5.0)
    rate.add(100.0, 0)
    rate.add(102.0, 2_000)
    # A worker's event of 101.5 arriving after 102's is counted at 102
    assert rate.add(101.5, 2_500) == pytest.approx(1_250.0)


def test_blending_with_nothing_done_gives_the_estimate():
    progress = fold_progress({0: ShardState(column="a", total=100)}, T0, T0)
    assert blended_eta(progress, recent_rate=None, estimated_left=4.0) == 4.0
    assert blended_eta(progress, recent_rate=None, estimated_left=-1.0) == 0.0
