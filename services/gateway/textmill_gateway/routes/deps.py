"""Dependencies every `/api` route can ask for by name: `gateway` and `principal`."""

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency

from textmill_gateway.context import Gateway
from textmill_gateway.domain.principal import Principal, hash_key
from textmill_gateway.domain.refusals import unauthorized


def presented_key(connection: ASGIConnection, *, in_query: bool = False) -> str:
    """The API key a request presents: `Authorization: Bearer`, `X-API-Key`, or (`in_query`,
    for websockets, which browsers cannot give headers) `?api_key=`."""
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if key := connection.headers.get("x-api-key", "").strip():
        return key
    if in_query and (key := connection.query_params.get("api_key", "").strip()):
        return key
    ways = (
        "'Authorization: Bearer <key>', 'X-API-Key' or ?api_key="
        if in_query
        else ("'Authorization: Bearer <key>' or 'X-API-Key'")
    )
    raise unauthorized(f"send an API key as {ways}")


async def principal_of(gateway: Gateway, key: str) -> Principal:
    principal = await gateway.keys.find(hash_key(key))
    if principal is None:
        raise unauthorized("the API key is not valid")
    return principal


async def provide_gateway(state: State) -> Gateway:
    return state.gateway


async def provide_principal(request: Request, state: State) -> Principal:
    principal = await principal_of(state.gateway, presented_key(request))
    request.state.tenant = principal.tenant  # for the access log
    return principal


# What route handlers declare: named dependencies, resolved from the providers above.
GatewayDep = NamedDependency[Gateway]
PrincipalDep = NamedDependency[Principal]
