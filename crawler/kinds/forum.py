"""Kind `forum`: a discussion thread, one document per post, following its reply pages.

Posts are split by the forum's registered parser (`crawler.forums`), chosen by the source's
`parser`, else by host, else by recognising the page, so mirrored and archived copies of a
thread work too. A post's text comes from the splitter, not from trafilatura, which would merge
every post and the forum's chrome into one text.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import scrapy
from scrapy.http import Response, TextResponse

from crawler.exceptions import ExtractionError, ForumError
from crawler.extraction import Extracted, decode_html, identify_language
from crawler.forums import Thread, parser_for
from crawler.items import PageItem
from crawler.kinds.base import SourceKind
from crawler.snapshots import raw_response
from storage.archive import now
from storage.snapshots import RawResponse

# Reply pages followed in one run at most: a guard against a parser that loops on "next".
MAX_PAGES = 200


class ForumKind(SourceKind):
    def parse(self, response: Response) -> Iterator[scrapy.Request | PageItem]:
        context, page = self.spider.context, response.meta.get("page", 1)
        first = page == 1
        if first and self.spider.unchanged(response):
            return
        if not isinstance(response, TextResponse):
            context.error(self.source.name, response.url, "forum", "not an HTML page", fatal=first)
            return
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        try:
            thread = read_thread(response.body, content_type, response.url, self.source.parser)
        except ExtractionError as err:
            context.error(self.source.name, response.url, "forum", str(err), fatal=first)
            return
        except ForumError as err:
            # An error page served with status 200 must not read as a thread without posts.
            context.error(self.source.name, response.url, "forum", str(err), fatal=first)
            return
        context.count(self.source.name, "found", len(thread.posts))
        fetched = now()
        snapshot = raw_response(
            response, "forum", fetched=fetched, source=self.source.name, page=page
        )
        for item in post_items(thread, self.source.name, first, fetched, snapshot):
            context.count(self.source.name, "fetched")
            yield item
        if thread.next_page and page < MAX_PAGES:
            yield scrapy.Request(
                thread.next_page,
                callback=self.parse,
                errback=self.spider.page_failed,
                meta={"source": self.source.name, "page": page + 1},
            )


def read_thread(body: bytes, content_type: str | None, url: str, parser: str | None) -> Thread:
    """One page of a thread, split into posts by its forum's parser (`parser` names one)."""
    html = decode_html(body, content_type)
    return parser_for(html, url, parser).parse(html, url)


def post_items(
    thread: Thread, source: str, first: bool, fetched: datetime, snapshot: RawResponse | None
) -> Iterator[PageItem]:
    """One item per post of a thread page (`first`: the thread's first page), extracted already.

    `amur reextract` reads a stored thread page through this too.
    """
    for index, post in enumerate(thread.posts):
        opening = first and index == 0
        # A parser that knows no post addresses: the thread URL keyed by the post's id.
        glue = "&" if "?" in thread.url else "?"
        url = post.url or (thread.url if opening else f"{thread.url}{glue}post={post.post_id}")
        yield PageItem(
            source=source,
            url=url,
            body=b"",
            fetched=fetched,
            post_id=post.post_id,
            snapshot=snapshot,
            extracted=Extracted(
                title=post.title,
                authors=(post.author,) if post.author else (),
                published=post.published,
                # Per post: a reply may quote an article in another language.
                language=identify_language(post.text),
                text=post.text,
                canonical_url=url,
                description=None,
            ),
        )
