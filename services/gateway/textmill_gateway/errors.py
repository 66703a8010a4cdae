"""Every error the API can answer with, and the one place that turns errors into RFC 9457
problem documents (`application/problem+json`) with a stable `code` and the request id."""

import traceback
from http import HTTPStatus

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from textmill_gateway.middleware import SECURITY_HEADERS, request_id_for
from textmill_infra.logs import REQUEST_ID_HEADER, get_logger, request_id_var

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = get_logger(__name__)


class ApiError(Exception):
    """A failure the client can act on. `code` is stable: clients branch on it."""

    def __init__(
        self, status: int, code: str, detail: str, *, headers: dict | None = None, **extra
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.headers = headers or {}
        self.extra = extra


def unauthorized(detail: str) -> ApiError:
    return ApiError(401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


def forbidden(detail: str) -> ApiError:
    return ApiError(403, "forbidden", detail)


def not_found(kind: str, ident: str) -> ApiError:
    # The same answer for "absent" and "another tenant's": existence must not leak.
    return ApiError(404, f"{kind}_not_found", f"no {kind} with id {ident!r}")


def problem_body(status: int, code: str, detail: str, *, instance: str, **extra) -> dict:
    """A problem document (RFC 9457) as every answer, stream message and event carries it."""
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


def problem(request: Request, status: int, code: str, detail: str, **extra) -> Response:
    body = problem_body(status, code, detail, instance=request.url.path, **extra)
    headers: dict[str, str] = {}
    if body["correlation_id"] is None:
        # No route matched (404, 405): the router answers before the middleware that names
        # the request and adds the security headers, so they are given here.
        body["correlation_id"] = request_id_for(request.scope)
        headers = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}
        headers[REQUEST_ID_HEADER] = body["correlation_id"]
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def on_api_error(request: Request, exc: ApiError) -> Response:
    response = problem(request, exc.status, exc.code, exc.detail, **exc.extra)
    response.headers.update(exc.headers)
    return response


def on_validation_error(request: Request, exc: ValidationException) -> Response:
    errors = exc.extra if isinstance(exc.extra, list) else []
    return problem(request, 400, "invalid_request", exc.detail, errors=errors)


def on_http_error(request: Request, exc: HTTPException) -> Response:
    # Framework-raised errors: a 400 (e.g. a body that is not JSON) is the same client
    # mistake as a failed validation, so it carries the same code.
    code = "invalid_request" if exc.status_code == 400 else _code_for(exc.status_code)
    response = problem(request, exc.status_code, code, exc.detail)
    response.headers.update(exc.headers or {})
    return response


def _code_for(status: int) -> str:
    return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")


def on_too_deep(request: Request, exc: RecursionError) -> Response:
    """A body nested deeper than the JSON decoder recurses (about a thousand levels) is the
    client's; a recursion anywhere else is ours, and answered as any other failure."""
    if not _in_body_decoding(exc):
        return on_unexpected_error(request, exc)
    return problem(request, 400, "invalid_request", "the JSON body is nested too deeply")


def _in_body_decoding(exc: BaseException) -> bool:
    # The request's body is decoded by Litestar through msgspec: its frames are on the
    # traceback, and the recursion is the decoder's own (msgspec's C code adds no frame).
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and any(
        frame.name in {"json", "msgpack"} and "litestar" in frame.filename for frame in frames
    )


def on_unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", path=request.url.path)
    return problem(
        request, 500, "internal_error", "the server failed; the request id says which call"
    )


EXCEPTION_HANDLERS = {
    ApiError: on_api_error,
    ValidationException: on_validation_error,
    HTTPException: on_http_error,
    RecursionError: on_too_deep,
    Exception: on_unexpected_error,
}
