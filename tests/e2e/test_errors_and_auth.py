"""Bad input gets a clear problem document and leaves nothing behind; keys and tenants."""

import io

import openpyxl
import pytest

from tests.e2e.conftest import assert_problem, new_tenant_client, upload
from tests.e2e.data import reviews_csv


def test_request_without_a_key_is_unauthorized(anonymous):
    assert_problem(anonymous.get("/api/v2/files"), 401, "unauthorized")


def test_request_with_a_wrong_key_is_unauthorized(anonymous):
    response = anonymous.get("/api/v2/files", headers={"Authorization": "Bearer tm_nope_nope"})
    assert_problem(response, 401, "unauthorized")


def test_key_is_accepted_in_the_x_api_key_header(anonymous, admin_key):
    assert anonymous.get("/api/v2/files", headers={"X-API-Key": admin_key}).status_code == 200


def test_unknown_file_is_not_found(alice):
    assert_problem(alice.post("/api/v2/profile", json={"file_id": "0" * 24}), 404, "file_not_found")
    assert_problem(alice.get("/api/v2/files/not-an-object-id"), 404, "file_not_found")


def test_another_tenants_file_answers_not_found(alice, bob):
    # Given a file of alice's
    file_id = upload(alice, "reviews.csv", reviews_csv(10)).json()["id"]
    # When bob reads, profiles or deletes it
    # Then every answer is the same 404 as for a file that does not exist
    assert_problem(bob.get(f"/api/v2/files/{file_id}"), 404, "file_not_found")
    assert_problem(bob.post("/api/v2/profile", json={"file_id": file_id}), 404, "file_not_found")
    assert_problem(bob.delete(f"/api/v2/files/{file_id}"), 404, "file_not_found")
    assert alice.get(f"/api/v2/files/{file_id}").status_code == 200


@pytest.mark.parametrize(
    ("name", "content", "what"),
    [
        ("image.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "png"),
        ("archive.zip", b"PK\x03\x04" + bytes(300), "zip"),
        ("blob.bin", bytes(range(256)) * 16, "binary"),
    ],
)
def test_non_tabular_upload_is_unsupported_and_not_stored(alice, name, content, what):
    before = alice.get("/api/v2/files").json()["items"]
    assert_problem(
        upload(alice, name, content, "application/octet-stream"), 415, "unsupported_format"
    )
    assert alice.get("/api/v2/files").json()["items"] == before


def test_corrupt_parquet_is_malformed_and_not_stored(alice):
    before = alice.get("/api/v2/files").json()["items"]
    corrupt = b"PAR1" + bytes(200) + b"PAR1"
    assert_problem(
        upload(alice, "data.parquet", corrupt, "application/octet-stream"), 422, "malformed_file"
    )
    assert alice.get("/api/v2/files").json()["items"] == before


def test_invalid_json_line_says_which_line(alice):
    content = b'{"text": "fine"}\n{"text": "also fine"}\n{"text": broken}\n'
    body = assert_problem(upload(alice, "data.jsonl", content), 422, "malformed_file")
    assert body["row"] == 3


def test_malformed_csv_says_which_row_and_is_not_stored(alice):
    # Given a CSV whose third data row has one field too many
    content = b"a,b,c\n1,2,3\n4,5,6\n7,8,9,10\n"
    before = alice.get("/api/v2/files").json()["items"]
    # When it is uploaded
    body = assert_problem(upload(alice, "bad.csv", content), 422, "malformed_file")
    # Then the problem says where it broke, and nothing was stored
    assert body["row"] == 4
    assert "4" in body["detail"]
    assert alice.get("/api/v2/files").json()["items"] == before


def test_unterminated_quote_is_malformed(alice):
    assert_problem(upload(alice, "bad.csv", b'a,b\n1,"never closed\n2,3\n'), 422, "malformed_file")


def test_upload_that_is_not_multipart_is_an_unsupported_media_type(alice):
    response = alice.post(
        "/api/v2/files", content=b"a,b\n1,2\n", headers={"content-type": "text/csv"}
    )
    assert_problem(response, 415, "unsupported_media_type")


def test_multipart_without_a_file_part_is_invalid(alice):
    response = alice.post(
        "/api/v2/files", data={"note": "no file here"}, files={"other": ("x.txt", b"x")}
    )
    assert_problem(response, 400, "invalid_request")


def test_a_multipart_body_cut_short_is_refused_and_stores_nothing(alice):
    # Given a tenant's files, and an upload whose body ends before its closing boundary
    before = alice.get("/api/v2/files").json()["items"]
    body = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="file"; filename="cut.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n"
        b"a,b\n1,2\n"
    )
    # When it is sent
    response = alice.post(
        "/api/v2/files",
        content=body,
        headers={"content-type": "multipart/form-data; boundary=XyZ"},
    )
    # Then it is refused as cut short, not stored as if it were the whole file
    assert "closing boundary" in assert_problem(response, 400, "invalid_request")["detail"]
    assert alice.get("/api/v2/files").json()["items"] == before


