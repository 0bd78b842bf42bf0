"""The config file: YAML loaded into frozen, typed objects that reject anything unexpected.

Defaults live here; `config.yaml` overrides only what it names. Every error names the file, the
line and the key, so a broken config fails at start-up instead of in the middle of a crawl.
"""

from __future__ import annotations

import ipaddress
import re
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from crawler.exceptions import ConfigError
from crawler.relevance import DEFAULT_RULES, RelevanceRules

# The seed corpus ships as the `seeds` package, so this finds it in a checkout and an install.
DEFAULT_SEEDS = Path(str(files("seeds")))
INTERVAL = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# A year: longer intervals overflow the scheduler's date arithmetic (and mean "never").
LONGEST_INTERVAL = 366 * 86400
# Headers a source may not set: they describe one connection or the request's framing, and
# the downloader sets them itself (RFC 9110 section 7.6.1, plus Host and Content-Length).
FORBIDDEN_HEADERS = frozenset(
    {
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
        "proxy-connection", "te", "trailer", "trailers", "transfer-encoding", "upgrade", "host",
        "content-length",
    }
)  # fmt: skip
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an RFC 9110 token
# A listing follows at most this many pages per run.
MOST_PAGES = 100
# The backends amur's storage runs on, each with the URL form of its default driver.
SUPPORTED_DATABASES = {"sqlite": "sqlite:///PATH", "postgresql": "postgresql+psycopg://..."}

try:
    VERSION = version("amur")
except PackageNotFoundError:  # running from a checkout that was not installed
    VERSION = "0.0.0"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Network(Strict):
    allow_private_addresses: bool = False
    download_delay: Annotated[float, Field(ge=0)] = 1.0
    user_agent: str = f"amur/{VERSION} (+https://github.com/amur-archive/amur)"
    timeout: Annotated[float, Field(gt=0)] = 30.0
    max_body_mb: Annotated[float, Field(gt=0)] = 10.0


class Service(Strict):
    """`amur serve`'s crawl worker: crawls at once, and when it is recycled."""

    concurrency: Annotated[int, Field(ge=1, le=64)] = 4
    worker_max_runs: Annotated[int, Field(ge=1)] = 1000
    worker_max_rss_mb: Annotated[float, Field(gt=0)] = 512.0


class Web(Strict):
    """The review page `amur serve` serves; anywhere but loopback it needs an access token."""

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8765
    token: Annotated[str, Field(min_length=16)] | None = None

    @model_validator(mode="after")
    def _token_off_loopback(self) -> Web:
        if self.token is None and not is_loopback(self.host):
            raise ValueError(
                f"host {self.host!r} is not a loopback address: set web.token (at least"
                " 16 characters) so only its holders can reach the archive"
            )
        return self


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_interval(text: str) -> float:
    """Seconds in an interval such as `30m`, `2h`, `1d`, `45s`."""
    match = INTERVAL.match(text.strip())
    if not match:
        raise ValueError(f"must be a number followed by s, m, h or d (got {text!r})")
    seconds = float(match.group(1)) * UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise ValueError("must be longer than zero")
    if seconds > LONGEST_INTERVAL:
        raise ValueError(f"must be at most {LONGEST_INTERVAL // 86400}d (got {text!r})")
    return seconds


class SourceConfig(Strict):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$", max_length=100)]
    kind: Literal["feed", "listing", "page", "forum", "sitemap"]
    url: str
    every: str | None = None
    cron: str | None = None
    follow: str | None = None
    next: str | None = None  # listing: the next-page link
    pages: Annotated[int, Field(ge=1, le=MOST_PAGES)] | None = None  # listing: pages per run
    since: str | None = None  # sitemap: how recent an entry must be
    parser: str | None = None
    fetch: Literal["plain", "impersonate"] = "plain"
    headers: dict[str, str] = Field(default_factory=dict)
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _not_seed(cls, value: str) -> str:
        if value == "seed":  # storage.archive.SEED_SOURCE: the seed corpus's own source
            raise ValueError("`seed` is the seed corpus's source; choose another name")
        return value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"must be an http:// or https:// URL (got {value!r})")
        return value

    @field_validator("every", "since")
    @classmethod
    def _interval(cls, value: str | None) -> str | None:
        if value is not None:
            parse_interval(value)
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            from apscheduler.triggers.cron import CronTrigger

            CronTrigger.from_crontab(value)
        return value

    @field_validator("follow", "next")
    @classmethod
    def _selector(cls, value: str | None) -> str | None:
        if value is not None:
            from cssselect import GenericTranslator, SelectorError

            try:
                GenericTranslator().css_to_xpath(value)
            except SelectorError as err:
                raise ValueError(f"is not a valid CSS selector: {err}") from err
        return value

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, header in value.items():
            if not HEADER_NAME.match(name):
                raise ValueError(f"{name!r} is not a header name")
            if name.lower() in FORBIDDEN_HEADERS:
                raise ValueError(f"{name} is set by the downloader, not by a source")
            if any(char in header for char in "\r\n\0"):
                raise ValueError(f"{name}: a header value is one line")
        return value

    @model_validator(mode="after")
    def _kind_rules(self) -> SourceConfig:
        if self.every is not None and self.cron is not None:
            raise ValueError("give `every` or `cron`, not both")
        if self.kind == "listing" and not self.follow:
            raise ValueError("a listing source needs `follow` (a CSS selector for item links)")
        for key in ("follow", "next", "pages"):
            if self.kind != "listing" and getattr(self, key) is not None:
                raise ValueError(f"`{key}` only applies to kind listing")
        if self.kind != "sitemap" and self.since is not None:
            raise ValueError("`since` only applies to kind sitemap")
        if (self.pages or 1) > 1 and not self.next:
            raise ValueError("`pages` needs `next` (a CSS selector for the next-page link)")
        return self

    @property
    def interval_seconds(self) -> float:
        """The schedule's interval when `cron` is not given (default one hour)."""
        return parse_interval(self.every or "1h")

    @property
    def since_seconds(self) -> float:
        """A sitemap's window: entries dated longer ago are skipped (default two days)."""
        return parse_interval(self.since or "2d")


