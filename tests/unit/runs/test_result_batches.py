"""How a run's results are stored and published: aligned batches of compressed cells, and
the `ResultBatch` event built around cells that are JSON already."""

import random
import zlib
from datetime import UTC, datetime

import msgspec
import pydantic_core
import pytest

from textmill_contracts.events import CellResult, ResultBatch, ResultBatchKeys
from textmill_runs import (
    RESULT_BATCH,
    RESULT_CODEC,
    batch_start,
    result_batch_id,
    result_part_id,
    shard_id,
    shard_number,
)
from textmill_storage.result_batches import batch_documents as result_batch_docs
from textmill_storage.result_batches import stored_cells as result_batch_cells

RUN = "0123456789abcdef0123456789abcdef"


def _cell(record: int, **fields: object) -> dict:
    return {"record": record, "status": "ok", "reason": None, "chains": {}, **fields}


def _stored(cells: list[dict], first_record: int = 2_000, position: int = 3) -> dict:
    doc, parts = result_batch_docs(
        RUN, "review", position, first_record, len(cells), pydantic_core.to_json(cells)
    )
    assert parts == []
    return doc


# ---- stored batches ----------------------------------------------------------------------


def test_a_stored_batch_gives_back_its_cells() -> None:
    """Given three cell results, when stored as a batch and read back, then they are equal."""
    cells = [
        _cell(2_000, chains={"sentiment": {"version": "1.0.0", "label": "positive"}}),
        {"record": 2_001, "status": "skipped", "reason": "empty cell", "chains": {}},
        _cell(2_002, status="failed", reason="failed chains: pii"),
    ]
    assert result_batch_cells(_stored(cells)) == cells


def test_a_stored_batch_is_keyed_by_run_column_position_and_first_record() -> None:
    """Given a batch of column 3 starting at record 2,000, then its `_id` is the batch id
    of exactly that, and its plain fields say where it starts and how many cells it has."""
    doc = _stored([_cell(2_000), _cell(2_001)], first_record=2_000, position=3)
    assert doc["_id"] == result_batch_id(RUN, 3, 2_000)
    assert doc["_id"] == f"{RUN}:0003:0000002000"
    assert (doc["run_id"], doc["column"], doc["start"], doc["count"]) == (
        RUN,
        "review",
        2_000,
        2,
    )
    assert doc["codec"] == RESULT_CODEC


def test_batch_ids_of_different_columns_or_starts_differ() -> None:
    ids = {result_batch_id(RUN, p, s) for p in (0, 1, 10) for s in (0, 1_000, 10_000)}
    assert len(ids) == 9


def test_the_cells_are_stored_compressed_not_as_nested_documents() -> None:
    """Given a batch of repetitive cells, then the stored cells are the zlib of their JSON,
    smaller than the JSON itself, and there is no nested `results` field."""
    cells = [_cell(i, chains={"stats": {"chars": 10, "words": 2}}) for i in range(1_000)]
    raw = pydantic_core.to_json(cells)
    doc, _ = result_batch_docs(RUN, "review", 0, 0, len(cells), raw)
    assert "results" not in doc
    assert zlib.decompress(doc["cells"]) == raw
    assert len(doc["cells"]) < len(raw) // 4


def test_a_batch_too_large_for_one_document_is_stored_in_parts() -> None:
    """Given cells whose compressed JSON passes the part size, then the batch's document
    holds the first part and says how many there are, the others follow under ids of their
    own, each within the size, and joined in order they read back as the cells."""
    noise = random.Random(7)
    cells = [_cell(i, text=noise.randbytes(150).hex()) for i in range(1_000)]
    raw = pydantic_core.to_json(cells)
    doc, parts = result_batch_docs(RUN, "review", 0, 0, len(cells), raw, part_bytes=20_000)
    assert doc["parts"] == len(parts) + 1 > 2
    assert [p["_id"] for p in parts] == [
        result_part_id(doc["_id"], n) for n in range(1, doc["parts"])
    ]
    assert all(len(d["cells"]) <= 20_000 for d in [doc, *parts])
    assert result_batch_cells(doc, [p["cells"] for p in parts]) == cells


def test_an_empty_batch_reads_back_as_no_cells() -> None:
    assert result_batch_cells(_stored([])) == []


def test_a_legacy_nested_batch_is_read_as_it_is() -> None:
    """Given a batch of an earlier version (nested `results`, no codec), then its results
    come back untouched."""
    results = [_cell(0), _cell(1, status="skipped", reason="empty cell")]
    legacy = {"_id": result_batch_id(RUN, 0, 0), "run_id": RUN, "results": results}
    assert result_batch_cells(legacy) is results


