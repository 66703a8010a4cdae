"""Excel .xlsx: the first sheet or a named one, header from the first non-empty row."""

import datetime as dt
import inspect
import io
from pathlib import Path

import openpyxl
import pytest

from textmill_tabular import MalformedFile, TooLarge, open_table, validate


def _workbook(tmp_path: Path, sheets: dict[str, list[list[object]]], name: str = "b.xlsx") -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def _read(path: Path, **options: object) -> tuple[list[str], list[list[str]]]:
    with open_table(path, **options) as table:  # type: ignore[arg-type]
        return table.header, list(table.rows())


def test_given_xlsx_when_read_then_header_and_rows_round_trip(tmp_path: Path) -> None:
    path = _workbook(tmp_path, {"Reviews": [["id", "review"], [1, "great"], [2, "awful"]]})

    assert _read(path) == (["id", "review"], [["1", "great"], ["2", "awful"]])


def test_given_xlsx_numbers_and_dates_when_read_then_text_is_natural(tmp_path: Path) -> None:
    rows = [
        ["int", "float", "whole float", "date", "datetime", "bool"],
        [3, 2.5, 4.0, dt.datetime(2024, 1, 5), dt.datetime(2024, 1, 5, 10, 30), True],
    ]
    path = _workbook(tmp_path, {"S": rows})

    _, read = _read(path)

    assert read == [["3", "2.5", "4", "2024-01-05", "2024-01-05T10:30:00", "true"]]


def test_given_leading_and_inner_empty_rows_when_read_then_first_non_empty_row_is_header(
    tmp_path: Path,
) -> None:
    path = _workbook(tmp_path, {"S": [[], [None, None], ["a", "b"], [1, 2], [], [3, None]]})

    assert _read(path) == (["a", "b"], [["1", "2"], ["3", ""]])


def test_given_header_only_xlsx_when_read_then_zero_rows(tmp_path: Path) -> None:
    path = _workbook(tmp_path, {"S": [["id", "text"]]})

    assert _read(path) == (["id", "text"], [])


def test_given_empty_sheet_when_read_then_zero_columns_and_zero_rows(tmp_path: Path) -> None:
    path = _workbook(tmp_path, {"S": []})

    assert _read(path) == ([], [])


def test_given_blank_header_cells_when_read_then_named_by_position(tmp_path: Path) -> None:
    path = _workbook(tmp_path, {"S": [["id", None, "text"], [1, 2, 3]]})

    assert _read(path)[0] == ["id", "column_2", "text"]


def test_given_several_sheets_when_opened_then_first_is_read_and_named_in_dialect(
    tmp_path: Path,
) -> None:
    path = _workbook(tmp_path, {"First": [["a"], [1]], "Second": [["b"], [2]]})

    with open_table(path) as table:
        assert (table.dialect.sheet, table.header) == ("First", ["a"])


def test_given_named_sheet_when_validated_then_that_sheet_is_read(tmp_path: Path) -> None:
    path = _workbook(tmp_path, {"First": [["a"], [1]], "Second": [["b"], [2], [3]]})

    shape = validate(path, sheet="Second")

    assert (shape.rows, shape.columns, shape.dialect.format, shape.dialect.sheet) == (
        2,
        1,
        "xlsx",
        "Second",
    )


def test_given_unknown_sheet_when_opened_then_malformed_lists_the_sheets(tmp_path: Path) -> None:
    path = _workbook(tmp_path, {"First": [["a"]], "Second": [["b"]]})

    with pytest.raises(
        MalformedFile, match="no worksheet 'Third'; its sheets are 'First', 'Second'"
    ):
        open_table(path, sheet="Third")


