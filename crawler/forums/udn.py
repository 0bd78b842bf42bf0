"""udn city forum (網路城邦, city.udn.com): a thread page split into posts by its visible anchors.

The real markup, encoding and date format are unknown (SITES.md), so nothing here names a class
or a layout. The page is rendered to text lines (:func:`crawler.forums.render_lines`) and read by
the anchors every udn thread shows, in this order:

- thread head: the thread title, then the counters ``瀏覽96|回應2推薦1``;
- per post: for replies a title line and ``推薦N``; the author block (nickname, ``等級:N``,
  ``留言加入好友``, ``文章推薦人 (N)`` and N names); the body; ``本文於 修改第 N 次``; the action
  links (``回應 回應給此人 推薦文章 列印 加入我的文摘``, ``引用``); and last the trackback line
  ``引用網址:https://city.udn.com/forum/trackback.jsp?no=CITY&aid=AID``;
- ``回應文章`` between the opening post and the replies.

Lines are cut after each trackback line (which also gives the post's ``aid``); in each chunk the
author block is found by ``等級:N``, the body runs from after the recommender names to before the
trailing chrome, and titles are the lines just before the counters or ``推薦N``. A page with no
trackback anchor is never a thread with no posts: it raises :class:`ForumError`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import parse_qs, urlsplit

import lxml.html

from crawler.exceptions import ForumError
from crawler.extraction import absolute_url
from crawler.forums import Post, Thread, html_root, paragraphs, register, render_lines

logger = logging.getLogger(__name__)

NAME = "udn"
HOSTNAMES = ("city.udn.com",)
HOME = "https://city.udn.com"

# A trackback URL in text, an href or an input value; its query names the post (aid).
TRACKBACK = re.compile(r"\S*trackback\.jsp\?(?P<query>[^\s\"'<>]+)", re.I)
RECOGNISE = re.compile(r"trackback\.jsp\?[^\s\"'<>]*?\baid=\d+", re.I)

FRIEND = re.compile(r"留言加入好友")
LEVEL = re.compile(r"等級\s*[:：]\s*\d+")
# Counts of more than six digits are junk, not chrome (and int() refuses 4300 digits).
RECOMMENDERS = re.compile(r"文章推薦人\s*[(（]\s*(\d{1,6})\s*[)）]")
EDITS = re.compile(r"本文於[^修\n]{0,30}修改第\s*(\d{1,6})\s*次")
COUNTERS = re.compile(r"瀏覽\s*[\d,]+")
LIKES = re.compile(r"^(?P<before>.*?)\s*推薦\s*[(（]?\s*\d+\s*[)）]?$")
REPLIES_MARKER = re.compile(r"^回應文章(?:$|[\s(（:：])")
AUTHOR_CHROME = re.compile(r"(?:留言|加入好友|[\s|｜/])+")
ACTIONS = re.compile(
    r"回應給此人|回應|推薦文章|列印|加入我的文摘|引用網址|引用|檢舉|轉寄|分享|收藏"
)
PUNCTUATION = " \t:：|｜/·•-"
# Lines of the city and thread chrome that can sit before a post; never a title or an author.
HEAD_CHROME = re.compile(
    r"回本城市首頁|^副?市長\s*[:：]|加入本城市|推薦本城市|加入我的最愛|訂閱最新文章|城市/討論區|"
    r"字體\s*[:：]|看回應文章|上一個討論主題|回文章列表|下一個討論主題|^上一頁|^下一頁|"
    r"^(?:udn\s*)?網路城邦$|^留言加入好友$|^[\d\s|｜.…<>‹›«»]+$"
)
NAME_PUNCTUATION = re.compile(r"[。，,；;：:！!？?「」《》“”()（）]")
NAME_SEPARATORS = re.compile(r"[\s、,，]+")

# A line that is only the post's own date (a layout may show one by the author block).
DATE_LINE = re.compile(
    r"(?:(?:發表|張貼)(?:時間|日期|於)?|日期|時間|posted(?: on)?)?\s*[:：]?\s*"
    r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?:[(（].[)）]|星期.)?\s*(?:上午|下午|AM|PM)?\s*\d{1,2}:\d{2}(?::\d{2})?\s*(?:AM|PM)?)?",
    re.I,
)
# Dates: the poster's signature '-- 12/24/25' or '-- 2025/12/24', else a quoted byline.
SIGNATURE = re.compile(
    r"(?:--|—|－－)\s*(?:(?P<y>\d{4})[/.-](?P<m>\d{1,2})[/.-](?P<d>\d{1,2})"
    r"|(?P<m2>\d{1,2})/(?P<d2>\d{1,2})/(?P<y2>\d{2}))(?!\d)"
)
BYLINE = re.compile(
    r"^[^\d\n,，]{2,60}[,，]\s*(?:(?P<m2>\d{1,2})/(?P<d2>\d{1,2})/(?P<y2>\d{2}|\d{4})"
    r"|(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2}))\s*$",
    re.M,
)

ERROR_TITLE = re.compile(r"^(?:udn\s*)?網路城邦$|錯誤訊息")
ERROR_TEXT = re.compile(
    r"錯誤訊息|不存在|已被?刪除|查無|無此(?:文章|城市|網頁)|系統忙碌|權限不足|發生錯誤"
)

NEXT_WORDS = frozenset({"下一頁", "下頁", "next", "nextpage"})
ARROWS = "<>‹›«»→ \u00a0"


@dataclass(frozen=True)
class _Chunk:
    """The lines of one post, from after the previous trackback line to its own."""

    aid: str
    lines: list[str]
    city: str | None = None


def parse_lines(lines: list[str], url: str, page_title: str | None = None) -> Thread:
    """Split a thread's visible text lines into posts at the trackback anchors."""
    lines = [line.strip() for line in lines]
    chunks = _chunks(lines, url)
    if not chunks:
        if _looks_like_error(lines, page_title):
            shown = page_title or next((line for line in lines if line), "")
            raise ForumError(f"{url}: looks like an error page ({shown!r}), not a thread")
        raise ForumError(f"{url}: no udn post anchors (trackback.jsp?...&aid=) on the page")
    head_title = _thread_title(chunks[0].lines)
    posts = [_post(chunk, index == 0, head_title) for index, chunk in enumerate(chunks)]
    title = head_title or (posts[0].title if _is_opening(chunks[0].lines) else None)
    if title is None and page_title:
        title = re.split(r"\s+[-|｜]\s+|｜", page_title.strip())[0] or None
    # A post with no text (an image, a removed body) is nothing to archive, and every such post
    # would be a copy of every other.
    if empty := [post.post_id for post in posts if not post.text]:
        logger.warning("udn %s: posts without text skipped: %s", url, ", ".join(empty))
        posts = [post for post in posts if post.text]
        if not posts:
            raise ForumError(f"{url}: no udn post on the page has any text")
    logger.debug("udn %s: %d posts", url, len(posts))
    return Thread(url=url, title=title, posts=tuple(posts), next_page=None)


