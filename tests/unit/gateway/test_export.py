"""Exports: result column naming, flattening, and CSV, JSONL and Parquet encodings."""

import csv
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from textmill_gateway.domain.export import (
    EXPORTERS,
    MEDIA_TYPES,
    CsvExport,
    JsonlExport,
    ParquetExport,
    flatten,
    result_columns,
)

HEADER = ["id", "review", "title"]
COLUMNS = ["review", "title"]
CHAINS = ["sentiment", "language", "keywords", "pii", "stats"]


def _doc(status: str = "ok", **chains: dict) -> dict:
    return {
        "status": status,
        "reason": None,
        "chains": {name: {"version": "1.0.0", **entry} for name, entry in chains.items()},
    }


FULL = _doc(
    sentiment={"label": "positive", "compound": 0.62, "confidence": 0.62},
    language={"language": "en", "confidence": 0.93},
    keywords={"keywords": [{"text": "battery life", "score": 0.02}, {"text": "screen"}]},
    pii={"entities": [{"type": "email"}], "redacted": "mail [EMAIL]", "count": 1},
    stats={"chars": 120, "words": 20},
)
ERRORED = _doc("failed", **{chain: {"error": "ValueError: boom"} for chain in CHAINS})
SKIPPED = _doc("skipped")

WINDOWS = [
    [
        (0, ["1", 'great, "really"\nsays me', "T1"], {"review": FULL, "title": SKIPPED}),
        (1, ["2", "", "T2"], {"review": SKIPPED, "title": None}),
    ],
    [(2, ["3", "meh", "T3"], {"review": ERRORED})],
]


def _export(fmt: str, windows: list, header=HEADER, columns=COLUMNS, chains=CHAINS) -> bytes:
    exporter = EXPORTERS[fmt](header, columns, chains)
    return exporter.begin() + b"".join(exporter.rows(w) for w in windows) + exporter.end()


def _csv_rows(data: bytes) -> list[list[str]]:
    # Python's reader refuses fields over 128 KiB by default; the writer has no such limit.
    default = csv.field_size_limit(2**30)
    try:
        return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    finally:
        csv.field_size_limit(default)


def _jsonl(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode("utf-8").split("\n") if line]


def _parquet(data: bytes) -> pa.Table:
    return pq.read_table(pa.BufferReader(data))


def _original_rows(fmt: str, data: bytes) -> list[list[str | None]]:
    """The original cells of each exported row, whatever the format."""
    if fmt == "csv":
        return [row[: len(HEADER)] for row in _csv_rows(data)[1:]]
    if fmt == "jsonl":
        return [list(line["row"].values()) for line in _jsonl(data)]
    table = _parquet(data).select(HEADER)
    return [list(row.values()) for row in table.to_pylist()]


# --- result columns and flattening ---------------------------------------------------


def test_result_columns_follow_column_order_then_status_then_chain_order() -> None:
    """Given chains listed out of order, then each column's status comes first and the
    chains follow in the fixed export order."""
    assert result_columns(["review", "title"], ["stats", "sentiment", "pii"]) == [
        "review.status",
        "review.sentiment.label",
        "review.sentiment.compound",
        "review.pii.count",
        "review.pii.redacted",
        "review.stats.chars",
        "review.stats.words",
        "title.status",
        "title.sentiment.label",
        "title.sentiment.compound",
        "title.pii.count",
        "title.pii.redacted",
        "title.stats.chars",
        "title.stats.words",
    ]


def test_result_columns_of_every_chain_in_order() -> None:
    """Given every chain, then one column has the full list in the documented order."""
    assert result_columns(["c"], CHAINS) == [
        "c.status",
        "c.sentiment.label",
        "c.sentiment.compound",
        "c.language",
        "c.keywords",
        "c.pii.count",
        "c.pii.redacted",
        "c.stats.chars",
        "c.stats.words",
    ]


def test_an_unknown_chain_adds_no_result_columns() -> None:
    """Given a chain this version cannot export, then only the status column remains."""
    assert result_columns(["c"], ["telepathy"]) == ["c.status"]


