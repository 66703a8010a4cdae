"""SiblingValues: a column's values kept from a sibling shard's pass, bounded and taken once."""

import sys

from textmill_worker.adapters.rows import SiblingValues


def size(*values: str) -> int:
    return sum(map(sys.getsizeof, values))


def test_values_kept_are_taken_once_with_their_position():
    # Given a column's values kept from a sibling's pass
    kept = SiblingValues(max_bytes=10_000)
    kept.put(("f", "review", 0, 3), (3, [0, 1, 2], ["a", "bb", "ccc"]))
    assert kept.size == size("a", "bb", "ccc")
    # When the shard of that column and range takes them
    taken = kept.pop(("f", "review", 0, 3))
    # Then it gets the column's position, the records and the values, and nothing stays
    assert taken == (3, [0, 1, 2], ["a", "bb", "ccc"])
    assert kept.pop(("f", "review", 0, 3)) is None
    assert kept.size == 0


def test_another_range_file_or_column_is_not_served():
    kept = SiblingValues(max_bytes=10_000)
    kept.put(("f", "review", 0, 3), (3, [0, 1, 2], ["a", "b", "c"]))
    for key in [("f", "review", 3, 6), ("g", "review", 0, 3), ("f", "title", 0, 3)]:
        assert kept.pop(key) is None
    assert kept.pop(("f", "review", 0, 3)) is not None


def test_the_oldest_values_go_first_once_past_the_bound():
    # Given room for two of three equally large shards' values
    a, b, c = ["x" * 100, "x" * 50], ["y" * 100, "y" * 50], ["z" * 100, "z" * 50]
    kept = SiblingValues(max_bytes=2 * size(*a))
    kept.put(("f", "a", 0, 2), (0, [0, 1], a))
    kept.put(("f", "b", 0, 2), (1, [0, 1], b))
    # When a third is kept
    kept.put(("f", "c", 0, 2), (2, [0, 1], c))
    # Then the first kept went, the others stay, and the size follows
    assert kept.pop(("f", "a", 0, 2)) is None
    assert kept.size == size(*b, *c)
    assert kept.pop(("f", "b", 0, 2)) == (1, [0, 1], b)
    assert kept.pop(("f", "c", 0, 2)) == (2, [0, 1], c)


def test_the_bound_counts_bytes_not_characters():
    # Given room for 1,000 characters of ASCII
    kept = SiblingValues(max_bytes=size("x" * 1_000))
    # When 1,000 characters of emoji are kept (4 bytes each)
    kept.put(("f", "a", 0, 1), (0, [0], ["\U0001f600" * 1_000]))
    # Then they are not
    assert kept.pop(("f", "a", 0, 1)) is None
    assert kept.size == 0


def test_keeping_the_same_shard_twice_counts_it_once():
    kept = SiblingValues(max_bytes=10_000)
    kept.put(("f", "a", 0, 1), (0, [0], ["abc"]))
    kept.put(("f", "a", 0, 1), (0, [0], ["abc"]))
    assert kept.size == size("abc")
