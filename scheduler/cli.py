"""The `amur` command line: a thin layer over the library functions.

Exit codes follow CONTRACT.md: 0 on success, 2 for a usage or config error (the message names
the file, the line or key, and what is wrong), 1 when the work itself failed. Logs go to stderr,
results to stdout.
"""

from __future__ import annotations

import difflib
import json
import logging
import os
import sys
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from crawler.config import VERSION, Config, load_config
from crawler.exceptions import AmurError, ConfigError, ExtractionError, NotFoundError
from scheduler.formats import (
    METADATA_FIELDS,
    SUMMARY_COUNTERS,
    WRITERS,
    json_line,
    shown_time,
    table,
)
from storage.archive import SourceKindError, set_review
from storage.errors import BadQuery, StorageError
from storage.passages import shared_passages
from storage.queries import (
    REVIEW_STATES,
    Filters,
    changed_since_review,
    export_records,
    get_record,
    review_queue,
    revision_texts,
    texts,
)

logger = logging.getLogger(__name__)


@dataclass
class App:
    """What every command shares: the config path, and the config and archive once opened."""

    config_path: Path
    verbose: int = 0
    _config: Config | None = None
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    @property
    def engine(self) -> Engine:
        """The archive, created or migrated, with the seed corpus imported on first use."""
        if self._engine is None:
            from crawler.seeds import import_seeds
            from storage.database import open_archive

            self._engine = open_archive(self.config.database)
            command = click.get_current_context().info_name
            added = import_seeds(
                self._engine,
                self.config.seeds,
                self.config.relevance,
                posts=command in WRITING_COMMANDS,
            )
            if added:
                logger.info("imported %d seed documents", added)
        return self._engine


pass_app = click.make_pass_decorator(App)
# Commands that complete a seed thread left half-imported; the others only import what is
# missing whole (on first use), which keeps them from loading the forum parsers.
WRITING_COMMANDS = frozenset({"init", "crawl", "serve", "import"})
# The counters of a source's last run that `status` shows (`storage.runs.COUNTERS`).
STATUS_COUNTERS = ("found", "new", "revised")


def _one_line(error: BaseException) -> str:
    """An exception as `Type: message`, the lines of its message joined with semicolons."""
    lines = (" ".join(line.split()) for line in str(error).splitlines())
    message = "; ".join(line for line in lines if line)
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


class LogLines(logging.Formatter):
    """One line per record: a record's traceback only with -v, otherwise its exception's type
    and message at the end of the line (CONTRACT.md: a traceback appears only with -v)."""

    def __init__(self, tracebacks: bool) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        if self.tracebacks or not record.exc_info:
            return super().format(record)
        error = record.exc_info[1]
        plain = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None})
        text = super().format(plain)
        return f"{text} ({_one_line(error)})" if error is not None else text


def _log_to_stderr(level: int, tracebacks: bool) -> None:
    """One stderr handler whose level holds even after Scrapy resets the root logger's.

    `tracebacks` (-v) applies when the handler is made, on the first call.
    """
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(LogLines(tracebacks))
        root.addHandler(handler)
    for handler in root.handlers:
        handler.setLevel(level)
    root.setLevel(level)
    # Alembic narrates every plugin it loads at INFO; only its warnings matter here.
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))
    # APScheduler narrates every job it runs at INFO: for the service, the run lines say it.
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))


