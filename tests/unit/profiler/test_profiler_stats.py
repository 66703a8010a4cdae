"""Column statistics computed in one streaming pass."""

from textmill_profiler.domain import profile_table


def column(values: list[str], *, samples: int = 5):
    profile = profile_table(["c"], ([value] for value in values), samples_per_column=samples)
    return profile.columns[0]


def test_null_ratio_counts_every_null_spelling() -> None:
    """Given 4 values and 6 null spellings, then the null ratio is 0.6."""
    stats = column(["a b", "c", "d", "e", "", " ", "NULL", "n/a", "None", "-"])
    assert stats.rows == 10
    assert stats.null_ratio == 0.6


def test_distinct_ratio_is_over_non_null_values() -> None:
    """Given 4 non-null values of which 2 distinct, and blanks, then the ratio is 0.5."""
    stats = column(["red", "blue", "red", "blue", "", ""])
    assert stats.distinct_ratio == 0.5


def test_lengths_are_averaged_and_p95_is_nearest_rank() -> None:
    """Given 19 one-word cells and one five-word cell, then averages include it and the
    95th percentile (the 19th of 20 ranks) does not."""
    stats = column(["word"] * 19 + ["one two three four five"])
    assert stats.avg_words == 1.2
    assert stats.p95_words == 1.0
    assert stats.avg_chars == (19 * 4 + 23) / 20
    assert stats.p95_chars == 4.0


def test_alpha_ratio_is_letters_over_characters() -> None:
    """Given "ab12" and "cd  " trimmed to "cd", then 4 letters over 6 characters."""
    stats = column(["ab12", "  cd  "])
    assert stats.alpha_ratio == round(4 / 6, 4)


def test_samples_are_distinct_non_null_and_truncated() -> None:
    """Given repeats, nulls and a very long value, then samples are distinct, non-null
    and at most 200 characters, up to the number asked for."""
    stats = column(["", "same", "same", "null", "x" * 500, "other", "third"], samples=3)
    assert stats.samples == ["same", "x" * 200, "other"]


def test_statistics_are_deterministic_for_a_seed() -> None:
    """Given the same rows and seed twice, then the profiles are equal."""
    rows = [[f"value {n % 997} of the day", str(n)] for n in range(20_000)]
    first = profile_table(["a", "b"], iter(rows), seed=5)
    second = profile_table(["a", "b"], iter(rows), seed=5)
    assert first == second
