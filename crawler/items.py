"""What flows through the item pipelines: one fetched page on its way to the archive."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from crawler.extraction import Extracted
from storage.shingles import Profile
from storage.snapshots import RawResponse


@dataclass
class PageItem:
    """A fetched page with what the source knew of it; the pipelines fill in the rest."""

    source: str
    url: str  # where the page was fetched from, after redirects
    body: bytes  # as downloaded (decompressed), not yet decoded
    fetched: datetime
    # Other URLs for the same page: the link as the feed or listing gave it, pre-redirect URLs.
    aliases: tuple[str, ...] = ()
    # What the feed entry said (title, author, published), used where the page says nothing.
    hints: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    post_id: str | None = None
    extracted: Extracted | None = None
    # The text's dedup profile, computed beside extraction in a worker process.
    profile: Profile | None = field(default=None, repr=False)
    relevant: bool | None = None
    relevance_reason: str | None = None
    # The response it came from, kept when it makes a new document or revision; the posts of
    # a forum page share their page's.
    snapshot: RawResponse | None = field(default=None, repr=False)
