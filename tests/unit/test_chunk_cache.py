"""The per-process cache of stored files' chunks: bounded in bytes, least recently used out
first."""

from textmill_infra.blobs import ChunkCache


def test_a_chunk_read_back_is_the_one_put():
    cache = ChunkCache(100)
    cache.put("f:0", b"abc")
    assert cache.get("f:0") == b"abc"
    assert cache.get("f:1") is None


def test_the_least_recently_used_chunk_goes_first_when_full():
    cache = ChunkCache(30)
    cache.put("f:0", b"x" * 10)
    cache.put("f:1", b"y" * 10)
    cache.put("f:2", b"z" * 10)
    assert cache.get("f:0") == b"x" * 10  # now the most recently used
    cache.put("f:3", b"w" * 10)
    assert cache.get("f:1") is None
    assert [cache.get(k) is not None for k in ("f:0", "f:2", "f:3")] == [True, True, True]
    assert cache.size == 30


def test_a_chunk_bigger_than_the_whole_cache_is_not_kept():
    cache = ChunkCache(10)
    cache.put("f:0", b"x" * 5)
    cache.put("f:1", b"y" * 11)
    assert cache.get("f:1") is None
    assert cache.get("f:0") == b"x" * 5


def test_putting_a_chunk_twice_counts_it_once():
    cache = ChunkCache(100)
    cache.put("f:0", b"x" * 10)
    cache.put("f:0", b"x" * 10)
    assert cache.size == 10