def test_flatten_gives_every_value_of_a_full_result() -> None:
    """Given a result with every chain, then each flat key has its value and keyword texts
    are joined with '; '."""
    assert flatten("review", FULL, CHAINS) == {
        "review.status": "ok",
        "review.sentiment.label": "positive",
        "review.sentiment.compound": 0.62,
        "review.language": "en",
        "review.keywords": "battery life; screen",
        "review.pii.count": 1,
        "review.pii.redacted": "mail [EMAIL]",
        "review.stats.chars": 120,
        "review.stats.words": 20,
    }


@pytest.mark.parametrize("doc", [None, SKIPPED, ERRORED], ids=["missing", "skipped", "error"])
def test_flatten_gives_none_for_missing_skipped_or_errored_chains(doc: dict | None) -> None:
    """Given no result, a skipped cell or chain errors, then the same keys exist and every
    chain value is None; the status says what happened."""
    flat = flatten("review", doc, CHAINS)
    assert list(flat) == result_columns(["review"], CHAINS)
    assert flat.pop("review.status") == (doc or {}).get("status")
    assert set(flat.values()) == {None}


def test_flatten_drops_values_of_the_wrong_kind() -> None:
    """Given NaN, text and bools where numbers belong, then they become None, and an
    integral float count becomes an int."""
    doc = _doc(
        sentiment={"label": 3, "compound": float("nan")}, stats={"chars": True, "words": 4.0}
    )
    flat = flatten("c", doc, ["sentiment", "stats"])
    assert flat["c.sentiment.label"] is None
    assert flat["c.sentiment.compound"] is None
    assert flat["c.stats.chars"] is None
    assert flat["c.stats.words"] == 4
    assert isinstance(flat["c.stats.words"], int)


def test_a_result_column_whose_name_the_file_uses_gets_the_next_free_number() -> None:
    """Given a file whose own header has `a.status`, `a.status_2` and `a.sentiment.label`,
    when the result columns of `a` are named, then each taken name gets `_2`, `_3`... (the
    first number still free) and an untaken one keeps its plain name."""
    header = ["a", "a.status", "a.status_2", "a.sentiment.label"]
    assert result_columns(["a"], ["sentiment"], header) == [
        "a.status_3",
        "a.sentiment.label_2",
        "a.sentiment.compound",
    ]


def test_every_format_has_a_media_type() -> None:
    """Given the exporters, then each format name has a media type and nothing else does."""
    assert set(EXPORTERS) == set(MEDIA_TYPES) == {"csv", "jsonl", "parquet"}
    assert MEDIA_TYPES["parquet"] == "application/vnd.apache.parquet"


# --- CSV --------------------------------------------------------------------------------


def test_csv_round_trips_through_csv_reader_with_commas_quotes_and_newlines() -> None:
    """Given values with commas, quotes and newlines, when exported as CSV and read back
    with csv.reader, then the header and every cell come back as written."""
    rows = _csv_rows(_export("csv", WINDOWS))
    assert rows[0] == HEADER + result_columns(COLUMNS, CHAINS)
    assert rows[1][:3] == ["1", 'great, "really"\nsays me', "T1"]
    assert rows[1][3:12] == [
        "ok",
        "positive",
        "0.62",
        "en",
        "battery life; screen",
        "1",
        "mail [EMAIL]",
        "120",
        "20",
    ]
    assert rows[1][12:] == ["skipped"] + [""] * 8
    assert rows[2] == ["2", "", "T2", "skipped"] + [""] * 8 + [""] * 9
    assert rows[3][3] == "failed"
    assert len(rows) == 4


def test_an_empty_csv_export_is_just_the_header() -> None:
    """Given no windows, then the CSV holds the header row alone."""
    assert _csv_rows(_export("csv", [])) == [HEADER + result_columns(COLUMNS, CHAINS)]


# A file whose own header already uses the names of `a`'s result columns.
CLASHING_HEADER = ["a", "a.status", "a.sentiment.label"]
CLASHING_WINDOW = [
    (0, ["hi", "own status", "own label"], {"a": _doc(sentiment={"label": "positive"})})
]


def test_csv_header_stays_unique_when_the_file_uses_a_result_column_name() -> None:
    """Given a file whose header already has `a.status` and `a.sentiment.label`, when `a`
    is exported as CSV, then the file's columns keep their names and values, and the result
    columns take the next free `_2` names, so every header name is unique."""
    rows = _csv_rows(
        _export("csv", [CLASHING_WINDOW], CLASHING_HEADER, columns=["a"], chains=["sentiment"])
    )
    assert rows[0] == [
        *CLASHING_HEADER,
        "a.status_2",
        "a.sentiment.label_2",
        "a.sentiment.compound",
    ]
    assert rows[1] == ["hi", "own status", "own label", "ok", "positive", ""]


