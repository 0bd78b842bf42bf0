"""Article metadata from the page itself: headline, authors, published and modified dates.

Publishers state these several times over (JSON-LD, <meta> tags, the visible page), and each
place fails in its own way: JSON-LD headlines and <title> are often SEO titles with a kicker
("Topic: Headline") or a site suffix, og:title a shortened social title; author fields name the
publication itself ("n-tv NACHRICHTEN", its publisher Organization); dates come in every ISO 8601
variant.
So each value is taken where it is most reliable and checked against the others:

- title: the visible headline (an <h1>, else an <h2>, outside navigation, breadcrumbs, lists and
  links) where a metadata title confirms it; else the metadata titles without site suffixes,
  preferring one without a kicker its twin has;
- authors: the first source (JSON-LD, <meta>, byline markup, trafilatura's byline search) that
  credits anyone but the publication itself. "The publication" is this site's own name
  (og:site_name, the publisher, the host), not any organisation: a news agency credited in the
  byline ("Paula Steiger, SDA"; a JSON-LD Organization "Reuters") tells the reader whose copy
  this is, and stays;
- dates: JSON-LD, then <meta>, then <time>; a value without a time or zone borrows them from
  another source that gives the same moment with more precision.
"""

from __future__ import annotations

import html as htmllib
import itertools
import json
import logging
import re
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from dateutil import parser as dateparser
from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.metadata import extract_author

from storage.urls import site

logger = logging.getLogger(__name__)
Obj = dict[str, Any]  # a JSON-LD object


@dataclass(frozen=True)
class Metadata:
    """What a page says about itself, besides its text."""

    title: str | None
    authors: tuple[str, ...]
    published: str | None  # ISO 8601: date-time with the page's offset where it gives them
    modified: str | None
    description: str | None
    article: Obj  # the article's JSON-LD object ({} if none): url, articleBody
    head: dict[str, str]  # <meta> name/property → content


# --- JSON-LD and <head> ----------------------------------------------------------------------
_ARTICLE_TYPES = {"newsarticle", "article", "blogposting", "reportagenewsarticle",
                  "liveblogposting", "analysisnewsarticle", "opinionnewsarticle",
                  "backgroundnewsarticle", "reviewnewsarticle", "report",
                  "socialmediaposting", "discussionforumposting"}  # fmt: skip
_ORGANISATIONS = {"organization", "newsmediaorganization", "corporation", "website",
                  "localbusiness", "educationalorganization", "governmentorganization"}  # fmt: skip


def json_ld(tree: HtmlElement) -> list[Obj]:
    """Every object of every JSON-LD block: top level, lists, @graph and mainEntity."""
    found: list[Obj] = []
    for script in tree.iterfind(".//script[@type]"):
        if script.get("type", "").strip().lower() != "application/ld+json" or not script.text:
            continue
        try:
            stack = [json.loads(script.text.strip().rstrip(";"), strict=False)]
        except ValueError:
            logger.debug("unparseable JSON-LD block skipped")
            continue
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                found.append(item)
                stack.extend(item[k] for k in ("@graph", "mainEntity") if k in item)
    return found


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _types(obj: Obj) -> set[str]:
    kind = obj.get("@type")
    kinds = [kind] if isinstance(kind, str) else kind if isinstance(kind, list) else []
    return {str(t).lower() for t in kinds}


def _organisation(obj: Obj) -> bool:
    """Typed as an organisation and not as a person (WordPress's Yoast types its authors both)."""
    kinds = _types(obj)
    return bool(kinds & _ORGANISATIONS) and "person" not in kinds


def _article(objects: list[Obj]) -> Obj:
    """The article object: the first with a headline or date, else the first of an article type."""
    articles = [obj for obj in objects if _types(obj) & _ARTICLE_TYPES]
    dated = [a for a in articles if a.get("headline") or a.get("datePublished")]
    return (dated or articles or [{}])[0]


