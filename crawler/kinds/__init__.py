"""Source kinds: each module turns one config entry into requests and pages.

A kind is a small class built with the spider and its source; `requests()` yields the first
requests, its callbacks yield article requests or `PageItem`s through the spider's helpers.
"""

from crawler.kinds.base import SourceKind
from crawler.kinds.feed import FeedKind
from crawler.kinds.forum import ForumKind
from crawler.kinds.listing import ListingKind
from crawler.kinds.page import PageKind
from crawler.kinds.sitemap import SitemapKind

KINDS: dict[str, type[SourceKind]] = {
    "feed": FeedKind,
    "listing": ListingKind,
    "page": PageKind,
    "forum": ForumKind,
    "sitemap": SitemapKind,
}