class AmurGroup(click.Group):
    """Turns exceptions into messages and exit codes, in one place: one line each, and the
    traceback too with -v where it can help (a database that will not open, a bug)."""

    def invoke(self, ctx: click.Context) -> Any:
        verbose = bool(ctx.params.get("verbose"))
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # usage errors and exit codes: click reports them
        except BrokenPipeError:
            # The reader stopped (`amur export | head`): nothing is wrong and nothing to say.
            # Output still buffered would fail again at exit, so stdout goes to /dev/null.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        except ConfigError as err:
            for line in str(err).splitlines():  # one line per problem found
                click.echo(f"amur: config error: {line}", err=True)
            ctx.exit(2)
        except SourceKindError as err:  # a configured source that the archive holds as another kind
            click.echo(f"amur: config error: {ctx.obj.config_path}: {err}", err=True)
            ctx.exit(2)
        except AmurError as err:
            click.echo(f"amur: {err}", err=True)
            ctx.exit(1)
        except StorageError as err:
            self._traceback(verbose)
            click.echo(f"amur: {err}", err=True)
            ctx.exit(1)
        except OperationalError as err:  # the database went away or refused work mid-command
            self._traceback(verbose)
            click.echo(f"amur: database error: {_one_line(err.orig)}", err=True)
            ctx.exit(1)
        except Exception as err:
            self._traceback(verbose)
            hint = "" if verbose else "; run with -v for the traceback"
            click.echo(f"amur: internal error: {_one_line(err)}{hint}", err=True)
            ctx.exit(1)

    @staticmethod
    def _traceback(verbose: bool) -> None:
        if verbose:
            click.echo(traceback.format_exc().rstrip(), err=True)


@click.group(cls=AmurGroup)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=lambda: os.environ.get("AMUR_CONFIG", "config.yaml"),
    show_default="./config.yaml or $AMUR_CONFIG",
    help="The config file.",
)
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.version_option(VERSION, "--version", prog_name="amur", message="%(prog)s %(version)s")
@click.pass_context
def main(ctx: click.Context, config_path: Path, verbose: int) -> None:
    """amur keeps a topical archive current: it crawls feeds, listings, pages and forum
    threads, extracts their text, recognises what the archive already holds, and queues
    what is new for review.

    Example: amur --config config.yaml crawl
    """
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    _log_to_stderr(level, tracebacks=verbose > 0)
    ctx.obj = App(config_path, verbose)


@main.command()
@pass_app
def init(app: App) -> None:
    """Create or migrate the database and import the seed corpus.

    Example: amur init
    """
    from storage.runs import document_count

    count = document_count(app.engine)
    click.echo(f"archive ready: {app.config.database} ({count} documents)")


@main.command()
@click.argument("sources", nargs=-1)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=None,
    help="Extraction worker processes (default: one per core; 0 extracts inline).",
)
@pass_app
def crawl(app: App, sources: tuple[str, ...], workers: int | None) -> None:
    """One pass over all enabled sources (or the named ones), then exit.

    Prints a summary per source. A source that another amur process is crawling at that
    moment is skipped (status `busy`). Exits 1 when every source failed.

    Example: amur crawl telegraph atlantic-council
    """
    from crawler.run import run_crawl

    config = app.config
    sources = tuple(dict.fromkeys(sources))  # a source named twice is crawled once
    if sources:
        unknown = [name for name in sources if name not in {s.name for s in config.sources}]
        if unknown:
            raise click.UsageError(f"no source named {', '.join(unknown)} in {app.config_path}")
        selected = [config.source(name) for name in sources]
    else:
        selected = [source for source in config.sources if source.enabled]
    if not selected:
        click.echo("no enabled sources to crawl", err=True)
        return
    summaries = run_crawl(app.engine, config, selected, workers=workers)
    headers = ("source", "status", *SUMMARY_COUNTERS.values())
    rows = [(s.name, s.status, *(s.counts[c] for c in SUMMARY_COUNTERS)) for s in summaries]
    click.echo(table(headers, rows))
    if all(summary.status in ("failed", "blocked") for summary in summaries):
        raise click.exceptions.Exit(1)


def _filters(
    sources: tuple[str, ...],
    new: bool | None,
    relevant: bool | None,
    review: str | None,
    since: datetime | None,
    language: str | None = None,
) -> Filters:
    return Filters(
        sources=sources,
        new=new,
        relevant=relevant,
        review=review,
        since=_aware(since),
        language=language.lower() if language else None,
    )


def _aware(when: datetime | None) -> datetime | None:
    """A `--since` date-time: one given without an offset is local time."""
    return when.astimezone() if when is not None and when.tzinfo is None else when


