"""Forum threads split into one document per post, with a parser registry per forum site.

Forum markup is the least stable thing amur reads: the same udn thread has been served as nested
tables and as divs, in Big5 and in UTF-8, and nobody here can load the live page. So parsers do
not select posts by class names or by one layout. They work on what a reader sees, which is stable:

1. the page is rendered to visible text lines in document order (:func:`render_lines`): block
   elements and ``<br>`` break lines, scripts and hidden elements are dropped, and a link's or an
   input's URL is kept when it matches the parser's anchor pattern (so a trackback URL that only
   sits in an ``href`` or an ``<input value>`` is still seen);
2. the site's parser splits those lines on its per-post anchors (udn: the trackback line that
   ends every post and carries the post's ``aid``), strips the known chrome lines from each chunk
   and picks title, author and date by position relative to the anchors.

The same splitter reads the plain-text copies of threads in the seed corpus
(:func:`parse_text_posts`), which is what keeps crawled posts and seed posts comparable one to one.

Parsers register themselves by name (:data:`PARSERS`) and by host (:data:`HOSTS`), as fundus
registers publishers; shared code never branches on a host name.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import lxml.etree
import lxml.html

from crawler.exceptions import ForumError

logger = logging.getLogger(__name__)

__all__ = [
    "HOSTS",
    "PARSERS",
    "ForumError",
    "ForumParser",
    "Post",
    "Thread",
    "html_root",
    "paragraphs",
    "parse_text_posts",
    "parser_for",
    "register",
    "render_lines",
]


@dataclass(frozen=True)
class Post:
    """One post of a thread, stored as its own document."""

    post_id: str  # the forum's id (udn: aid)
    title: str | None  # the thread title for the opening post; the reply's title line for replies
    author: str | None
    published: str | None  # ISO date YYYY-MM-DD where the post gives one, else None
    text: str  # body only, paragraphs separated by "\n\n"
    edits: int | None  # N from 本文於 修改第 N 次
    # The post's own address on its forum, the same whichever copy of the thread it was read
    # from (a mirror, an archived copy); None where the forum gives posts no address.
    url: str | None = None


@dataclass(frozen=True)
class Thread:
    """One page of a thread: its posts in page order and where the next page of replies is."""

    url: str
    title: str | None
    posts: tuple[Post, ...]
    next_page: str | None  # absolute URL of the next page of replies, if any


class ForumParser(Protocol):
    """What a forum site's parser offers; one instance per site, registered by name."""

    name: str

    def recognises(self, html: str, url: str) -> bool: ...

    def parse(self, html: str, url: str) -> Thread: ...


PARSERS: dict[str, ForumParser] = {}
HOSTS: dict[str, str] = {}


def register(parser: ForumParser, hosts: Iterable[str] = ()) -> ForumParser:
    """Add a parser to the registry under its name and for the hosts it serves."""
    PARSERS[parser.name] = parser
    for host in hosts:
        HOSTS[host.lower()] = parser.name
    return parser


def parser_for(html: str, url: str, forced: str | None = None) -> ForumParser:
    """The parser for a page: a forced name wins, then the URL's host, then recognition."""
    if forced is not None:
        try:
            return PARSERS[forced]
        except KeyError:
            raise ForumError(f"{url}: no forum parser named {forced!r}") from None
    host = (urlsplit(url).hostname or "").lower()
    name = HOSTS.get(host) or HOSTS.get(host.removeprefix("www."))
    if name is not None:
        return PARSERS[name]
    # Mirrors and saved copies live on other hosts; the page's own anchors still say what it is.
    for parser in PARSERS.values():
        if parser.recognises(html, url):
            return parser
    raise ForumError(f"{url}: no forum parser recognises this page")


def parse_text_posts(text: str, url: str) -> Thread:
    """Split a thread saved as visible text (a seed file) into posts, as for crawled HTML."""
    # Only udn's visible-text anchors are known; other forums' text copies have none yet.
    return udn.parse_lines(text.splitlines(), url)


