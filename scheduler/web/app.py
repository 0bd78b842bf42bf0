"""The review page: the queue, one document, search, the sources' health and Atom feeds.

Server-rendered HTML from Jinja2 templates with escaping always on; a small script adds
keyboard shortcuts, and every page works without it. Handlers are plain functions, which
Starlette runs in its thread pool, so database reads never block the event loop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from crawler.config import VERSION, Config
from scheduler.formats import shown_time
from scheduler.health import source_health
from scheduler.web.atom import archive_iri, atom_feed
from scheduler.web.diff import inline_diff
from scheduler.web.security import Guard, csrf_ok, local_path
from storage.archive import set_review
from storage.passages import shared_paragraphs
from storage.queries import (
    RELATIONS,
    REVIEW_STATES,
    Filters,
    changed_since_review,
    copies,
    count,
    facets,
    get_record,
    latest_revisions,
    listing,
    queue_filters,
    review_queue,
    revision_texts,
    texts,
)
from storage.search import BadQuery, search

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
PAGE_SIZE = 50
MAX_PAGE = 100_000
MAX_ID = 2**31 - 1  # documents.id is a 32-bit integer on PostgreSQL
FEED_SIZE = 50
# Matches whose shared paragraphs are marked in a document's text; the rest are only listed.
MARKED_MATCHES = 8
# Keys the page's script answers to, shown on every page (the script reads them from here).
SHORTCUTS = (
    ("j / k", "next / previous item"),
    ("o or Enter", "open the item"),
    ("y", "keep"),
    ("n", "reject"),
    ("u", "back to unreviewed"),
    ("/", "search"),
    ("g", "back to the queue"),
    ("?", "show or hide these keys"),
)


@dataclass(frozen=True)
class Site:
    """What every handler reads: the archive, the config, and the templates."""

    engine: Engine
    config: Config
    templates: jinja2.Environment
    archive: str


def create_app(engine: Engine, config: Config) -> Starlette:
    """The review app over `engine`; `config.web.token`, when set, guards every request."""
    templates = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    templates.filters["host"] = _host
    templates.filters["web_url"] = _web_url
    templates.filters["opening"] = _opening
    # Times in UTC, named so, until the page's script shows them in the reader's zone.
    templates.filters["utc"] = partial(shown_time, zone=UTC)
    templates.globals.update(shortcuts=SHORTCUTS, version=VERSION, relations=RELATIONS)
    # Feed and entry ids name the archive, not the address the page is reached at.
    archive = engine.url.render_as_string(hide_password=True)
    app = Starlette(
        routes=[
            Route("/", queue),
            Route("/documents/{document_id:int}", document),
            Route("/documents/{document_id:int}/review", decide, methods=["POST"]),
            Route("/search", search_page),
            Route("/sources", sources),
            Route("/feed.atom", feed),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[Middleware(Guard, token=config.web.token, host=config.web.host)],
        exception_handlers={HTTPException: _error_page},
    )
    app.state.site = Site(engine, config, templates, archive)
    return app


def queue(request: Request) -> Response:
    """The review queue, or with `view=changed` the reviewed documents that changed since."""
    site = _site(request)
    params = request.query_params
    filters, problems = _filters(request)
    changed_view = params.get("view") == "changed"
    before = _before(request)
    lister = changed_since_review if changed_view else review_queue
    records = lister(site.engine, PAGE_SIZE + 1, filters, before=before)
    more, records = len(records) > PAGE_SIZE, records[:PAGE_SIZE]
    source_names, languages = facets(site.engine)
    counts = {
        "queue": count(site.engine, queue_filters()),
        "changed": count(site.engine, Filters(changed=True)),
    }
    return _render(
        request,
        "queue.html",
        title="Changed since review" if changed_view else "Review queue",
        records=records,
        groups=copies(site.engine, [record["id"] for record in records]),
        shown_revisions={
            document_id: latest.number
            for document_id, latest in latest_revisions(
                site.engine, [record["id"] for record in records]
            ).items()
        },
        filters=filters,
        problems=problems,
        changed_view=changed_view,
        source_names=source_names,
        languages=languages,
        counts=counts,
        newer=_link(request, "before", None) if before is not None else None,
        older=_link(request, "before", str(records[-1]["id"])) if more else None,
        newer_label="← newest",
        here=_here(request),
    )


def document(request: Request) -> Response:
    """One document: text with shared passages marked, metadata, matches, copies, revisions."""
    site = _site(request)
    document_id = _document_id(request)
    record = get_record(site.engine, document_id)
    if record is None:
        raise HTTPException(404, f"There is no document {document_id} in the archive.")
    others = texts(site.engine, [match["id"] for match in record["matches"][:MARKED_MATCHES]])
    paragraphs = shared_paragraphs(record["text"], others)
    revisions = revision_texts(site.engine, document_id)
    shown = _revision_shown(request, len(revisions))
    diff = None
    if shown is not None:
        diff = inline_diff(revisions[shown - 2][2], revisions[shown - 1][2])
    return _render(
        request,
        "document.html",
        title=record["title"] or record["url"],
        record=record,
        paragraphs=paragraphs,
        copies=copies(site.engine, [document_id]).get(document_id, []),
        revisions=[(number, fetched) for number, fetched, _ in revisions],
        shown_revisions={document_id: revisions[-1][0]} if revisions else {},
        shown=shown,
        diff=diff,
        back=local_path(request.query_params.get("back")),
        here=_here(request),
    )


async def decide(request: Request) -> Response:
    """Record a review decision (a form POST with the CSRF value), then go back or answer JSON."""
    form = await request.form()
    if not csrf_ok(request, _text(form.get("csrf"))):
        raise HTTPException(403, "The form was not sent from this archive's page; reload it.")
    decision = _text(form.get("decision"))
    if decision not in REVIEW_STATES:
        raise HTTPException(400, f"A decision is one of {', '.join(REVIEW_STATES)}.")
    document_id = _document_id(request)
    shown = _text(form.get("revision"))
    revision = int(shown) if shown and shown.isdigit() and len(shown) < 10 else None
    site = _site(request)
    changed = await run_in_threadpool(set_review, site.engine, [document_id], decision, revision)
    if not changed:
        raise HTTPException(404, f"There is no document {document_id} in the archive.")
    logger.info("document %d marked %s on the review page", document_id, decision)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"id": document_id, "review": decision})
    return RedirectResponse(local_path(_text(form.get("next"))), 303)


def search_page(request: Request) -> Response:
    """Full-text search over titles and texts, English and Chinese, either script."""
    site = _site(request)
    query = request.query_params.get("q", "").strip()
    page = _page(request)
    hits: list[Any] = []
    more = False
    problem = None
    if query:
        try:
            hits = search(site.engine, query, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
        except BadQuery as err:
            problem = str(err)
        more, hits = len(hits) > PAGE_SIZE, hits[:PAGE_SIZE]
    return _render(
        request,
        "search.html",
        title=f"Search: {query}" if query else "Search",
        query=query,
        problem=problem,
        hits=hits,
        page=page,
        newer=_link(request, "page", str(page - 1) if page > 2 else None) if page > 1 else None,
        older=_link(request, "page", str(page + 1)) if more else None,
        newer_label="← previous",
        here=_here(request),
    )


def sources(request: Request) -> Response:
    """Each configured source's last run, outcome, failures in a row, next run and alarm."""
    site = _site(request)
    return _render(
        request,
        "sources.html",
        title="Sources",
        sources=source_health(site.config, site.engine),
        here=_here(request),
    )