# `--json` on the commands that print records: one JSON object per line (CONTRACT.md).
json_option = click.option(
    "--json", "as_json", is_flag=True, help="One JSON object per line instead of a table."
)


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(sorted(WRITERS)), default="jsonl", show_default=True
)
@click.option(
    "--source", "sources", multiple=True, help="Only this source (repeatable; `seed` for seeds)."
)
@click.option("--new/--not-new", default=None, help="Only new (or only not new) documents.")
@click.option("--relevant/--not-relevant", default=None, help="Only relevant (or not) documents.")
@click.option(
    "--review", type=click.Choice(REVIEW_STATES), default=None, help="Only this review state."
)
@click.option(
    "--since", type=click.DateTime(), default=None, help="Only documents fetched since then."
)
@click.option("--language", default=None, help="Only this language (an ISO 639-1 code: en, zh).")
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Write to this file instead of stdout.",
)
@pass_app
def export(
    app: App,
    fmt: str,
    sources: tuple[str, ...],
    new: bool | None,
    relevant: bool | None,
    review: str | None,
    since: datetime | None,
    language: str | None,
    output: Any,
) -> None:
    """The archive, seeds included, one document per record (fields in docs/export.md).

    Example: amur export --format csv --new --relevant > new.csv
    """
    filters = _filters(sources, new, relevant, review, since, language)
    records = export_records(app.engine, filters)
    count = WRITERS[fmt](records, output)
    logger.info("exported %d documents", count)


@main.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--source",
    default="import",
    show_default=True,
    help="Source to file them under: a new name or an earlier import's; "
    "not `seed`, not a crawl source.",
)
@pass_app
def import_(app: App, file: Path, source: str) -> None:
    """Bulk-load documents from JSON Lines (the export's fields; at least url, title, text).

    Each document is classified exactly like a crawled one: relevance, then dedup against
    everything stored before it; a missing language is identified from the text. Bad lines
    (not UTF-8, not JSON, a bad field, longer than network.max_body_mb) are reported with their
    number and skipped; exits 1 if there were any. The source must belong to imports: exits 2,
    importing nothing, for `seed`, a configured source or another kind's source.

    Example: amur import my-collection.jsonl --source my-collection
    """
    from crawler.importer import MIB, ImportSummary, count_lines, import_file, source_refusal

    refusal = source_refusal(source, {configured.name for configured in app.config.sources})
    if refusal is not None:
        click.echo(f"amur: {refusal}", err=True)
        raise click.exceptions.Exit(2)
    show = sys.stderr.isatty()
    total = count_lines(file) if show else 0

    def progress(line: int, summary: ImportSummary) -> None:
        if show and line % 50 == 0:
            counts = summary.counts
            click.echo(
                f"\r\033[Kimporting {line}/{total}: {counts['new']} new, "
                f"{counts['duplicates']} duplicates, {counts['errors']} errors",
                err=True,
                nl=False,
            )

    try:
        summary = import_file(
            app.engine,
            app.config.relevance,
            file,
            source,
            max_line_bytes=int(app.config.network.max_body_mb * MIB),
            progress=progress,
        )
    except SourceKindError as err:
        click.echo(f"amur: --source: {err}", err=True)
        raise click.exceptions.Exit(2) from err
    if show:
        click.echo("\r\033[K", err=True, nl=False)
    for problem in summary.problems:
        click.echo(f"amur: {problem}", err=True)
    counts = summary.counts
    headers = ("read", "new", "duplicates", "not relevant", "unchanged", "updated", "revised",
               "errors")  # fmt: skip
    row = (counts["read"], counts["new"], counts["duplicates"], counts["irrelevant"],
           counts["unchanged"], counts["updated"], counts["revised"], counts["errors"])  # fmt: skip
    click.echo(table(headers, [row]))
    if summary.problems:
        raise click.exceptions.Exit(1)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "text"]), default="jsonl", show_default=True
)
@click.option("--url", default=None, help="The page's URL, for resolving relative links.")
def extract(paths: tuple[Path, ...], fmt: str, url: str | None) -> None:
    """Run the extractor on saved HTML files: one record per input.

    Exits 1 if any input could not be read or had no extractable text (its record then
    carries an `error`).

    Example: amur extract saved/*.html --format text
    """
    from crawler.extraction import decode_html
    from crawler.extraction import extract as extract_page
    from storage.archive import join_authors

    failed = 0
    for path in paths:
        record: dict[str, Any] = {"input": str(path)}
        try:
            extracted = extract_page(decode_html(path.read_bytes()), url)
        except (OSError, ExtractionError) as err:
            failed += 1
            reason = err.strerror if isinstance(err, OSError) else str(err)
            record.update(dict.fromkeys(("title", "author", "published", "language", "text")))
            record.update(authors=[], modified=None)
            record["error"] = reason
            click.echo(f"amur: {path}: {reason}", err=True)
        else:
            record.update(
                title=extracted.title,
                author=join_authors(extracted.authors),
                authors=list(extracted.authors),
                published=extracted.published,
                modified=extracted.modified,
                language=extracted.language,
                text=extracted.text,
            )
        if fmt == "jsonl":
            click.echo(json.dumps(record, ensure_ascii=False))
        elif "error" not in record:
            click.echo(f"==> {path} <==\n# {record['title'] or ''}\n\n{record['text']}\n")
    if failed:
        raise click.exceptions.Exit(1)