def test_given_sheet_named_for_a_csv_when_opened_then_malformed(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("a\n1\n", encoding="utf-8")

    with pytest.raises(MalformedFile, match=r"'data\.csv' is CSV, which has no sheets"):
        open_table(path, sheet="Sheet1")


def test_given_xlsx_with_another_name_when_opened_then_content_decides(tmp_path: Path) -> None:
    path = _workbook(tmp_path, {"S": [["a"], ["x"]]}, "upload-3")

    shape = validate(path, "report.bin")

    assert (shape.dialect.format, shape.dialect.encoding, shape.dialect.delimiter) == (
        "xlsx",
        "",
        "",
    )


def test_given_value_beyond_the_header_when_read_then_malformed_names_cell(tmp_path: Path) -> None:
    path = _workbook(tmp_path, {"S": [["a", "b"], [1, 2], [3, 4, "stray"]]})

    with pytest.raises(MalformedFile, match="row 3 has a value in column C") as caught:
        _read(path)

    assert (caught.value.row, caught.value.column) == (3, "C")


def test_given_truncated_xlsx_when_opened_then_malformed(tmp_path: Path) -> None:
    path = _workbook(tmp_path, {"S": [["a"], *([f"row {i}"] for i in range(2_000))]})
    path.write_bytes(path.read_bytes()[:-300])

    with pytest.raises(MalformedFile, match="Excel workbook"):
        _read(path)


def test_given_xlsx_cell_over_field_limit_when_read_then_too_large(tmp_path: Path) -> None:
    path = _workbook(tmp_path, {"S": [["id", "text"], [1, "x" * 500]]})

    with pytest.raises(TooLarge) as caught:
        _read(path, max_field_chars=100)

    assert (caught.value.row, caught.value.column) == (2, "text")


def test_given_many_xlsx_rows_when_streamed_then_rows_is_a_generator_yielding_all(
    tmp_path: Path,
) -> None:
    path = _workbook(tmp_path, {"S": [["id"], *([i] for i in range(5_000))]})

    with open_table(path) as table:
        rows = table.rows()
        assert inspect.isgenerator(rows)
        assert sum(1 for _ in rows) == 5_000


class SourceFailed(Exception):
    source_error = True  # as a stored file deleted while it is read says


class _FailingStream(io.BytesIO):
    def __init__(self, data: bytes, source: "_FailingSource") -> None:
        super().__init__(data)
        self._source = source

    def read(self, size: int = -1) -> bytes:
        if self._source.failing(self.tell()):
            raise SourceFailed("the stored file was deleted")
        return super().read(size)


class _FailingSource:
    """A source (as the store's `StoredFileSource`) read whole while the file is found to be
    a workbook (its head, then its ZIP directory: two opens), which then fails: past
    `fail_after` bytes while the workbook is loaded, or once `armed` while rows are read."""

    def __init__(self, data: bytes, fail_after: int | None) -> None:
        self.name, self._data, self._fail_after = "book.xlsx", data, fail_after
        self._opens, self.armed = 0, False

    def failing(self, position: int) -> bool:
        return self.armed or (self._fail_after is not None and position >= self._fail_after)

    def open(self, mode: str = "rb") -> io.BytesIO:
        self._opens += 1
        if self._opens <= 2:
            return io.BytesIO(self._data)
        return _FailingStream(self._data, self)

    def stat(self):
        return type("Stat", (), {"st_size": len(self._data)})()


def _big_workbook(tmp_path: Path) -> bytes:
    rows = [["id", "text"], *([str(n), f"words {n} " * 20] for n in range(20_000))]
    return _workbook(tmp_path, {"s": rows}).read_bytes()


@pytest.mark.parametrize("fail_after", [0, 0.5, 0.97])
def test_given_a_source_that_fails_while_loaded_when_read_then_its_error_not_a_malformed_file(
    tmp_path: Path, fail_after: float
) -> None:
    data = _big_workbook(tmp_path)
    source = _FailingSource(data, int(len(data) * fail_after))

    with pytest.raises(SourceFailed):
        with open_table(source, source.name) as table:  # type: ignore[arg-type]
            list(table.rows())


def test_given_a_source_that_fails_while_rows_are_read_then_its_error_not_a_malformed_file(
    tmp_path: Path,
) -> None:
    source = _FailingSource(_big_workbook(tmp_path), None)

    with open_table(source, source.name) as table:  # type: ignore[arg-type]
        rows = table.rows()
        next(rows)
        source.armed = True
        with pytest.raises(SourceFailed):
            list(rows)