def feed(request: Request) -> Response:
    """Kept documents, newest first; with `queue=1`, the review queue."""
    site = _site(request)
    in_queue = request.query_params.get("queue") == "1"
    if in_queue:
        records = review_queue(site.engine, FEED_SIZE)
        title, kind = "amur: review queue", "queue"
    else:
        records = listing(site.engine, Filters(review="kept"), FEED_SIZE)
        title, kind = "amur: kept documents", "kept"
    # A feed reader shows an entry as updated when its text changed, not at every re-fetch.
    changed = latest_revisions(site.engine, [record["id"] for record in records])
    records = [
        {**record, "fetched": changed[record["id"]].fetched.isoformat()}
        if record["id"] in changed
        else record
        for record in records
    ]
    base = str(request.base_url).rstrip("/")
    self_url = f"{base}/feed.atom" + ("?queue=1" if in_queue else "")
    body = atom_feed(
        records,
        archive=site.archive,
        feed_id=archive_iri(site.archive, f"feed/{kind}"),
        title=title,
        self_url=self_url,
        page_url=f"{base}/",
        document_url=lambda document_id: f"{base}/documents/{document_id}",
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def _site(request: Request) -> Site:
    return request.app.state.site  # type: ignore[no-any-return]


def _render(request: Request, template: str, **context: Any) -> HTMLResponse:
    page = _site(request).templates.get_template(template)
    html = page.render(request=request, csrf=request.state.csrf, **context)
    return HTMLResponse(html)


async def _error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if not hasattr(request.state, "csrf"):
        return Response(exc.detail, exc.status_code)
    page = _site(request).templates.get_template("error.html")
    html = page.render(request=request, csrf=request.state.csrf, title="Not here", exc=exc)
    return HTMLResponse(html, exc.status_code)


def _filters(request: Request) -> tuple[Filters, list[str]]:
    """The queue's filters from the query string, and what could not be read in it."""
    params = request.query_params
    problems = []
    since = None
    if params.get("since"):
        try:
            since = datetime.fromisoformat(params["since"]).astimezone()
        except (ValueError, OverflowError):
            problems.append(f"“{params['since']}” is not a date (YYYY-MM-DD); shown undated.")
    relation = params.get("relation") or None
    if relation is not None and relation not in RELATIONS:
        problems.append(f"“{relation}” is not a relation; shown without that filter.")
        relation = None
    source = params.get("source") or None
    filters = Filters(
        sources=(source,) if source else (),
        since=since,
        language=params.get("language") or None,
        relation=relation,
    )
    return filters, problems


def _page(request: Request) -> int:
    """The page number asked for, 1 to MAX_PAGE (past the last page a page is just empty)."""
    try:
        return min(max(1, int(request.query_params.get("page", "1"))), MAX_PAGE)
    except ValueError:
        return 1


def _document_id(request: Request) -> int:
    """The id in the path; one no database can hold is simply not in the archive."""
    document_id: int = request.path_params["document_id"]
    if document_id > MAX_ID:
        raise HTTPException(404, f"There is no document {document_id} in the archive.")
    return document_id


def _link(request: Request, name: str, value: str | None) -> str:
    """This page's address with query parameter `name` set to `value` (or left out)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != name]
    if value is not None:
        params.append((name, value))
    return request.url.path + (f"?{urlencode(params)}" if params else "")


def _before(request: Request) -> int | None:
    """The `before` cursor of a queue page: the last document id of the page before it."""
    value = request.query_params.get("before", "")
    return int(value) if value.isdigit() and int(value) <= MAX_ID else None


def _here(request: Request) -> str:
    """This page's path and query, for a form to come back to."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def _revision_shown(request: Request, revisions: int) -> int | None:
    """The revision whose changes are shown (`?rev=N`, default the latest); None for one."""
    if revisions < 2:
        return None
    try:
        wanted = int(request.query_params.get("rev", revisions))
    except ValueError:
        wanted = revisions
    return min(max(wanted, 2), revisions)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _host(url: str) -> str:
    """The host of a URL without `www.`: the outlet's name as a reader knows it."""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def _opening(text: str, width: int = 280) -> str:
    """The start of a text on one line, paragraphs set apart, cut at `width` characters."""
    flat = " · ".join(" ".join(paragraph.split()) for paragraph in text.split("\n\n"))
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def _web_url(url: str) -> str | None:
    """`url` when a browser may follow it (http or https), else None: never javascript:."""
    return url if urlsplit(url).scheme in ("http", "https") else None
