"""Streaming rows: quoting, ragged rows, headers, limits and bounded memory."""

import inspect
import tracemalloc
from pathlib import Path

import pytest

from textmill_tabular import MalformedFile, TooLarge, open_table


def _write(tmp_path: Path, text: str, name: str = "data.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _rows(path: Path, **limits: int) -> list[list[str]]:
    with open_table(path, **limits) as table:
        return list(table.rows())


def _header(path: Path, **limits: int) -> list[str]:
    with open_table(path, **limits) as table:
        return table.header


def test_given_quoted_multiline_cells_with_delimiters_when_read_then_cells_are_whole(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, 'id;comment\n1;"first line; still\nsecond ""line"""\n2;plain\n')

    rows = _rows(path)

    assert rows == [["1", 'first line; still\nsecond "line"'], ["2", "plain"]]


def test_given_crlf_line_endings_when_read_then_no_carriage_returns_leak(tmp_path: Path) -> None:
    path = _write(tmp_path, "a,b\r\n1,2\r\n3,4\r\n")

    assert _rows(path) == [["1", "2"], ["3", "4"]]


def test_given_row_with_extra_field_when_read_then_malformed_names_the_row(tmp_path: Path) -> None:
    lines = ["a,b,c"] + [f"{i},x,y" for i in range(1, 6)] + ["6,x,y,z", "7,x,y"]
    path = _write(tmp_path, "\n".join(lines) + "\n")

    with pytest.raises(MalformedFile) as caught:
        _rows(path)

    assert caught.value.row == 7
    assert "row 7 (line 7) has 4 fields, the header has 3" in caught.value.detail
    assert caught.value.code == "malformed_file"


def test_given_multiline_cell_before_bad_row_when_read_then_row_and_line_differ(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, 'a,b\n1,"two\nlines"\n2\n')

    with pytest.raises(MalformedFile, match=r"row 3 \(line 4\) has 1 fields"):
        _rows(path)


def test_given_blank_lines_when_read_then_they_are_skipped(tmp_path: Path) -> None:
    path = _write(tmp_path, "\na,b\n\n1,2\n   \n3,4\n\n")

    assert _rows(path) == [["1", "2"], ["3", "4"]]


def test_given_unterminated_quote_at_eof_when_read_then_malformed(tmp_path: Path) -> None:
    path = _write(tmp_path, 'a,b\n1,ok\n2,"never closed\n3,more\n')

    with pytest.raises(MalformedFile, match=r"row 3 \(from line 3\) .* never closed") as caught:
        _rows(path)

    assert caught.value.row == 3


def test_given_empty_file_when_opened_then_zero_columns_and_zero_rows(tmp_path: Path) -> None:
    path = _write(tmp_path, "")

    with open_table(path) as table:
        assert (table.header, list(table.rows())) == ([], [])


def test_given_header_only_when_read_then_zero_rows(tmp_path: Path) -> None:
    path = _write(tmp_path, "id,text\n")

    with open_table(path) as table:
        assert (table.header, list(table.rows())) == (["id", "text"], [])


def test_given_blank_header_names_when_opened_then_named_by_position(tmp_path: Path) -> None:
    path = _write(tmp_path, "id,,text, \n1,2,3,4\n")

    assert _header(path) == ["id", "column_2", "text", "column_4"]


def test_given_duplicate_header_names_when_opened_then_suffixed_in_order(tmp_path: Path) -> None:
    path = _write(tmp_path, "name,name,name\n1,2,3\n")

    assert _header(path) == ["name", "name_2", "name_3"]


def test_given_generated_names_clash_with_real_ones_when_opened_then_real_names_survive(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, "a,a,a_2,,column_4\n1,2,3,4,5\n")

    assert _header(path) == ["a", "a_3", "a_2", "column_4_2", "column_4"]


def test_given_too_many_columns_when_opened_then_too_large(tmp_path: Path) -> None:
    path = _write(tmp_path, ",".join(f"c{i}" for i in range(11)) + "\n")

    with pytest.raises(TooLarge, match="11 columns; the limit is 10") as caught:
        open_table(path, max_columns=10)

    assert caught.value.code == "too_large"


def test_given_field_over_max_field_chars_when_read_then_too_large_names_the_cell(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, "id,text\n1,short\n2," + "x" * 500 + "\n")

    with pytest.raises(TooLarge) as caught:
        _rows(path, max_field_chars=100)

    assert (caught.value.row, caught.value.column) == (3, "text")


def test_given_unclosed_quote_swallowing_the_file_when_read_then_stops_at_row_budget(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, 'id,text\n1,"oops\n' + "2,more text here\n" * 10_000)

    with pytest.raises(TooLarge, match="unclosed quote") as caught:
        _rows(path, max_field_chars=100, max_row_chars=1_000)

    assert caught.value.row == 2


def test_given_one_huge_line_without_newline_when_opened_then_too_large(tmp_path: Path) -> None:
    path = _write(tmp_path, "a," * 100_000)

    with pytest.raises(TooLarge, match="row 1"):
        open_table(path, max_columns=10, max_field_chars=100, max_row_chars=1_000)


def test_given_row_budget_below_field_limit_when_opened_then_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "a\n1\n")

    with pytest.raises(ValueError, match="max_row_chars"):
        open_table(path, max_field_chars=100, max_row_chars=10)


def test_given_invalid_utf8_after_the_head_when_read_then_malformed_says_where(
    tmp_path: Path,
) -> None:
    body = "id,text\n" + "".join(f"{i},plain ascii text\n" for i in range(10_000))
    path = tmp_path / "data.csv"
    path.write_bytes(body.encode() + b"10000,caf\xe9\n")

    with pytest.raises(
        MalformedFile, match=r"byte 0xe9 at offset [\d,]+ \(line 10,002\)"
    ) as caught:
        _rows(path)

    assert "not valid utf-8" in caught.value.detail


def test_given_file_is_closed_when_leaving_the_context(tmp_path: Path) -> None:
    path = _write(tmp_path, "a\n1\n")

    with open_table(path) as table:
        pass

    with pytest.raises(ValueError, match="closed file"):
        list(table.rows())


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("id,review,score\n")
        for i in range(200_000):
            out.write(f'{i},"review number {i}, quite good",{i % 5}\n')
    return path


def test_given_200k_rows_when_streamed_then_rows_is_a_generator_yielding_all(
    big_csv: Path,
) -> None:
    with open_table(big_csv) as table:
        rows = table.rows()
        assert inspect.isgenerator(rows)
        assert sum(1 for _ in rows) == 200_000


def test_given_200k_rows_when_streamed_then_memory_stays_far_below_file_size(
    big_csv: Path,
) -> None:
    tracemalloc.start()
    try:
        with open_table(big_csv) as table:
            for _ in table.rows():
                pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < big_csv.stat().st_size / 10