# --- rendering HTML to visible text lines --------------------------------------------------------

BLOCK_TAGS = frozenset(
    """address article aside blockquote body caption center dd details dialog dir div dl dt
    fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr html legend li main menu
    nav ol p pre section summary table tbody td tfoot th thead tr ul""".split()
)
# Never visible as text; <select> is a widget whose option list a reader does not see as lines.
SKIP_TAGS = frozenset("head script style noscript template iframe object svg select".split())
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
PRE_STYLE = re.compile(r"white-space\s*:\s*pre", re.I)
SPACE = re.compile(r"\s+")
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def html_root(html: str) -> lxml.html.HtmlElement:
    """Parse a decoded page; raise ForumError when there is nothing to parse."""
    # lxml refuses str input that still carries an XML encoding declaration.
    html = XML_DECLARATION.sub("", html, count=1)
    if not html.strip():
        raise ForumError("empty page")
    try:
        return lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError) as err:
        raise ForumError(f"unparseable page: {err}") from err


class _Lines:
    """Accumulates rendered text; a blank line marks a block boundary, as in a browser's view."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.current: list[str] = []

    def text(self, value: str | None, pre: bool = False) -> None:
        if not value:
            return
        if not pre:
            self.current.append(SPACE.sub(" ", value))
            return
        first, *rest = value.split("\n")
        self.current.append(first)
        for part in rest:
            self.line_break()
            self.current.append(part)

    def line_break(self) -> None:
        self.lines.append("".join(self.current).strip())
        self.current = []

    def block_break(self) -> None:
        if "".join(self.current).strip():
            self.line_break()
        self.current = []
        if self.lines and self.lines[-1]:
            self.lines.append("")


def _hidden(element: lxml.html.HtmlElement) -> bool:
    return element.get("hidden") is not None or bool(HIDDEN_STYLE.search(element.get("style", "")))


def render_lines(root: lxml.html.HtmlElement, keep_url: re.Pattern[str] | None = None) -> list[str]:
    """A page's visible text as stripped lines in document order; blank lines separate blocks.

    A link's ``href`` or an input's ``value`` matching ``keep_url`` is written after the link
    text unless the text already shows it, so URL anchors are seen whatever element holds them.
    """
    out = _Lines()

    def walk(element: lxml.html.HtmlElement, pre: bool) -> None:
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if tag == "textarea":  # a form field: only a URL anchor in it counts as seen text
            if keep_url is not None and keep_url.search(element.text or ""):
                out.text(f" {element.text} ")
        elif tag and tag not in SKIP_TAGS and not _hidden(element):
            block = tag in BLOCK_TAGS
            # Bodies pasted as preformatted text keep their line breaks, as a browser shows them.
            inner = pre or tag == "pre" or bool(PRE_STYLE.search(element.get("style", "")))
            if block:
                out.block_break()
            if tag == "br":
                out.line_break()
            out.text(element.text, inner)
            for child in element:
                walk(child, inner)
            if keep_url is not None and tag in {"a", "input"}:
                value = element.get("href" if tag == "a" else "value") or ""
                if keep_url.search(value) and not keep_url.search(element.text_content()):
                    out.text(f" {value} ")
            if block:
                out.block_break()
        out.text(element.tail, pre)

    walk(root, False)
    out.block_break()
    return out.lines


def paragraphs(lines: Iterable[str]) -> str:
    """Join text lines into paragraphs: blank lines separate them, single breaks stay inside.

    Runs of spaces (no-break spaces too) become one space, as a browser shows them, so a post
    read from text and the same post rendered from HTML come out alike.
    """
    blocks: list[list[str]] = [[]]
    for line in lines:
        line = SPACE.sub(" ", line).strip()
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return "\n\n".join("\n".join(block) for block in blocks if block)


# Parsers register themselves on import; they need the names above, so they come last.
from crawler.forums import udn  # noqa: E402