def test_profile_request_without_file_id_is_invalid(alice):
    assert_problem(alice.post("/api/v2/profile", json={}), 400, "invalid_request")
    assert_problem(
        alice.post(
            "/api/v2/profile", content=b"{not json", headers={"content-type": "application/json"}
        ),
        400,
        "invalid_request",
    )


def test_request_id_sent_by_the_client_is_echoed_in_the_problem(alice):
    response = alice.get("/api/v2/files/nope", headers={"x-request-id": "req-e2e-123"})
    assert assert_problem(response, 404, "file_not_found")["correlation_id"] == "req-e2e-123"


def test_only_an_admin_creates_keys(alice):
    response = alice.post("/api/v2/keys", json={"tenant": "x", "role": "admin"})
    assert_problem(response, 403, "forbidden")


def test_a_tenants_admin_makes_keys_for_its_own_tenant_alone(admin):
    # Given the admin of one tenant, and another tenant that has a file
    with new_tenant_client(admin, role="admin") as tenant_admin, new_tenant_client(admin) as other:
        theirs = upload(other, "secret.csv", reviews_csv(5)).json()["tenant"]
        mine = upload(tenant_admin, "mine.csv", reviews_csv(5)).json()["tenant"]
        # When it asks for keys of the other tenant, an admin one and a viewer one
        refused = [
            tenant_admin.post("/api/v2/keys", json={"tenant": theirs, "role": role})
            for role in ("admin", "viewer")
        ]
        made = tenant_admin.post("/api/v2/keys", json={"tenant": mine, "role": "viewer"})
    # Then both are refused (the other tenant's files stay out of its reach), and a key of
    # its own tenant is made
    for response in refused:
        assert_problem(response, 403, "forbidden")
    assert made.status_code == 201 and made.json()["tenant"] == mine


def _workbook(*sheets: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for n, rows in enumerate(sheets):
        sheet = book.create_sheet(f"s{n}")
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.csv", b""),
        ("blank.csv", b"  \n\n\n"),
        ("nothing.json", b"[]"),
        ("empty.xlsx", _workbook([])),
        ("second.xlsx", _workbook([], [["a", "b"], ["1", "2"]])),
    ],
)
def test_an_upload_with_no_column_is_422_and_stores_nothing(alice, name, content):
    # Given a tenant's files
    before = alice.get("/api/v2/files").json()["items"]
    # When a file that holds no table is uploaded (runs and results of it answered 500)
    response = upload(alice, name, content)
    # Then it is refused, saying why, and nothing is stored
    assert "no table" in assert_problem(response, 422, "empty_file")["detail"]
    assert alice.get("/api/v2/files").json()["items"] == before


def test_a_viewer_cannot_upload(admin):
    with new_tenant_client(admin, role="viewer") as viewer:
        assert_problem(upload(viewer, "r.csv", reviews_csv(5)), 403, "forbidden")
        assert viewer.get("/api/v2/files").status_code == 200


def test_created_key_is_returned_once_and_stored_hashed(admin):
    created = admin.post("/api/v2/keys", json={"tenant": "acme", "role": "viewer"}).json()
    assert created["key"].startswith(f"tm_{created['key_id']}_")
    assert "key_hash" not in created


def test_key_request_with_a_bad_role_is_invalid(admin):
    assert_problem(
        admin.post("/api/v2/keys", json={"tenant": "acme", "role": "root"}), 400, "invalid_request"
    )


@pytest.mark.parametrize(("method", "path"), [("GET", "/nope"), ("PUT", "/api/v2/files")])
def test_a_request_no_route_takes_gets_a_problem_with_its_request_id(anonymous, method, path):
    # Given a request for a path no route serves, or a method its route does not take
    # When it is sent with a request id
    response = anonymous.request(method, path, headers={"x-request-id": "req-nowhere-1"})
    # Then its problem names that id, in its body and its headers, with the security headers
    assert response.status_code in (404, 405)
    assert (
        assert_problem(response, response.status_code, response.json()["code"])["correlation_id"]
        == "req-nowhere-1"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