@main.command()
@click.argument("document_id", type=int)
@click.option(
    "-o",
    "--output",
    type=click.File("wb"),
    default="-",
    help="Write to this file instead of stdout.",
)
@pass_app
def snapshot(app: App, document_id: int, output: Any) -> None:
    """The raw response behind a document's latest revision: the body as fetched (after any
    gzip or chunked transfer was undone), byte for byte.

    Seeds, imports and pages crawled before snapshots were kept have none: exit 1.

    Example: amur snapshot 42 -o page.html
    """
    from storage.snapshots import latest_snapshots, read_snapshot

    found = latest_snapshots(app.engine, ids=[document_id])
    if not found:
        raise NotFoundError(f"no document with id {document_id}")
    ref = found[0].ref
    if ref is None:
        raise NotFoundError(
            f"document {document_id} has no snapshot (seeds, imports and pages crawled"
            " before snapshots were kept have none)"
        )
    output.write(read_snapshot(app.config.snapshots, ref).body)


@main.command()
@click.option("--source", "sources", multiple=True, help="Only this source (repeatable).")
@click.option(
    "--since", type=click.DateTime(), default=None, help="Only documents fetched since then."
)
@pass_app
def reextract(app: App, sources: tuple[str, ...], since: datetime | None) -> None:
    """Run the current extractor over the stored snapshots, offline (nothing is fetched).

    Each crawled document's latest raw response is extracted again exactly as a crawl would
    (feed hints and forum parsers included) and stored: a changed text becomes a new revision,
    changed metadata updates the document, and either is classified again (relevance, dedup).
    An unchanged extractor changes nothing. Prints how many documents were checked, changed,
    unchanged, had no snapshot (or its file is gone) and failed; exits 1 if any failed.

    Example: amur reextract --source telegraph --since 2025-12-01
    """
    from crawler.reextract import reextract as run_reextract

    show = sys.stderr.isatty()

    def progress(done: int, total: int, counts: Any) -> None:
        if show:
            click.echo(
                f"\r\033[Kreextracting {done}/{total}: {counts['changed']} changed, "
                f"{counts['failed']} failed",
                err=True,
                nl=False,
            )

    counts = run_reextract(
        app.engine, app.config, sources=sources, since=_aware(since), progress=progress
    )
    if show:
        click.echo("\r\033[K", err=True, nl=False)
    headers = ("checked", "changed", "unchanged", "missing snapshot", "failed")
    row = (counts["checked"], counts["changed"], counts["unchanged"], counts["missing"],
           counts["failed"])  # fmt: skip
    click.echo(table(headers, [row]))
    if counts["failed"]:
        raise click.exceptions.Exit(1)