# --- JSONL ------------------------------------------------------------------------------


def test_jsonl_has_one_parseable_object_per_row_with_unprefixed_results() -> None:
    """Given two windows of three rows, then three lines parse, in record order, with the
    row by header and each column's results without the column prefix."""
    lines = _jsonl(_export("jsonl", WINDOWS))
    assert [line["record"] for line in lines] == [0, 1, 2]
    assert lines[0]["row"] == {"id": "1", "review": 'great, "really"\nsays me', "title": "T1"}
    assert lines[0]["results"]["review"] == {
        key.removeprefix("review."): value for key, value in flatten("review", FULL, CHAINS).items()
    }
    assert lines[1]["results"]["title"]["status"] is None
    assert list(lines[2]["results"]) == COLUMNS


def test_jsonl_keeps_file_and_result_values_apart_when_the_file_uses_a_result_name() -> None:
    """Given a file whose header already has `a.status` and `a.sentiment.label`, when `a`
    is exported as JSONL, then nothing is renamed or lost: the file's cells are under `row`
    and `a`'s results under `results.a`, two objects whose keys cannot collide."""
    lines = _jsonl(
        _export("jsonl", [CLASHING_WINDOW], CLASHING_HEADER, columns=["a"], chains=["sentiment"])
    )
    assert lines[0]["row"] == dict(zip(CLASHING_HEADER, CLASHING_WINDOW[0][1], strict=True))
    assert lines[0]["results"] == {
        "a": {"status": "ok", "sentiment.label": "positive", "sentiment.compound": None}
    }


def test_an_empty_jsonl_export_is_an_empty_file() -> None:
    """Given no windows, then the JSONL file is empty, which is a valid file of no rows."""
    assert _export("jsonl", []) == b""


# --- Parquet ----------------------------------------------------------------------------


def test_parquet_reads_back_with_the_right_rows_types_and_nulls() -> None:
    """Given two windows, when the bytes of every call are concatenated, then pyarrow reads
    the rows in order with string originals, typed nullable results and nulls for gaps."""
    table = _parquet(_export("parquet", WINDOWS))
    assert table.schema.field("id").type == pa.string()
    assert table.schema.field("review.status").type == pa.string()
    assert table.schema.field("review.sentiment.compound").type == pa.float64()
    assert table.schema.field("review.pii.count").type == pa.int64()
    assert table.schema.field("title.stats.words").type == pa.int64()
    assert table.column("id").to_pylist() == ["1", "2", "3"]
    assert table.column("review").to_pylist()[0] == 'great, "really"\nsays me'
    assert table.column("review.sentiment.compound").to_pylist() == [0.62, None, None]
    assert table.column("review.stats.chars").to_pylist() == [120, None, None]
    assert table.column("title.status").to_pylist() == ["skipped", None, None]


def test_parquet_writes_a_row_group_per_window_and_streams_bytes_as_it_goes() -> None:
    """Given two windows, then each rows() call returns bytes at once and the file has one
    row group per window."""
    exporter = ParquetExport(HEADER, COLUMNS, CHAINS)
    parts = [exporter.begin(), *(exporter.rows(window) for window in WINDOWS), exporter.end()]
    assert all(parts[1:3])
    assert pq.ParquetFile(pa.BufferReader(b"".join(parts))).num_row_groups == 2


def test_an_empty_parquet_export_is_a_valid_file_with_the_full_schema() -> None:
    """Given no windows, then the file reads back with no rows and every column."""
    table = _parquet(_export("parquet", []))
    assert table.num_rows == 0
    assert table.column_names == HEADER + result_columns(COLUMNS, CHAINS)


def test_parquet_reads_back_by_name_when_the_file_uses_a_result_column_name() -> None:
    """Given a file whose header already has `a.status` and `a.sentiment.label`, when `a`
    is exported as Parquet, then the schema has no duplicate field, so pyarrow reads every
    column by name: the file's own under their names, the results under `_2` names."""
    table = _parquet(
        _export("parquet", [CLASHING_WINDOW], CLASHING_HEADER, columns=["a"], chains=["sentiment"])
    )
    assert table.to_pylist() == [
        {
            "a": "hi",
            "a.status": "own status",
            "a.sentiment.label": "own label",
            "a.status_2": "ok",
            "a.sentiment.label_2": "positive",
            "a.sentiment.compound": None,
        }
    ]
    assert table.schema.field("a.sentiment.compound").type == pa.float64()


