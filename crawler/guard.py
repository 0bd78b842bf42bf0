"""Refuse requests to loopback, private and link-local addresses unless the config allows them.

A feed or listing names URLs the archive's owner did not choose; without this guard a hostile
feed could point the crawler at services on the owner's own network.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from functools import lru_cache
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4096)
def _addresses(host: str) -> tuple[str, ...]:
    try:
        return tuple({info[4][0] for info in socket.getaddrinfo(host, None)})
    except OSError:
        return ()  # unresolvable hosts fail later, in the downloader, with a DNS error


def is_private(host: str) -> bool:
    """Whether `host` is, or resolves to, an address outside the public internet."""
    for address in _addresses(host.strip("[]")):
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global or ip.is_multicast:
            return True
    return False


class PrivateAddressGuard:
    """Downloader middleware; redirects pass through it again, so they are checked too."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressGuard:
        if crawler.settings.getbool("AMUR_ALLOW_PRIVATE_ADDRESSES"):
            raise NotConfigured
        return cls()

    def process_request(self, request: Request) -> None:
        host = urlsplit(request.url).hostname or ""
        if is_private(host):
            raise IgnoreRequest(
                f"{host} is a private or loopback address "
                "(set network.allow_private_addresses: true to allow it)"
            )
