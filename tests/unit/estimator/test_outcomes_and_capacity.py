"""What ended runs teach the estimator (their errors, a run's fixed costs), and the workers
it counts as alive."""

from datetime import UTC, datetime, timedelta

import pytest

from textmill_contracts.events import Heartbeat
from textmill_estimator.domain.capacity import Workers
from textmill_estimator.domain.outcomes import DEFAULT_OVERHEAD, KEPT, Outcomes

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def test_an_ended_run_is_counted_once_with_its_error():
    outcomes = Outcomes()
    assert outcomes.record("r1", estimated=10.0, actual=11.0, fixed_seconds=0.1) == pytest.approx(
        0.1
    )
    assert outcomes.record("r1", estimated=10.0, actual=11.0, fixed_seconds=0.1) is None
    assert outcomes.errors == [0.1]


def test_the_fixed_costs_move_towards_what_runs_took_to_start():
    outcomes = Outcomes()
    for n in range(30):
        outcomes.record(f"r{n}", estimated=5.0, actual=6.0, fixed_seconds=0.3)
    assert DEFAULT_OVERHEAD < outcomes.overhead == pytest.approx(0.3, abs=0.01)


def test_a_few_runs_that_waited_long_to_start_do_not_move_the_fixed_costs():
    # Given runs that took 0.2 s to start, and three that waited 8 s on a burst of others
    outcomes = Outcomes()
    for n, fixed in enumerate([0.2] * 10 + [8.0] * 3 + [0.2] * 2):
        outcomes.record(f"r{n}", estimated=5.0, actual=6.0, fixed_seconds=fixed)
    # Then a run's fixed costs are still what most runs took
    assert outcomes.overhead == pytest.approx(0.2)


def test_a_short_run_shows_the_fixed_costs_whole_beyond_its_shards_and_backlog():
    # Given a run that took 0.05 s to start and 0.12 s in all, its shards estimated at 0.03 s
    outcomes = Outcomes()
    outcomes.record("tiny", estimated=0.2, actual=0.12, fixed_seconds=0.05, compute_seconds=0.03)
    # Then a run's fixed costs are the 0.09 s beyond its shards, its end's included
    assert outcomes.overhead == pytest.approx(0.09)
    # And a backlog it was estimated to wait behind is not part of them
    outcomes.record(
        "behind",
        estimated=0.5,
        actual=0.42,
        fixed_seconds=0.35,
        compute_seconds=0.03,
        backlog_seconds=0.3,
    )
    assert outcomes.overhead == pytest.approx(0.09)


def test_long_runs_do_not_say_the_fixed_costs_where_a_short_run_has():
    # Given long runs, whose compute error is seconds, and that took 0.3 s to start
    outcomes = Outcomes()
    for n in range(5):
        outcomes.record(
            f"long{n}", estimated=8.0, actual=10.0, fixed_seconds=0.3, compute_seconds=8
        )
    # Then the fixed costs are what they took to start
    assert outcomes.overhead == pytest.approx(0.3)
    # Until a short run has ended
    outcomes.record("tiny", estimated=0.2, actual=0.15, fixed_seconds=0.1, compute_seconds=0.02)
    assert outcomes.overhead == pytest.approx(0.13)


def test_fixed_costs_kept_before_short_runs_were_are_read_without_them():
    outcomes = Outcomes.from_dict({"errors": [], "runs": [], "fixed": [0.2, 0.4], "sizes": []})
    assert outcomes.short == [] and outcomes.overhead == pytest.approx(0.3)


def test_the_fixed_costs_kept_by_the_first_build_are_read_as_one_run():
    assert Outcomes.from_dict({"errors": [], "runs": [], "overhead": 0.7}).overhead == 0.7


def test_the_interval_of_a_long_run_is_made_of_the_errors_of_runs_near_its_size():
    # Given tiny runs 50 % off and 10-second runs 5 % off
    outcomes = Outcomes()
    for n in range(12):
        outcomes.record(f"tiny{n}", estimated=0.1, actual=0.15, fixed_seconds=0.1)
        outcomes.record(f"long{n}", estimated=10.0, actual=10.5, fixed_seconds=0.1)
    # Then an estimate of 8 s takes the long runs' errors, and one of 40 s, near none, all
    assert set(outcomes.errors_near(8.0, at_least=10)) == {0.05}
    assert set(outcomes.errors_near(80.0, at_least=10)) == {0.05, 0.5}


def test_only_the_latest_errors_are_kept():
    outcomes = Outcomes()
    for n in range(KEPT + 20):
        outcomes.record(f"r{n}", estimated=1.0, actual=1.0 + n / 1_000, fixed_seconds=0.1)
    assert len(outcomes.errors) == len(outcomes.runs) == KEPT
    assert outcomes.runs[-1] == f"r{KEPT + 19}"
    assert Outcomes.from_dict(outcomes.as_dict()) == outcomes


def beat(instance: str, sequence: int, **fields) -> Heartbeat:
    return Heartbeat(
        service=fields.pop("service", "worker"),
        instance_id=instance,
        started_at=fields.pop("started_at", T0),
        sequence=sequence,
        **fields,
    )


def test_workers_are_alive_while_they_beat_and_say_their_chain_processes():
    workers = Workers(timedelta(seconds=6))
    workers.see(beat("w1", 0, chain_processes=2, cells_per_s=900.0), T0)
    workers.see(beat("g1", 0, service="gateway"), T0)
    workers.see(beat("w2", 0, chain_processes=0), T0 + timedelta(seconds=5))
    alive = workers.alive(T0 + timedelta(seconds=7))
    # w1's beat is 7 s old: gone; the gateway is no worker; w2 is alive with a thread
    assert [(w.instance_id, w.chain_processes) for w in alive] == [("w2", 0)]


def test_an_older_beat_changes_nothing_and_a_draining_worker_leaves():
    workers = Workers(timedelta(seconds=6))
    workers.see(beat("w1", 5, chain_processes=2), T0)
    workers.see(beat("w1", 4, chain_processes=1), T0 + timedelta(seconds=1))
    assert workers.alive(T0 + timedelta(seconds=2))[0].chain_processes == 2
    workers.see(beat("w1", 6, chain_processes=2, status="draining"), T0 + timedelta(seconds=2))
    assert workers.alive(T0 + timedelta(seconds=2)) == []


def test_a_worker_restarted_under_the_same_id_is_seen_at_its_first_beat():
    # Given a worker seen at its 500th beat, stopped without saying it drains
    workers = Workers(timedelta(seconds=6))
    workers.see(beat("w1", 500, chain_processes=1), T0)
    # When it starts again under the same instance id, its sequence from 0
    later = T0 + timedelta(seconds=30)
    workers.see(beat("w1", 0, chain_processes=2, started_at=later), later)
    # Then it is alive with its new layout (its beats were taken for old ones before)
    assert [(w.instance_id, w.chain_processes) for w in workers.alive(later)] == [("w1", 2)]
