"""JSON arrays of objects and JSON Lines: header from keys, values as text, errors located."""

import codecs
import inspect
import json
import tracemalloc
from pathlib import Path

import pytest

from textmill_tabular import MalformedFile, TooLarge, json_rows, open_table, validate


def _write(tmp_path: Path, text: str, name: str = "data.json") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _jsonl(tmp_path: Path, records: list[object], name: str = "data.jsonl") -> Path:
    return _write(tmp_path, "".join(json.dumps(record) + "\n" for record in records), name)


def _read(path: Path, **limits: int) -> tuple[list[str], list[list[str]]]:
    with open_table(path, **limits) as table:
        return table.header, list(table.rows())


def test_given_json_array_when_read_then_header_is_keys_in_order_of_first_appearance(
    tmp_path: Path,
) -> None:
    records = [{"id": 1, "text": "good"}, {"id": 2, "lang": "en"}, {"text": "bad", "id": 3}]
    path = _write(tmp_path, json.dumps(records, indent=2))

    header, rows = _read(path)

    assert header == ["id", "text", "lang"]
    assert rows == [["1", "good", ""], ["2", "", "en"], ["3", "bad", ""]]


def test_given_json_values_of_every_type_when_read_then_each_becomes_text(tmp_path: Path) -> None:
    record = {"s": "héllo", "i": 7, "f": 1.5, "t": True, "n": None, "o": {"a": [1, "x"]}}
    path = _write(tmp_path, json.dumps([record]))

    _, rows = _read(path)

    assert rows == [["héllo", "7", "1.5", "true", "", '{"a":[1,"x"]}']]


def test_given_json_array_when_validated_then_dialect_is_json_without_delimiter(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, '[{"a": 1}, {"a": 2}]', "upload-1")

    shape = validate(path)

    assert (shape.rows, shape.columns) == (2, 1)
    assert (shape.dialect.format, shape.dialect.encoding, shape.dialect.delimiter) == (
        "json",
        "utf-8",
        "",
    )


def test_given_empty_json_array_when_read_then_zero_columns_and_zero_rows(tmp_path: Path) -> None:
    path = _write(tmp_path, " [ ]\n")

    assert _read(path) == ([], [])


def test_given_json_with_utf8_bom_when_read_then_bom_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_bytes(codecs.BOM_UTF8 + '[{"név": "é"}]'.encode())

    assert _read(path) == (["név"], [["é"]])


def test_given_records_larger_than_a_read_chunk_when_read_then_they_are_whole(
    tmp_path: Path,
) -> None:
    records = [{"id": i, "text": f"{i}" + "x" * 50_000} for i in range(6)]
    path = _write(tmp_path, json.dumps(records, indent=1))

    _, rows = _read(path)

    assert rows == [[str(i), f"{i}" + "x" * 50_000] for i in range(6)]


def test_given_many_json_records_when_streamed_then_rows_is_a_generator_yielding_all(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, json.dumps([{"id": i, "text": f"review {i}"} for i in range(20_000)]))

    with open_table(path) as table:
        rows = table.rows()
        assert inspect.isgenerator(rows)
        assert sum(1 for _ in rows) == 20_000


def test_given_invalid_json_in_a_record_when_read_then_malformed_names_record_and_line(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, '[\n  {"a": 1},\n  {"a": 2},\n  {"a": 3,, }\n]\n')

    with pytest.raises(MalformedFile, match=r"invalid JSON in record 3 \(from line 4\)") as caught:
        _read(path)

    assert caught.value.row == 3


DEEP = '{"a": ' + "[" * 5_000 + "]" * 5_000 + "}"  # deeper than the decoder can recurse


def test_given_a_record_nested_too_deeply_when_read_then_malformed_names_the_record(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, '[\n  {"a": 1},\n  ' + DEEP + "\n]\n")

    with pytest.raises(MalformedFile, match=r"record 2 \(from line 3\) is nested too deeply"):
        _read(path)


def test_given_a_json_line_nested_too_deeply_when_read_then_malformed_names_the_line(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, '{"a": 1}\n' + DEEP + "\n", "data.jsonl")

    with pytest.raises(MalformedFile, match=r"line 2 is nested too deeply") as caught:
        _read(path)

    assert caught.value.row == 2


def test_given_json_item_that_is_not_an_object_when_read_then_malformed_says_what_it_is(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, '[{"a": 1}, 2]')

    with pytest.raises(MalformedFile, match=r"record 2 \(line 1\) is a number, not an object"):
        _read(path)


def test_given_missing_comma_between_records_when_read_then_malformed(tmp_path: Path) -> None:
    path = _write(tmp_path, '[{"a": 1}\n{"a": 2}]')

    with pytest.raises(MalformedFile, match=r"expected ',' or ']' after record 1 \(line 2\)"):
        _read(path)


