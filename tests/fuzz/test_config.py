"""Fuzz config loading (crawler.config.load_config): whatever the file holds, bytes or YAML of
any shape, only ConfigError may escape."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from crawler.config import Config, load_config
from crawler.exceptions import ConfigError
from tests.fuzz.strategies import CRASHES, ODD_TEXT, fuzz, mutated

SHIPPED = (Path(__file__).resolve().parents[2] / "config.yaml").read_bytes()


@pytest.fixture(scope="module")
def config_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file rewritten by every example (hypothesis runs examples one at a time)."""
    return tmp_path_factory.mktemp("fuzz-config") / "config.yaml"


def loads_or_refuses(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        config = load_config(path)
    except ConfigError as err:
        message = str(err)
    else:
        assert isinstance(config, Config)
        return
    assert message.strip()


# Values of every type YAML can produce, the odd ones included.
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.dates(), ODD_TEXT,
    st.sampled_from([
        "sqlite:///data/amur.db", "sqlite:///\x00", "sqlite:///", "sqlite:///:memory:",
        "postgresql://u@h:notaport/db", "postgresql+asyncpg://h/db", "mysql://h/db", "://",
        "30m", "0s", "1e400h", "-1h", "nanm", "* * * * *", "*/0 * * * *", "61 25 32 13 8",
        "0 0 31 2 *", "@reboot", "a[", "div >", ":nth-child(n", "feed", "forum", "udn",
        "https://example.org/feed", "http://[::1", "x" * 300, "中" * 201, "\x00", "~/seeds",
    ]),
)  # fmt: skip
KEYS = st.one_of(
    st.sampled_from([
        "database", "seeds", "network", "web", "service", "relevance", "sources", "name",
        "kind", "url", "every", "cron", "follow", "parser", "enabled", "allow_private_addresses",
        "download_delay", "user_agent", "timeout", "max_body_mb", "host", "port", "concurrency",
        "worker_max_runs", "worker_max_rss_mb", "phrases", "groups", "min_mentions",
        "min_density", "title_weight", "ignore", "exclude",
    ]),
    ODD_TEXT,
    st.integers(),
)  # fmt: skip
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=6)),
    max_leaves=25,
)

SOURCE = st.fixed_dictionaries(
    {},
    optional={key: st.one_of(SCALARS, VALUES) for key in
              ("name", "kind", "url", "every", "cron", "follow", "parser", "enabled")},
)  # fmt: skip
SECTION = st.dictionaries(KEYS, st.one_of(SCALARS, VALUES), max_size=6)
# Shaped like a config: known sections with values of any type, and a stray key now and then.
CONFIG = st.fixed_dictionaries(
    {},
    optional={
        "database": SCALARS, "seeds": SCALARS, "network": SECTION, "web": SECTION,
        "service": SECTION, "relevance": SECTION, "sources": st.lists(SOURCE, max_size=3),
        "extra": VALUES,
    },
)  # fmt: skip


@fuzz(60)
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes(config_path: Path, data: bytes) -> None:
    loads_or_refuses(config_path, data)


@fuzz(150)
@given(data=st.one_of(CONFIG, st.dictionaries(KEYS, VALUES)), flow=st.booleans(), uni=st.booleans())
def test_yaml_mappings(config_path: Path, data: dict, flow: bool, uni: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=uni)
    loads_or_refuses(config_path, text.encode("utf-8", "surrogatepass"))


@fuzz(60)
@given(data=mutated(SHIPPED))
def test_mutated_shipped_config(config_path: Path, data: bytes) -> None:
    loads_or_refuses(config_path, data)


@fuzz(20)
@given(depth=st.integers(1, 1000), opener=st.sampled_from(["[", "{a: ", "- "]))
def test_deeply_nested_yaml(config_path: Path, depth: int, opener: str) -> None:
    closer = {"[": "]", "{a: ": "}", "- ": ""}[opener]
    loads_or_refuses(config_path, f"sources: {opener * depth}1{closer * depth}".encode())


# --- crashes the fuzzers found (inputs in tests/fixtures/fuzz/) -----------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("config-nested-too-deeply.yaml", r"config-nested-too-deeply.yaml: not valid YAML: .*deep"),
        ("config-nul-in-database.yaml", r"config-nul-in-database.yaml:1: database: .*NUL"),
        ("config-nul-in-seeds.yaml", r"config-nul-in-seeds.yaml:1: seeds: .*NUL"),
    ],
)
def test_a_config_no_parser_or_path_can_take_is_a_config_error(name: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(CRASHES / name)


def test_an_interval_too_long_for_the_scheduler_is_a_config_error() -> None:
    # every: 99999999999d loaded, and the scheduler's IntervalTrigger then overflowed at start-up.
    with pytest.raises(ConfigError, match="every"):
        load_config(CRASHES / "config-interval-overflow.yaml")
