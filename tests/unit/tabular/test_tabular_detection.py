"""Format detection: encodings, delimiters, and content that is not CSV/TSV."""

import codecs
import random
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
        (b"PK\x03\x04\x14\x00\x06\x00", "ZIP archive"),
        (b"PAR1\x15\x04\x15\x10", "Parquet file"),
        (b"%PDF-1.7\n", "PDF document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG image"),
        (b"\x1f\x8b\x08\x00", "gzip"),
    ],
)
def test_given_binary_magic_when_detected_then_unsupported_names_it(
    head: bytes, looks_like: str
) -> None:
    with pytest.raises(UnsupportedFormat) as caught:
        detect(head + b"a,b\n1,2\n")

    assert looks_like in caught.value.detail
    assert "only CSV/TSV are supported" in caught.value.detail
    assert (caught.value.code, caught.value.status) == ("unsupported_format", 415)


def test_given_zip_named_xlsx_when_opened_then_message_says_excel(tmp_path: Path) -> None:
    path = _write(tmp_path, b"PK\x03\x04" + bytes(200), "book.xlsx")

    with pytest.raises(UnsupportedFormat, match=r"'book\.xlsx' looks like an Excel workbook"):
        open_table(path)


def test_given_parquet_named_csv_when_opened_then_content_decides(tmp_path: Path) -> None:
    path = _write(tmp_path, b"PAR1" + bytes(100) + b"PAR1", "sneaky.csv")

    with pytest.raises(UnsupportedFormat, match="looks like a Parquet file"):
        open_table(path)


def test_given_random_bytes_with_nul_when_detected_then_unsupported() -> None:
    head = b"\x01\x02\x00\x03" + random.Random(7).randbytes(4096)

    with pytest.raises(UnsupportedFormat, match="binary"):
        detect(head)


def test_given_random_bytes_without_nul_when_detected_then_unsupported() -> None:
    head = b"\x01" + random.Random(7).randbytes(4096).replace(b"\x00", b"\x01")

    with pytest.raises(UnsupportedFormat, match="binary"):
        detect(head)


@pytest.mark.parametrize("head", [b'[{"a": 1}]', b'  \n{"a": 1}\n{"a": 2}\n'])
def test_given_json_when_detected_then_unsupported(head: bytes) -> None:
    with pytest.raises(UnsupportedFormat, match="looks like JSON"):
        detect(head)


@pytest.mark.parametrize("head", [b"", b"  \r\n\n\t\n"])
def test_given_empty_or_blank_content_when_detected_then_csv(head: bytes) -> None:
    assert detect(head).format == "csv"
