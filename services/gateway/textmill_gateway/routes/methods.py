"""`OPTIONS` answers with every method its path takes: Litestar's automatic OPTIONS handler
keeps the methods of the first handler registered on a path (`OPTIONS /api/v2/files` said
`GET, OPTIONS`, without the upload's POST)."""

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope


async def complete_allow_header(message: Message, scope: Scope) -> None:
    """`before_send`: the `Allow` of an OPTIONS answer, from the app's own route map."""
    if message["type"] != "http.response.start" or scope.get("method") != "OPTIONS":
        return
    headers = MutableScopeHeaders.from_message(message)
    handler = scope.get("route_handler")
    if "allow" not in headers or handler is None:
        return
    for route in scope["app"].routes:
        if handler in getattr(route, "route_handlers", ()):
            headers["Allow"] = ", ".join(sorted(route.methods))
