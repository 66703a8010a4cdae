"""read_rows: a shard [start, end) equals the same slice of a full read, for every format."""

import codecs
import inspect
import json
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from textmill_tabular import (
    MalformedFile,
    RowIndex,
    TooLarge,
    UnknownColumn,
    build_row_index,
    open_table,
    read_rows,
    validate,
)

EVERY = 7  # small, so that ranges start before, on and after many checkpoints
RANGES = [(0, 5), (3, 17), (7, 14), (13, 30), (20, None), (0, None), (45, 60), (10, 10)]


def _texts(count: int) -> list[str]:
    """Cell text with delimiters, quotes and line breaks, so records span several lines."""
    texts = []
    for i in range(count):
        if i % 3 == 0:
            texts.append(f'review {i}, "quoted"\nsecond line\r\nthird line')
        elif i % 5 == 0:
            texts.append(f"café {i}; déjà vu \u2013 naïve")
        else:
            texts.append(f"plain {i}")
    return texts


def _csv(tmp_path: Path, count: int = 50, encoding: str = "utf-8", name: str = "d.csv") -> Path:
    lines = ["id,review,score\r\n"]
    for i, text in enumerate(_texts(count)):
        quoted = '"' + text.replace('"', '""') + '"'
        lines.append(f"{i},{quoted},{i % 5}\r\n")
        if i % 4 == 0:
            lines.append("\r\n")  # blank lines are skipped, not counted as rows
    path = tmp_path / name
    path.write_bytes("".join(lines).encode(encoding))
    return path


def _tsv(tmp_path: Path, count: int = 50) -> Path:
    lines = ["id\treview\tscore\n"] + [f"{i}\tplain text {i}\t{i % 5}\n" for i in range(count)]
    path = tmp_path / "d.tsv"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _records(count: int) -> list[dict[str, object]]:
    return [{"id": i, "review": text, "score": i % 5} for i, text in enumerate(_texts(count))]


def _jsonl(tmp_path: Path, count: int = 50) -> Path:
    path = tmp_path / "d.jsonl"
    lines = [
        json.dumps(record) + ("\n\n" if i % 6 == 0 else "\n")
        for i, record in enumerate(_records(count))
    ]
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _json(tmp_path: Path, count: int = 50) -> Path:
    path = tmp_path / "d.json"
    path.write_text(json.dumps(_records(count), indent=2), encoding="utf-8")
    return path


def _parquet(tmp_path: Path, count: int = 50) -> Path:
    path = tmp_path / "d.parquet"
    table = pa.Table.from_pylist(_records(count))
    pq.write_table(table, path, row_group_size=6)
    return path


def _xlsx(tmp_path: Path, count: int = 50) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "review", "score"])
    for record in _records(count):
        sheet.append(list(record.values()))
    path = tmp_path / "d.xlsx"
    book.save(path)
    return path


BUILDERS: dict[str, Callable[[Path], Path]] = {
    "csv": _csv,
    "tsv": _tsv,
    "jsonl": _jsonl,
    "json": _json,
    "parquet": _parquet,
    "xlsx": _xlsx,
}


def _full(path: Path) -> list[list[str]]:
    with open_table(path) as table:
        return list(table.rows())


@pytest.mark.parametrize("kind", BUILDERS)
@pytest.mark.parametrize(("start", "end"), RANGES)
def test_given_an_index_when_reading_a_range_then_it_equals_that_slice_of_a_full_read(
    tmp_path: Path, kind: str, start: int, end: int | None
) -> None:
    path = BUILDERS[kind](tmp_path)
    full = _full(path)
    index = build_row_index(path, every=EVERY)

    shard = list(read_rows(path, start=start, end=end, index=index))

    assert shard == list(enumerate(full))[start:end]


@pytest.mark.parametrize("kind", BUILDERS)
def test_given_no_index_when_reading_a_range_then_it_equals_that_slice(
    tmp_path: Path, kind: str
) -> None:
    path = BUILDERS[kind](tmp_path)

    shard = list(read_rows(path, start=11, end=23))

    assert shard == list(enumerate(_full(path)))[11:23]


@pytest.mark.parametrize("kind", BUILDERS)
def test_given_columns_when_reading_a_range_then_only_those_in_that_order(
    tmp_path: Path, kind: str
) -> None:
    path = BUILDERS[kind](tmp_path)
    full = _full(path)
    index = build_row_index(path, every=EVERY)

    shard = list(read_rows(path, columns=["score", "review"], start=8, end=16, index=index))

    assert shard == [(n, [full[n][2], full[n][1]]) for n in range(8, 16)]


