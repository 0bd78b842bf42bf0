"""Which URL a fetched page is archived under: the one place that decides it.

A page's identity is the URL it was fetched from, after redirects. A page may declare another
(`<link rel=canonical>`, `og:url`, a JSON-LD `url`), but anyone can write anything there: a page
on any host declaring a seed's URL would otherwise replace the seed's text, and two articles
whose canonical is their site's home page would become revisions of one document. So a declared
URL becomes the identity only when it

- is on the same site (registrable domain) as the fetched URL: a publisher speaks for itself;
- is not the site's root (`/`, `/index.html`), and not a section index above the page
  (`/world-news/`, `/world-news/?page=2` for `/world-news/2025/12/23/story/`): those name many
  pages, not this one;
- does not drop the query that tells this page from its siblings (`article.php` declared by
  `article.php?id=5`); tracking parameters do not count (`storage.urls.normalize`).

Otherwise it is kept as a hint (`declared_url`), never as a key. Forum posts arrive with the
identity their parser built (the udn post URL from its `aid`), which equals the declared URL
here and is accepted as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from storage.urls import normalize, site

INDEX_FILE = re.compile(r"^(index|default)\.[a-z]{2,5}$", re.I)


@dataclass(frozen=True)
class Identity:
    """Where a page is stored (`url`), and a declared URL that was not accepted (`declared`)."""

    url: str
    declared: str | None = None


def _segments(url: str) -> list[str]:
    parts = [part for part in urlsplit(url).path.split("/") if part]
    if parts and INDEX_FILE.match(parts[-1]):  # /news/index.html is /news/
        parts.pop()
    return parts


def names_this_page(fetched: str, declared: str) -> bool:
    """Whether a URL the page declares may stand for it (the rules in the module docstring)."""
    parts = urlsplit(declared)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if site(declared) != site(fetched):
        return False
    declared_path, fetched_path = _segments(declared), _segments(fetched)
    if not declared_path:
        # The home page; `/?p=123` (WordPress without pretty links) names an article, though.
        return bool(parts.query) and bool(fetched_path)
    if (
        len(declared_path) < len(fetched_path)
        and fetched_path[: len(declared_path)] == declared_path
    ):
        return False  # a section index above the page, whatever its query (`?page=2`)
    # The same path without the query that tells this page from others (`article.php?id=5`
    # declaring `article.php`): every article would become one document.
    kept, dropped = urlsplit(normalize(declared)), urlsplit(normalize(fetched))
    return not (declared_path == fetched_path and dropped.query and not kept.query)


def identify(fetched: str, declared: str | None) -> Identity:
    """The identity of a page fetched from `fetched` that declares `declared` (or nothing)."""
    if not declared or normalize(declared) == normalize(fetched):
        return Identity(fetched)
    if names_this_page(fetched, declared):
        return Identity(declared)
    return Identity(fetched, declared=declared)