@main.command()
@json_option
@pass_app
def status(app: App, as_json: bool) -> None:
    """Per source: last run, outcome, items found, consecutive failures, next run.

    The next run is the one `amur serve` scheduled; without a running service it is when
    the source would next be due. An alarm line follows for a source that used to list items
    and has listed none for several runs, a BLOCKED line for one whose site refused its last
    run (with what to try). Times are local; with --json, ISO 8601 in UTC.

    Example: amur status --json
    """
    from scheduler.health import source_health

    rows, alarms = [], []
    for health in source_health(app.config, app.engine):
        next_run = health.next_run
        if as_json:
            record = {
                "source": health.name,
                "kind": health.kind,
                "last_run": health.last_run.isoformat() if health.last_run else None,
                "outcome": health.outcome,
                "counts": dict(health.counts),
                "consecutive_failures": health.consecutive_failures,
                "next_run": next_run.isoformat() if isinstance(next_run, datetime) else next_run,
                "last_error": health.last_error,
                "alarm": health.alarm,
                "hint": health.hint,
            }
            click.echo(json_line(record))
            continue
        if health.alarm:
            alarms.append(f"ALARM {health.name}: {health.alarm}")
        if health.hint:
            alarms.append(f"BLOCKED {health.name}: {health.hint}")
        rows.append(
            (
                health.name,
                health.kind,
                _local(health.last_run) if health.last_run else "never",
                health.outcome or "-",
                "/".join(str(health.counts[c]) for c in STATUS_COUNTERS)
                if health.last_run
                else "-",
                health.consecutive_failures,
                _local(next_run) if isinstance(next_run, datetime) else next_run,
                (health.last_error or "")[:60],
            )
        )
    if as_json:
        return
    headers = (
        "source", "kind", "last run", "outcome", "/".join(STATUS_COUNTERS), "failures",
        "next run", "last error",
    )  # fmt: skip
    click.echo(table(headers, rows))
    for alarm in alarms:
        click.echo(alarm)


def _local(when: datetime) -> str:
    """An aware time for a person at a terminal: local time, to the minute."""
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


@main.command()
@click.option("--no-web", is_flag=True, help="Run the scheduler only, without the review page.")
@pass_app
def serve(app: App, no_web: bool) -> None:
    """The background service: every enabled source on its schedule until SIGTERM/SIGINT.

    It also serves the review page at web.host:web.port (default http://127.0.0.1:8765/)
    unless --no-web is given. On a signal it starts no new crawl, lets running ones finish
    their pages in flight (or roll back), and exits 0. See README, "Running it as a service".

    Example: amur --config /etc/amur/config.yaml serve
    """
    from scheduler.service import serve as run_service

    # The service's own lines (one per run) are the point of its log: INFO at least.
    _log_to_stderr(
        min(logging.getLogger().getEffectiveLevel(), logging.INFO), tracebacks=app.verbose > 0
    )
    run_service(app.config_path, app.config, app.engine, web=not no_web)


@main.command()
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many items.")
@click.option("--source", "sources", multiple=True, help="Only this source (repeatable).")
@click.option("--language", default=None, help="Only this language (an ISO 639-1 code: en, zh).")
@click.option(
    "--since", type=click.DateTime(), default=None, help="Only documents fetched since then."
)
@click.option(
    "--changed", is_flag=True, help="Reviewed documents whose text changed since the decision."
)
@json_option
@pass_app
def review(
    app: App,
    limit: int | None,
    sources: tuple[str, ...],
    language: str | None,
    since: datetime | None,
    changed: bool,
    as_json: bool,
) -> None:
    """The review queue: new, relevant, unreviewed items, newest first.

    With --changed, the documents kept or rejected whose text changed after the decision
    instead (an edited forum post); marking them again clears them. With --json, one export
    record per item (docs/export.md), text and matches included.

    Example: amur review --source telegraph --language en --limit 20
    """
    filters = _filters(sources, None, None, None, since, language)
    lister = changed_since_review if changed else review_queue
    queue = lister(app.engine, limit, filters)
    if as_json:
        for record in queue:
            click.echo(json_line(record))
        return
    if not queue:
        click.echo("nothing changed since review" if changed else "the review queue is empty")
        return
    rows = [
        (
            r["id"],
            shown_time(r["published"], time=False),
            r["source"],
            r["language"] or "",
            _host(r["url"]),
            (r["title"] or r["url"])[:60],
            len(r["matches"]),
        )
        for r in queue
    ]
    click.echo(table(("id", "published", "source", "lang", "host", "title", "matches"), rows))


