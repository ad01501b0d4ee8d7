"""Fetch one URL safely: timeouts, a byte cap, capped redirects, content-type checks.

Redirects are followed by hand (requests' own following is turned off) because every hop
must pass the same checks as the first URL: http(s) only, and no private, loopback,
link-local, multicast or reserved address unless `settings.allow_private_urls`.
The address check resolves the host before connecting; a DNS answer that changes between
the check and the connection is not caught (acceptable for a news reader's threat model).

Time: connecting is limited to `http_connect_timeout` and each read to `http_read_timeout`,
and the whole fetch (every redirect hop, the status line, the headers and the body) to their
sum, 20 s by default. Those per-read limits are urllib3's and restart with every byte, so a
server trickling a byte a second would never trip them: a timer shuts the fetch's sockets at
the overall deadline instead (`_Deadline`), which no library offers for requests.
"""

from __future__ import annotations

import codecs
import http.client
import ipaddress
import re
import socket
import threading
from dataclasses import dataclass, field
from typing import Self, TypeVar
from urllib.parse import urljoin, urlsplit

import charset_normalizer
import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from summarizer.config import Settings
from summarizer.errors import FetchError

CHUNK_BYTES = 64 * 1024
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})
ACCEPTED_TYPES = FEED_TYPES | {
    "text/html",
    "application/xhtml+xml",
    "text/xml",
    "application/xml",
    "text/plain",
    "application/json",
    "application/feed+json",
}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/xml;q=0.9,text/plain;q=0.8,application/json;q=0.8,*/*;q=0.1"
)


@dataclass
class FetchResult:
    """A fetched URL: what the server sent after the last redirect."""

    url: str  # the final URL, after redirects
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    content: bytes = b""
    content_type: str = ""  # media type only, lower-case ("text/html")
    charset: str | None = None  # from the Content-Type header, when given
    not_modified: bool = False  # True on 304: nothing new since etag / last_modified
    etag: str | None = None
    last_modified: str | None = None

    @property
    def text(self) -> str:
        """The body decoded: header charset, then an HTML/XML declaration, then UTF-8, then a guess."""
        return decode_bytes(self.content, self.charset)


# Longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def bom_encoding(content: bytes) -> str | None:
    """The encoding a byte-order mark at the start announces (UTF-8, -16 or -32), else None."""
    return next((name for bom, name in _BOMS if content.startswith(bom)), None)


def decode_bytes(content: bytes, charset: str | None = None) -> str:
    """Decode text bytes, trying a byte-order mark, the declared charset, a <meta>/XML
    declaration, UTF-8, a guess."""
    bom = bom_encoding(content)
    candidates = [bom] if bom else []
    if charset:
        candidates.append(charset)
    declared = _META_CHARSET.search(content[:4096]) or re.search(
        rb"""<\?xml[^>]+encoding=["']([A-Za-z0-9_.:-]+)""", content[:512]
    )
    if declared:
        candidates.append(declared.group(1).decode("ascii"))
    candidates.append("utf-8-sig")
    for name in candidates:
        try:
            return content.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    best = charset_normalizer.from_bytes(content).best()
    return str(best) if best is not None else content.decode("utf-8", errors="replace")


def looks_binary(content: bytes) -> bool:
    """True when bytes are not text: NUL bytes near the start (images, archives, PDFs...).

    UTF-16 and UTF-32 text is full of NUL bytes: with a byte-order mark, it is text when its
    start decodes cleanly and holds no NUL character.
    """
    head = content[:8192]
    encoding = bom_encoding(head)
    if encoding in {"utf-16", "utf-32"}:
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            return True
        return "\x00" in text
    return b"\x00" in head


def _is_accepted(media_type: str) -> bool:
    return (
        media_type in ACCEPTED_TYPES
        or media_type.endswith(("+xml", "+json"))
        or (media_type.startswith("text/") and media_type not in {"text/css", "text/javascript"})
    )


def _check_address(url: str, settings: Settings) -> None:
    """Refuse non-web schemes and (unless allowed) hosts that resolve to non-public addresses."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"}:
        raise FetchError(f"only http and https links can be fetched, not {parts.scheme or 'this'}: {url}")
    host = parts.hostname
    if not host:
        raise FetchError(f"not a valid web address: {url}")
    if settings.allow_private_urls:
        return
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError as exc:
        raise FetchError(f"not a valid web address: {url}") from exc
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"host not found: {host}") from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
        # Not `is_private`: the shared range 100.64.0.0/10 (carrier NAT, and cloud metadata at
        # 100.100.100.200) is neither private nor global. Only global unicast addresses pass.
        if not address.is_global or address.is_multicast:
            raise FetchError(
                f"refused: {host} is a private or local address ({address}); "
                "set ALLOW_PRIVATE_URLS=true to fetch from your own network"
            )


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:g} MB"


def _status_error(response: requests.Response) -> FetchError:
    status = f"{response.status_code} {response.reason or ''}".strip()
    if response.status_code in {404, 410}:
        return FetchError(f"dead link: {status}")
    if response.status_code in {401, 403}:
        return FetchError(f"access denied: {status}")
    if response.status_code == 429:
        return FetchError(f"rate limited by the site: {status}")
    if response.status_code >= 500:
        return FetchError(f"server error: {status}")
    return FetchError(f"the site answered {status}")


class _Deadline:
    """Shuts every socket of one fetch when its overall time is up, wherever it is blocked
    (connecting, TLS, the status line, headers, the body); `expired` tells the fetch why."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired.is_set():
                self._shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired.set()
            for sock in self._sockets:
                self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked recv() in the fetching thread
        except OSError:
            pass  # already closed

    def error(self) -> FetchError:
        return FetchError(f"timed out after {self.seconds:g} s (the whole download)")

    def __enter__(self) -> Self:
        _active.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._timer.cancel()
        _active.deadline = None


_active = threading.local()  # the _Deadline of the fetch running in this thread


_Connection = TypeVar("_Connection", bound=HTTPConnection)


def _watched(connection_class: type[_Connection]) -> type[_Connection]:
    """A urllib3 connection class whose new sockets are handed to the running fetch's deadline."""

    class Watched(connection_class):  # type: ignore[valid-type, misc]
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            deadline = getattr(_active, "deadline", None)
            if deadline is not None:
                deadline.watch(sock)
            return sock

    return Watched


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _watched(HTTPConnection)


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _watched(HTTPSConnection)


class _DeadlineAdapter(HTTPAdapter):
    """requests' adapter with connection pools whose sockets obey the fetch's deadline."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


def _read_body(response: requests.Response, settings: Settings, deadline: _Deadline) -> bytes:
    limit = settings.http_max_bytes
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FetchError(f"page is larger than {_megabytes(limit)}")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            raise FetchError(f"page is larger than {_megabytes(limit)}")
        chunks.append(chunk)
    if deadline.expired.is_set():  # a body without a length just ends when the socket is shut
        raise deadline.error()
    return b"".join(chunks)


def _request(
    session: requests.Session, url: str, settings: Settings, headers: dict[str, str], deadline: _Deadline
) -> requests.Response:
    try:
        return session.get(
            url,
            headers=headers,
            timeout=(settings.http_connect_timeout, settings.http_read_timeout),
            allow_redirects=False,
            stream=True,
        )
    except requests.exceptions.RequestException as exc:
        if deadline.expired.is_set():
            raise deadline.error() from exc
        raise _request_error(exc, url, settings) from exc


def _request_error(exc: requests.exceptions.RequestException, url: str, settings: Settings) -> FetchError:
    """A readable FetchError for what requests raised."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return FetchError(f"timed out connecting after {settings.http_connect_timeout:g} s")
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return FetchError(f"timed out after {settings.http_read_timeout:g} s")
    if isinstance(exc, requests.exceptions.SSLError):
        return FetchError(f"secure connection failed (TLS certificate or handshake): {url}")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return FetchError(f"could not connect to {urlsplit(url).hostname}")
    return FetchError(f"could not fetch {url}: {exc.__class__.__name__}")


def fetch(
    url: str, settings: Settings, etag: str | None = None, last_modified: str | None = None
) -> FetchResult:
    """GET a web page or feed. Raises FetchError with a message a user can read.

    With `etag` / `last_modified` the request is conditional; a 304 answer returns a result
    with `not_modified=True` and no content.
    """
    headers = {"User-Agent": settings.user_agent, "Accept": _ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    seen: set[str] = set()
    current = url.strip()
    # The whole download, not just each socket read, is bounded (a server trickling bytes).
    with (
        _Deadline(settings.http_connect_timeout + settings.http_read_timeout) as deadline,
        requests.Session() as session,
    ):
        session.trust_env = False  # no proxies or .netrc from the environment
        session.mount("http://", _DeadlineAdapter())
        session.mount("https://", _DeadlineAdapter())
        for _hop in range(settings.http_max_redirects + 1):
            _check_address(current, settings)
            seen.add(current)
            response = _request(session, current, settings, headers, deadline)
            with response:
                if response.is_redirect:
                    location = response.headers.get("Location", "")
                    if not location:
                        raise FetchError(f"the site sent a redirect without a target: {current}")
                    target = urljoin(current, location)
                    if target in seen:
                        raise FetchError(f"redirect loop: {current} sends back to {target}")
                    current = target
                    continue
                return _result(response, current, settings, deadline)
    raise FetchError(f"too many redirects (more than {settings.http_max_redirects})")


def _result(response: requests.Response, url: str, settings: Settings, deadline: _Deadline) -> FetchResult:
    headers = {name.lower(): value for name, value in response.headers.items()}
    etag, last_modified = headers.get("etag"), headers.get("last-modified")
    if response.status_code == 304:
        return FetchResult(
            url=url, status=304, headers=headers, not_modified=True, etag=etag, last_modified=last_modified
        )
    if response.status_code >= 400:
        raise _status_error(response)
    if response.status_code != 200:
        raise FetchError(f"the site answered {response.status_code} {response.reason or ''}".strip())
    raw_type = headers.get("content-type", "")
    media_type = raw_type.split(";", 1)[0].strip().lower()
    if media_type and not _is_accepted(media_type):
        raise FetchError(
            f"not a web page or feed: the link serves {media_type} "
            "(briefbot reads HTML pages, RSS/Atom feeds, plain text and JSON)"
        )
    try:
        content = _read_body(response, settings, deadline)
    except (
        requests.exceptions.RequestException,
        urllib3.exceptions.HTTPError,
        http.client.HTTPException,
        OSError,
    ) as exc:
        if deadline.expired.is_set():
            raise deadline.error() from exc
        if "timed out" in str(exc).lower():
            raise FetchError(f"timed out after {settings.http_read_timeout:g} s") from exc
        raise FetchError(f"the connection broke while downloading {url}") from exc
    if looks_binary(content):
        label = media_type or "no content type"
        raise FetchError(f"not a web page or feed: the link serves binary data (labelled {label})")
    charset_match = re.search(r"charset\s*=\s*\"?([\w.:-]+)", raw_type, re.IGNORECASE)
    return FetchResult(
        url=url,
        status=response.status_code,
        headers=headers,
        content=content,
        content_type=media_type,
        charset=charset_match.group(1) if charset_match else None,
        etag=etag,
        last_modified=last_modified,
    )
