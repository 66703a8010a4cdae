"""How a run's results are laid out: aligned batches of `RESULT_BATCH` records of one
column, each named by (run, column position, first record), its cells one compressed JSON
value, split into parts when that passes `RESULT_PART_BYTES`. A batch is the unit that is
stored once, published, streamed and deduplicated. Why this layout: docs/storage-layout.md.
"""

import zlib

import pydantic_core

RESULT_BATCH = 1_000
RESULT_CODEC = "json+zlib"
# Every stored document stays under BSON's 16 MB: long texts through the pii chain (its
# redacted copy of each) make 1,000 cells pass that even compressed.
RESULT_PART_BYTES = 8 * 1024 * 1024


def batch_start(record: int) -> int:
    return record - record % RESULT_BATCH


def batch_starts(start: int, end: int) -> range:
    """The first records of the batches covering records [start, end)."""
    return range(batch_start(start), end, RESULT_BATCH)


def result_batch_id(run_id: str, column_position: int, first_record: int) -> str:
    return f"{run_id}:{column_position:04d}:{first_record:010d}"


def result_part_id(batch_id: str, n: int) -> str:
    """Part n (from 1) of a batch too large for one document."""
    return f"{batch_id}/{n}"


def pack_cells(cells_json: bytes, part_bytes: int = RESULT_PART_BYTES) -> list[bytes]:
    """A batch's cells (their JSON list) as stored: compressed, in one piece or more."""
    packed = zlib.compress(cells_json, 1)
    return [packed[i : i + part_bytes] for i in range(0, len(packed), part_bytes)] or [b""]


def unpack_cells(pieces: list[bytes], codec: str) -> list[dict]:
    """The cells of a batch from its stored pieces, in order; ValueError for a codec this
    release does not read."""
    if codec != RESULT_CODEC:
        raise ValueError(f"unknown result codec {codec!r}")
    return pydantic_core.from_json(zlib.decompress(b"".join(pieces)))
