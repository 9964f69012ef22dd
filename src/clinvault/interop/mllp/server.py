"""The asyncio MLLP server: many connections at once, one message ingested at a time.

Each connection reads frames in order and answers each with its ACK before reading the
next (original mode). Ingest runs in a worker thread under one lock, so the event loop
keeps accepting and reading while a message is being sealed. A framing error is answered
with AR and the connection is closed; a client that hangs up loses only its unACKed
message (which it resends: replay is idempotent).

Shutdown (``stop`` set, SIGINT/SIGTERM in the CLI): the listening socket closes, the
message being ingested finishes (its ACK is sent if the client still listens), then every
connection is closed; no new message is started.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass, field

from clinvault.interop.mllp.framing import FrameError, frame, read_frame
from clinvault.interop.mllp.handler import MessageHandler

log = logging.getLogger(__name__)
DEFAULT_MAX_BYTES = 1 << 20


@dataclass
class MllpServer:
    handler: MessageHandler
    host: str = "127.0.0.1"
    port: int = 2575
    max_bytes: int = DEFAULT_MAX_BYTES
    tls: ssl.SSLContext | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _connections: set[asyncio.Task[None]] = field(default_factory=set)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)
    _stopping: bool = False
    bound_port: int | None = None

    async def serve(self, stop: asyncio.Event, ready: asyncio.Event | None = None) -> None:
        server = await asyncio.start_server(
            self._connection, self.host, self.port, ssl=self.tls, limit=self.max_bytes + 1024
        )
        self.bound_port = server.sockets[0].getsockname()[1]
        if ready is not None:
            ready.set()
        try:
            await stop.wait()
        finally:
            self._stopping = True
            server.close()
            async with self._lock:  # the message in flight finishes
                for writer in list(self._writers):
                    writer.close()  # an idle connection's read ends (EOF)
            await asyncio.gather(*self._connections, return_exceptions=True)
            await server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        self._writers.add(writer)
        address = writer.get_extra_info("peername")
        peer = f"{address[0]}:{address[1]}" if isinstance(address, tuple) else "unknown"
        try:
            await self._frames(reader, writer, peer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError) as exc:
            log.info("mllp connection ended: %s", type(exc).__name__)
        finally:
            if task is not None:
                self._connections.discard(task)
            self._writers.discard(writer)
            writer.close()

    async def _frames(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> None:
        while not self._stopping:
            try:
                data = await read_frame(reader, self.max_bytes)
            except FrameError as exc:
                async with self._lock:
                    ack = await asyncio.to_thread(self.handler.reject_frame, peer, str(exc))
                writer.write(frame(ack))
                await writer.drain()
                return
            if data is None:
                return
            async with self._lock:
                if self._stopping:
                    return
                handled = await asyncio.to_thread(self.handler.handle, data, peer)
            writer.write(frame(handled.ack))
            await writer.drain()
