"""URL keys: one spelling per page, so a page is fetched and stored once."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urldefrag, urlsplit

from courlan import normalize_url
from tld import get_fld
from w3lib.url import url_query_cleaner

# courlan already drops utm_*, fbclid, gclid and their kin; these are others seen on news sites.
EXTRA_TRACKING_PARAMS = (
    "WT.mc_id",
    "WT.tsrc",
    "cmpid",
    "ocid",
    "smid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "at_medium",
    "at_campaign",
    "ito",
)


def normalize(url: str) -> str:
    """The archive's key for `url`: scheme and host lower-cased, default port, fragment and
    tracking parameters dropped, query sorted."""
    url = urldefrag(url.strip()).url
    url = url_query_cleaner(url, EXTRA_TRACKING_PARAMS, remove=True, keep_fragments=False)
    return normalize_url(url, strict=False)


def site(url: str) -> str:
    """The registrable domain of `url` (`telegraph.co.uk` for `www.telegraph.co.uk`).

    Hosts with no public suffix (an IP address, `localhost`) are their own site. Used to tell
    whether two URLs belong to one publisher: a page may speak for its own site only.
    """
    return _registrable((urlsplit(url.strip()).hostname or "").rstrip("."))


@lru_cache(maxsize=4096)
def _registrable(host: str) -> str:
    return get_fld(host, fix_protocol=True, fail_silently=True) or host
