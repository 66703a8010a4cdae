"""The documents that describe the API, as the gateway serves them: the OpenAPI document
(checked whole by schemathesis, test_schemathesis), its docs UI working offline, AsyncAPI."""

import re

import pytest

PROBLEM = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture(scope="module")
def openapi(admin) -> dict:
    response = admin.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(openapi: dict):
    for path, item in openapi["paths"].items():
        for method, op in item.items():
            yield method.upper(), path, op


def test_every_error_status_is_a_problem_document(openapi):
    for method, path, op in operations(openapi):
        errors = {s: r for s, r in op["responses"].items() if int(s) >= 400}
        assert {"401", "429"} <= set(errors), f"{method} {path}"
        for status, response in errors.items():
            assert response["content"] == {"application/problem+json": {"schema": PROBLEM}}, (
                f"{method} {path} {status}"
            )
            assert "RateLimit" in response["headers"]
        assert "Retry-After" in op["responses"]["429"]["headers"]


def test_every_answer_is_typed(openapi):
    untyped = [
        (method, path, status)
        for method, path, op in operations(openapi)
        for status, response in op["responses"].items()
        for media in response.get("content", {}).values()
        if media.get("schema") in (None, {})
    ]
    assert untyped == []


def test_both_auth_schemes_and_the_media_types_the_api_really_uses(openapi):
    schemes = openapi["components"]["securitySchemes"]
    assert (
        schemes["JWT"]["bearerFormat"] == "JWT" and schemes["ApiKeyHeader"]["name"] == "X-API-Key"
    )
    paths = openapi["paths"]
    upload = paths["/api/v2/files"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert upload["schema"]["properties"]["file"]["format"] == "binary"
    assert (
        "text/event-stream"
        in paths["/api/v2/runs/{run_id}/events"]["get"]["responses"]["200"]["content"]
    )
    export = paths["/api/v2/runs/{run_id}/export"]["get"]["responses"]["200"]["content"]
    assert set(export) == {"text/csv", "application/x-ndjson", "application/vnd.apache.parquet"}
    assert openapi["components"]["schemas"]["AnalyzeRequest"]["additionalProperties"] is False


def test_the_docs_ui_loads_nothing_from_elsewhere(anonymous):
    page = anonymous.get("/schema/swagger")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    sources = re.findall(r'(?:src|href)=["\']([^"\']+)["\']', page.text)
    assert sources and all(source.startswith("/") for source in sources), sources
    for source in sources:
        assert anonymous.get(source).status_code == 200, source


def test_the_asyncapi_document_is_served_with_the_dead_letter_topic(anonymous):
    document = anonymous.get("/schema/asyncapi.json").json()
    assert document["asyncapi"].startswith("3.")
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert "textmill.dead-letters.v1" in addresses and "textmill.events.results.v1" in addresses
    assert "ResultBatch" in document["components"]["schemas"]


@pytest.mark.parametrize(
    ("path", "methods"),
    [("/api/v2/files", "GET, OPTIONS, POST"), ("/api/v2/files/x", "DELETE, GET, OPTIONS")],
)
def test_options_names_every_method_of_the_path(anonymous, path, methods):
    assert anonymous.options(path).headers["allow"] == methods