def clean(value: Any) -> str | None:
    """A JSON-LD or attribute string with entities decoded and whitespace collapsed."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    if not isinstance(value, str):
        return None
    return " ".join(htmllib.unescape(value).split()) or None


def _head(tree: HtmlElement) -> dict[str, str]:
    """<meta> name/property/itemprop/http-equiv → content; the first occurrence wins."""
    found: dict[str, str] = {}
    for meta in tree.iterfind(".//meta[@content]"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop")
               or meta.get("http-equiv"))  # fmt: skip
        content = clean(meta.get("content"))
        if key and content:
            found.setdefault(key.strip().lower(), content)
    return found


def squash(text: str) -> str:
    """Letters and digits only, case-folded: for comparing titles and names across markup."""
    return re.sub(r"[\W_]+", "", text.casefold())


_GENERIC_LABELS = {"www", "com", "org", "net", "edu", "gov", "int", "amp", "news", "info"}


def _by_id(objects: list[Obj]) -> dict[str, Obj]:
    return {obj["@id"]: obj for obj in objects if isinstance(obj.get("@id"), str)}


def _resolve(value: Obj, by_id: dict[str, Obj]) -> Obj:
    """A bare {"@id": ...} reference replaced by the object it names, where the page has it."""
    ref = value.get("@id")
    return by_id.get(ref, value) if "name" not in value and isinstance(ref, str) else value


def _site_names(objects: list[Obj], head: dict[str, str], url: str | None) -> set[str]:
    """Squashed names the site goes by: og:site_name, publisher, WebSite name, host labels.

    An organisation in the JSON-LD is the site's own unless an article credits it as author:
    an agency in a @graph ("SDA", referred to by the author's @id) is not this publication,
    but one credited with a URL on this site ("Redaktion hessenschau.de") is its newsroom.
    """
    by_id = _by_id(objects)
    authors = [a for obj in objects for a in _listed(obj.get("author")) if isinstance(a, dict)]
    credited = {a["@id"] for a in authors if isinstance(a.get("@id"), str)}
    names = [head.get("og:site_name"), head.get("application-name")]
    for obj in objects:
        publisher = obj.get("publisher")
        if isinstance(publisher, dict):
            names.append(clean(_resolve(publisher, by_id).get("name")))
        if _organisation(obj) and obj.get("@id") not in credited:
            names.append(clean(obj.get("name")))
    for author in (_resolve(a, by_id) for a in authors):
        home = author.get("url")
        if _organisation(author) and isinstance(home, str) and url:
            if site(urljoin(url, home)) == site(url):
                names.append(clean(author.get("name")))
    host = urlsplit(url or "").hostname or ""
    names += [label for label in host.split(".") if len(label) > 2 and label not in _GENERIC_LABELS]
    return {s for s in map(squash, filter(None, names)) if len(s) > 1}


# --- title -----------------------------------------------------------------------------------
_TITLE_SEP = re.compile(r"\s+[|\-\u2013\u2014\u00b7\u00bb\u2022:]{1,2}\s+")
_SUFFIX = re.compile(r"\s*[|\-_\u2013\u2014\u00b7\u00bb\u2022]")
# A kicker: a short topic label before the headline proper ("SVP-Sonderparteitag: Headline").
_KICKER = re.compile(r"^[^:]{2,60}:\s+")
# Headings that are not this page's headline: menus, breadcrumbs, teaser lists and links.
_NOT_HEADLINE = (
    "ancestor::*[self::nav or self::aside or self::footer or self::menu or self::li"
    " or self::a or contains(@class,'crumb') or contains(@class,'Crumb')]"
)


def _strip_site(title: str, sites: set[str]) -> str:
    """'Headline - The Telegraph' → 'Headline': drop trailing parts naming the site or a date."""
    while (parts := list(_TITLE_SEP.finditer(title))) and len(title) > parts[-1].end():
        last = squash(title[parts[-1].end() :])
        if len(last) < 2 or not (last.isdigit() or any(s in last or last in s for s in sites)):
            break
        title = title[: parts[-1].start()]
    return title


def _headings(tree: HtmlElement, sites: set[str]) -> list[tuple[str, str]]:
    """(tag, text) of the <h1>s, then the <h2>s, that could be the article's own headline."""
    found = []
    for tag in ("h1", "h2"):
        for element in tree.iter(tag):
            text = clean(element.text_content())
            if text and squash(text) not in sites and not element.xpath(_NOT_HEADLINE):
                found.append((tag, text))
    return found


def _title(ld: Obj, head: dict[str, str], tree: HtmlElement, sites: set[str]) -> str | None:
    """The visible headline where a metadata title confirms it, else the best metadata title.

    Confirmed means equal, or equal but for punctuation and spaces: a kicker and headline set
    in separate spans lose the ": " between them in the DOM text, so the metadata's wording is
    taken (og:title first, the form the publisher writes for people rather than for search).
    """
    og, headline = head.get("og:title"), clean(ld.get("headline"))
    others = [head.get("twitter:title"), clean(tree.findtext(".//title"))]
    strip = [_strip_site(c, sites) for c in (og, headline, *others) if c]
    headings = _headings(tree, sites)
    for _, text in headings:
        if text in strip:
            return text
        if twin := next((c for c in strip if squash(c) == squash(text)), None):
            return twin
    # Nothing in the article confirms a title. Of the metadata titles, one shown as a heading
    # anywhere (a teaser, a breadcrumb) is what readers see; else the JSON-LD headline, the
    # article's own statement. A "Topic: Headline" gives way to its plain "Headline" twin.
    shown = {squash(clean(h.text_content()) or "") for h in tree.iter("h1", "h2")}
    meta = [_strip_site(c, sites) for c in (headline, og, *others) if c]
    meta = [c for c in meta if squash(c) not in sites]  # a <title> that is only the site's name
    meta = sorted(dict.fromkeys(meta), key=lambda c: squash(c) not in shown)
    meta = [t for t in meta if not ((k := _KICKER.match(t)) and t[k.end() :] in meta)]
    heading = next((text for tag, text in headings if tag == "h1"), None)
    found = meta + ([heading] if heading else [])
    for n, title in enumerate(found):
        stem = title.rstrip(".…")
        if stem != title and any(o.startswith(stem) and len(o) > len(title) for o in found[n:]):
            continue  # a truncated headline ("…"); a later candidate has it whole
        if heading and title.startswith(heading) and _SUFFIX.match(title, len(heading)):
            return heading  # "帖子标题_国际观察_某某论坛": the rest names the forum or site
        return title
    return None


# --- dates -----------------------------------------------------------------------------------
_PUBLISHED_META = ("article:published_time", "og:article:published_time", "datepublished",
                   "article.published", "publishdate", "publish-date", "pubdate", "date",
                   "dc.date.issued", "dc.date", "dcterms.created", "sailthru.date",
                   "parsely-pub-date", "citation_publication_date",
                   "og:published_time")  # fmt: skip
_MODIFIED_META = ("article:modified_time", "og:article:modified_time", "og:updated_time",
                  "datemodified", "dcterms.modified", "last-modified",
                  "lastmod")  # fmt: skip
_YMD = re.compile(
    r"(\d{4})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})[:时時](\d{2})(?:[:分](\d{2}))?)?"
)
# Day first with dots, as written across Europe: "16.09.2024", "16.09.2024 21:33".
_DMY = re.compile(r"^(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_UTC_NAMES = re.compile(r"\s*(?:Z|UTC|GMT)$", re.I)


def _from_parts(groups: tuple[str | None, ...]) -> str | None:
    y, mo, d, h, mi, s = (int(g) if g else None for g in groups)
    try:
        parsed = datetime(y, mo, d, h or 0, mi or 0, s or 0)  # type: ignore[arg-type]
    except ValueError:
        return None
    return parsed.date().isoformat() if h is None else parsed.isoformat(timespec="seconds")


def _parse_date(value: str) -> datetime | str | None:
    """ISO 8601 in its offset forms, RFC 2822 and written-out dates; a str for a bare date."""
    if re.fullmatch(r"\d{4}-?\d{2}-?\d{2}", value):
        digits = value.replace("-", "")
        return _from_parts((digits[:4], digits[4:6], digits[6:], None, None, None))
    # "2024-09-16t21:33z", "2024-09-16 21:33:00 +0100", "...+01:00[Europe/Berlin]" (RFC 9557)
    iso = re.sub(r"\[[^\]]*\]$", "", value.upper())
    iso = re.sub(r"^(\d{4}-\d\d-\d\d) (?=\d)", r"\1T", iso)
    iso = _UTC_NAMES.sub("+00:00", re.sub(r"(\d)\s+([+-]\d\d:?\d\d)$", r"\1\2", iso))
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        pass
    if match := _YMD.search(value):  # "2024年9月16日 21:33", "2024/09/16"
        return _from_parts(match.groups())
    if match := _DMY.match(value):
        day, month, year, *rest = match.groups()
        return _from_parts((year, month, day, *rest))
    if not re.search(r"[A-Za-z]{3}", value) or not re.search(r"\d{4}", value):
        return None  # dateutil takes any lone number for a day of this month
    with warnings.catch_warnings():  # unknown zone names ("CET") parse as local times
        warnings.simplefilter("ignore")
        try:  # "Mon, 16 Sep 2024 21:33:00 GMT", "September 16, 2024 9:33 pm"
            return dateparser.parse(value)
        except (ValueError, OverflowError):
            return None


def normalize_date(value: str | None) -> str | None:
    """ISO 8601 from what pages write: '2024-09-16T21:33+0100' → '2024-09-16T21:33:00+01:00'.

    A value with a time keeps it, and its offset when given (Z, UTC and GMT are +00:00); a bare
    date stays YYYY-MM-DD. Years outside 1990–2100 are mistakes, not dates.
    """
    value = " ".join((value or "").split())
    parsed = _parse_date(value) if value else None
    if parsed is None:
        return None
    text = parsed if isinstance(parsed, str) else parsed.isoformat(timespec="seconds")
    return text if 1990 <= int(text[:4]) <= 2100 else None


def _best(values: list[str | None]) -> str | None:
    """The first date given, with the time and offset of another value for the same moment.

    A JSON-LD "2024-05-01" beside a meta "2024-05-01T07:15:00+02:00", or a naive
    "2024-05-01T07:15:00" beside the same time with its zone, takes the fuller form.
    """
    dates = [d for d in map(normalize_date, filter(None, values)) if d]
    if not dates:
        return None
    first = dates[0]
    fuller = [d for d in dates if d.startswith(first) and len(d) > len(first)]
    return max(fuller, key=len) if fuller and len(first) <= 19 else first


def _published(ld: Obj, head: dict[str, str], tree: HtmlElement) -> str | None:
    """JSON-LD, then <head>, then <time>; else htmldate's cheap search of URL and page."""
    values = [clean(ld.get("datePublished")), clean(ld.get("dateCreated"))]
    values += [head.get(key) for key in _PUBLISHED_META]
    # <time> in page order: an itemprop=datePublished one may well be a teaser card's
    values += [t.get("datetime") for t in tree.iterfind(".//time[@datetime]")]
    if found := _best(values):
        return found
    found = find_date(tree, extensive_search=False, original_date=True)
    return normalize_date(found) if found else None


def _modified(ld: Obj, head: dict[str, str], tree: HtmlElement) -> str | None:
    """JSON-LD dateModified, then <head>, then a <time itemprop=dateModified>."""
    values = [clean(ld.get("dateModified")), *(head.get(key) for key in _MODIFIED_META)]
    marked = [t.get("datetime") for t in tree.iterfind(".//time[@itemprop='dateModified']")]
    return _best(values + marked)


# --- authors ---------------------------------------------------------------------------------
_AUTHOR_META = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator",
                "byl", "citation_author", "cxenseparse:author", "dcsext.author")  # fmt: skip
_NAME_SPLIT = re.compile(r"\s*(?:[,;&\u3001\uff0c]|\s(?:and|und|og|och|et|y|e)\s)\s*", re.I)
_BY = re.compile(
    r"^(?:by|von|par|por|di|door|av|af|autor|author|作者|记者|記者|编辑|編輯|责任编辑|文)[:\s\uff1a]+",
    re.I,
)
_NOT_NAME = re.compile(r"@|://|www\.|^\d+$|发表|發表|posted|published|updated", re.I)
# Byline markup that says "this is the author": rel=author links, schema.org microdata.
_BYLINE = ".//a[@rel='author'] | .//*[@itemprop='author'][not(self::meta or self::link)]"


def _names(value: Any, by_id: dict[str, Obj]) -> list[str]:
    """Names from a string, a Person or Organization (or its @id), or a list of them.

    An Organization's name is kept: the caller drops the publication's own, and any other
    organisation credited as author is a news agency or desk whose copy this is.
    """
    if isinstance(value, list):
        return [name for item in value for name in _names(item, by_id)]
    if isinstance(value, dict):
        value = _resolve(value, by_id)
        given, family = clean(value.get("givenName")), clean(value.get("familyName"))
        value = value.get("name") or (f"{given} {family}" if given and family else None)
    names = []
    for part in _NAME_SPLIT.split(clean(value) or ""):
        name = _BY.sub("", re.sub(r"\s*\([^)]*\)", "", part)).strip(" .")
        if 1 < len(name) < 60 and not _NOT_NAME.search(name):
            names.append(name)
    return names


def _byline(tree: HtmlElement) -> list[str]:
    """Names in rel=author links and itemprop=author elements (their itemprop=name if nested)."""
    names = []
    for element in tree.xpath(_BYLINE):
        named = element.find(".//*[@itemprop='name']")
        names.append(clean((named if named is not None else element).text_content()))
    return list(dict.fromkeys(filter(None, names)))


def _publication(name: str, publications: set[str]) -> bool:
    """Whether a name is the publication's: 'STERN.de', 'MDR THÜRINGEN', 'n-tv NACHRICHTEN'."""
    words = re.findall(r"\w+", name.casefold())
    return squash(name) in publications or bool(words and words[0] in publications)


def _credited(value: Any, by_id: dict[str, Obj], sites: set[str]) -> list[str]:
    """The names in one author value that are not the publication's own.

    In one written-out string, what follows the publication's name is its address, not more
    people: "hessenschau.de, Frankfurt, Germany" credits no one, "Jane Doe, Example" Jane Doe.
    """
    names = _names(value, by_id)
    if isinstance(value, str):
        names = list(itertools.takewhile(lambda n: not _publication(n, sites), names))
    return [n for n in names if not _publication(n, sites)]


def _authors(
    ld: Obj, head: dict[str, str], objects: list[Obj], tree: HtmlElement, sites: set[str]
) -> tuple[str, ...]:
    """Who the first source crediting anyone names: JSON-LD, <meta>, byline markup.

    Where those name only the publication itself, the page credits no one and none is given;
    trafilatura's byline search (costly, and it takes datelines and agency codes for names)
    runs only for pages whose markup names nobody at all.
    """
    by_id = _by_id(objects)
    values = [ld.get("author"), *(head.get(key) for key in _AUTHOR_META), _byline(tree)]
    credited = False
    for value in values:
        credited = credited or bool(value)
        if people := _credited(value, by_id, sites):
            return tuple(dict.fromkeys(people))
    if credited:
        return ()
    return tuple(dict.fromkeys(_credited(extract_author(tree), by_id, sites)))


def read(tree: HtmlElement, url: str | None) -> Metadata:
    """Title, authors, dates and description of one parsed page; nothing here raises."""
    objects, head = json_ld(tree), _head(tree)
    ld, sites = _article(objects), _site_names(objects, head, url)
    description = (clean(ld.get("description")) or head.get("description")
                   or head.get("og:description"))  # fmt: skip
    return Metadata(
        title=_title(ld, head, tree, sites),
        authors=_authors(ld, head, objects, tree, sites),
        published=_published(ld, head, tree),
        modified=_modified(ld, head, tree),
        description=description,
        article=ld,
        head=head,
    )