def _has_trackback(line: str) -> bool:
    # A cheap test first: TRACKBACK's leading \S* is quadratic on long unspaced CJK lines.
    return "trackback.jsp" in line.lower()


def _aid(line: str) -> str | None:
    return _anchor(line)[0]


def _anchor(line: str) -> tuple[str | None, str | None]:
    """The (aid, city number) a trackback line names, or (None, None)."""
    if not _has_trackback(line):
        return None, None
    for match in TRACKBACK.finditer(line):
        query = parse_qs(match["query"].replace("&amp;", "&"))
        aid, city = query.get("aid", [""])[0], query.get("no", [""])[0]
        if aid.isdigit():
            return aid, city if city.isdigit() else None
    return None, None


def _chunks(lines: list[str], url: str) -> list[_Chunk]:
    """Cut lines after each post's trackback line and the chrome right after it.

    A trackback with neither an author block nor a post's tail chrome (edit counter, action
    links) near it is a stray URL, a CSS-hidden menu say, and cuts nothing.
    """
    chunks: list[_Chunk] = []
    start = index = 0
    while index < len(lines):
        aid, city = _anchor(lines[index])
        index += 1
        if aid is None:
            continue
        # Action links, a repeated trackback or an edit counter placed after it are this post's.
        while index < len(lines) and _aid(lines[index]) in (None, aid):
            if lines[index] and not _is_tail_chrome(lines[index]):
                break
            index += 1
        span = lines[start:index]
        if _author_index(span) is None and not _has_post_tail(span):
            logger.warning("udn %s: trackback aid=%s outside any post, ignored", url, aid)
            continue
        chunks.append(_Chunk(aid, span, city))
        start = index
    return chunks


def _has_post_tail(lines: list[str]) -> bool:
    """Whether an edit counter or action links sit by the trackback line."""
    tail = [line for line in lines if line and _aid(line) is None][-4:]
    return any(
        EDITS.search(line) or (ACTIONS.search(line) and _is_tail_chrome(line)) for line in tail
    )


def _is_chrome(line: str) -> bool:
    return bool(
        not line
        or HEAD_CHROME.search(line)
        or REPLIES_MARKER.match(line)
        or LEVEL.search(line)
        or RECOMMENDERS.search(line)
        or COUNTERS.search(line)
        or DATE_LINE.fullmatch(line)
        or (LIKES.match(line) and not LIKES.match(line)["before"])
    )


