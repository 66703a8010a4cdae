"""Format detection: encodings, delimiters, JSON shapes, and content we cannot read."""

import codecs
import random
import zipfile
from pathlib import Path

import pytest

from textmill_tabular import Dialect, UnsupportedFormat, detect, open_table


def _write(tmp_path: Path, data: bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _read_all(
    path: Path, filename: str | None = None
) -> tuple[Dialect, list[str], list[list[str]]]:
    with open_table(path, filename) as table:
        return table.dialect, table.header, list(table.rows())


def test_given_utf8_csv_when_opened_then_encoding_is_utf8_and_text_decodes(tmp_path: Path) -> None:
    path = _write(tmp_path, "name,comment\nZoë,naïve café\n".encode())

    dialect, _, rows = _read_all(path)

    assert dialect == Dialect(format="csv", encoding="utf-8", delimiter=",", quotechar='"')
    assert rows == [["Zoë", "naïve café"]]


def test_given_utf8_with_bom_when_opened_then_bom_is_not_in_first_header(tmp_path: Path) -> None:
    path = _write(tmp_path, codecs.BOM_UTF8 + "id,text\n1,été\n".encode())

    dialect, header, _ = _read_all(path)

    assert dialect.encoding == "utf-8-sig"
    assert header == ["id", "text"]


def test_given_utf16_with_bom_when_opened_then_rows_decode(tmp_path: Path) -> None:
    path = _write(tmp_path, "id\ttext\n1\tgrüße\n".encode("utf-16"), "export.txt")

    dialect, _, rows = _read_all(path)

    assert (dialect.encoding, dialect.format) == ("utf-16", "tsv")
    assert rows == [["1", "grüße"]]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_given_utf16_without_bom_when_opened_then_rows_decode(tmp_path: Path, codec: str) -> None:
    # Written by tools that leave the byte-order mark out: it was refused as binary data
    path = _write(tmp_path, "id,text\n1,grüße\n2,naïve\n".encode(codec), "export.csv")

    dialect, _, rows = _read_all(path)

    assert (dialect.encoding, dialect.format) == (codec, "csv")
    assert rows == [["1", "grüße"], ["2", "naïve"]]


def test_given_utf16_without_bom_whose_head_ends_inside_a_character_then_still_utf16() -> None:
    text = "id,text\n" + "1,word\n" * 291 + "2,😀\n"  # the emoji's two units cross byte 4,096
    head = text.encode("utf-16-le")
    assert head.index("😀".encode("utf-16-le")) == 4_094

    assert detect(head, "export.csv").encoding == "utf-16-le"


def test_given_binary_data_with_zero_bytes_when_detected_then_still_refused() -> None:
    head = bytes(range(256)) * 8

    with pytest.raises(UnsupportedFormat):
        detect(head, "data.csv")


def test_given_cp1252_text_when_opened_then_cp1252_is_chosen(tmp_path: Path) -> None:
    path = _write(tmp_path, "id,text\n1,café déjà vu \u2013 naïve\n".encode("cp1252"))

    dialect, _, rows = _read_all(path)

    assert dialect.encoding == "cp1252"
    assert rows == [["1", "café déjà vu \u2013 naïve"]]


def test_given_ascii_only_content_when_detected_then_utf8_is_chosen() -> None:
    assert detect(b"a,b\n1,2\n").encoding == "utf-8"


def test_given_valid_utf8_that_also_decodes_as_cp1252_when_detected_then_utf8_wins() -> None:
    head = "a,b\n1,Ã©tÃ©\n".encode()

    assert detect(head).encoding == "utf-8"


def test_given_cyrillic_cp1251_when_detected_then_not_mistaken_for_cp1252() -> None:
    head = "id,text\n1,Привет, как дела? Всё хорошо.\n2,Спасибо большое\n".encode("cp1251")

    assert detect(head).encoding == "cp1251"


@pytest.mark.parametrize(
    ("delimiter", "expected_format"), [(";", "csv"), ("\t", "tsv"), ("|", "csv"), (",", "csv")]
)
def test_given_delimiter_when_detected_then_it_is_found(
    delimiter: str, expected_format: str
) -> None:
    records = [["id", "name", "comment"]] + [[str(i), "x", "y"] for i in range(1, 5)]
    text = "\n".join(delimiter.join(record) for record in records)

    dialect = detect(text.encode())

    assert (dialect.delimiter, dialect.format) == (delimiter, expected_format)


def test_given_semicolons_with_commas_in_text_when_detected_then_semicolon_wins() -> None:
    head = b"id;review\n1;good, cheap, fast\n2;bad\n3;fine, I guess\n"

    assert detect(head).delimiter == ";"


def test_given_single_column_when_detected_then_csv_with_comma() -> None:
    head = b"review\ngood, cheap\nawful\n"

    assert detect(head) == Dialect(format="csv", encoding="utf-8", delimiter=",", quotechar='"')


def test_given_single_column_named_tsv_when_detected_then_tsv() -> None:
    assert detect(b"review\ngood\n", "reviews.tsv").format == "tsv"


@pytest.mark.parametrize(
    ("head", "looks_like"),
    [
        (b"%PDF-1.7\n", "PDF document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG image"),
        (b"\x1f\x8b\x08\x00", "gzip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Office document (such as .xls)"),
        (b"PK\x05\x06" + bytes(18), "empty ZIP archive"),
    ],
)
def test_given_binary_magic_when_detected_then_unsupported_names_it(
    head: bytes, looks_like: str
) -> None:
    with pytest.raises(UnsupportedFormat) as caught:
        detect(head + b"a,b\n1,2\n")

    assert looks_like in caught.value.detail
    assert "supported formats are CSV, TSV, JSON" in caught.value.detail
    assert caught.value.code == "unsupported_format"


def test_given_zip_of_other_files_when_opened_then_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "photos.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "a,b\n1,2\n")

    with pytest.raises(UnsupportedFormat, match="a ZIP archive that is not an Excel workbook"):
        open_table(path)


def test_given_zip_magic_without_archive_named_xlsx_when_opened_then_unsupported(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, b"PK\x03\x04" + bytes(200), "book.xlsx")

    with pytest.raises(UnsupportedFormat, match=r"'book\.xlsx' looks like a damaged ZIP archive"):
        open_table(path)


def test_given_parquet_magic_named_csv_when_detected_then_content_decides() -> None:
    assert detect(b"PAR1\x15\x04\x15\x10", "sneaky.csv").format == "parquet"


def test_given_random_bytes_with_nul_when_detected_then_unsupported() -> None:
    head = b"\x01\x02\x00\x03" + random.Random(7).randbytes(4096)

    with pytest.raises(UnsupportedFormat, match="binary"):
        detect(head)


def test_given_random_bytes_without_nul_when_detected_then_unsupported() -> None:
    head = b"\x01" + random.Random(7).randbytes(4096).replace(b"\x00", b"\x01")

    with pytest.raises(UnsupportedFormat, match="binary"):
        detect(head)


@pytest.mark.parametrize(
    ("head", "expected_format"),
    [
        (b'[{"a": 1}]', "json"),
        (b'  \n[\n  {"a": 1},\n  {"a": 2}\n]\n', "json"),
        (b"[]", "json"),
        (b'  \n{"a": 1}\n{"a": 2}\n', "jsonl"),
        (b'{"a": 1}', "jsonl"),
    ],
)
def test_given_json_when_detected_then_json_or_jsonl_without_delimiter(
    head: bytes, expected_format: str
) -> None:
    dialect = detect(head)

    assert (dialect.format, dialect.encoding, dialect.delimiter) == (expected_format, "utf-8", "")


@pytest.mark.parametrize(
    ("head", "kind"),
    [(b"[1, 2, 3]", "numbers"), (b'["a", "b"]', "strings"), (b"[[1, 2], [3, 4]]", "arrays")],
)
def test_given_json_array_of_non_objects_when_detected_then_unsupported(
    head: bytes, kind: str
) -> None:
    with pytest.raises(UnsupportedFormat, match=f"a JSON array of {kind}"):
        detect(head)


def test_given_one_pretty_printed_json_object_when_detected_then_unsupported() -> None:
    with pytest.raises(UnsupportedFormat, match="JSON object spread over several lines"):
        detect(b'{\n  "a": 1,\n  "b": 2\n}\n')


@pytest.mark.parametrize(
    ("head", "kind"),
    [(b"42", "number"), (b' "hello"\n', "string"), (b"null", "null"), (b"true", "boolean")],
)
def test_given_a_json_file_of_one_scalar_when_detected_then_unsupported(
    head: bytes, kind: str
) -> None:
    with pytest.raises(UnsupportedFormat, match=f"a JSON {kind}; an array of objects"):
        detect(head, "values.json")


def test_given_a_json_file_of_a_number_too_long_for_python_when_detected_then_not_a_scalar():
    # json.loads raises a plain ValueError past 4,300 digits: the text is then a CSV header
    assert detect(b"1" * 5_000, "values.json").format == "csv"


def test_given_the_same_text_not_named_json_when_detected_then_a_one_column_csv() -> None:
    assert detect(b"42", "values.csv").format == "csv"
    assert detect(b"null\n", None).format == "csv"


def test_given_csv_header_in_brackets_when_detected_then_still_csv() -> None:
    assert detect(b"[id],[name]\n1,x\n2,y\n").format == "csv"


@pytest.mark.parametrize("head", [b"", b"  \r\n\n\t\n"])
def test_given_empty_or_blank_content_when_detected_then_csv(head: bytes) -> None:
    assert detect(head).format == "csv"


def test_given_a_share_of_control_characters_then_refused_only_past_one_percent() -> None:
    # Given text whose rows hold C0/C1 controls and DEL (\t \n \v \f \r do not count)
    line = ("a,b\t\v\f\r\n" * 13)[:98] + "\n"
    assert len(line) == 99
    # When one character in a hundred is a control character, it is still text
    for control in ("\x01", "\x1f", "\x7f", "\x85", "\x9f"):
        text = (line + control) * 100
        assert detect(text.encode("utf-8")).format == "csv"
        # And two in a hundred make it binary data
        with pytest.raises(UnsupportedFormat, match="binary data"):
            detect(((line[:-1] + control) + control).encode("utf-8") * 100)