def test_an_unknown_codec_is_refused_naming_it() -> None:
    """Given a batch written with a codec this version does not know, then reading it
    raises a ValueError that names the codec and the batch."""
    doc = {**_stored([_cell(2_000)]), "codec": "msgpack+zstd"}
    with pytest.raises(ValueError, match="msgpack\\+zstd") as refused:
        result_batch_cells(doc)
    assert doc["_id"] in str(refused.value)


HOSTILE_TEXTS = [
    'she said "it\'s fine" \\ then left',
    "line one\nline two\r\nline three\ttabbed",
    "replaced lone surrogates: \ufffd and \ufffd\ufffd",
    "non-ASCII: café, naïve, Ελληνικά, 日本語, emoji 🫖🔥, RTL עברית",
    "\x00\x01 control characters \x1f and a BOM \ufeff",
    "x" * 200_000,
    '} ] , "results": [] { \' :',
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=lambda t: repr(t[:20]))
def test_hostile_content_survives_the_round_trip(text: str) -> None:
    """Given cells whose reason and chain output carry hostile text, when stored and read
    back, then every character is intact."""
    cells = [
        _cell(
            5_000,
            status="failed",
            reason=text,
            chains={"keywords": {"version": "1.0.0", "keywords": [{"text": text}]}},
        ),
        {"record": 5_001, "status": "ok", "reason": None, "chains": {text[:50]: {"x": text}}},
    ]
    assert result_batch_cells(_stored(cells, first_record=5_000)) == cells


# ---- alignment -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "start"),
    [(0, 0), (1, 0), (999, 0), (1_000, 1_000), (1_001, 1_000), (12_345, 12_000), (10**9, 10**9)],
)
def test_batch_start_is_the_aligned_start_of_the_records_batch(record: int, start: int) -> None:
    assert batch_start(record) == start


def test_every_record_of_a_batch_shares_one_batch_start() -> None:
    """Given the records of two adjacent batches, then each batch has one start, a multiple
    of RESULT_BATCH, and the next batch starts RESULT_BATCH later."""
    assert RESULT_BATCH == 1_000
    first = {batch_start(r) for r in range(3 * RESULT_BATCH, 4 * RESULT_BATCH)}
    second = {batch_start(r) for r in range(4 * RESULT_BATCH, 5 * RESULT_BATCH)}
    assert first == {3 * RESULT_BATCH}
    assert second == {4 * RESULT_BATCH}


# ---- the ResultBatch event -----------------------------------------------------------------

FIELDS = {
    "message_id": "m-1",
    "occurred_at": datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
    "run_id": RUN,
    "tenant": "acme",
    "shard_id": f"{RUN}:00004",
    "column": 'odd "column" \\ name',
    "worker": "worker-7",
}


def test_an_encoded_batch_is_a_valid_result_batch_with_the_same_fields_and_results() -> None:
    """Given cells already JSON, when encoded as a ResultBatch, then the event validates
    and carries exactly the fields and results given, an awkward column name included."""
    cells = [
        _cell(4_000, chains={"sentiment": {"version": "1.0.0", "label": "neutral"}}),
        {"record": 4_001, "status": "skipped", "reason": "empty cell", "chains": {}},
    ]
    body = ResultBatch.encode(pydantic_core.to_json(cells), **FIELDS)
    batch = ResultBatch.model_validate_json(body)
    assert batch.model_dump(exclude={"results"}) == {"schema_version": "1.0", **FIELDS}
    assert batch.results == [CellResult.model_validate(c) for c in cells]
    assert batch.column == 'odd "column" \\ name'


def test_an_encoded_batch_equals_the_same_event_built_as_a_model() -> None:
    cells = [_cell(7, status="failed", reason='quote " and \\ and\nnewline')]
    body = ResultBatch.encode(pydantic_core.to_json(cells), **FIELDS)
    built = ResultBatch(results=[CellResult.model_validate(c) for c in cells], **FIELDS)
    assert ResultBatch.model_validate_json(body) == built


def test_an_encoded_batch_with_no_results_is_valid_and_empty() -> None:
    body = ResultBatch.encode(b"[]", **FIELDS)
    batch = ResultBatch.model_validate_json(body)
    assert batch.results == []
    assert batch.worker == "worker-7"
    assert batch.message_id == "m-1"


# ---- a ResultBatch read for its keys only (the gateway's stream feeder) --------------------


def test_a_batch_read_for_its_keys_has_the_fields_and_record_numbers_of_the_batch() -> None:
    cells = [_cell(4_000), {"record": 4_001, "status": "skipped", "reason": "empty cell"}]
    body = ResultBatch.encode(pydantic_core.to_json(cells), **FIELDS)
    keys = ResultBatchKeys.decode(body)
    fields = msgspec.structs.asdict(keys)
    assert [cell.record for cell in fields.pop("results")] == [4_000, 4_001]
    routing = {name: value for name, value in FIELDS.items() if name != "occurred_at"}
    assert fields == {"schema_version": "1.0", **routing}
    assert ResultBatchKeys.schema_name == ResultBatch.schema_name