@main.command()
@click.argument("document_id", type=int)
@json_option
@pass_app
def show(app: App, document_id: int, as_json: bool) -> None:
    """One document whole: metadata, text, matches, revisions.

    Times are local; with --json, the document's export record on one line instead.

    Example: amur show 42
    """
    record = get_record(app.engine, document_id)
    if record is None:
        raise NotFoundError(f"no document with id {document_id}")
    if as_json:
        click.echo(json_line(record))
        return
    for key in METADATA_FIELDS:
        value = shown_time(record[key]) if key in ("published", "fetched") else record[key]
        click.echo(f"{key + ':':11} {'' if value is None else value}")
    others = texts(app.engine, [match["id"] for match in record["matches"]])
    for match in record["matches"]:
        relation, other_id, score = match["relation"], match["id"], match["score"]
        click.echo(f"{'match:':11} {relation} #{other_id} {score:.2f} {match['url']}")
        if other_id in others:
            for passage in shared_passages(record["text"], others[other_id]):
                click.echo(f"{'':11}   “{passage}”")
    click.echo("\n" + record["text"])
    revisions = revision_texts(app.engine, document_id)
    if len(revisions) > 1:
        (_, before_at, before), (number, after_at, after) = revisions[-2], revisions[-1]
        click.echo(f"\n--- changes in revision {number} ---")
        diff = difflib.unified_diff(
            before.splitlines(),
            after.splitlines(),
            f"revision {number - 1} ({_local(before_at)})",
            f"revision {number} ({_local(after_at)})",
            lineterm="",
        )
        for line in diff:
            click.echo(line)


@main.command()
@click.argument("words", nargs=-1, required=True)
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="At most N hits."
)
@json_option
@pass_app
def search(app: App, words: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Full-text search over the archive, seeds included: best hits first, with a snippet.

    A document matches when its title or text holds every word of the query, in any letter
    case and in Traditional or Simplified script; a word is found inside longer ones, so
    Chinese needs no spaces (中俄 finds 中俄關係). Punctuation and operators are plain text.
    With --json, one object per hit: id, url, source, title, language, published, review,
    snippet and score.

    Example: amur search 中俄 pipeline --limit 5
    """
    from storage.search import parse
    from storage.search import search as find

    query = " ".join(words)
    try:
        parse(query)  # a query with no word is refused before the archive is opened
    except BadQuery as err:
        click.echo(f"amur: {err}", err=True)
        raise click.exceptions.Exit(2) from err
    hits = find(app.engine, query, limit)
    if as_json:
        fields = ("id", "url", "source", "title", "language", "published", "review")
        for hit in hits:
            record = {name: getattr(hit, name) for name in fields}
            click.echo(json_line({**record, "snippet": hit.snippet, "score": hit.score}))
        return
    if not hits:
        click.echo("no documents match")
        return
    rows = [
        (
            hit.id,
            shown_time(hit.published, time=False),
            hit.source,
            (hit.title or hit.url)[:50],
            hit.snippet,
        )
        for hit in hits
    ]
    click.echo(table(("id", "date", "source", "title", "snippet"), rows))


@main.command()
@click.argument("args", nargs=-1, required=True)
@pass_app
def mark(app: App, args: tuple[str, ...]) -> None:
    """Record a review decision: amur mark ID... kept|rejected|unreviewed.

    All the ids or none: when one is not in the archive, it is named and nothing is changed.

    Example: amur mark 12 15 kept
    """
    *ids, decision = args
    if decision not in REVIEW_STATES or not ids:
        raise click.UsageError("usage: amur mark ID... kept|rejected|unreviewed")
    try:
        numbers = list(dict.fromkeys(int(value) for value in ids))
    except ValueError as err:
        raise click.UsageError(f"document ids are integers: {err}") from err
    # Documents are never deleted, so ids found here are still there for the update.
    missing = [number for number in numbers if get_record(app.engine, number) is None]
    if missing:
        which = "document with id" if len(missing) == 1 else "documents with ids"
        raise NotFoundError(f"no {which} {', '.join(map(str, missing))}; nothing was marked")
    changed = set_review(app.engine, numbers, decision)
    click.echo(f"marked {changed} document(s) {decision}")


if __name__ == "__main__":
    main()
