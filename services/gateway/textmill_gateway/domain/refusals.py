"""What the gateway refuses, by a stable code that clients branch on. No HTTP status here:
`errors.py` maps each code to its status and problem document, in one table."""


class Refusal(Exception):
    """A request refused for a reason the client can act on; `extra` fields go into the
    problem document (the unknown columns, the available chains, ...), `headers` into the
    answer's (a rate limit's `Retry-After`)."""

    def __init__(
        self, code: str, detail: str, *, headers: dict[str, str] | None = None, **extra: object
    ) -> None:
        super().__init__(detail)
        self.code, self.detail, self.extra = code, detail, extra
        self.headers = headers or {}


class CredentialsRefused(Refusal):
    """No, or no valid, credentials (401). `tenant` and `actor`, when the credentials name
    them (a revoked key, an expired token), are for the audit log, never for the answer."""

    def __init__(self, detail: str, *, tenant: str | None = None, actor: str | None = None):
        super().__init__("unauthorized", detail)
        self.tenant, self.actor = tenant, actor


def invalid_request(detail: str, **extra: object) -> Refusal:
    return Refusal("invalid_request", detail, **extra)


def unauthorized(detail: str, *, tenant: str | None = None, actor: str | None = None) -> Refusal:
    return CredentialsRefused(detail, tenant=tenant, actor=actor)


def forbidden(detail: str) -> Refusal:
    return Refusal("forbidden", detail)


def not_found(kind: str, ident: str) -> Refusal:
    # The same answer for "absent" and "another tenant's": existence must not leak.
    return Refusal(f"{kind}_not_found", f"no {kind} with id {ident[:100]!r}")
