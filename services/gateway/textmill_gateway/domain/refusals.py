"""What the gateway refuses, by a stable code that clients branch on. No HTTP status here:
`errors.py` maps each code to its status and problem document, in one table."""


class Refusal(Exception):
    """A request refused for a reason the client can act on; `extra` fields go into the
    problem document (the unknown columns, the available chains, ...)."""

    def __init__(self, code: str, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.code, self.detail, self.extra = code, detail, extra


def invalid_request(detail: str, **extra: object) -> Refusal:
    return Refusal("invalid_request", detail, **extra)


def unauthorized(detail: str) -> Refusal:
    return Refusal("unauthorized", detail)


def forbidden(detail: str) -> Refusal:
    return Refusal("forbidden", detail)


def not_found(kind: str, ident: str) -> Refusal:
    # The same answer for "absent" and "another tenant's": existence must not leak.
    return Refusal(f"{kind}_not_found", f"no {kind} with id {ident!r}")
