"""Bounded-memory sketches: the reservoir sample and the distinct counter."""

from textmill_profiler.domain.sketches import DistinctCounter, Reservoir
from textmill_profiler.domain.stats import ColumnAccumulator


def test_reservoir_keeps_every_item_of_a_short_stream_in_order() -> None:
    """Given fewer items than the capacity, when offered, then all are kept in order."""
    reservoir: Reservoir[int] = Reservoir(10, seed=1)
    for item in range(7):
        reservoir.offer(item)
    assert reservoir.items == list(range(7))


def test_reservoir_never_exceeds_its_capacity() -> None:
    """Given a stream far longer than the capacity, then exactly `capacity` items remain."""
    reservoir: Reservoir[int] = Reservoir(100, seed=1)
    for item in range(200_000):
        reservoir.offer(item)
    assert len(reservoir.items) == 100
    assert reservoir.seen == 200_000


def test_reservoir_is_deterministic_for_a_seed() -> None:
    """Given the same seed and stream twice, then the same sample comes out."""
    first: Reservoir[int] = Reservoir(50, seed="7/2")
    second: Reservoir[int] = Reservoir(50, seed="7/2")
    for item in range(20_000):
        first.offer(item)
        second.offer(item)
    assert first.items == second.items


def test_reservoir_samples_the_whole_stream_uniformly() -> None:
    """Given 100,000 items and a 2,000-item reservoir, then each tenth of the stream
    holds about a tenth of the sample (within 30 % of 200)."""
    reservoir: Reservoir[int] = Reservoir(2_000, seed=3)
    for item in range(100_000):
        reservoir.offer(item)
    per_tenth = [0] * 10
    for item in reservoir.items:
        per_tenth[item // 10_000] += 1
    assert all(140 <= count <= 260 for count in per_tenth), per_tenth


def test_distinct_counter_is_exact_below_its_limit() -> None:
    """Given repeated values with fewer distinct ones than the limit, then the count is exact."""
    counter = DistinctCounter(exact_limit=1_000)
    for item in range(50_000):
        counter.add(f"value {item % 700}")
    assert counter.is_exact
    assert counter.count() == 700


def test_distinct_counter_remembers_long_values_by_digest() -> None:
    """Given long values that differ only at the end, then each is still counted once."""
    counter = DistinctCounter(exact_limit=100)
    for item in range(30):
        counter.add("x" * 5_000 + str(item))
        counter.add("x" * 5_000 + str(item))
    assert counter.count() == 30


def test_distinct_counter_estimates_within_a_few_percent_beyond_its_limit() -> None:
    """Given 200,000 distinct values and a 10,000 limit, then the estimate is within 5 %
    and only 10,000 hashes are held."""
    counter = DistinctCounter(exact_limit=10_000)
    for item in range(200_000):
        counter.add(f"customer-{item}")
    assert not counter.is_exact
    assert counter.tracked == 10_000
    assert abs(counter.count() - 200_000) / 200_000 < 0.05


def test_column_accumulator_memory_stays_within_its_caps_over_300k_rows() -> None:
    """Given 300,000 distinct cells through one column, then its reservoir and distinct
    tracker stay at their caps while the exact counters cover every row."""
    accumulator = ColumnAccumulator(seed=0)
    for item in range(300_000):
        accumulator.add(f"order {item} shipped")
    assert accumulator.rows == 300_000
    assert len(accumulator.reservoir.items) <= 2_000
    assert accumulator.distinct.tracked <= 10_000
