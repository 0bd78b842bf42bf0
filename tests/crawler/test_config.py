"""The config file: defaults, overrides, and errors that name the line and the key."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import pytest

from crawler.config import DEFAULT_SEEDS, load_config
from crawler.exceptions import ConfigError

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_loads_with_the_real_sources() -> None:
    config = load_config(REPO / "config.yaml")
    names = {source.name: source for source in config.sources}
    assert names["telegraph"].url == "https://www.telegraph.co.uk/rss.xml"
    assert names["udn-china-russia"].kind == "forum"
    assert {"atlantic-council", "stimson", "csis"} <= set(names)
    assert config.database == f"sqlite:///{REPO / 'data' / 'amur.db'}"
    assert config.network.allow_private_addresses is False


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""))
    assert config.sources == ()
    assert config.seeds == DEFAULT_SEEDS
    assert config.network.download_delay == 1.0
    assert config.network.user_agent.startswith("amur/")


def test_relative_sqlite_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "database: sqlite:///db/archive.db\n"))
    assert config.database == f"sqlite:///{tmp_path.resolve() / 'db' / 'archive.db'}"


def test_schedule_forms(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """sources:
  - {name: a, kind: feed, url: "https://a.example/rss", every: 30m}
  - {name: b, kind: page, url: "https://b.example/", cron: "0 */6 * * *"}
  - {name: c, kind: feed, url: "https://c.example/rss"}
