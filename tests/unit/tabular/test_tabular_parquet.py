"""Parquet: typed columns become text, batches stream, corrupt files are malformed."""

import datetime as dt
import inspect
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from textmill_tabular import MalformedFile, TooLarge, open_table, validate


def _parquet(tmp_path: Path, table: pa.Table, name: str = "data.parquet", **options: int) -> Path:
    path = tmp_path / name
    pq.write_table(table, path, **options)
    return path


def _read(path: Path, **limits: int) -> tuple[list[str], list[list[str]]]:
    with open_table(path, **limits) as table:
        return table.header, list(table.rows())


def test_given_parquet_when_read_then_header_and_rows_round_trip(tmp_path: Path) -> None:
    path = _parquet(tmp_path, pa.table({"id": [1, 2], "review": ["great", "awful"]}))

    assert _read(path) == (["id", "review"], [["1", "great"], ["2", "awful"]])


def test_given_parquet_values_of_every_type_when_read_then_each_becomes_text(
    tmp_path: Path,
) -> None:
    table = pa.table(
        {
            "f": [1.5],
            "b": [True],
            "ts": [dt.datetime(2024, 3, 1, 12, 30)],
            "d": [dt.date(2024, 3, 1)],
            "dec": pa.array([Decimal("1.20")], pa.decimal128(5, 2)),
            "list": [[1, 2]],
            "struct": [{"x": "é", "y": None}],
            "bin": [b"caf\xc3\xa9"],
        }
    )
    path = _parquet(tmp_path, table)

    _, rows = _read(path)

    assert rows == [
        [
            "1.5",
            "true",
            "2024-03-01T12:30:00",
            "2024-03-01",
            "1.20",
            "[1,2]",
            '{"x":"é","y":null}',
            "café",
        ]
    ]


def test_given_parquet_nulls_when_read_then_they_are_empty_strings(tmp_path: Path) -> None:
    path = _parquet(tmp_path, pa.table({"id": [1, None], "text": [None, "x"]}))

    assert _read(path)[1] == [["1", ""], ["", "x"]]


def test_given_parquet_when_validated_then_dialect_is_parquet_without_encoding(
    tmp_path: Path,
) -> None:
    path = _parquet(tmp_path, pa.table({"a": range(10)}))

    shape = validate(path)

    assert (shape.rows, shape.columns) == (10, 1)
    assert (shape.dialect.format, shape.dialect.encoding, shape.dialect.delimiter) == (
        "parquet",
        "",
        "",
    )


def test_given_parquet_named_csv_when_opened_then_content_decides(tmp_path: Path) -> None:
    path = _parquet(tmp_path, pa.table({"a": ["x"]}), "sneaky.csv")

    with open_table(path) as table:
        assert (table.dialect.format, list(table.rows())) == ("parquet", [["x"]])


def test_given_parquet_without_rows_when_read_then_header_and_zero_rows(tmp_path: Path) -> None:
    path = _parquet(
        tmp_path, pa.table({"a": pa.array([], pa.string()), "b": pa.array([], pa.int64())})
    )

    assert _read(path) == (["a", "b"], [])


def test_given_many_row_groups_when_streamed_then_rows_is_a_generator_in_order(
    tmp_path: Path,
) -> None:
    path = _parquet(tmp_path, pa.table({"id": range(10_000)}), row_group_size=1_000)

    with open_table(path) as table:
        rows = table.rows()
        assert inspect.isgenerator(rows)
        assert [row[0] for row in rows] == [str(i) for i in range(10_000)]


def test_given_truncated_parquet_when_opened_then_malformed_with_pyarrow_message(
    tmp_path: Path,
) -> None:
    path = _parquet(tmp_path, pa.table({"a": range(1_000)}))
    path.write_bytes(path.read_bytes()[:200])

    with pytest.raises(MalformedFile, match=r"the Parquet file cannot be read: .*magic bytes"):
        open_table(path)


def test_given_parquet_with_corrupt_data_pages_when_read_then_malformed(tmp_path: Path) -> None:
    path = _parquet(tmp_path, pa.table({"text": [f"value {i}" * 20 for i in range(2_000)]}))
    data = bytearray(path.read_bytes())
    data[4:2_004] = bytes(2_000)  # the footer survives, the first data page does not
    path.write_bytes(bytes(data))

    with pytest.raises(MalformedFile, match="the Parquet file cannot be read"):
        _read(path)


def test_given_too_many_parquet_columns_when_opened_then_too_large(tmp_path: Path) -> None:
    path = _parquet(tmp_path, pa.table({f"c{i}": [i] for i in range(11)}))

    with pytest.raises(TooLarge, match="11 columns; the limit is 10"):
        open_table(path, max_columns=10)


def test_given_parquet_value_over_field_limit_when_read_then_too_large_names_cell(
    tmp_path: Path,
) -> None:
    path = _parquet(tmp_path, pa.table({"id": [1, 2], "text": ["short", "x" * 500]}))

    with pytest.raises(TooLarge) as caught:
        _read(path, max_field_chars=100)

    assert (caught.value.row, caught.value.column) == (2, "text")
