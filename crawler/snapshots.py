"""A fetched Scrapy response turned into the raw response the archive keeps (`storage.snapshots`).

What the crawl knew beside the response goes with it, in the WARC metadata record: the source,
the feed's hints, the page's other URLs, and for a forum page `reader: forum` and its number
(an article page is `reader: page`). `amur reextract` rebuilds the page from these, so that
extracting it again sees what the crawl saw.
"""

from __future__ import annotations

from typing import Any

from scrapy.http import Response

from storage.snapshots import RawResponse


def raw_response(response: Response, reader: str, **info: Any) -> RawResponse:
    """The response as fetched (body decompressed), with `info` for its metadata record and
    the `reader` that turns it into documents: `page` (the extractor) or `forum`."""
    headers = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in response.headers.items()
        for value in values
    ]
    return RawResponse(
        url=response.url,
        status=response.status,
        headers=headers,
        body=response.body,
        fetched=info.pop("fetched"),
        info={"reader": reader, **info},
        protocol=response.protocol or "HTTP/1.1",
    )
