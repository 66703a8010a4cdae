"""Every supported format through the real stack: uploaded, detected from its content,
profiled, with the free-text column ranked first."""

import io
import json

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.e2e.conftest import upload
from tests.e2e.data import review_records

RECORDS = review_records(120)
COLUMNS = list(RECORDS[0])


def as_csv(delimiter: str, encoding: str) -> bytes:
    lines = [delimiter.join(COLUMNS)]
    for record in RECORDS:
        cells = [str(record[c]) for c in COLUMNS]
        lines.append(delimiter.join(f'"{c}"' if delimiter in c or '"' in c else c for c in cells))
    return ("\n".join(lines) + "\n").encode(encoding)


def as_xlsx() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for record in RECORDS:
        sheet.append([record[c] for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_parquet() -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(RECORDS), out, row_group_size=50)
    return out.getvalue()


FORMATS = {
    # name: (file name, content, detected format) — file names lie on purpose for two.
    "csv utf-8": ("r.csv", lambda: as_csv(",", "utf-8"), "csv"),
    "csv utf-8 bom": ("r.csv", lambda: as_csv(",", "utf-8-sig"), "csv"),
    "csv utf-16": ("r.csv", lambda: as_csv(",", "utf-16"), "csv"),
    "csv cp1252, semicolons": ("r.txt", lambda: as_csv(";", "cp1252"), "csv"),
    "tsv": ("r.tsv", lambda: as_csv("\t", "utf-8"), "tsv"),
    "json array": ("r.json", lambda: json.dumps(RECORDS).encode(), "json"),
    "jsonl": ("r.jsonl", lambda: "\n".join(json.dumps(r) for r in RECORDS).encode(), "jsonl"),
    "parquet": ("r.bin", as_parquet, "parquet"),
    "xlsx": ("r.xlsx", as_xlsx, "xlsx"),
}


@pytest.mark.parametrize("name", list(FORMATS))
def test_format_is_detected_stored_and_profiled(alice, name):
    filename, content, expected = FORMATS[name]
    # Given a file of this format, uploaded
    stored = upload(alice, filename, content(), "application/octet-stream")
    assert stored.status_code == 201, stored.text
    assert (stored.json()["format"], stored.json()["rows"]) == (expected, len(RECORDS))
    # When it is profiled
    profile = alice.post("/api/v2/profile", json={"file_id": stored.json()["id"]})
    # Then the review body ranks first
    assert profile.status_code == 200, profile.text
    assert profile.json()["candidates"][0]["column"] == "body"
    assert profile.json()["rows"] == len(RECORDS)
