"""The item pipelines, in the order ITEM_PIPELINES gives them: extract, judge, store.

Each is a small component that reads the crawl's shared context from the spider; a failure
on one page is recorded against its source and the page is dropped, never the crawl.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from scrapy.exceptions import DropItem

from crawler.context import Component
from crawler.exceptions import ExtractionError
from crawler.extraction import Extracted
from crawler.identity import identify
from crawler.items import PageItem
from crawler.relevance import judge
from storage.archive import DocumentIn, Outcome, store_document

logger = logging.getLogger(__name__)


class ExtractPipeline(Component):
    """Main text and metadata, in a worker process; feed hints fill what the page lacks."""

    async def process_item(self, item: PageItem) -> PageItem:
        if item.extracted is not None:  # a source kind that splits pages itself (forum posts)
            return item
        try:
            prepared = await self.context.pool.extract(item.body, item.content_type, item.url)
        except ExtractionError as err:
            self.context.error(item.source, item.url, "extract", str(err))
            raise DropItem(f"{item.url}: {err}") from err
        item.extracted, item.profile = with_hints(prepared.extracted, item.hints), prepared.profile
        return item


def with_hints(extracted: Extracted, hints: dict[str, str]) -> Extracted:
    """What the page says, with the feed's hints where it says nothing (or gives no time)."""
    published = extracted.published
    if hints.get("published") and (not published or "T" not in published):
        published = hints["published"]
    # A sitemap's lastmod says when the page last changed: a date only for a page with none.
    published = published or hints.get("modified")
    return replace(
        extracted,
        title=extracted.title or hints.get("title"),
        authors=extracted.authors or ((hints["author"],) if hints.get("author") else ()),
        published=published,
    )


class RelevancePipeline(Component):
    """Judge the page against the configured rules (the China–Russia set by default)."""

    async def process_item(self, item: PageItem) -> PageItem:
        assert item.extracted is not None
        verdict = judge(self.context.config.relevance, item.extracted.title, item.extracted.text)
        item.relevant, item.relevance_reason = verdict.relevant, verdict.reason
        return item


class StorePipeline(Component):
    """Write the page through storage and count what it was: new, duplicate, not relevant."""

    async def process_item(self, item: PageItem) -> PageItem:
        context = self.context
        doc = document_for(item)
        stored = await context.writer.call(store_document, context.engine, doc, context.snapshots)
        if stored.outcome is Outcome.DUPLICATE:
            self.context.count(item.source, "duplicates")
        elif stored.outcome is Outcome.NEW:
            self.context.count(item.source, "new" if item.relevant else "irrelevant")
        elif stored.outcome is Outcome.REVISED:
            self.context.count(item.source, "revised")
        logger.debug("%s %s: %s (%s)", item.source, doc.url, stored.outcome, item.relevance_reason)
        return item


def document_for(item: PageItem) -> DocumentIn:
    """The document an extracted and judged page is stored as, under the URL `identify` gives."""
    extracted = item.extracted
    assert extracted is not None
    assert item.relevant is not None
    identity = identify(item.url, extracted.canonical_url)
    url = identity.url
    return DocumentIn(
        url=url,
        declared_url=identity.declared,
        source=item.source,
        text=extracted.text,
        relevant=item.relevant,
        fetched=item.fetched,
        title=extracted.title,
        authors=extracted.authors,
        modified=extracted.modified,
        language=extracted.language,
        published=extracted.published,
        post_id=item.post_id,
        aliases=tuple(alias for alias in (item.url, *item.aliases) if alias != url),
        profile=item.profile,
        snapshot=item.snapshot,
    )
