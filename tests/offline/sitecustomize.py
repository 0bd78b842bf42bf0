"""Tests reach nothing but this machine: name lookups are answered here, never sent out.

pytest puts this folder on PYTHONPATH (tests/conftest.py), so every Python process a test
starts (`amur crawl`, the service and its crawl worker, extraction workers) imports it at
start-up, as it imports any `sitecustomize`. Numeric addresses and `localhost` resolve as usual
(they need no DNS server); any other name fails at once as unknown, the way a name that does
not exist fails, so a test of DNS failures (`nothing.invalid`) sends no query to the machine's
name server. Tests that need a name to answer install their own stub over this one.
"""

import os

if os.environ.get("AMUR_TESTS_OFFLINE") == "1":
    import _socket
    import ipaddress
    import socket  # its getaddrinfo calls _socket.getaddrinfo, as Twisted's resolver does

    _real_getaddrinfo = _socket.getaddrinfo
    _LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}

    def _local(host: object) -> bool:
        if host is None:
            return True
        name = host.decode() if isinstance(host, bytes) else str(host)
        name = name.strip("[]").split("%")[0].rstrip(".").lower()
        if name in _LOCAL_NAMES:
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True

    def _offline_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not _local(host):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (offline tests)")
        return _real_getaddrinfo(host, *args, **kwargs)

    _socket.getaddrinfo = _offline_getaddrinfo
