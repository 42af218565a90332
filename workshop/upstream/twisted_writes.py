"""Let daphne's sockets send at once when nothing is waiting to be sent.

Twisted's TCP transport never writes in `write()`: it appends the bytes to a buffer, asks the reactor to watch the
socket for writability (on daphne's asyncio reactor: an `add_writer`, an epoll call), sends them on the next
turn of the loop, then stops watching (`remove_writer`, another epoll call). For one HTTP response that is
nothing; for a push to 300 websockets it is 300 watch/unwatch pairs, 300 extra callbacks through Twisted's
logging context, and about a third of the fan-out's time.

`install()` gives TCP connections the fast path asyncio's own transports take: when the connection's buffer is
empty, try `send()` right away; whatever the kernel does not take (a slow client, a full socket buffer), and
every error, goes the usual way through Twisted's buffer, so flow control, producers, half-close and
connection-lost handling are unchanged. TLS connections (not used by daphne here) keep Twisted's path.
"""

from __future__ import annotations

from twisted.internet import _newtls, tcp

_buffered_write = _newtls.ConnectionMixin.write


def _write(self, data) -> None:
    if (
        type(data) is bytes
        and data
        and not self.TLS
        and self.connected
        and not self.disconnecting
        and not self._writeDisconnected
        and not self._tempDataBuffer
        and self.offset == len(self.dataBuffer)
    ):
        sent = self.writeSomeData(data)
        if isinstance(sent, int) and sent > 0:
            if sent == len(data):
                return
            data = data[sent:]
    _buffered_write(self, data)


def install() -> None:
    tcp.Connection.write = _write


def uninstall() -> None:
    tcp.Connection.write = _buffered_write