def _author_index(lines: list[str]) -> int | None:
    """Index of the 等級:N line, else of the first other author-block line."""
    for pattern in (LEVEL, FRIEND, RECOMMENDERS):
        for index, line in enumerate(lines):
            if pattern.search(line):
                return index
    return None


def _is_opening(lines: list[str]) -> bool:
    """A page's first chunk is the opening post unless 回應文章 comes before its author block."""
    author = _author_index(lines)
    head = lines if author is None else lines[:author]
    return not any(REPLIES_MARKER.match(line) for line in head)


def _last_content(lines: list[str]) -> str | None:
    return next((line for line in reversed(lines) if not _is_chrome(line)), None)


def _thread_title(lines: list[str]) -> str | None:
    """The line before the counters (瀏覽N|回應N推薦N), or the text before them on that line."""
    author = _author_index(lines)
    head = lines if author is None else lines[:author]
    for index, line in enumerate(head):
        match = COUNTERS.search(line)
        if match:
            before = line[: match.start()].strip(PUNCTUATION)
            return before or _last_content(head[:index])
    return None


def _reply_title(head: list[str]) -> str | None:
    """The line before 推薦N (or before it on the same line), after any 回應文章 marker."""
    markers = [i for i, line in enumerate(head) if REPLIES_MARKER.match(line)]
    region = head[markers[-1] + 1 :] if markers else head
    for index, line in enumerate(region):
        match = LIKES.match(line)
        if match and not COUNTERS.search(line):
            return match["before"].strip(PUNCTUATION) or _last_content(region[:index])
    return _last_content(region)


def _names(text: str) -> list[str]:
    return [name for name in NAME_SEPARATORS.split(text) if name]


def _body_start(lines: list[str], author: int, dates: list[str]) -> int:
    """First body line: after 等級, 留言加入好友 and 文章推薦人 (N) with its N names."""
    index = author + 1
    while index < len(lines):
        line = lines[index]
        if not line or AUTHOR_CHROME.fullmatch(line) or LEVEL.fullmatch(line):
            index += 1
            continue
        if DATE_LINE.fullmatch(line):
            dates.append(line)
            index += 1
            continue
        match = RECOMMENDERS.search(line)
        if match is None:
            break
        wanted, seen = int(match[1]), len(_names(line[match.end() :]))
        index += 1
        while seen < wanted and index < len(lines):
            name_line = lines[index]
            if name_line and (len(name_line) > 30 or NAME_PUNCTUATION.search(name_line)):
                break  # a sentence: the names were not shown, the body has begun
            seen += len(_names(name_line))
            index += 1
    return index


def _is_tail_chrome(line: str) -> bool:
    """Edit counter, action links, 引用 and trackback lines, alone or run together."""
    rest = ACTIONS.sub("", EDITS.sub("", TRACKBACK.sub("", line) if _has_trackback(line) else line))
    return not rest.strip(PUNCTUATION)


def _date(match: re.Match[str] | None) -> str | None:
    if match is None:
        return None
    found = match.groupdict()
    year, month, day = (found.get(k) or found.get(k + "2") or "" for k in ("y", "m", "d"))
    try:
        return date(int(year) + (2000 if len(year) == 2 else 0), int(month), int(day)).isoformat()
    except ValueError:
        return None


def published(text: str) -> str | None:
    """A body's date: the poster's signature (-- 12/24/25), else a quoted byline's (a bound)."""
    for pattern in (SIGNATURE, BYLINE):
        for match in pattern.finditer(text):
            if found := _date(match):
                return found
    return None


def _author(lines: list[str], index: int) -> tuple[str | None, int]:
    """The nickname on or just before the 等級 line, and where the lines before it end."""
    level = LEVEL.search(lines[index])
    before = lines[index][: level.start()].strip(PUNCTUATION) if level else ""
    if before:
        return before, index
    names = [i for i in range(index) if not _is_chrome(lines[i])]
    if names and len(lines[names[-1]]) <= 40:
        return lines[names[-1]], names[-1]
    return None, index


