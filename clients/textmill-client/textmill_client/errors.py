"""What a call to textmill can fail with: the gateway's problem document (its stable code,
detail and request id) as an exception, and a connection that could not be made."""

from typing import Any


class TextmillError(Exception):
    """The gateway refused or failed a request; `code` is the problem's stable code (see
    the README's errors table), `request_id` the id to find it in the services' logs."""

    def __init__(
        self,
        code: str,
        detail: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        problem: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.status = status
        self.request_id = request_id
        self.problem = problem or {}


class TextmillUnavailable(TextmillError):
    """The gateway could not be reached (refused, reset, timed out), after the retries."""

    def __init__(self, detail: str) -> None:
        super().__init__("unavailable", detail)


def problem_error(status: int, body: object, request_id: str | None) -> TextmillError:
    """The exception of an error response, from its problem document when it has one."""
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        return TextmillError(
            body["code"],
            str(body.get("detail") or body.get("title") or ""),
            status=status,
            request_id=body.get("correlation_id") or request_id,
            problem=body,
        )
    text = body if isinstance(body, str) else ""
    return TextmillError(
        f"http_{status}", text[:300] or f"HTTP {status}", status=status, request_id=request_id
    )
