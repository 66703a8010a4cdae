"""Dependencies every `/api` route can ask for by name: `gateway` and `principal`.

Resolving `principal` is the gate of every route: the credentials (an API key or a JWT),
then the rate limit of the route's budget, then the role the route declares
(`opt={"role": ...}`; any role by default). Refused credentials are audited.
"""

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders, State
from litestar.di import NamedDependency
from litestar.types import Message, Scope

from textmill_contracts.envelope import utc_now
from textmill_gateway.adapters.audit import AuditEntry
from textmill_gateway.context import Gateway
from textmill_gateway.domain.budgets import Budget, budget_of, rate_limit_headers, retry_after
from textmill_gateway.domain.principal import Principal, hash_key, looks_like_jwt
from textmill_gateway.domain.refusals import CredentialsRefused, Refusal, unauthorized

RATE_LIMIT_STATE = "textmill_rate_limit_headers"


def presented_key(connection: ASGIConnection, *, in_query: bool = False) -> str:
    """The credential a request presents: `Authorization: Bearer` (an API key or a JWT),
    `X-API-Key`, or (`in_query`, for websockets, which browsers cannot give headers)
    `?api_key=`."""
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if key := connection.headers.get("x-api-key", "").strip():
        return key
    if in_query and (key := connection.query_params.get("api_key", "").strip()):
        return key
    ways = (
        "'Authorization: Bearer <key or JWT>', 'X-API-Key' or ?api_key="
        if in_query
        else "'Authorization: Bearer <key or JWT>' or 'X-API-Key'"
    )
    raise unauthorized(f"send an API key or a JWT as {ways}")


async def principal_of(gateway: Gateway, key: str) -> Principal:
    if looks_like_jwt(key):
        if gateway.tokens is None:
            raise unauthorized("this gateway accepts no JWT (none of its keys is configured)")
        return gateway.tokens.verify(key)
    stored = await gateway.keys.find(hash_key(key))
    if stored is None:
        raise unauthorized("the API key is not valid")
    if not stored.usable(utc_now()):
        raise unauthorized(
            "the API key has been revoked", tenant=stored.tenant, actor=stored.key_id
        )
    return stored.principal


async def authenticate(
    gateway: Gateway, connection: ASGIConnection, *, in_query: bool = False
) -> Principal:
    """The caller, or a 401 (audited, within the refusals' budget of its address)."""
    try:
        return await principal_of(gateway, presented_key(connection, in_query=in_query))
    except CredentialsRefused as refused:
        await _audit_refusal(gateway, connection, refused)
        raise


async def spend(
    gateway: Gateway, connection: ASGIConnection, principal: Principal, budget: Budget
) -> None:
    """Count the request against the caller's quotas; a 429 when one is spent. Where the
    caller stands goes into the answer's headers (`add_rate_limit_headers`)."""
    if not gateway.limits.enabled:
        return
    standings = await gateway.limits.spend(principal, budget)
    headers = rate_limit_headers(standings)
    connection.scope.setdefault("state", {})[RATE_LIMIT_STATE] = headers
    refused = [s.quota.name for s in standings if not s.allowed]
    if refused:
        wait = retry_after(standings)
        raise Refusal(
            "rate_limited",
            f"the {refused[0].replace('-', ' ')} quota is spent; retry in {wait} s",
            headers={"Retry-After": str(wait)},
            retry_after=wait,
        )


async def provide_gateway(state: State) -> Gateway:
    return state.gateway


async def provide_principal(request: Request, state: State) -> Principal:
    gateway: Gateway = state.gateway
    principal = await authenticate(gateway, request)
    request.state.tenant = principal.tenant  # for the access log
    opt = request.route_handler.opt
    await spend(gateway, request, principal, budget_of(request.method, opt.get("budget")))
    if role := opt.get("role"):
        principal.require(role)
    return principal


async def add_rate_limit_headers(message: Message, scope: Scope) -> None:
    """`before_send`: the rate-limit headers of the request's quotas on its answer,
    whatever the answer (a problem included)."""
    if message["type"] != "http.response.start":
        return
    headers = scope.get("state", {}).get(RATE_LIMIT_STATE)
    if headers:
        mutable = MutableScopeHeaders.from_message(message)
        for name, value in headers.items():
            mutable[name] = value


async def _audit_refusal(
    gateway: Gateway, connection: ASGIConnection, refused: CredentialsRefused
) -> None:
    address = connection.client.host if connection.client else "unknown"
    if not await gateway.limits.may_audit_refusal(address):
        return
    operator = gateway.runtime.settings.admin_tenant
    await gateway.audit.record(
        AuditEntry(
            tenant=refused.tenant or operator,
            actor=refused.actor or "anonymous",
            action="login.refused",
            target=connection.url.path,
            detail={"reason": refused.detail, "address": address},
        )
    )


# What route handlers declare: named dependencies, resolved from the providers above.
GatewayDep = NamedDependency[Gateway]
PrincipalDep = NamedDependency[Principal]