def _post(chunk: _Chunk, opening: bool, thread_title: str | None) -> Post:
    lines, dates = chunk.lines, []
    author, start = None, 0
    head = lines
    author_index = _author_index(lines)
    if author_index is None:
        logger.warning("udn post %s: no author block (等級:N) found", chunk.aid)
    else:
        author, head_end = _author(lines, author_index)
        head = lines[:head_end]
        start = _body_start(lines, author_index, dates)
    # A date line by the author block: only between the last head anchor and the author.
    anchors = [i for i, x in enumerate(head) if COUNTERS.search(x) or REPLIES_MARKER.match(x)]
    anchors += [i for i, x in enumerate(head) if LIKES.match(x)]
    window = head[max(anchors) + 1 :] if anchors else head[-3:]
    dates[:0] = [line for line in window if DATE_LINE.fullmatch(line)]
    # Some layouts put a reply's title line and 推薦N after the author block, above the body.
    late_title = None
    shown_lines = [i for i in range(start, min(len(lines), start + 4)) if lines[i]][:2]
    for position, i in enumerate(shown_lines):
        match = LIKES.match(lines[i])
        if match and len(lines[i]) <= 80:
            before = match["before"].strip(PUNCTUATION)
            late_title = before or (lines[shown_lines[0]] if position else None)
            start = i + 1
            break
    end, edits = len(lines), None
    while end > start and (
        not lines[end - 1] or _is_tail_chrome(lines[end - 1]) or DATE_LINE.fullmatch(lines[end - 1])
    ):
        line = lines[end - 1]
        match = EDITS.search(line)
        if match and edits is None:
            edits = int(match[1])
        elif DATE_LINE.fullmatch(line):
            dates.append(line)
        end -= 1
    body = []
    for line in lines[start:end]:
        match = EDITS.fullmatch(line)
        if match:  # an edit counter shown above the body rather than below it
            edits = int(match[1]) if edits is None else edits
        else:
            body.append(line)
    text = paragraphs(body)
    if opening and _is_opening(lines):
        title = thread_title or _last_content(head)
    else:
        title = late_title or _reply_title(head)
    shown = next(filter(None, (_date(DATE_LINE.fullmatch(line)) for line in dates)), None)
    return Post(
        post_id=chunk.aid,
        title=title,
        author=author,
        published=shown or published(text),
        text=text,
        edits=edits,
        url=f"{HOME}/{chunk.city}/{chunk.aid}" if chunk.city else None,
    )


def _looks_like_error(lines: list[str], page_title: str | None) -> bool:
    if page_title and ERROR_TITLE.search(" ".join(page_title.split())):
        return True
    return any(ERROR_TEXT.search(line) for line in lines[:80])


# --- pagination ----------------------------------------------------------------------------------


def _page_number(url: str) -> int:
    value = parse_qs(urlsplit(url).query).get("pno", ["1"])[0]
    return int(value) if value.isdigit() and len(value) <= 6 else 1  # no 4300-digit int()


def _same_thread(target: str, url: str) -> bool:
    a, b = urlsplit(target), urlsplit(url)
    aid_a, aid_b = parse_qs(a.query).get("aid"), parse_qs(b.query).get("aid")
    return a.netloc == b.netloc and a.path == b.path and (not aid_a or not aid_b or aid_a == aid_b)


def _says_next(link: lxml.html.HtmlElement) -> bool:
    label = " ".join(link.text_content().split()) or link.get("title") or link.get("aria-label")
    label = (label or "").strip()
    core = label.strip(ARROWS).replace(" ", "").lower()
    return core in NEXT_WORDS or (not core and label in {">", "›"})


def next_page(root: lxml.html.HtmlElement, url: str) -> str | None:
    """The next reply page: rel=next, else a 下一頁/›-style link, else this thread's pno+1 link."""
    base_element = root.find(".//base[@href]")
    base = url
    if base_element is not None:
        base = absolute_url(url, base_element.get("href", "")) or url
    current = _page_number(url)
    by_text = by_number = None
    for link in root.iter("a", "link"):
        href = (link.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        target = absolute_url(base, href)
        if target is None or target.split("#")[0] == url.split("#")[0]:
            continue
        if "next" in (link.get("rel") or "").lower().split():
            return target
        if by_text is None and link.tag == "a" and _says_next(link):
            by_text = target
        if by_number is None and _page_number(target) == current + 1:
            if "pno=" in target and _same_thread(target, url):
                by_number = target
    return by_text or by_number


class UdnParser:
    """The udn city forum thread parser, registered as "udn" for city.udn.com."""

    name = NAME

    def recognises(self, html: str, url: str) -> bool:
        """A udn thread shows a trackback.jsp?...aid= line for every post."""
        return bool(RECOGNISE.search(html))

    def parse(self, html: str, url: str) -> Thread:
        """Render the page to lines, split them into posts and find the next reply page."""
        root = html_root(html)
        page_title = root.findtext(".//title")
        thread = parse_lines(render_lines(root, TRACKBACK), url, page_title=page_title)
        return replace(thread, next_page=next_page(root, url))


PARSER = register(UdnParser(), hosts=HOSTNAMES)
