"""The services' websocket protocol on a real uvicorn server: a client that offers
permessage-deflate gets messages compressed at zlib level 1, and one that does not gets
them as they are."""

import asyncio
import json
import zlib

import uvicorn
from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Frame
from websockets.uri import parse_uri

from textmill_infra.websockets import DEFLATE_LEVEL, WebSocketProtocol

# ~200 KB of JSON much like a batch of results
MESSAGE = json.dumps(
    [{"record": i, "label": ("positive", "negative")[i % 2], "score": i / 7} for i in range(4000)]
)


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": MESSAGE})
    await send({"type": "websocket.close", "code": 1000})


async def receive_one(port: int, *, deflate: bool) -> tuple[int, str, list]:
    """(bytes on the wire after the handshake, the message, the negotiated extensions)."""
    extensions = [ClientPerMessageDeflateFactory(client_max_window_bits=True)] if deflate else None
    client = ClientProtocol(parse_uri(f"ws://127.0.0.1:{port}/"), extensions=extensions)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    client.send_request(client.connect())
    writer.write(b"".join(client.data_to_send()))
    received, message = b"", None
    while message is None:
        data = await reader.read(65536)
        assert data, "the server closed before the message"
        received += data
        client.receive_data(data)
        for event in client.events_received():
            if isinstance(event, Frame) and event.opcode.name == "TEXT":
                message = event.data.decode()
    writer.close()
    wire = len(received) - received.index(b"\r\n\r\n") - 4  # after the handshake's response
    return wire, message, client.extensions


async def serve_and_receive(deflate: bool) -> tuple[int, str, list]:
    config = uvicorn.Config(app, port=0, log_config=None, ws=WebSocketProtocol, lifespan="on")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn's Server has no event for it)
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        return await receive_one(port, deflate=deflate)
    finally:
        server.should_exit = True
        await serving


def level_one_size(text: str) -> int:
    compressor = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -12, 5)
    return len(compressor.compress(text.encode()) + compressor.flush(zlib.Z_SYNC_FLUSH)) - 4


async def test_a_client_offering_deflate_gets_level_one_compression():
    # Given a server on the services' protocol
    # When a client that offers permessage-deflate receives a 200 KB message
    wire, message, extensions = await serve_and_receive(deflate=True)
    # Then the message arrives whole, deflated at level 1 (a 4 KB window): the bytes on the
    # wire are that compressed size plus frame headers
    assert message == MESSAGE
    assert [e.name for e in extensions] == ["permessage-deflate"]
    assert level_one_size(MESSAGE) <= wire <= level_one_size(MESSAGE) + 64
    assert wire < len(MESSAGE) / 4


async def test_a_client_without_deflate_gets_the_message_as_it_is():
    # Given the same server
    # When a client that offers no extension receives the message
    wire, message, extensions = await serve_and_receive(deflate=False)
    # Then it arrives uncompressed
    assert message == MESSAGE
    assert extensions == []
    assert wire >= len(MESSAGE)
