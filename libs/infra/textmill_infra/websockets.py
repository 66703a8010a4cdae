"""The websocket protocol the services serve: uvicorn's own (`websockets-sansio`, what its
"auto" picks), compressing at zlib level 1 rather than 6: a client that offers
permessage-deflate gets every message compressed, in the gateway's one event loop, where
level 6 took three times as long for a few KB less. Window and memory are uvicorn's (4 KB
window, `memLevel` 5), so a connection holds as much as before.
"""

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

DEFLATE_LEVEL = 1


def deflate() -> ServerPerMessageDeflateFactory:
    return ServerPerMessageDeflateFactory(
        server_max_window_bits=12,
        client_max_window_bits=12,
        compress_settings={"memLevel": 5, "level": DEFLATE_LEVEL},
    )


class WebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.config.ws_per_message_deflate:
            self.conn.available_extensions = [deflate()]
