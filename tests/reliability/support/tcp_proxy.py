"""A TCP proxy on 127.0.0.1 that a test controls: the network between the bot
and its database, with faults on demand.

    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.start()            # the bot connects to 127.0.0.1:proxy.port
    proxy.cut()                    # every open connection dropped (a restart)
    await proxy.refuse()           # nothing listens: connections refused (down)
    await proxy.restore()          # listening again on the same port
    proxy.hold()                   # new connections accepted, never answered
    proxy.cut_on(b"INSERT INTO answer")   # drop everything when the bot sends this
    proxy.cut_after(b"COMMIT")     # forward this, then drop before the reply

It runs on the test's own event loop; the real server is never touched.
Only loopback: the proxy listens on 127.0.0.1 and forwards to ``upstream``.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

CHUNK = 65536


@dataclass(eq=False)
class _Link:
    client: asyncio.StreamWriter
    server: asyncio.StreamWriter | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def abort(self) -> None:
        for writer in (self.client, self.server):
            if writer is not None:
                writer.transport.abort()


@dataclass
class _Trigger:
    pattern: bytes
    forward: bool
    fired: asyncio.Event = field(default_factory=asyncio.Event)


class TcpProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.accepted = 0
        """Connections accepted so far (a reconnection shows up here)."""
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._holding = False
        self._trigger: _Trigger | None = None

    @property
    def url_host(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> int:
        await self._listen()
        return self.port

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    # -- faults -------------------------------------------------------------------------

    def cut(self) -> None:
        """Drop every open connection at once, both ways (the server restarted)."""
        for link in list(self._links):
            link.abort()
        self._links.clear()

    async def refuse(self) -> None:
        """Stop listening: new connections are refused, open ones dropped (the server is down)."""
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def hold(self) -> None:
        """New connections are accepted and then never answered (a black hole)."""
        self._holding = True

    async def restore(self) -> None:
        """Back to normal: listening on the same port, forwarding everything."""
        self._holding = False
        self._trigger = None
        if self._server is None:
            await self._listen()

    def cut_on(self, pattern: bytes) -> asyncio.Event:
        """The next time the bot sends ``pattern``, drop every connection
        without forwarding it: the statement never reaches the server."""
        self._trigger = _Trigger(pattern, forward=False)
        return self._trigger.fired

    def cut_after(self, pattern: bytes) -> asyncio.Event:
        """The next time the bot sends ``pattern``, forward it, then drop every
        connection before the server's answer comes back."""
        self._trigger = _Trigger(pattern, forward=True)
        return self._trigger.fired

    # -- plumbing -----------------------------------------------------------------------

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        link = _Link(writer)
        self._links.add(link)
        if self._holding:
            # Read and drop whatever comes, answer nothing, until cut.
            with contextlib.suppress(Exception):
                while await reader.read(CHUNK):
                    pass
            self._links.discard(link)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            self._links.discard(link)
            return
        link.server = up_writer
        if link not in self._links:  # cut while connecting
            link.abort()
            return
        link.tasks = [
            asyncio.create_task(self._pump(reader, up_writer, link, outbound=True)),
            asyncio.create_task(self._pump(up_reader, writer, link, outbound=False)),
        ]
        await asyncio.gather(*link.tasks, return_exceptions=True)
        link.abort()
        self._links.discard(link)

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        link: _Link,
        *,
        outbound: bool,
    ) -> None:
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    break
                trigger = self._trigger if outbound else None
                if trigger is not None and trigger.pattern in data:
                    self._trigger = None
                    if trigger.forward:
                        await _flushed(writer, data)
                        # The server gets the end of the stream after the
                        # statement; the bot never hears the answer.
                        link.client.transport.abort()
                        writer.close()
                    else:
                        link.abort()
                    self._links.discard(link)
                    trigger.fired.set()
                    self.cut()
                    return
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(Exception):
                if writer.can_write_eof():
                    writer.write_eof()


async def _flushed(writer: asyncio.StreamWriter, data: bytes) -> None:
    """Write ``data`` and wait (at most a second) until the kernel has all of it:
    with a high-water mark of 0, ``drain`` returns only once nothing is buffered."""
    writer.transport.set_write_buffer_limits(high=0)
    writer.write(data)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(1.0):
            await writer.drain()
