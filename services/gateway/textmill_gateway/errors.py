"""The one place errors become answers: every stable code with its HTTP status, and the
handlers that turn refusals, file errors and framework errors into RFC 9457 problem
documents (`application/problem+json`) carrying the code and the request id."""

import traceback
from http import HTTPStatus

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from redis.exceptions import MaxConnectionsError

from textmill_gateway.domain.refusals import Refusal
from textmill_gateway.domain.tasks import V1_CODES
from textmill_gateway.middleware import SECURITY_HEADERS, request_id_for
from textmill_infra.blobs import StoredFileMissing
from textmill_infra.logs import REQUEST_ID_HEADER, get_logger, request_id_var
from textmill_infra.replies import ReplyTimeout
from textmill_tabular import TabularError

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = get_logger(__name__)

# Every code the API answers with (README, "Errors"), and its status.
STATUS: dict[str, int] = {
    "invalid_request": 400,
    "tabular_error": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "file_not_found": 404,
    "run_not_found": 404,
    "task_not_found": 404,
    "key_not_found": 404,
    "run_finished": 409,
    "key_managed": 409,
    "key_revoked": 409,
    "file_gone": 410,
    "stream_gone": 410,
    "file_too_large": 413,
    "too_large": 413,
    "unsupported_media_type": 415,
    "unsupported_format": 415,
    "malformed_file": 422,
    "empty_file": 422,
    "empty_selection": 422,
    "unknown_column": 422,
    "unknown_chain": 422,
    "rate_limited": 429,
    "profile_failed": 500,
    "estimate_failed": 500,
    "internal_error": 500,
    "cancel_pending": 503,
    "overloaded": 503,
    "upstream_timeout": 504,
}
HEADERS: dict[str, dict[str, str]] = {"unauthorized": {"WWW-Authenticate": "Bearer"}}


def status_of(code: str) -> int:
    """A code's status; 500 for a code the table lacks (a test holds the table whole)."""
    return STATUS.get(code, 500)


def problem_body(code: str, detail: str, *, instance: str, **extra) -> dict:
    """A problem document (RFC 9457) as every answer, stream message and event carries it."""
    status = status_of(code)
    return {
        "type": f"https://textmill.dev/problems/{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "code": code,
        "detail": detail,
        "instance": instance,
        "correlation_id": request_id_var.get(),
        **extra,
    }


def problem(
    request: Request, code: str, detail: str, *, status: int | None = None, **extra
) -> Response:
    """The problem answer of `code` (`status` only for framework errors, whose codes the
    table does not list)."""
    body = problem_body(code, detail, instance=request.url.path, **extra)
    if status is not None:
        body["status"], body["title"] = status, HTTPStatus(status).phrase
    if request.url.path.startswith("/api/v1/") and code in V1_CODES:
        # The v1 API's codes: 01 invalid input, 02 file processing, 03 analysis failure.
        body["code"], body["reason"] = V1_CODES[code], code
    headers = dict(HEADERS.get(code, {}))
    if body["correlation_id"] is None:
        # No route matched (404, 405): the router answers before the middleware that names
        # the request and adds the security headers, so they are given here.
        body["correlation_id"] = request_id_for(request.scope)
        headers |= {name.decode(): value.decode() for name, value in SECURITY_HEADERS}
        headers[REQUEST_ID_HEADER] = body["correlation_id"]
    return Response(
        body, status_code=body["status"], media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def on_refusal(request: Request, exc: Refusal) -> Response:
    response = problem(request, exc.code, exc.detail, **exc.extra)
    response.headers.update(exc.headers)
    return response


def on_tabular_error(request: Request, exc: TabularError) -> Response:
    where = {k: v for k, v in (("row", exc.row), ("column", exc.column)) if v is not None}
    return problem(request, exc.code, exc.detail, **where)


def on_stored_file_missing(request: Request, exc: StoredFileMissing) -> Response:
    return problem(request, exc.code, str(exc))


def on_reply_timeout(request: Request, exc: ReplyTimeout) -> Response:
    return problem(request, exc.code, str(exc))


def on_validation_error(request: Request, exc: ValidationException) -> Response:
    errors = exc.extra if isinstance(exc.extra, list) else []
    return problem(
        request, "invalid_request", _validation_detail(exc.detail, errors), errors=errors
    )


def _validation_detail(detail: str, errors: list) -> str:
    """Name the fields a body has that the API does not take (pydantic's `extra_forbidden`):
    a typo such as `chain` for `chains` must not pass unnoticed."""
    unknown = [
        str(error.get("key"))
        for error in errors
        if isinstance(error, dict)
        and "extra inputs are not permitted" in str(error.get("message", "")).lower()
    ]
    if not unknown:
        return detail
    return f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}"


def on_http_error(request: Request, exc: HTTPException) -> Response:
    # Framework-raised errors: a 400 (e.g. a body that is not JSON) is the same client
    # mistake as a failed validation, so it carries the same code.
    code = "invalid_request" if exc.status_code == 400 else _code_for(exc.status_code)
    response = problem(request, code, exc.detail, status=exc.status_code)
    response.headers.update(exc.headers or {})
    return response


def _code_for(status: int) -> str:
    return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")


def on_too_deep(request: Request, exc: RecursionError) -> Response:
    """A body nested deeper than the JSON decoder recurses (about a thousand levels) is the
    client's; a recursion anywhere else is ours, and answered as any other failure."""
    if not _in_body_decoding(exc):
        return on_unexpected_error(request, exc)
    return problem(request, "invalid_request", "the JSON body is nested too deeply")


def _in_body_decoding(exc: BaseException) -> bool:
    # The request's body is decoded by Litestar through msgspec: its frames are on the
    # traceback, and the recursion is the decoder's own (msgspec's C code adds no frame).
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and any(
        frame.name in {"json", "msgpack"} and "litestar" in frame.filename for frame in frames
    )


def on_unexpected_error(request: Request, exc: Exception) -> Response:
    if _pool_exhausted(exc):
        # Redis's pool (streams hold connections too) ran out: the gateway is overloaded,
        # which a retry a moment later may not find; not the server's failure.
        response = problem(request, "overloaded", "the gateway is overloaded; retry in 1 s")
        response.headers["Retry-After"] = "1"
        return response
    log.exception("unhandled error", path=request.url.path)
    return problem(request, "internal_error", "the server failed; the request id says which call")


def _pool_exhausted(exc: BaseException) -> bool:
    """Whether `exc` is, or wraps (a dependency's task group raises a group), Redis's
    `MaxConnectionsError`."""
    if isinstance(exc, MaxConnectionsError):
        return True
    if isinstance(exc, BaseExceptionGroup):
        return any(_pool_exhausted(inner) for inner in exc.exceptions)
    return isinstance(exc.__cause__, MaxConnectionsError)


EXCEPTION_HANDLERS = {
    Refusal: on_refusal,
    TabularError: on_tabular_error,
    StoredFileMissing: on_stored_file_missing,
    ReplyTimeout: on_reply_timeout,
    ValidationException: on_validation_error,
    HTTPException: on_http_error,
    RecursionError: on_too_deep,
    Exception: on_unexpected_error,
}
