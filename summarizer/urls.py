"""Canonical URLs: one article, one URL, however it was linked."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that track the reader and never change the page.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_ga",
        "_gl",
        "ref_src",
        "ref_url",
        "cmpid",
        "ocid",
        "smid",
        "sr_share",
        "spm",
        "share",
        "ito",
        "__twitter_impression",
    }
)
TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "hsa_", "oly_")
_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):")


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop default ports, fragments and tracking parameters.

    Non-web identifiers (file paths, `file://` URLs) are returned stripped but otherwise as is.
    """
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"}:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    if parts.username:
        host = f"{parts.username}@{host}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    )
    return urlunsplit((scheme, host, parts.path or "/", query, ""))


def is_web_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host: the only kind of link stored as an
    article's address or shown as one (never `javascript:`, `data:`, `vbscript:`, `file:`)."""
    try:
        parts = urlsplit(url.strip())
        return parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False


def url_scheme(url: str) -> str:
    """The scheme of a link, lower-case ("javascript", "https"), "" for a relative link."""
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else ""


def site_name(url: str) -> str:
    """A short site name for display: the host without 'www.'."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")
