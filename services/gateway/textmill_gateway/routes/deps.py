"""Dependencies every `/api` route can ask for by name: `gateway` and `principal`."""

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from textmill_gateway.auth import Principal, hash_key, presented_key
from textmill_gateway.context import Gateway
from textmill_gateway.errors import unauthorized


async def provide_gateway(state: State) -> Gateway:
    return state.gateway


async def provide_principal(request: Request, state: State) -> Principal:
    gateway: Gateway = state.gateway
    principal = await gateway.keys.find(hash_key(presented_key(request)))
    if principal is None:
        raise unauthorized("the API key is not valid")
    return principal


# What route handlers declare: named dependencies, resolved from the providers above.
GatewayDep = NamedDependency[Gateway]
PrincipalDep = NamedDependency[Principal]
