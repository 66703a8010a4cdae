"""A RecursionError is the client's (400) only when the JSON decoder hit it on the body
(tests/e2e/test_runs_control.py sends such a body); one of the server's own is a 500."""

from litestar import Request

from textmill_gateway.errors import on_too_deep


def _request() -> Request:
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v2/analyze",
        "raw_path": b"/api/v2/analyze",
        "query_string": b"",
        "headers": [],
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "root_path": "",
    }
    return Request(scope)  # type: ignore[arg-type]


def _recurse(n: int) -> int:
    return _recurse(n + 1)


def test_a_recursion_of_the_servers_own_is_a_500():
    # Given a RecursionError raised by code of ours
    try:
        _recurse(0)
    except RecursionError as exc:
        error = exc
    # When it is answered
    response = on_too_deep(_request(), error)
    # Then it is the server's failure, not the client's
    assert response.status_code == 500
    assert response.content["code"] == "internal_error"