def test_the_keys_are_fields_of_the_batch_and_every_routing_field_is_read() -> None:
    """Given the two readings of one message, then the keys are `ResultBatch` fields of the
    same names, and every field the batch requires (other than its cells' contents) is among
    them: a field added to the batch is read by the gateway or deliberately left out."""
    keys = set(ResultBatchKeys.__struct_fields__)
    batch = ResultBatch.model_fields
    assert keys <= set(batch)
    assert {name for name, field in batch.items() if field.is_required()} <= keys


@pytest.mark.parametrize(
    "results",
    [
        b'"not a list"',
        b'[{"status": "ok"}]',  # no record
        b'[{"record": -1, "status": "ok"}]',
        b'[{"record": "seven", "status": "ok"}]',
        b"[1, 2]",
    ],
)
def test_a_batch_whose_record_numbers_are_missing_or_wrong_is_refused(results: bytes) -> None:
    with pytest.raises(msgspec.ValidationError):
        ResultBatchKeys.decode(ResultBatch.encode(results, **FIELDS))


@pytest.mark.parametrize(
    "body",
    [
        pydantic_core.to_json({"results": [_cell(0)], "column": "body"}),  # no routing fields
        pydantic_core.to_json({**FIELDS, "message_id": 7, "results": []}),  # mistyped
        pydantic_core.to_json({**FIELDS, "schema_version": "2.0", "results": []}),
        b"",
        b"not json",
        b'{"run_id": "r", "results": [',
    ],
)
def test_a_batch_without_its_routing_fields_or_of_another_major_is_refused(body: bytes) -> None:
    with pytest.raises((msgspec.ValidationError, msgspec.DecodeError)):
        ResultBatchKeys.decode(body)


# ---- results too large for one message -------------------------------------------------------


def _cells_json(count: int, text: str) -> bytes:
    return pydantic_core.to_json(
        [_cell(r, chains={"pii": {"redacted": text}}) for r in range(count)]
    )


def test_results_under_the_limit_are_one_piece_as_they_are() -> None:
    cells = _cells_json(10, "short")
    assert ResultBatch.pieces(cells, max_bytes=len(cells)) == [cells]


def test_results_over_the_limit_split_into_pieces_under_it_with_every_cell_once_in_order() -> None:
    # Given 1,000 cells of ~200 bytes, and a limit of 10 KB
    cells = _cells_json(1_000, "x" * 120)
    # When split
    pieces = ResultBatch.pieces(cells, max_bytes=10_000)
    # Then each piece is a JSON list under the limit
    assert len(pieces) > 1 and all(len(p) <= 10_000 for p in pieces)
    # And together they hold every cell once, in order, as it was
    joined = [cell for p in pieces for cell in pydantic_core.from_json(p)]
    assert joined == pydantic_core.from_json(cells)
    # And the same cells split the same way again
    assert ResultBatch.pieces(cells, max_bytes=10_000) == pieces


def test_a_cell_over_the_limit_travels_alone() -> None:
    # Given a small cell, a cell larger than the limit, and a small cell
    cells = [_cell(0), _cell(1, chains={"pii": {"redacted": "y" * 5_000}}), _cell(2)]
    # When split with a limit of 1 KB
    pieces = ResultBatch.pieces(pydantic_core.to_json(cells), max_bytes=1_000)
    # Then the large one is a piece of its own, between the others
    assert [[c["record"] for c in pydantic_core.from_json(p)] for p in pieces] == [[0], [1], [2]]


def test_each_piece_encodes_as_a_valid_result_batch() -> None:
    pieces = ResultBatch.pieces(_cells_json(50, "z" * 100), max_bytes=2_000)
    batches = [ResultBatch.model_validate_json(ResultBatch.encode(p, **FIELDS)) for p in pieces]
    assert [r.record for b in batches for r in b.results] == list(range(50))


@pytest.mark.parametrize(
    ("shard", "n"),
    [
        ("run-1:00007", 7),
        ("run-1:123456", 123_456),  # past five digits, as shard_id writes them
        ("run-1:", None),
        ("run-1", None),
        ("run-2:00007", None),  # another run's
        ("run-1:seven", None),
        ("run-1:-7", None),
        ("run-1:٣", None),  # a digit, but not an ASCII one
        ("x:run-1:00007", None),
    ],
)
def test_a_shard_number_is_read_only_from_its_own_runs_shard_ids(shard: str, n) -> None:
    assert shard_number("run-1", shard) == n
    if n is not None:
        assert shard_id("run-1", n) == shard
