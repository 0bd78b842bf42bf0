"""Tests never look a name up outside this machine, in this process or in those it starts."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest


def test_names_do_not_resolve_in_the_test_process() -> None:
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("www.telegraph.co.uk", 443)


def test_loopback_still_resolves() -> None:
    assert socket.getaddrinfo("127.0.0.1", 80)
    assert socket.getaddrinfo("localhost", 80)


def test_names_do_not_resolve_in_child_processes() -> None:
    code = (
        "import socket\n"
        "try:\n    socket.getaddrinfo('nothing.invalid', 80)\n"
        "except socket.gaierror as err:\n    print('offline', err)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "offline tests" in result.stdout