""",
        )
    )
    a, b, c = config.sources
    assert a.interval_seconds == 1800
    assert b.cron == "0 */6 * * *"
    assert c.interval_seconds == 3600


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("databse: sqlite:///x.db\n", ":1: databse: unknown key"),
        ("network:\n  timeout: -1\n", ":2: network.timeout: Input should be greater than 0"),
        ("network:\n  delay: 1\n", ":2: network.delay: unknown key"),
        (
            "sources:\n  - name: a\n    kind: feed\n    url: https://a.example/\n    every: 5x\n",
            ":5: sources[0].every: must be a number followed by s, m, h or d",
        ),
        (
            "sources:\n  - name: a\n    kind: rss\n    url: https://a.example/\n",
            ":3: sources[0].kind: ",
        ),
        ("sources:\n  - name: a\n    kind: feed\n", ":2: sources[0].url: Field required"),
        (
            "sources:\n  - name: a b\n    kind: feed\n    url: https://a.example/\n",
            ":2: sources[0].name",
        ),
        (
            "sources:\n  - name: a\n    kind: feed\n    url: ftp://a.example/\n",
            ":4: sources[0].url: must be an http",
        ),
        (
            "sources:\n  - name: a\n    kind: listing\n    url: https://a.example/\n",
            ":2: sources[0]: a listing source needs `follow`",
        ),
        (
            "sources:\n  - name: a\n    kind: listing\n    url: https://a.example/\n    follow: 'ul >> a'\n",
            ":5: sources[0].follow: is not a valid CSS selector",
        ),
        (
            "sources:\n  - name: a\n    kind: page\n    url: https://a.example/\n    cron: 'every day'\n",
            ":5: sources[0].cron",
        ),
        (
            "sources:\n  - {name: a, kind: page, url: 'https://a.example/'}\n  - {name: a, kind: page, url: 'https://b.example/'}\n",
            "source names must be unique: a",
        ),
        ("relevance:\n  phrasez: [x]\n", ":2: relevance.phrasez: unknown key"),
        ("sources: [\n", "not valid YAML"),
        ("network: {}\ndatabase: 'a\x07b'\n", ":2: not valid YAML: unacceptable character #x0007"),
        ("a: 1\n---\nb: 2\n", ":2: not valid YAML: expected a single document"),
        ("database: mysql://amur@127.0.0.1/amur\n", ":1: database: mysql is not supported"),
        ("database: oracle://amur@db.example/amur\n", ":1: database: oracle is not supported"),
        ("database: nosuch://amur@db.example/amur\n", ":1: database: nosuch is not supported"),
        (
            "database: postgresql+asyncpg://amur@127.0.0.1/amur\n",
            ":1: database: asyncpg is an asyncio driver",
        ),
        (
            "database: postgresql+nosuchdriver://amur@127.0.0.1/amur\n",
            ":1: database: postgresql has no driver nosuchdriver",
        ),
        ("database: not a url\n", ":1: database: is not a database URL"),
        ("- just\n- a list\n", "must be a mapping"),
    ],
)
def test_bad_config_names_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(write(tmp_path, text))
    assert expected in str(raised.value)
    assert str(tmp_path / "config.yaml") in str(raised.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config(tmp_path / "nope.yaml")


def test_config_that_is_not_utf8_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes("sources: []\n# caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value).startswith(f"{path}:2: not UTF-8 text")


def test_database_driver_that_is_not_installed_is_a_config_error(tmp_path: Path) -> None:
    # psycopg2 is not a dependency (psycopg 3 is); naming it without installing it fails early.
    if find_spec("psycopg2") is not None:
        pytest.skip("psycopg2 is installed here")
    with pytest.raises(ConfigError, match=r":1: database: the psycopg2 driver is not installed"):
        load_config(write(tmp_path, "database: postgresql+psycopg2://amur@127.0.0.1/amur\n"))


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///archive.db",
        "sqlite://",
        "postgresql://amur@127.0.0.1/amur",
        "postgresql+psycopg://amur:secret@127.0.0.1:5432/amur",
    ],
)
def test_supported_database_urls_load(tmp_path: Path, url: str) -> None:
    assert load_config(write(tmp_path, f"database: {url}\n")).database.startswith(url[:10])


SOURCE = "sources:\n  - name: a\n    url: https://a.example/\n"


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ("kind: sitemap\n    since: 2 weeks\n", ":4: sources[0].since: must be a number"),
        ("kind: feed\n    since: 2d\n", ":2: sources[0]: `since` only applies to kind sitemap"),
        ("kind: feed\n    next: a.next\n", ":2: sources[0]: `next` only applies to kind listing"),
        ("kind: page\n    pages: 3\n", ":2: sources[0]: `pages` only applies to kind listing"),
        ("kind: listing\n    follow: a\n    pages: 3\n", ":2: sources[0]: `pages` needs `next`"),
        ("kind: listing\n    follow: a\n    next: 'a >> b'\n", ":5: sources[0].next: is not a"),
        (
            "kind: listing\n    follow: a\n    next: a\n    pages: 0\n",
            ":6: sources[0].pages: Input should be greater than or equal to 1",
        ),
        ("kind: feed\n    fetch: browser\n", ":4: sources[0].fetch: Input should be 'plain' or"),
        ("kind: feed\n    headers: {Host: a.example}\n", ":4: sources[0].headers: Host is set by"),
        ("kind: feed\n    headers: {Connection: close}\n", ":4: sources[0].headers: Connection"),
        ("kind: feed\n    headers: {'X A': b}\n", ":4: sources[0].headers: 'X A' is not a header"),
        ('kind: feed\n    headers: {X-A: "b\\nc"}\n', ":4: sources[0].headers: X-A: a header"),
        ("kind: feed\n    headers: [Accept]\n", ":4: sources[0].headers: Input should be a"),
    ],
)
def test_bad_fetch_options_name_the_key(tmp_path: Path, keys: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(write(tmp_path, SOURCE.replace("url:", keys + "    url:", 1)))
    assert expected in str(raised.value)


def test_fetch_options_load(tmp_path: Path) -> None:
    text = (
        "sources:\n"
        "  - {name: s, kind: sitemap, url: 'https://a.example/sitemap.xml', fetch: impersonate,"
        " headers: {Accept-Language: en}}\n"
        "  - {name: l, kind: listing, url: 'https://a.example/', follow: a, next: a.next, pages: 3}\n"
    )
    sitemap, listing = load_config(write(tmp_path, text)).sources
    assert (sitemap.since_seconds, sitemap.fetch, sitemap.headers) == (
        2 * 86400,
        "impersonate",
        {"Accept-Language": "en"},
    )
    assert (listing.next, listing.pages, listing.fetch, listing.headers) == (
        "a.next",
        3,
        "plain",
        {},
    )
