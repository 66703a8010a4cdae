"""The scheduler's order: the highest priority first, tenants round robin within a priority
(fewest shards out, then served longest ago), a tenant's runs the same way, a run's shards
in plan order; and no more shards out than the slots."""

from datetime import UTC, datetime, timedelta

from textmill_coordinator.domain.scheduling import (
    NEVER,
    RunQueue,
    next_shards,
    partition_for,
    partition_load,
    run_queue,
    slots_for,
)
from textmill_runs import Run, ShardState

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def queue(run_id: str, tenant: str, waiting: int, *, priority="normal", out=0, **fields):
    return RunQueue(
        run_id=run_id,
        tenant=tenant,
        priority=priority,
        since=fields.pop("since", NOW - timedelta(minutes=1)),
        waiting=tuple(range(out, out + waiting)),
        out=out,
        **fields,
    )


def test_a_small_run_of_another_tenant_goes_before_a_large_runs_remaining_shards():
    # Given a large run of tenant A with a shard out and many waiting, served a moment ago,
    # and a one-shard run of tenant B that came later
    large = queue("large", "a", 30, out=1, last_release=NOW - timedelta(seconds=2))
    small = queue("small", "b", 1, since=NOW)

    # When two slots are free of the three, Then B's shard goes first, then A's next one
    assert next_shards([large, small], 3, NOW) == [("small", 0), ("large", 1)]


def test_tenants_take_turns_within_a_priority():
    # Given three tenants' runs of several shards each, none out, A served last
    a = queue("run-a", "a", 3, last_release=NOW - timedelta(seconds=1))
    b = queue("run-b", "b", 3, last_release=NOW - timedelta(seconds=3))
    c = queue("run-c", "c", 3)

    # When six slots are free, Then each tenant gets one shard a turn, longest unserved first
    picks = next_shards([a, b, c], 6, NOW)
    assert [run for run, _ in picks] == ["run-c", "run-b", "run-a"] * 2
    assert [n for run, n in picks if run == "run-a"] == [0, 1]


def test_among_tenants_never_served_the_one_whose_run_came_first_goes_first():
    # Given tenants Z and A, neither served yet, Z's run queued before A's
    z = queue("run-z", "z", 1, since=NOW - timedelta(seconds=5))
    a = queue("run-a", "a", 1, since=NOW)

    # When one slot is free, Then Z's run goes first
    assert next_shards([a, z], 1, NOW) == [("run-z", 0)]


def test_a_tenant_with_more_shards_out_waits_for_the_others():
    # Given tenant A with two shards out, B with none, both with shards waiting
    a = queue("run-a", "a", 5, out=2)
    b = queue("run-b", "b", 5)

    # When three slots are free of five, Then B gets two before A gets its third
    assert [run for run, _ in next_shards([a, b], 5, NOW)] == ["run-b", "run-b", "run-a"]


def test_a_higher_priority_goes_first_whatever_the_tenants_turns():
    # Given a low, a normal and a high run, of tenants served in the opposite order
    low = queue("low", "a", 2, priority="low")
    normal = queue("normal", "b", 2, last_release=NOW - timedelta(seconds=5))
    high = queue("high", "c", 2, priority="high", last_release=NOW)

    # When all six slots are free, Then the high run's shards go first, the low run's last
    picks = next_shards([low, normal, high], 6, NOW)
    assert [run for run, _ in picks] == ["high", "high", "normal", "normal", "low", "low"]


def test_a_tenants_runs_take_turns_too_the_older_first():
    # Given two runs of one tenant, the first queued earlier
    first = queue("first", "a", 2, since=NOW - timedelta(seconds=9))
    second = queue("second", "a", 2, since=NOW - timedelta(seconds=1))

    # When four slots are free, Then they alternate, the older first
    assert [run for run, _ in next_shards([second, first], 4, NOW)] == [
        "first",
        "second",
        "first",
        "second",
    ]


def test_no_shard_goes_out_while_the_slots_are_taken():
    # Given two shards out and two slots
    a = queue("run-a", "a", 5, out=2)
    b = queue("run-b", "b", 5)

    # Then nothing goes out, even to a tenant with nothing out
    assert next_shards([a, b], 2, NOW) == []


def test_free_slots_beyond_the_waiting_shards_are_left_free():
    assert next_shards([queue("run-a", "a", 2)], 10, NOW) == [("run-a", 0), ("run-a", 1)]
    assert next_shards([], 10, NOW) == []


def test_a_runs_queue_counts_released_shards_not_nearly_done_as_out():
    # Given a run of four shards of 1,000 cells: 0 done, 1 released and 80 % through,
    # 2 released and 10 % through, 3 not released
    run = Run(
        id="r",
        tenant="a",
        file_id="f",
        columns=["c"],
        chains=["sentiment"],
        status="running",
        priority="high",
        queued_at=NOW,
        shards={
            0: ShardState(column="c", total=1000, cells=1000, done=True),
            1: ShardState(column="c", total=1000, cells=800),
            2: ShardState(column="c", total=1000, cells=100),
            3: ShardState(column="c", total=1000),
        },
    )
    released = {0: NOW - timedelta(seconds=9), 1: NOW - timedelta(seconds=5), 2: NOW}

    # When its queue is made
    q = run_queue(run, released)

    # Then one shard is out (the nearly done one frees its slot), one waits, and it was last
    # served as shard 2 went out
    assert (q.out, q.waiting, q.last_release, q.priority, q.since) == (1, (3,), NOW, "high", NOW)
    assert run_queue(run, {}).last_release == NEVER


def test_a_slot_per_live_worker_and_one_before_any_is_heard_from():
    assert [slots_for(n) for n in (0, 1, 3)] == [1, 1, 3]
    assert slots_for(2, per_worker=2) == 4


def test_a_shard_goes_to_the_partition_of_the_freest_worker():
    # Given 2 workers over 6 partitions: partition 0 holds a shard, 1 holds one that is
    # nearly done (out, not holding its slot)
    load = {0: (1, 1), 1: (0, 1)}
    # Then the next shard goes to 1, counted there, and the one after to 0 or 1, never
    # to a partition beyond the workers' first (2 mod 2 workers is worker 0's)
    assert partition_for(load, workers=2, partitions=6) == 1
    assert load[1] == (1, 2)
    assert partition_for(load, workers=2, partitions=6) == 0
    # and with no worker heard from, or one, to partition 0; never beyond the partitions
    assert partition_for({}, workers=0, partitions=6) == 0
    assert partition_for({0: (5, 5)}, workers=9, partitions=3) == 1


def test_the_partition_load_counts_the_shards_out_and_those_holding_their_slot():
    run = Run(
        id="r",
        tenant="t",
        file_id="f",
        columns=["c"],
        chains=["sentiment"],
        status="running",
        shards={
            0: ShardState(column="c", total=1_000, cells=900),  # out, nearly done: no slot held
            1: ShardState(
                column="c", total=1_000, cells=100
            ),  # out, on a partition not recorded: 1 mod 6
            2: ShardState(column="c", total=1_000),  # not released
            3: ShardState(column="c", total=1_000, cells=1_000, done=True),
        },
    )
    assert partition_load([run], {"r": {0: 4, 1: None, 3: 2}}, workers=6, partitions=6) == {
        4: (0, 1),
        1: (1, 1),
    }
    # and with 2 workers, partition 4 is worker 0's: counted on the candidate partition 0
    assert partition_load([run], {"r": {0: 4, 1: None}}, workers=2, partitions=6) == {
        0: (0, 1),
        1: (1, 1),
    }
