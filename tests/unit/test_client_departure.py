"""A waiting request sees that its client went away by looking at the socket, without
writing to it or reading from it (api/notifications/departure.py)."""
from __future__ import annotations

import socket

from lazyconfig.api.notifications.departure import client_gone


def test_a_connected_client_is_there_and_a_closed_one_is_gone():
    server_side, client_side = socket.socketpair()
    with server_side:
        gone = client_gone({"gunicorn.socket": server_side})
        assert gone() is False
        client_side.close()
        assert gone() is True


def test_bytes_the_client_sent_ahead_neither_end_the_wait_nor_get_eaten():
    server_side, client_side = socket.socketpair()
    with server_side, client_side:
        client_side.sendall(b"GET /next HTTP/1.1\r\n")
        assert client_gone({"gunicorn.socket": server_side})() is False
        assert server_side.recv(100) == b"GET /next HTTP/1.1\r\n"


def test_a_socket_closed_on_our_side_counts_as_gone():
    server_side, client_side = socket.socketpair()
    with client_side:
        gone = client_gone({"gunicorn.socket": server_side})
        server_side.close()
        assert gone() is True


def test_without_a_server_socket_the_client_is_never_taken_for_gone():
    assert client_gone({})() is False
    assert client_gone({"gunicorn.socket": "not a socket"})() is False


def test_a_client_that_stops_sending_counts_as_gone():
    server_side, client_side = socket.socketpair()
    with server_side, client_side:
        client_side.shutdown(socket.SHUT_WR)
        assert client_gone({"gunicorn.socket": server_side})() is True
