"""daphne's sockets send at once when nothing waits in their buffer (workshop.upstream.twisted_writes), and keep
Twisted's buffering for everything the kernel does not take."""

import logging
import socket
from importlib import metadata
from unittest import mock

import pytest
from twisted.internet import abstract, tcp

from workshop.upstream import twisted_writes


@pytest.fixture
def unpatched():
    """Twisted's own write for the test; whatever was installed before (by `workshop.asgi`) is put back."""
    was_installed = twisted_writes.installed()
    twisted_writes.uninstall()
    yield
    twisted_writes.uninstall()
    if was_installed:  # as it was, unchecked: a test's stand-in for a changed Twisted may not be undone yet
        tcp.Connection.write = twisted_writes._write


@pytest.fixture
def pair(unpatched):
    """A Twisted TCP connection over a real socket pair, with a reactor that only records what is asked of it."""
    ours, theirs = socket.socketpair()
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    theirs.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    reactor = mock.Mock()
    conn = tcp.Connection(ours, mock.Mock(), reactor)
    conn.connected = 1
    try:
        yield conn, theirs, reactor
    finally:
        ours.close()
        theirs.close()


@pytest.fixture
def connection(pair):
    assert twisted_writes.install()
    return pair


def read_all(sock, size, conn):
    received = b""
    sock.settimeout(2)
    while len(received) < size:
        if conn.dataBuffer[conn.offset :] or conn._tempDataBuffer:
            conn.doWrite()  # what the reactor does when the socket can take more
        received += sock.recv(65536)
    return received


def test_the_asgi_application_installs_the_fast_path():
    import workshop.asgi  # noqa: F401

    assert tcp.Connection.write is twisted_writes._write
    twisted_writes.uninstall()
    assert tcp.Connection.write is twisted_writes._buffered_write  # Twisted's own, inherited again
    assert "write" not in vars(tcp.Connection)
    assert twisted_writes.install()


def test_a_small_write_is_sent_at_once_without_asking_the_reactor(connection):
    conn, peer, reactor = connection
    conn.write(b"hello")
    peer.settimeout(1)
    assert peer.recv(100) == b"hello"
    reactor.addWriter.assert_not_called()
    assert not conn._tempDataBuffer


def test_what_the_kernel_does_not_take_is_buffered_and_later_writes_keep_their_order(connection):
    conn, peer, reactor = connection
    big = bytes(range(256)) * 4096  # 1 MiB: far more than the socket buffers hold
    conn.write(big)
    reactor.addWriter.assert_called_once_with(conn)
    conn.write(b"after")  # must queue behind the rest of `big`, not jump ahead of it
    assert read_all(peer, len(big) + 5, conn) == big + b"after"


def test_a_closing_or_lost_connection_takes_twisteds_own_path(connection):
    conn, peer, reactor = connection
    conn.disconnecting = 1
    conn.write(b"late")
    assert conn._tempDataBuffer == [b"late"]
    conn.disconnecting = 0
    conn._tempDataBuffer, conn._tempDataLen = [], 0
    peer.close()
    conn.write(b"gone")  # the peer is gone: send() fails, and Twisted's doWrite reports the lost connection
    assert conn._tempDataBuffer == [b"gone"]
    reactor.addWriter.assert_called_with(conn)


# --- What the fast path relies on in Twisted, checked at install --------------------------------------------


def upstream_warnings(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "workshop.upstream"]


def test_the_installed_twisted_has_everything_the_fast_path_relies_on(unpatched, caplog):
    """An upgrade that takes away what the fast path relies on fails here, in CI, rather than quietly slows
    every push (or breaks writes) at a workshop."""
    assert twisted_writes.problems() == []
    with caplog.at_level(logging.WARNING, logger="workshop.upstream"):
        assert twisted_writes.install()
    assert tcp.Connection.write is twisted_writes._write
    assert upstream_warnings(caplog) == []


def test_when_twisted_rewrote_what_the_fast_path_reads_twisteds_own_buffered_write_stays(
    pair, monkeypatch, caplog
):
    """A release whose doWrite no longer sends from dataBuffer/offset/_tempDataBuffer (here: one that only wraps
    the old one, so its code names none of them) would make the fast path's "nothing buffered" test wrong: the
    patch is not installed, one warning says why, and writes take Twisted's buffer and the reactor's turn."""
    conn, peer, reactor = pair
    original = abstract.FileDescriptor.doWrite

    def doWrite(self):
        return original(self)

    monkeypatch.setattr(abstract.FileDescriptor, "doWrite", doWrite)
    with caplog.at_level(logging.WARNING, logger="workshop.upstream"):
        assert twisted_writes.install() is False
        assert (
            twisted_writes.install() is False
        )  # asked again (workshop.asgi imported again): no second warning
    assert not twisted_writes.installed() and tcp.Connection.write is twisted_writes._buffered_write
    conn.write(b"hello")
    assert conn._tempDataBuffer == [b"hello"]  # buffered, not sent in write()
    reactor.addWriter.assert_called_once_with(conn)
    assert read_all(peer, 5, conn) == b"hello"
    [warning] = upstream_warnings(caplog)
    assert (
        "twisted.internet.abstract.FileDescriptor.doWrite() no longer uses dataBuffer, offset, _tempDataBuffer"
        in (warning)
    )
    assert f"Installed: Twisted {metadata.version('Twisted')}, daphne {metadata.version('daphne')}" in warning
    assert "checked against: Twisted 26.10.0, daphne 4.2.3" in warning
    assert "Using Twisted's own tcp.Connection.write instead" in warning


def test_when_twisted_gives_connections_their_own_write_it_is_left_in_place(unpatched, monkeypatch, caplog):
    def write(self, data):  # a future Twisted's own fast path, say
        return abstract.FileDescriptor.write(self, data)

    monkeypatch.setattr(tcp.Connection, "write", write, raising=False)
    with caplog.at_level(logging.WARNING, logger="workshop.upstream"):
        assert twisted_writes.install() is False
    assert tcp.Connection.write is write
    [warning] = upstream_warnings(caplog)
    assert "twisted.internet.tcp.Connection now defines its own write()" in warning
