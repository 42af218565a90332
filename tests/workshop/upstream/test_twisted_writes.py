"""daphne's sockets send at once when nothing waits in their buffer (workshop.upstream.twisted_writes), and keep
Twisted's buffering for everything the kernel does not take."""

import socket
from unittest import mock

import pytest
from twisted.internet import tcp

from workshop.upstream import twisted_writes


@pytest.fixture
def connection():
    """A Twisted TCP connection over a real socket pair, with a reactor that only records what is asked of it."""
    ours, theirs = socket.socketpair()
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    theirs.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    reactor = mock.Mock()
    conn = tcp.Connection(ours, mock.Mock(), reactor)
    conn.connected = 1
    twisted_writes.install()
    try:
        yield conn, theirs, reactor
    finally:
        twisted_writes.uninstall()
        ours.close()
        theirs.close()


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
    assert tcp.Connection.write is not twisted_writes._write
    twisted_writes.install()


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
