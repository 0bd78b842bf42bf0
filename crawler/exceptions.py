"""amur's exceptions; only the CLI turns them into messages and exit codes.

AmurError
├── ConfigError       a broken config file or seed manifest (exit 2)
├── NotFoundError     an id the archive does not hold (exit 1)
├── FetchError        a source could not be fetched
├── FeedError         a feed could not be parsed
├── SitemapError      a sitemap could not be read
├── ExtractionError   a page is not HTML or has no extractable text
├── ForumError        a page is not a forum thread
└── ListenError       the review page cannot listen where the config says (exit 1)

The storage layer imports nothing from here; its errors are `storage.errors.StorageError` and
below (the archive cannot be opened: exit 1). Any other exception reaching the CLI is a bug:
one line by default, the traceback with -v.
"""


class AmurError(Exception):
    """Base of every error amur raises on purpose."""


class ConfigError(AmurError):
    """The config file (or the seed manifest) is unreadable or invalid."""


class NotFoundError(AmurError):
    """An id (of a document) that the archive does not hold."""


class FetchError(AmurError):
    """A source or page could not be fetched."""


class FeedError(AmurError):
    """A feed could not be parsed into entries."""


class SitemapError(AmurError):
    """A sitemap (or sitemap index) could not be read: not XML, not a sitemap, too large."""


class ExtractionError(AmurError):
    """A page is not HTML, or no main text could be extracted from it."""


class ForumError(AmurError):
    """A page is not a forum thread (an error page, or no parser's post anchors on it)."""


class ListenError(AmurError):
    """`amur serve` cannot bind the review page's address (in use, or not this machine's)."""
