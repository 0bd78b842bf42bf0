"""The private-address guard checks the address actually connected to.

DNS rebinding without the network: in the crawl's child process (a reactor cannot restart, so
each crawl is its own process, started through `main` below) `StubDNS` replaces getaddrinfo,
and the address policy counts 127.0.0.2 as public while 127.0.0.1 stays loopback. A name that
answers 127.0.0.2 first and 127.0.0.1 afterwards then behaves like a public host that rebinds
to a private one, and every connection stays on loopback. A "public" fixture server listens on
127.0.0.2 on the same port as the private one on 127.0.0.1, so the URL is the same either way;
it closes each connection, so each request resolves the name again.
"""

from __future__ import annotations

import _socket
import ipaddress
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler import guard
from tests.amur_cli import write_config
from tests.crawler.test_failures import errors_by_source
from tests.fixture_server import FIXTURES, FixtureServer

REPO = Path(__file__).resolve().parents[2]
PAGE = "/page/china-russia-relations.html"
HINT = "(set network.allow_private_addresses: true to allow it)"
GUARDED = {"allow_private_addresses": False, "download_delay": 0, "timeout": 5}


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "a loopback address"),
        ("127.8.9.10", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fd00::1", "a private address"),
        ("fec0::1", "a private address"),  # site-local, deprecated
        ("100.64.0.1", "a carrier-grade NAT address"),
        ("100.127.255.254", "a carrier-grade NAT address"),
        ("169.254.169.254", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("fe80::1%2", "a link-local address"),
        ("224.0.0.1", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("ff0e::1", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),
        ("0.1.2.3", "an unspecified address"),
        ("::", "an unspecified address"),
        ("240.0.0.1", "a reserved address"),
        ("255.255.255.255", "a reserved address"),
        ("192.0.2.1", "a non-public address"),  # documentation
        ("::ffff:127.0.0.1", "an IPv4-mapped address for 127.0.0.1, a loopback address"),
        ("::ffff:10.0.0.1", "an IPv4-mapped address for 10.0.0.1, a private address"),
        (
            "::ffff:169.254.169.254",
            "an IPv4-mapped address for 169.254.169.254, a link-local address",
        ),
        ("2002:7f00:1::1", "a 6to4 address for 127.0.0.1, a loopback address"),
        ("2002:c0a8:101::1", "a 6to4 address for 192.168.1.1, a private address"),
        (
            "2001:0:4136:e378:8000:63bf:f5ff:fffe",
            "a Teredo address for 10.0.0.1, a private address",
        ),
        ("64:ff9b::a00:1", "an IPv4-embedding address for 10.0.0.1, a private address"),  # NAT64
        ("::127.0.0.1", "an IPv4-embedding address for 127.0.0.1, a loopback address"),
        ("2001:db8::1", "a non-public address"),  # documentation
        ("8.8.8.8", None),
        ("93.184.215.14", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:8.8.8.8", None),
        ("64:ff9b::808:808", None),  # NAT64 to a public address (DNS64 networks)
        ("2002:808:808::1", None),  # 6to4 for a public address
    ],
)
def test_address_policy(address: str, reason: str | None) -> None:
    assert guard.address_refusal(address) == reason


@pytest.fixture
def private() -> Iterator[FixtureServer]:
    """The archive owner's service: the fixture server on 127.0.0.1."""
    with FixtureServer(FIXTURES) as server:
        yield server


@pytest.fixture
def public(private: FixtureServer) -> Iterator[FixtureServer]:
    """A "public" host on 127.0.0.2, same port; it closes every connection after one answer."""
    with FixtureServer(FIXTURES, host="127.0.0.2", port=private.port) as server:
        server.set("/robots.txt", status=404, headers={"Connection": "close"})
        server.set(PAGE, file=PAGE, headers={"Connection": "close"})
        yield server


def crawl(
    folder: Path,
    base: str,
    sources: list[dict[str, Any]],
    answers: dict[str, list[str]],
    path: str = "process",
    allow_private_addresses: bool = False,
) -> tuple[subprocess.CompletedProcess[str], list[tuple[str, str]]]:
    """Crawl `sources` in a child with `answers` for DNS; returns its result and every answer."""
    network = {**GUARDED, "allow_private_addresses": allow_private_addresses}
    config = write_config(folder, base, sources, network=network)
    log = folder / "lookups.jsonl"
    command = [sys.executable, "-m", "tests.crawler.test_guard", path, str(config)]
    result = subprocess.run(
        [*command, json.dumps(answers), str(log)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    lookups = [tuple(json.loads(line)) for line in log.read_text().splitlines()]
    return result, lookups  # type: ignore[return-value]


@pytest.mark.parametrize("path", ["process", "runner"])
def test_rebinding_name_is_refused_before_connecting(
    private: FixtureServer, public: FixtureServer, tmp_path: Path, path: str
) -> None:
    port = private.port
    sources = [
        {"name": "rebind", "kind": "page", "url": f"http://rebind.test:{port}{PAGE}"},
        {"name": "literal", "kind": "page", "url": f"http://127.0.0.1:{port}{PAGE}"},
        {"name": "mapped", "kind": "page", "url": f"http://[::ffff:127.0.0.1]:{port}{PAGE}"},
    ]
    answers = {"rebind.test": ["127.0.0.2", "127.0.0.1"]}
    result, lookups = crawl(tmp_path, private.base, sources, answers, path)
    assert private.requests == [], result.stderr
    # The name worked while it was public (robots.txt), then every connection was checked.
    assert [r.path for r in public.requests] == ["/robots.txt"]
    assert lookups[:2] == [("rebind.test", "127.0.0.2"), ("rebind.test", "127.0.0.1")]
    assert errors_by_source(tmp_path) == {
        "rebind": [
            (
                "refused",
                f"refused: rebind.test resolves to 127.0.0.1, a loopback address {HINT}",
                "failed",
            )
        ],
        "literal": [("refused", f"refused: 127.0.0.1 is a loopback address {HINT}", "failed")],
        "mapped": [
            (
                "refused",
                "refused: ::ffff:127.0.0.1 is an IPv4-mapped address for 127.0.0.1, "
                f"a loopback address {HINT}",
                "failed",
            )
        ],
    }


def test_redirect_to_a_forbidden_host_is_refused(
    private: FixtureServer, public: FixtureServer, tmp_path: Path
) -> None:
    """The redirect's target, like a rebinding name, answers a first lookup with a public
    address: a check that looks it up apart from the connection would let it through."""
    port = private.port
    public.set("/hop", status=302, headers={"Location": f"http://rebind.test:{port}{PAGE}"})
    sources = [{"name": "hop", "kind": "page", "url": f"http://hop.test:{port}/hop"}]
    answers = {"hop.test": ["127.0.0.2"], "rebind.test": ["127.0.0.2", "127.0.0.1"]}
    result, _lookups = crawl(tmp_path, private.base, sources, answers)
    assert result.returncode == 1, result.stderr
    assert private.requests == []
    assert [r.path for r in public.requests] == ["/robots.txt", "/hop", "/robots.txt"]
    ((kind, message, status),) = errors_by_source(tmp_path)["hop"]
    assert (kind, status) == ("refused", "failed")
    assert message == f"refused: rebind.test resolves to 127.0.0.1, a loopback address {HINT}"


def test_allowed_private_addresses_let_the_rebinding_name_through(
    private: FixtureServer, public: FixtureServer, tmp_path: Path
) -> None:
    """The control: with the guard switched off, the same name reaches the private server."""
    sources = [
        {"name": "rebind", "kind": "page", "url": f"http://rebind.test:{private.port}{PAGE}"}
    ]
    answers = {"rebind.test": ["127.0.0.2", "127.0.0.1"]}
    result, _lookups = crawl(tmp_path, private.base, sources, answers, allow_private_addresses=True)
    assert result.returncode == 0, result.stderr
    (request,) = private.requests_for(PAGE)
    assert request.headers["Host"] == f"rebind.test:{private.port}"
    assert errors_by_source(tmp_path) == {}


@pytest.mark.parametrize("path", ["process", "runner"])
def test_impersonated_fetches_are_checked_and_pinned(
    private: FixtureServer, public: FixtureServer, tmp_path: Path, path: str
) -> None:
    """curl_cffi connects past the resolver, so the impersonating handler checks the addresses
    itself and pins curl to them. The stub answers `localhost` with 127.0.0.2 (public here),
    where curl on its own would connect to 127.0.0.1: only the pin reaches the public server."""
    port = private.port
    impersonated = {"kind": "page", "fetch": "impersonate"}
    sources = [
        {**impersonated, "name": "pinned", "url": f"http://localhost:{port}{PAGE}"},
        {**impersonated, "name": "rebind", "url": f"http://rebind.test:{port}{PAGE}"},
        {**impersonated, "name": "literal", "url": f"http://127.0.0.1:{port}{PAGE}"},
    ]
    answers = {"localhost": ["127.0.0.2"], "rebind.test": ["127.0.0.2", "127.0.0.1"]}
    result, lookups = crawl(tmp_path, private.base, sources, answers, path)
    assert private.requests == [], result.stderr
    (page,) = public.requests_for(PAGE)
    assert page.headers["Host"] == f"localhost:{port}"
    assert "Chrome/" in page.headers["User-Agent"]
    # robots.txt went through the resolver, the page through the handler's own lookup.
    assert lookups.count(("rebind.test", "127.0.0.1")) == 1
    assert errors_by_source(tmp_path) == {
        "rebind": [
            (
                "refused",
                f"refused: rebind.test resolves to 127.0.0.1, a loopback address {HINT}",
                "failed",
            )
        ],
        "literal": [("refused", f"refused: 127.0.0.1 is a loopback address {HINT}", "failed")],
    }


# -- the child process ----------------------------------------------------------------------


class StubDNS:
    """getaddrinfo over a table: each name's answers in turn, the last one repeated.

    IP literals answer themselves, any other name is unknown: no lookup in the child can reach
    a DNS server. Each answer for a name is appended to `log` as JSON.
    """

    def __init__(self, answers: dict[str, list[str]], log: Path) -> None:
        self.answers = answers
        self.log = log
        self.lock = threading.Lock()

    def answer(self, host: str) -> str:
        try:
            return str(ipaddress.ip_address(host))
        except ValueError:
            pass
        with self.lock:
            queue = self.answers.get(host.lower())
            if not queue:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            with self.log.open("a") as log:
                log.write(json.dumps([host, address]) + "\n")
        return address

    def getaddrinfo(
        self, host: str, port: Any, family: int = 0, type: int = 0, *_args: Any
    ) -> list[tuple[Any, ...]]:
        address = self.answer(host)
        port = int(port or 0)
        if ":" in address:
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    def gethostbyname(self, host: str) -> str:
        return self.answer(host)


def main(path: str, config_file: str, answers: str, log: str) -> None:
    """Crawl with stub DNS, 127.0.0.2 counted as public, through a process or a runner."""
    stub = StubDNS(json.loads(answers), Path(log))
    Path(log).touch()
    # At the C level too: socket.getaddrinfo calls _socket.getaddrinfo, so even a reference
    # taken at import (Twisted's own resolver holds one) reaches the stub.
    for module in (socket, _socket):
        module.getaddrinfo = stub.getaddrinfo  # type: ignore[assignment]
        module.gethostbyname = stub.gethostbyname
    policy = guard.address_refusal
    guard.address_refusal = lambda address: None if address == "127.0.0.2" else policy(address)
    if path == "process":
        from scheduler.cli import main as amur

        amur(["--config", config_file, "crawl", "--workers", "0"])
    else:
        run_in_runner(Path(config_file))


def run_in_runner(config_file: Path) -> None:
    """The crawl as `crawler.run.run_crawl_async` runs it, on a reactor already running."""
    from scrapy.crawler import AsyncCrawlerRunner
    from scrapy.utils.defer import deferred_from_coro
    from scrapy.utils.reactor import install_reactor

    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from twisted.internet import reactor

    from crawler.config import load_config
    from crawler.run import run_crawl_async, scrapy_settings
    from storage.database import open_archive

    config = load_config(config_file)
    engine = open_archive(config.database)
    runner = AsyncCrawlerRunner(scrapy_settings(config))
    done = deferred_from_coro(run_crawl_async(runner, engine, config, config.sources))
    done.addErrback(lambda failure: failure.printTraceback())
    done.addBoth(lambda _: reactor.stop())  # type: ignore[attr-defined]
    reactor.run()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main(*sys.argv[1:])
