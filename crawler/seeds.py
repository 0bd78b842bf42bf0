"""The seed corpus: the texts the archive's owner already has, imported once on first use.

`seeds/manifest.yaml` describes each file (title, languages, kind, known URL); the files are
plain text as saved by their owner. Seeds go through the same relevance rules and the same
storage path as crawled pages, so a later crawl recognises them.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import Engine

from crawler.exceptions import ConfigError
from crawler.relevance import RelevanceRules, judge
from storage.archive import (
    SEED_SOURCE,
    DocumentIn,
    document_id_for_url,
    ensure_source,
    store_document,
    stored_seeds,
)

logger = logging.getLogger(__name__)

MANIFEST = "manifest.yaml"


class SeedEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str
    title: str
    languages: tuple[str, ...]
    kind: str
    url: str | None = None
    author: str | None = None
    published: str | None = None
    note: str | None = None


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    seeds: tuple[SeedEntry, ...]


def load_manifest(folder: Path) -> Manifest:
    """The seed folder's manifest; a broken one is a config error naming the file."""
    path = folder / MANIFEST
    try:
        return Manifest.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the seed manifest: {err.strerror}") from err
    except (yaml.YAMLError, ValidationError) as err:
        raise ConfigError(f"{path}: invalid seed manifest: {err}") from err


def seed_url(entry: SeedEntry) -> str:
    return entry.url or f"seed:{entry.file}"


def seed_documents(entry: SeedEntry, raw: str, fetched: datetime) -> list[DocumentIn]:
    """The documents one seed file holds: one per post for a forum thread, else one."""
    base = DocumentIn(
        url=seed_url(entry),
        source=SEED_SOURCE,
        text="",
        relevant=False,
        fetched=fetched,
        title=entry.title,
        author=entry.author,
        language=entry.languages[0],
        published=entry.published,
        seed=entry.file,
    )
    if entry.kind == "forum-thread":
        # Imported here: the forum parsers bring lxml and trafilatura, which commands that
        # find every seed in place (all but the first) need not load.
        from crawler.forums import parse_text_posts

        # The same splitter as crawled threads, so a crawled post meets its seed post.
        thread = parse_text_posts(raw, seed_url(entry))
        return [
            replace(
                base,
                url=post.url or f"{seed_url(entry)}?post={post.post_id}",
                text=post.text,
                title=post.title or entry.title,
                author=post.author or entry.author,
                published=post.published or entry.published,
                post_id=post.post_id,
            )
            for post in thread.posts
        ]
    # One paragraph per line of the saved text, separated by blank lines as exports are.
    text = "\n\n".join(line.strip() for line in raw.splitlines() if line.strip())
    return [replace(base, text=text)]


def import_seeds(engine: Engine, folder: Path, rules: RelevanceRules, *, posts: bool = True) -> int:
    """Import the seed documents not yet in the archive; returns how many were added.

    With `posts`, a thread already present is checked post by post, so a run killed half-way
    through its posts completes the import next time; that parses the thread, which commands
    that only read the archive skip (`posts=False`).
    """
    manifest = load_manifest(folder)
    present = stored_seeds(engine)
    added = 0
    for entry in manifest.seeds:
        if entry.file in present and (entry.kind != "forum-thread" or not posts):
            continue
        path = folder / entry.file
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError as err:
            raise ConfigError(f"{path}: cannot read seed file: {err.strerror}") from err
        fetched = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        for document in seed_documents(entry, raw, fetched):
            if document_id_for_url(engine, document.url) is not None:
                continue
            if not added:
                ensure_source(engine, SEED_SOURCE, "seed", None)
            verdict = judge(rules, document.title, document.text)
            store_document(engine, replace(document, relevant=verdict.relevant))
            added += 1
        logger.info("imported seed %s", entry.file)
    return added