def test_given_content_after_the_array_when_read_then_malformed(tmp_path: Path) -> None:
    path = _write(tmp_path, '[{"a": 1}]\n[{"a": 2}]\n')

    with pytest.raises(MalformedFile, match="a JSON file must hold a single array"):
        _read(path)


def test_given_unclosed_json_array_when_read_then_malformed(tmp_path: Path) -> None:
    path = _write(tmp_path, '[{"a": 1}, {"a": 2')

    with pytest.raises(MalformedFile, match="invalid JSON in record 2") as caught:
        _read(path)

    assert caught.value.row == 2


def test_given_json_record_over_row_budget_when_read_then_too_large_without_reading_on(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, json.dumps([{"a": "x" * 10}, {"a": "y" * 300_000}]))

    with pytest.raises(TooLarge, match=r"record 2 .* runs past 100,000 characters") as caught:
        _read(path, max_field_chars=1_000, max_row_chars=100_000)

    assert caught.value.row == 2


def test_given_json_value_over_field_limit_when_read_then_too_large_names_the_column(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, json.dumps([{"id": 1, "text": "x" * 500}]))

    with pytest.raises(TooLarge) as caught:
        _read(path, max_field_chars=100)

    assert (caught.value.row, caught.value.column) == (1, "text")


def test_given_key_first_seen_after_the_header_records_when_read_then_malformed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_rows, "HEADER_RECORDS", 3)
    records = [{"a": 1}, {"a": 2}, {"a": 3, "b": 3}, {"a": 4, "late": "x"}]
    path = _write(tmp_path, json.dumps(records))

    with pytest.raises(MalformedFile, match=r"record 4 .* has the key 'late'") as caught:
        _read(path)

    assert (caught.value.row, caught.value.column) == (4, "late")


def test_given_key_first_seen_within_the_header_records_when_read_then_it_is_a_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_rows, "HEADER_RECORDS", 3)
    path = _write(tmp_path, json.dumps([{"a": 1}, {"a": 2}, {"b": 3}, {"a": 4}]))

    assert _read(path) == (["a", "b"], [["1", ""], ["2", ""], ["", "3"], ["4", ""]])


def test_given_more_distinct_keys_than_max_columns_when_opened_then_too_large(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, json.dumps([{f"k{i}": i} for i in range(11)]))

    with pytest.raises(TooLarge, match="11 distinct keys"):
        open_table(path, max_columns=10)


def test_given_jsonl_with_blank_lines_when_read_then_they_are_skipped(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"id": 1, "text": "a"}\n\n   \n{"id": 2, "extra": null}\n', "d.jsonl")

    header, rows = _read(path)

    assert header == ["id", "text", "extra"]
    assert rows == [["1", "a", ""], ["2", "", ""]]


def test_given_jsonl_with_crlf_when_read_then_rows_are_clean(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"a": "x"}\r\n{"a": "y"}\r\n')

    assert _read(path) == (["a"], [["x"], ["y"]])


def test_given_jsonl_when_validated_then_dialect_is_jsonl(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, [{"a": 1}, {"a": 2}, {"a": 3}], "upload-2")

    shape = validate(path)

    assert (shape.rows, shape.columns, shape.dialect.format) == (3, 1, "jsonl")


@pytest.mark.parametrize("name", ["empty.jsonl", "empty.ndjson"])
def test_given_empty_file_named_jsonl_when_read_then_jsonl_with_zero_rows(
    tmp_path: Path, name: str
) -> None:
    path = _write(tmp_path, "\n\n", name)

    with open_table(path) as table:
        assert (table.dialect.format, table.header, list(table.rows())) == ("jsonl", [], [])


def test_given_invalid_json_on_line_n_when_read_then_malformed_with_row_n(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"a": 1}\n\n{"a": 2}\n{"a": 3\n{"a": 4}\n', "d.jsonl")

    with pytest.raises(MalformedFile, match="invalid JSON on line 4: ") as caught:
        _read(path)

    assert caught.value.row == 4


def test_given_jsonl_line_that_is_an_array_when_read_then_malformed(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"a": 1}\n[1, 2]\n', "d.jsonl")

    with pytest.raises(MalformedFile, match="line 2 is an array, not an object") as caught:
        _read(path)

    assert caught.value.row == 2


def test_given_jsonl_line_over_row_budget_when_read_then_too_large(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, [{"a": "x"}, {"a": "y" * 5_000}])

    with pytest.raises(TooLarge, match="line 2 runs past 1,000 characters") as caught:
        _read(path, max_field_chars=100, max_row_chars=1_000)

    assert caught.value.row == 2


def test_given_large_json_array_when_streamed_then_memory_stays_far_below_file_size(
    tmp_path: Path,
) -> None:
    records = [{"id": i, "review": f"review {i} " + "quite good " * 20} for i in range(40_000)]
    path = _write(tmp_path, json.dumps(records))
    del records
    tracemalloc.start()
    try:
        with open_table(path) as table:
            for _ in table.rows():
                pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < path.stat().st_size / 10
