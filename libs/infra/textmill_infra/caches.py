"""A per-process cache bounded in bytes, least recently used out first: stored files'
chunks (`blobs.ChunkCache`), a worker's sibling columns (`SiblingValues`)."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SizedCache(Generic[K, V]):
    """Values by key, least recently used out first once their sizes (`size_of`, in bytes)
    pass `max_bytes`; a value larger than that is not kept, and a key kept already keeps
    its value. Thread-safe: shared by the reading threads of one process."""

    def __init__(self, max_bytes: int, size_of: Callable[[V], int]) -> None:
        self._max, self._bytes, self._size_of = max_bytes, 0, size_of
        self._kept: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            entry = self._kept.get(key)
            if entry is None:
                return None
            self._kept.move_to_end(key)
            return entry[0]

    def pop(self, key: K) -> V | None:
        """The value, no longer kept."""
        with self._lock:
            entry = self._kept.pop(key, None)
            if entry is None:
                return None
            self._bytes -= entry[1]
            return entry[0]

    def put(self, key: K, value: V) -> None:
        size = self._size_of(value)
        if size > self._max:
            return
        with self._lock:
            if key in self._kept:
                return
            self._kept[key] = (value, size)
            self._bytes += size
            while self._bytes > self._max:
                _, (_, evicted) = self._kept.popitem(last=False)
                self._bytes -= evicted

    @property
    def size(self) -> int:
        return self._bytes

    @property
    def max_bytes(self) -> int:
        return self._max
