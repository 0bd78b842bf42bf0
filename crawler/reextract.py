"""`amur reextract`: the current extractor over the stored raw responses, offline.

Each document's latest revision names the response it was read from (`storage.snapshots`).
That response goes through the crawl's own steps again, with nothing fetched: the page
extraction a worker runs (`crawler.workers.prepare_body`) and the feed's hints kept beside the
response, or a forum page's parser for posts (`crawler.kinds.forum`), then relevance, then
`storage.archive.store_document` under the document's last fetch time. So an unchanged
extractor changes nothing, and a better one turns what it reads differently into revisions (a
new text) or updates (new metadata), classified again like a crawled change.

Posts of one forum page share its response: the page is parsed once, and only the posts whose
latest revision came from it are stored again (an older page must not undo a later edit).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Engine

from crawler.config import Config
from crawler.exceptions import ExtractionError, ForumError
from crawler.items import PageItem
from crawler.kinds.forum import post_items, read_thread
from crawler.pipelines import document_for, with_hints
from crawler.relevance import judge
from crawler.workers import prepare_body
from storage.archive import Outcome, store_document
from storage.errors import SnapshotUnavailable
from storage.snapshots import Held, RawResponse, SnapshotRef, latest_snapshots, read_snapshot

logger = logging.getLogger(__name__)

# What the summary counts: documents looked at, and what became of each.
COUNTERS = ("checked", "changed", "unchanged", "missing", "failed")
Progress = Callable[[int, int, Counter[str]], None]


def _parser(config: Config, source: str) -> str | None:
    """The forum parser the source's config names, if it is still configured and names one."""
    return next((s.parser for s in config.sources if s.name == source), None)


def _items(config: Config, response: RawResponse, held: list[Held]) -> dict[int, PageItem]:
    """The page (or the posts) in `response`, extracted, by the id of the document each is for.

    Raises ExtractionError or ForumError when the page cannot be read at all.
    """
    content_type, info, first = response.header("Content-Type"), response.info, held[0]
    if info.get("reader") == "forum":
        # The thread's source's parser, though a post may be filed under another (a seed).
        parser = _parser(config, info.get("source", first.source))
        thread = read_thread(response.body, content_type, response.url, parser)
        page_first = info.get("page", 1) == 1
        posts = {
            item.post_id: item
            for item in post_items(thread, first.source, page_first, first.fetched, response)
        }
        return {h.document_id: posts[h.post_id] for h in held if h.post_id in posts}
    prepared = prepare_body(response.body, content_type, response.url)
    hints = info.get("hints", {})
    item = PageItem(
        source=first.source,
        url=response.url,
        body=b"",
        fetched=first.fetched,
        aliases=tuple(info.get("aliases", ())),
        hints=hints,
        content_type=content_type,
        extracted=with_hints(prepared.extracted, hints),
        profile=prepared.profile,
        snapshot=response,
    )
    return dict.fromkeys((h.document_id for h in held), item)


def _store(engine: Engine, config: Config, item: PageItem, held: Held) -> str:
    """Judge and store one document's page again; "changed" or "unchanged"."""
    assert item.extracted is not None
    verdict = judge(config.relevance, item.extracted.title, item.extracted.text)
    # Its last fetch time, so that storing it again is not taken for a fetch.
    item = replace(item, fetched=held.fetched, relevant=verdict.relevant)
    stored = store_document(engine, document_for(item))
    if stored.outcome is Outcome.UNCHANGED:
        return "unchanged"
    logger.info("document %d: %s", held.document_id, stored.outcome)
    return "changed"


def _reextract(engine: Engine, config: Config, ref: SnapshotRef, held: list[Held]) -> list[str]:
    """Extract one stored response again and store what it gives for each of `held`."""
    try:
        response = read_snapshot(config.snapshots, ref)
    except SnapshotUnavailable as err:
        logger.warning("%s", err)
        return ["missing"] * len(held)
    try:
        items = _items(config, response, held)
    except (ExtractionError, ForumError) as err:
        logger.warning("%s (snapshot %s at %d): %s", response.url, ref.file, ref.offset, err)
        return ["failed"] * len(held)
    outcomes = []
    for document in held:
        item = items.get(document.document_id)
        if item is None:
            number, post = document.document_id, document.post_id
            logger.warning("document %d: post %s is not in its snapshot", number, post)
            outcomes.append("failed")
        else:
            outcomes.append(_store(engine, config, item, document))
    return outcomes


def reextract(
    engine: Engine,
    config: Config,
    *,
    sources: Sequence[str] = (),
    since: datetime | None = None,
    progress: Progress | None = None,
) -> Counter[str]:
    """Extract again the latest snapshot of every crawled document (of `sources`, fetched
    `since`) and store the result; returns the counts of `COUNTERS`."""
    held = latest_snapshots(engine, sources=sources, since=since, responses_only=True)
    groups: dict[SnapshotRef | None, list[Held]] = {}
    for document in held:
        groups.setdefault(document.ref, []).append(document)
    counts: Counter[str] = Counter(dict.fromkeys(COUNTERS, 0))
    for ref, documents in groups.items():
        counts["checked"] += len(documents)
        if ref is None:  # stored before snapshots were kept
            counts["missing"] += len(documents)
        else:
            counts.update(_reextract(engine, config, ref, documents))
        if progress is not None:
            progress(counts["checked"], len(held), counts)
    return counts