def test_parquet_rows_before_begin_are_refused() -> None:
    """Given an exporter that was not begun, then rows() says so instead of writing junk."""
    with pytest.raises(RuntimeError, match="begin"):
        ParquetExport(HEADER, COLUMNS, CHAINS).rows(WINDOWS[0])


# --- every format -----------------------------------------------------------------------

HOSTILE = [
    "naïve 日本語 العربية 🙂‍↔️ 👩🏽‍🚀",
    "\x00\x01\x07\x1b[31mred\x7f",
    "\r\n\t\r",
    "line\u2028sep\u2029para\x85",
    '"",;,"\'\\',
    '=HYPERLINK("http://x")',
    "\ufeffbom",
    "x" * 200_000,
]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_hostile_values_survive_every_format(fmt: str) -> None:
    """Given unicode, emoji, control characters, separators and a very long string as cell
    values and in a result, when exported, then each reads back exactly."""
    hostile_doc = _doc(pii={"redacted": HOSTILE[0] + HOSTILE[1], "count": 0})
    window = [
        (i, [str(i), value, value], {"review": hostile_doc}) for i, value in enumerate(HOSTILE)
    ]
    data = _export(fmt, [window], columns=["review"], chains=["pii"])
    assert _original_rows(fmt, data) == [[str(i), v, v] for i, v in enumerate(HOSTILE)]
    if fmt == "csv":
        redacted = _csv_rows(data)[1][-1]
    elif fmt == "jsonl":
        redacted = _jsonl(data)[0]["results"]["review"]["pii.redacted"]
    else:
        redacted = _parquet(data).column("review.pii.redacted")[0].as_py()
    assert redacted == HOSTILE[0] + HOSTILE[1]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_an_unencodable_lone_surrogate_becomes_a_question_mark(fmt: str) -> None:
    """Given a value with a lone surrogate, which UTF-8 cannot carry, when exported, then
    it is replaced rather than failing the download."""
    data = _export(fmt, [[(0, ["1", "bad \ud800 text", "t"], {})]])
    assert _original_rows(fmt, data) == [["1", "bad ? text", "t"]]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_a_ragged_row_is_padded_to_the_header(fmt: str) -> None:
    """Given a row shorter than the header, then the missing cells are empty."""
    data = _export(fmt, [[(0, ["1"], {})]])
    expected = [["1", "", ""]] if fmt == "csv" else [["1", None, None]]
    assert _original_rows(fmt, data) == expected


def test_jsonl_lines_survive_splitlines() -> None:
    """Given values with U+2028 and U+2029, then each JSONL line stays one line even for
    readers that split on every Unicode line break."""
    data = _export("jsonl", [[(0, ["1", "a\u2028b\u2029c", "t"], {})]])
    assert len(data.decode("utf-8").splitlines()) == 1
    assert json.loads(data)["row"]["review"] == "a\u2028b\u2029c"


def test_exporters_share_one_interface() -> None:
    """Given each exporter class, then it is built the same way and has the three steps."""
    for exporter in (CsvExport, JsonlExport, ParquetExport):
        instance = exporter(HEADER, COLUMNS, CHAINS)
        assert all(callable(getattr(instance, step)) for step in ("begin", "rows", "end"))


def test_a_model_chain_exports_its_label_and_confidence_after_the_builtin_chains() -> None:
    # Given a run of stats and a model chain
    chains = ["model:tiny", "stats"]
    doc = _doc(
        stats={"chars": 9, "words": 2}, **{"model:tiny": {"label": "positive", "confidence": 0.91}}
    )
    # Then its columns follow the built-in chains', and carry its values
    assert result_columns(["c"], chains) == [
        "c.status",
        "c.stats.chars",
        "c.stats.words",
        "c.model:tiny.label",
        "c.model:tiny.confidence",
    ]
    flat = flatten("c", doc, chains)
    assert (flat["c.model:tiny.label"], flat["c.model:tiny.confidence"]) == ("positive", 0.91)
