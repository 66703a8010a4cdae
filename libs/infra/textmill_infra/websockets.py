"""The websocket protocol the services serve: uvicorn's own (`websockets-sansio`, what its
"auto" picks), compressing at zlib level 1.

A client that offers permessage-deflate (browsers and the `websockets` client do) gets every
message compressed. uvicorn compresses at zlib's default level, 6: 1.65 ms a message of
1,000 sentiment results (207 KB to 18 KB), where level 1 takes 0.49 ms (to 23 KB), in the
gateway's one event loop, ~200 times a run of 200,000 cells. Window and memory are
uvicorn's (4 KB window, `memLevel` 5), so a connection holds as much as before.
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