@pytest.mark.parametrize("kind", BUILDERS)
def test_given_any_format_when_indexed_then_row_count_matches_validate(
    tmp_path: Path, kind: str
) -> None:
    path = BUILDERS[kind](tmp_path)

    index = build_row_index(path, every=EVERY)

    assert index.rows == validate(path).rows == 50


@pytest.mark.parametrize("kind", ["csv", "tsv", "jsonl"])
def test_given_a_text_format_when_indexed_then_a_checkpoint_every_k_rows(
    tmp_path: Path, kind: str
) -> None:
    path = BUILDERS[kind](tmp_path)

    index = build_row_index(path, every=EVERY)

    assert [checkpoint.row for checkpoint in index.checkpoints] == list(range(0, 50, EVERY))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_given_csv_in_another_encoding_when_reading_a_range_then_offsets_hold(
    tmp_path: Path, encoding: str
) -> None:
    path = _csv(tmp_path, encoding=encoding)
    index = build_row_index(path, every=EVERY)

    shard = list(read_rows(path, start=15, end=40, index=index))

    assert shard == list(enumerate(_full(path)))[15:40]


def test_given_big_endian_utf16_csv_when_reading_a_range_then_byte_order_is_kept(
    tmp_path: Path,
) -> None:
    text = "".join(["id,text\n"] + [f"{i},grüße {i}\n" for i in range(40)])
    path = tmp_path / "be.csv"
    path.write_bytes(codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    index = build_row_index(path, every=EVERY)

    shard = list(read_rows(path, start=22, end=25, index=index))

    assert shard == [(n, [str(n), f"grüße {n}"]) for n in range(22, 25)]


def test_given_utf16_csv_without_bom_when_reading_a_range_then_offsets_hold(
    tmp_path: Path,
) -> None:
    text = "".join(["id,text\n"] + [f"{i},grüße {i}\n" for i in range(40)])
    path = tmp_path / "le.csv"
    path.write_bytes(text.encode("utf-16-le"))
    index = build_row_index(path, every=EVERY)

    shard = list(read_rows(path, start=22, end=25, index=index))

    assert shard == [(n, [str(n), f"grüße {n}"]) for n in range(22, 25)]


def test_given_an_index_when_reading_a_range_then_rows_before_the_checkpoint_are_not_parsed(
    tmp_path: Path,
) -> None:
    path = _tsv(tmp_path, count=100)
    index = build_row_index(path, every=10)
    data = path.read_bytes()
    # Same size, same head: row 12 gains a tab (a ragged row) that only a full scan would meet.
    path.write_bytes(data.replace(b"plain text 12", b"plain\ttext 12"))

    shard = list(read_rows(path, start=50, end=52, index=index))

    assert shard == [(50, ["50", "plain text 50", "0"]), (51, ["51", "plain text 51", "1"])]
    with pytest.raises(MalformedFile):
        list(read_rows(path, start=50, end=52))


def test_given_a_bad_row_after_a_checkpoint_when_read_then_error_numbers_match_a_full_read(
    tmp_path: Path,
) -> None:
    path = _tsv(tmp_path, count=100)
    index = build_row_index(path, every=10)
    path.write_bytes(path.read_bytes().replace(b"plain text 73", b"plain\ttext 73"))

    with pytest.raises(MalformedFile) as from_index:
        list(read_rows(path, start=70, end=80, index=index))
    with pytest.raises(MalformedFile) as full:
        list(read_rows(path))

    assert from_index.value.detail == full.value.detail
    assert from_index.value.row == 75


def test_given_a_bad_row_inside_a_range_when_read_then_the_rows_before_it_come_once_then_its_error(
    tmp_path: Path,
) -> None:
    # The quick parse stops at the ragged row and the careful reader takes over from it.
    path = _tsv(tmp_path, count=100)
    index = build_row_index(path, every=10)
    path.write_bytes(path.read_bytes().replace(b"plain text 73", b"plain\ttext 73"))
    rows = read_rows(path, start=70, end=80, index=index)

    read = [next(rows) for _ in range(3)]

    assert read == [(n, [str(n), f"plain text {n}", str(n % 5)]) for n in range(70, 73)]
    with pytest.raises(MalformedFile) as error:
        next(rows)
    assert error.value.row == 75  # data row 73 is the sheet's row 75 (the header is row 1)


def test_given_a_bad_row_just_past_a_range_when_read_then_the_range_is_read_whole(
    tmp_path: Path,
) -> None:
    # Row 80 is the next shard's: a range ending there neither refuses nor reads it.
    path = _tsv(tmp_path, count=100)
    index = build_row_index(path, every=10)
    path.write_bytes(path.read_bytes().replace(b"plain text 80", b"plain\ttext 80"))

    rows = list(read_rows(path, start=70, end=80, index=index))

    assert rows == [(n, [str(n), f"plain text {n}", str(n % 5)]) for n in range(70, 80)]


def test_given_rows_near_the_row_limit_when_reading_a_range_then_it_equals_a_full_read(
    tmp_path: Path,
) -> None:
    # Rows the quick parse cannot tell are within max_row_chars go to the careful reader,
    # which accepts them: the shard is the same.
    path = _tsv(tmp_path, count=30)
    limits = {"max_row_chars": 30, "max_field_chars": 30}
    index = build_row_index(path, every=EVERY, **limits)
    full = list(enumerate(open_table(path, **limits).rows()))

    shard = list(read_rows(path, start=3, end=17, index=index, **limits))

    assert shard == full[3:17]


def test_given_a_field_over_its_limit_in_a_short_row_when_reading_a_range_then_refused_as_in_full(
    tmp_path: Path,
) -> None:
    # The quick parse looks for the longest field only when the row's characters pass a
    # field's limit: a row of one long field and short others still goes to the careful
    # reader, which names the cell.
    path = _tsv(tmp_path, count=30)
    path.write_bytes(path.read_bytes().replace(b"plain text 12", b"x" * 60))
    limits = {"max_row_chars": 1_000, "max_field_chars": 50}
    index = build_row_index(path, every=EVERY)

    with pytest.raises(TooLarge) as full:
        list(open_table(path, **limits).rows())
    with pytest.raises(TooLarge) as shard:
        list(read_rows(path, start=3, end=17, index=index, **limits))

    assert (shard.value.row, shard.value.column) == (full.value.row, full.value.column)
    assert shard.value.column == "review"


def test_given_parquet_when_reading_a_range_then_only_overlapping_row_groups_and_columns_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _parquet(tmp_path)  # row groups of 6 rows
    calls: list[dict[str, object]] = []
    original = pq.ParquetFile.iter_batches

    def spy(self: pq.ParquetFile, *args: object, **kwargs: object) -> object:
        calls.append(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)

    shard = list(read_rows(path, columns=["review"], start=13, end=20))

    assert [number for number, _ in shard] == list(range(13, 20))
    assert (calls[0]["row_groups"], calls[0]["columns"]) == ([2, 3], ["review"])


def test_given_an_index_when_round_tripped_through_a_json_dict_then_it_is_equal(
    tmp_path: Path,
) -> None:
    index = build_row_index(_csv(tmp_path), every=EVERY)

    stored = json.loads(json.dumps(index.to_dict()))

    assert RowIndex.from_dict(stored) == index


def test_given_a_dict_that_is_not_an_index_when_loaded_then_value_error() -> None:
    with pytest.raises(ValueError, match="not a row index"):
        RowIndex.from_dict({"version": 1, "rows": 3})


def test_given_an_index_of_another_file_when_reading_then_value_error(tmp_path: Path) -> None:
    index = build_row_index(_csv(tmp_path, count=60, name="other.csv"), every=EVERY)

    with pytest.raises(ValueError, match="built for another file"):
        read_rows(_csv(tmp_path), start=10, end=20, index=index)


def test_given_an_unknown_column_when_reading_then_unknown_column_lists_the_columns(
    tmp_path: Path,
) -> None:
    with pytest.raises(
        UnknownColumn, match="no column named 'missing'; the columns are 'id'"
    ) as caught:
        read_rows(_csv(tmp_path), columns=["review", "missing"])

    assert (caught.value.code, caught.value.column) == ("unknown_column", "missing")


@pytest.mark.parametrize(("start", "end"), [(-1, None), (5, 4)])
def test_given_an_invalid_range_when_reading_then_value_error(
    tmp_path: Path, start: int, end: int | None
) -> None:
    with pytest.raises(ValueError, match="invalid row range"):
        read_rows(_csv(tmp_path), start=start, end=end)


def test_given_a_range_past_the_end_when_reading_then_nothing(tmp_path: Path) -> None:
    assert list(read_rows(_csv(tmp_path), start=500, end=600)) == []


@pytest.mark.parametrize("kind", BUILDERS)
def test_given_any_format_when_reading_rows_then_the_result_is_a_generator(
    tmp_path: Path, kind: str
) -> None:
    rows = read_rows(BUILDERS[kind](tmp_path), start=2, end=4)

    assert inspect.isgenerator(rows)
    rows.close()