def check_database_url(value: str) -> None:
    """Refuse a URL amur cannot open: only SQLite and PostgreSQL, with a synchronous driver
    that is installed (the storage layer's SQL is written and tested for those two)."""
    try:
        url = make_url(value)
    except ArgumentError as err:
        raise ValueError(f"is not a database URL: {err}") from err
    backend = url.get_backend_name()
    if backend not in SUPPORTED_DATABASES:
        raise ValueError(
            f"{backend} is not supported; use a sqlite:/// or postgresql+psycopg:// URL"
        )
    try:
        dialect = url.get_dialect()
    except NoSuchModuleError as err:
        raise ValueError(f"{backend} has no driver {url.get_driver_name()}") from err
    if dialect.is_async:
        raise ValueError(
            f"{dialect.driver} is an asyncio driver; use {SUPPORTED_DATABASES[backend]}"
        )
    try:
        dialect.import_dbapi()
    except ImportError as err:
        raise ValueError(
            f"the {dialect.driver} driver is not installed; use {SUPPORTED_DATABASES[backend]}"
        ) from err


class Config(Strict):
    database: str = "sqlite:///data/amur.db"
    seeds: Path = DEFAULT_SEEDS
    # The WARC files of raw responses (`storage.snapshots`); relative to the config file.
    snapshots: Path = Path("data/snapshots")
    network: Network = Network()
    web: Web = Web()
    service: Service = Service()
    relevance: RelevanceRules = DEFAULT_RULES
    sources: tuple[SourceConfig, ...] = ()

    @field_validator("database")
    @classmethod
    def _database_url(cls, value: str) -> str:
        check_database_url(value)
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        names = [source.name for source in self.sources]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"source names must be unique: {', '.join(duplicates)}")
        return self

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)


def _line_of(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line in the YAML text of the value at `loc`, as far down as it exists."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = [v for k, v in node.value if k.value == part]
            keys = [k for k, v in node.value if k.value == part]
            if not found:
                break
            line = keys[0].start_mark.line + 1
            node = found[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def _resolve_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """Relative SQLite, seed and snapshot paths are relative to the config file, not the working
    directory (snapshots by default too: `data/snapshots` beside the config file)."""
    database = data.get("database")
    if isinstance(database, str) and database.startswith("sqlite:///"):
        path = database.removeprefix("sqlite:///")
        if path and path != ":memory:" and not Path(path).is_absolute():
            data["database"] = f"sqlite:///{(base / path).resolve()}"
    data.setdefault("snapshots", "data/snapshots")
    for key in ("seeds", "snapshots"):
        value = data.get(key)
        if isinstance(value, str) and not Path(value).is_absolute():
            data[key] = str((base / value).resolve())
    return data


def _yaml_problem(path: Path, text: str, err: yaml.YAMLError) -> str:
    """One line for a YAML error: the file, the line, and what the parser objected to."""
    if isinstance(err, yaml.reader.ReaderError):  # a character YAML does not allow
        line = text[: err.position].count("\n") + 1
        problem = str(err).splitlines()[0]
    else:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        context = getattr(err, "context", None)
        if context:
            problem = f"{context}, {problem}"
    where = f"{path}:{line}" if line else str(path)
    return f"{where}: not valid YAML: {problem}"


def load_config(path: Path) -> Config:
    """Read and validate the config file; raises ConfigError naming the line and key."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the config file: {err.strerror}") from err
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}:{line}: not UTF-8 text (byte 0x{raw[err.start]:02x}); save it as UTF-8"
        ) from err
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError(_yaml_problem(path, text, err)) from err
    except RecursionError as err:  # PyYAML composes nested collections recursively
        raise ConfigError(f"{path}: not valid YAML: collections nested too deeply") from err
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the config file must be a mapping of keys to values")
    # Paths are resolved below, and no path holds a NUL.
    for key in ("database", "seeds", "snapshots"):
        if isinstance(data.get(key), str) and "\0" in data[key]:
            raise ConfigError(f"{path}:{_line_of(root, (key,))}: {key}: holds a NUL character")
    try:
        return Config.model_validate(_resolve_paths(data, path.resolve().parent))
    except ValidationError as err:
        problems = []
        for error in err.errors():
            loc = tuple(error["loc"])
            line = _line_of(root, loc)
            message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
            message = message.removeprefix("Value error, ")
            problems.append(f"{path}:{line}: {_key_path(loc)}: {message}")
        raise ConfigError("\n".join(problems)) from err
