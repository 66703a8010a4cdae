"""validate(): one streaming pass that the gateway runs on every upload."""

from pathlib import Path

import pytest

from textmill_tabular import MalformedFile, TableShape, UnsupportedFormat, validate


def test_given_well_formed_tsv_when_validated_then_shape_counts_data_rows(tmp_path: Path) -> None:
    path = tmp_path / "reviews.tsv"
    path.write_text("id\treview\n1\tgreat\n\n2\tawful\n3\tfine\n", encoding="utf-8")

    shape = validate(path)

    assert isinstance(shape, TableShape)
    assert (shape.rows, shape.columns, shape.dialect.format) == (3, 2, "tsv")


def test_given_empty_file_when_validated_then_zero_by_zero(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")

    shape = validate(path)

    assert (shape.rows, shape.columns) == (0, 0)


def test_given_ragged_row_late_in_file_when_validated_then_malformed(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("a,b\n" + "1,2\n" * 5_000 + "1,2,3\n", encoding="utf-8")

    with pytest.raises(MalformedFile) as caught:
        validate(path)

    assert caught.value.row == 5_002


def test_given_stored_name_differs_when_validated_then_message_uses_users_filename(
    tmp_path: Path,
) -> None:
    path = tmp_path / "upload-7f3a"
    path.write_bytes(b"%PDF-1.7\n" + bytes(64))

    with pytest.raises(UnsupportedFormat, match=r"'sales\.csv' looks like a PDF document"):
        validate(path, "sales.csv")
