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

Checked against Twisted 26.10.0 under daphne 4.2.3 (`CHECKED_AGAINST`; pyproject.toml pins their minor versions).
`install()` checks first that Twisted still has what the fast path relies on (`problems()`: listed there); if
not, it logs one warning (logger `workshop.upstream`) and leaves Twisted's own write in place.
"""

from __future__ import annotations

from twisted.internet import abstract, tcp

from workshop.upstream import _checks

# The versions this module was read against and tested with: what it relies on is listed in `problems()`.
CHECKED_AGAINST = {"Twisted": "26.10.0", "daphne": "4.2.3"}


def _write_owner() -> type | None:
    """The class `tcp.Connection` inherits its `write` from: Twisted's `_newtls.ConnectionMixin`, whose write hands
    a non-TLS connection's bytes to `abstract.FileDescriptor.write`, the buffer (that one itself when pyOpenSSL is
    not installed). Its write is the one this patch falls back to."""
    for klass in tcp.Connection.__mro__[1:]:
        if "write" in vars(klass):
            return klass
    return None


_buffered_write = vars(_write_owner() or object).get("write")


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
    # install() sets _write only when problems() found the inherited write, so it is not None here.
    _buffered_write(self, data)  # type: ignore[misc]


def problems() -> list[str]:
    """What `_write` relies on in Twisted and is not there."""
    found = []
    # tcp.Connection inherits its write: the patch sets one on the class and uninstall() removes it again.
    own = vars(tcp.Connection).get("write")
    if own is not None and own is not _write:
        found.append("twisted.internet.tcp.Connection now defines its own write()")
    owner = _write_owner()
    if _buffered_write is None or owner is None:
        found.append("twisted.internet.tcp.Connection inherits no write()")
    elif owner is not abstract.FileDescriptor:
        # A non-TLS write goes on to FileDescriptor.write.
        found += _checks.reads(owner, "write", "TLS", "FileDescriptor", "write")
    # daphne's connections are tcp.Server's, made by tcp.Port.
    if not issubclass(tcp.Server, tcp.Connection):
        found.append("twisted.internet.tcp.Server is no longer a tcp.Connection")
    # The state the fast path reads to know that nothing is buffered or closing.
    found += _checks.attributes(
        tcp.Connection,
        "TLS",
        "connected",
        "disconnecting",
        "_writeDisconnected",
        "dataBuffer",
        "offset",
        "writeSomeData",
        "doWrite",
    )
    # writeSomeData(data) sends what the kernel takes and returns the count (or the error, which goes Twisted's
    # way); _tempDataBuffer is made per connection; write() buffers there and doWrite() sends what is left of
    # dataBuffer from offset, then the rest of _tempDataBuffer: so "nothing buffered" means what the fast path
    # checks, and bytes it could not send keep their order.
    found += _checks.parameters(tcp.Connection, "writeSomeData", ["data"], exactly=True)
    found += _checks.reads(tcp.Connection, "writeSomeData", "send")
    found += _checks.reads(abstract.FileDescriptor, "__init__", "_tempDataBuffer")
    found += _checks.reads(abstract.FileDescriptor, "write", "_tempDataBuffer", "startWriting")
    found += _checks.reads(abstract.FileDescriptor, "doWrite", "dataBuffer", "offset", "_tempDataBuffer")
    return found


def install() -> bool:
    """Give TCP connections the fast path; False (one warning) when Twisted no longer has what it relies on."""
    found = problems()
    if found:
        _checks.fall_back(f"{__name__}._write", found, CHECKED_AGAINST, "Twisted's own tcp.Connection.write")
        return False
    tcp.Connection.write = _write  # type: ignore[method-assign]  # the patch: replacing the method is the point
    return True


def installed() -> bool:
    return vars(tcp.Connection).get("write") is _write


def uninstall() -> None:
    if installed():
        del tcp.Connection.write
