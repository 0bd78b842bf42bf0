"""The seed corpus: the texts the archive's owner already has, imported once on first use.

`seeds/manifest.yaml` describes each file (title, languages, kind, known URL); the files are
plain text as saved by their owner. Seeds go through the same relevance rules and the same
storage path as crawled pages, so a later crawl recognises them.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import Engine

from crawler.exceptions import ConfigError
from crawler.relevance import RelevanceRules, judge
from storage.archive import SEED_SOURCE, DocumentIn, ensure_source, store_document, stored_seeds

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


def import_seeds(engine: Engine, folder: Path, rules: RelevanceRules) -> int:
    """Import the seeds not yet in the archive; returns how many were added."""
    manifest = load_manifest(folder)
    present = stored_seeds(engine)
    missing = [entry for entry in manifest.seeds if entry.file not in present]
    if not missing:
        return 0
    ensure_source(engine, SEED_SOURCE, "seed", None)
    for entry in missing:
        path = folder / entry.file
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError as err:
            raise ConfigError(f"{path}: cannot read seed file: {err.strerror}") from err
        # One paragraph per line of the saved text, separated by blank lines as exports are.
        text = "\n\n".join(line.strip() for line in raw.splitlines() if line.strip())
        verdict = judge(rules, entry.title, text)
        fetched = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        store_document(
            engine,
            DocumentIn(
                url=seed_url(entry),
                source=SEED_SOURCE,
                text=text,
                relevant=verdict.relevant,
                fetched=fetched,
                title=entry.title,
                author=entry.author,
                language=entry.languages[0],
                published=entry.published,
                seed=entry.file,
            ),
        )
        logger.info("imported seed %s", entry.file)
    return len(missing)
