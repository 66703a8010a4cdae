"""Bounded-memory summaries of a stream of values: a reservoir sample and a distinct counter.

Both are deterministic: the reservoir draws from a seeded `random.Random`, and the
distinct counter hashes with BLAKE2b rather than Python's per-process salted `hash()`,
so the same file gives the same profile in every process (the profile cache relies on it).
"""

import hashlib
import heapq
import math
import random
from typing import Generic, TypeVar

Item = TypeVar("Item")

RESERVOIR_CAPACITY = 2_000
DISTINCT_EXACT_LIMIT = 10_000
# Values longer than this are remembered by digest, so the exact set's memory is bounded
# by the limit above and not by the length of the cells.
_KEEP_VALUE_MAX_CHARS = 64
_HASH_SPACE = float(2**64)


class Reservoir(Generic[Item]):
    """A uniform random sample of at most `capacity` items from a stream of any length.

    Algorithm L (Li, 1994): after the reservoir fills, it draws how many items to skip
    instead of drawing once per item, so a long stream costs almost no random numbers.
    """

    def __init__(self, capacity: int = RESERVOIR_CAPACITY, *, seed: int | str = 0) -> None:
        if capacity < 1:
            raise ValueError("a reservoir needs a capacity of at least one item")
        self.capacity = capacity
        self.items: list[Item] = []
        self.seen = 0
        self._rng = random.Random(seed)
        self._weight = 1.0
        self._next_index = 0

    def offer(self, item: Item) -> None:
        index = self.seen
        self.seen += 1
        if index >= self.capacity and index != self._next_index:
            return  # the common case once the reservoir is full: skip the item
        if index < self.capacity:
            self.items.append(item)
            if self.seen == self.capacity:
                self._weight = math.exp(math.log(self._random()) / self.capacity)
                self._schedule_next(index)
        else:
            self.items[self._rng.randrange(self.capacity)] = item
            self._weight *= math.exp(math.log(self._random()) / self.capacity)
            self._schedule_next(index)

    def _schedule_next(self, index: int) -> None:
        # A weight that rounds to 1.0 (a draw within 1e-13 of 1) would divide by log(0).
        skip = 0
        if self._weight < 1.0:
            skip = math.floor(math.log(self._random()) / math.log(1.0 - self._weight))
        self._next_index = index + skip + 1

    def _random(self) -> float:
        # random() may return 0.0, whose log is undefined.
        return self._rng.random() or 5e-324


class DistinctCounter:
    """Counts distinct values: exactly up to `exact_limit`, then by a KMV estimate.

    Exact mode keeps a set of the values (long ones by 128-bit digest). When the set
    would exceed `exact_limit`, it turns into a K-Minimum-Values sketch with
    k = `exact_limit`: only the k smallest 64-bit hashes are kept and the count is
    estimated as (k - 1) / (k-th smallest hash / 2**64), with a relative standard error
    of about 1/sqrt(k) (1 % for k = 10,000). Memory stays O(k) whatever the stream.
    """

    def __init__(self, exact_limit: int = DISTINCT_EXACT_LIMIT) -> None:
        if exact_limit < 2:
            raise ValueError("a distinct counter needs an exact limit of at least two")
        self.exact_limit = exact_limit
        self._exact: set[str | bytes] | None = set()
        self._heap: list[int] = []  # negated hashes: a max-heap of the k smallest
        self._in_heap: set[int] = set()

    @property
    def is_exact(self) -> bool:
        return self._exact is not None

    @property
    def tracked(self) -> int:
        """How many values or hashes are held in memory right now."""
        return len(self._exact) if self._exact is not None else len(self._heap)

    def add(self, value: str) -> None:
        if self._exact is not None:
            key = value if len(value) <= _KEEP_VALUE_MAX_CHARS else _digest(value)
            self._exact.add(key)
            if len(self._exact) > self.exact_limit:
                self._switch_to_sketch()
        else:
            self._add_hash(int.from_bytes(_digest(value)[:8], "big"))

    def count(self) -> int:
        if self._exact is not None:
            return len(self._exact)
        kth_smallest = -self._heap[0]
        return round((self.exact_limit - 1) / ((kth_smallest + 1) / _HASH_SPACE))

    def _switch_to_sketch(self) -> None:
        exact, self._exact = self._exact or set(), None
        for key in exact:
            digest = key if isinstance(key, bytes) else _digest(key)
            self._add_hash(int.from_bytes(digest[:8], "big"))

    def _add_hash(self, hashed: int) -> None:
        full = len(self._heap) >= self.exact_limit
        # Once the sketch is full almost every hash is above the k-th smallest: test that first.
        if (full and hashed >= -self._heap[0]) or hashed in self._in_heap:
            return
        if full:
            self._in_heap.discard(-heapq.heapreplace(self._heap, -hashed))
        else:
            heapq.heappush(self._heap, -hashed)
        self._in_heap.add(hashed)


def _digest(value: str) -> bytes:
    return hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=16).digest()
