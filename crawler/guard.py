"""Refuse connections to loopback, private and other non-public addresses unless allowed.

A feed or listing names URLs the archive's owner did not choose; without this guard a hostile
feed could point the crawler at services on the owner's own network. The check sits in the name
resolver the downloader connects with (`GuardedResolver`, installed as the reactor's resolver),
so the address checked is the address connected to: a name that answers with a public address
for a check and a private one for the connection (DNS rebinding) has no gap to slip through,
redirects need nothing of their own, and IP literals are covered because Twisted's
HostnameEndpoint hands every host, literal or not, to the resolver. Nothing is cached: each
connection resolves afresh, so no answer outlives its TTL.

A resolver can only answer "no addresses", which the downloader reports as a DNS error;
`PrivateAddressGuard`, a downloader middleware, turns that error back into the refusal.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections import OrderedDict
from collections.abc import Callable, Sequence
from ipaddress import IPv4Address, IPv6Address
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler, CrawlerRunnerBase
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest, NotConfigured
from twisted.internet import address as tx_address
from twisted.internet.interfaces import (
    IAddress,
    IHostnameResolver,
    IHostResolution,
    IResolutionReceiver,
)
from twisted.internet.threads import deferToThreadPool
from zope.interface import implementer

logger = logging.getLogger(__name__)

HINT = "set network.allow_private_addresses: true to allow it"
GetAddrInfo = Callable[..., Sequence[tuple[Any, ...]]]

PRIVATE = tuple(
    ipaddress.ip_network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
CGNAT = ipaddress.ip_network("100.64.0.0/10")
THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Hosts whose last refusal is remembered for the middleware's message; more is never needed.
REMEMBERED = 256


def _embedded_ipv4(ip: IPv6Address) -> list[tuple[str, IPv4Address]]:
    """The IPv4 addresses an IPv6 address stands for, each with the name of its form."""
    found = []
    if ip.ipv4_mapped:
        found.append(("an IPv4-mapped address for", ip.ipv4_mapped))
    if ip.sixtofour:
        found.append(("a 6to4 address for", ip.sixtofour))
    if ip.teredo:
        found += [("a Teredo address for", part) for part in ip.teredo]
    if ip in NAT64 or 1 < int(ip) < 2**32:  # NAT64, or the deprecated IPv4-compatible ::a.b.c.d
        found.append(("an IPv4-embedding address for", IPv4Address(int(ip) & 0xFFFFFFFF)))
    return found


def _category(ip: IPv4Address | IPv6Address) -> str | None:
    if ip.is_unspecified or ip in THIS_NETWORK:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip in CGNAT:
        return "a carrier-grade NAT address"
    if any(ip in net for net in PRIVATE) or (isinstance(ip, IPv6Address) and ip.is_site_local):
        return "a private address"
    if ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:  # documentation, benchmarking, Teredo and other special ranges
        return "a non-public address"
    return None


def address_refusal(address: str) -> str | None:
    """Why a connection to `address` is refused ("a loopback address"), or None if it is public.

    An IPv6 form of a refused IPv4 address is refused too: a mapped or NAT64 address reaches
    the IPv4 address it embeds, and 6to4 and Teredo relay to theirs.
    """
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, IPv6Address):
        for form, ipv4 in _embedded_ipv4(ip):
            reason = address_refusal(str(ipv4))
            if reason:
                return f"{form} {ipv4}, {reason}"
        if ip.ipv4_mapped or ip in NAT64:
            return None  # the embedded address, public, is the one connected to
    return _category(ip)


def host_refusal(host: str, addresses: Sequence[str]) -> str | None:
    """The refusal message if any address `host` resolved to is refused: all or nothing.

    The resolver checks with it, and so does the impersonating download handler
    (`crawler.impersonate`), whose connections do not pass through the resolver.
    """
    for address in addresses:
        reason = address_refusal(address)
        if reason and _is_literal(host):
            return f"refused: {host} is {reason} ({HINT})"
        if reason:
            return f"refused: {host} resolves to {address}, {reason} ({HINT})"
    return None


def _host_key(host: str) -> str:
    """One spelling of a host for the request's URL and the resolver (which sees IDNs decoded)."""
    host = host.strip("[]").lower()
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return True


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:  # HostnameEndpoint never cancels a resolution
        raise NotImplementedError


