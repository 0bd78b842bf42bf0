"""The review page's server: where it listens, and how its connections are set up."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from crawler.exceptions import ListenError
from scheduler.web.server import WebServer
from storage.database import open_archive
from tests.amur_cli import free_port
from tests.databases import sqlite_url
from tests.web.site import config


def server_config(url: str, port: int):  # type: ignore[no-untyped-def]
    settings = config(url)
    return settings.model_copy(update={"web": settings.web.model_copy(update={"port": port})})


def test_connections_get_nagle_turned_off(tmp_path: Path) -> None:
    """asyncio sets TCP_NODELAY only where the listener's proto is TCP; without it every
    keep-alive response of the page waited 40 ms for the browser's delayed ACK."""
    url = sqlite_url(tmp_path)
    engine = open_archive(url)
    server = WebServer(server_config(url, free_port()), engine)
    try:
        assert server.socket.proto == socket.IPPROTO_TCP
    finally:
        server.socket.close()
        engine.dispose()


def test_a_port_in_use_is_a_listen_error(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    engine = open_archive(url)
    port = free_port()
    with (
        socket.create_server(("127.0.0.1", port)),
        pytest.raises(ListenError, match=f"127.0.0.1:{port}"),
    ):
        WebServer(server_config(url, port), engine)
    engine.dispose()