@implementer(IHostnameResolver)
class GuardedResolver:
    """Twisted's name resolver for the crawl: getaddrinfo in a thread, then the address check.

    Scrapy installs it from TWISTED_DNS_RESOLVER in a crawler process; `install_resolver` does
    it for a runner. It serves the whole reactor, so one reactor has one policy.
    """

    def __init__(
        self, reactor: Any, *, allow_private: bool, getaddrinfo: GetAddrInfo = socket.getaddrinfo
    ) -> None:
        self.reactor = reactor
        self.allow_private = allow_private
        self.getaddrinfo = getaddrinfo
        self._refusals: OrderedDict[str, str] = OrderedDict()

    @classmethod
    def from_crawler(cls, crawler: Crawler | CrawlerRunnerBase, reactor: Any) -> Self:
        # socket.getaddrinfo is looked up here, not at import, so a test can replace it.
        allow = crawler.settings.getbool("AMUR_ALLOW_PRIVATE_ADDRESSES")
        return cls(reactor, allow_private=allow, getaddrinfo=socket.getaddrinfo)

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def refusal(self, host: str) -> str | None:
        """The message of the last refusal of `host`, if its last resolution was refused."""
        return self._refusals.get(_host_key(host))

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        family = socket.AF_UNSPEC
        if addressTypes and set(addressTypes) == {tx_address.IPv4Address}:
            family = socket.AF_INET
        elif addressTypes and set(addressTypes) == {tx_address.IPv6Address}:
            family = socket.AF_INET6
        kind = socket.SOCK_DGRAM if transportSemantics == "UDP" else socket.SOCK_STREAM
        lookup = deferToThreadPool(
            self.reactor,
            self.reactor.getThreadPool(),
            self._lookup,
            hostName,
            portNumber,
            family,
            kind,
        )
        lookup.addCallback(self._deliver, resolutionReceiver, hostName, transportSemantics)
        return resolution

    def _lookup(self, host: str, port: int, family: int, kind: int) -> list[tuple[Any, ...]]:
        try:
            infos = self.getaddrinfo(host, port, family, kind)
        except (OSError, UnicodeError):  # unknown name, or one getaddrinfo cannot encode
            return []  # no addresses: the download fails with a DNS error
        return [(info[0], info[4]) for info in infos]

    def _deliver(
        self,
        infos: list[tuple[Any, ...]],
        receiver: IResolutionReceiver,
        host: str,
        transport: str,
    ) -> None:
        key = _host_key(host)
        self._refusals.pop(key, None)
        refused = None if self.allow_private else self._check(host, infos)
        if refused:
            self._refusals[key] = refused
            while len(self._refusals) > REMEMBERED:
                self._refusals.popitem(last=False)
            logger.debug("%s", refused)
        else:
            for family, sockaddr in infos:
                kind = (
                    tx_address.IPv6Address if family == socket.AF_INET6 else tx_address.IPv4Address
                )
                receiver.addressResolved(kind(transport, *sockaddr))
        receiver.resolutionComplete()

    def _check(self, host: str, infos: list[tuple[Any, ...]]) -> str | None:
        return host_refusal(host, [sockaddr[0] for _family, sockaddr in infos])


def install_resolver(runner: CrawlerRunnerBase) -> None:
    """Install the guard on the running reactor: a runner, unlike a process, installs none."""
    from twisted.internet import reactor

    GuardedResolver.from_crawler(runner, reactor).install_on_reactor()


def _installed_resolver() -> object:
    from twisted.internet import reactor

    return reactor.nameResolver  # type: ignore[attr-defined]


class PrivateAddressGuard:
    """Downloader middleware: a refused connection fails as a refusal, not as a DNS error."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressGuard:
        if crawler.settings.getbool("AMUR_ALLOW_PRIVATE_ADDRESSES"):
            raise NotConfigured
        return cls()

    def process_request(self, request: Request) -> None:
        # Fail closed: a crawl path that forgot to install the resolver fetches nothing.
        if not isinstance(_installed_resolver(), GuardedResolver):
            raise IgnoreRequest("refused: the private-address guard is not installed")

    def process_exception(self, request: Request, exception: Exception) -> None:
        resolver = _installed_resolver()
        host = urlsplit(request.url).hostname
        if isinstance(exception, CannotResolveHostError) and isinstance(resolver, GuardedResolver):
            message = resolver.refusal(host or "")
            if message:
                raise IgnoreRequest(message)
