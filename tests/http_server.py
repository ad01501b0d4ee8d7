"""A real HTTP server on 127.0.0.1 for tests: configurable routes, stops by itself.

Usage (pytest; the `http_server` fixture is defined in conftest.py):

    def test_page(http_server):
        http_server.route("/a", "<html>...</html>")                      # 200 text/html
        http_server.route("/feed", rss_bytes, content_type="application/rss+xml",
                          etag='"v1"')                                   # 304 on If-None-Match
        http_server.route("/slow", "late", delay=2.0)                    # sleeps before replying
        http_server.route("/drip", "late", trickle=0.5)                  # every byte 0.5 s apart
        http_server.route("/gone", "no", status=404)
        http_server.redirect("/old", "/a")                               # 302 to another route
        fetch(http_server.url("/a"), settings)
        http_server.requests_to("/feed")  # headers of every request made to a path
        http_server.max_in_flight        # most requests the server was answering at once

Every route is served by `ThreadingHTTPServer` on port 0 (a free port) in a background
daemon thread. Delays wait on the server's stop event, so stopping never waits for them;
the fixture stops the server at the end of each test. Unknown paths answer 404.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_DELAY_SECONDS = 10.0  # a bound on any configured sleep: tests never hang


@dataclass
class Route:
    """What the server answers on one path."""

    body: bytes = b""
    status: int = 200
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None  # sent as ETag; a matching If-None-Match gets 304
    last_modified: str | None = None  # sent as Last-Modified; an equal If-Modified-Since gets 304
    delay: float = 0.0  # seconds to wait before answering (bounded by MAX_DELAY_SECONDS)
    send_length: bool = True  # False: no Content-Length, the body ends when the socket closes
    # Seconds between bytes: the reply trickles out one byte at a time, from the status line
    # on (trickle_from="status") or from the body on, the headers sent at once ("body").
    trickle: float = 0.0
    trickle_from: str = "status"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.log_request_headers(self.path, dict(self.headers.items()))
        self.server.in_flight(+1)
        try:
            self._answer()
        finally:
            self.server.in_flight(-1)

    def _answer(self) -> None:
        route = self.server.routes.get(self.path.split("?", 1)[0])
        if route is None:
            route = Route(body=b"not found", status=404, content_type="text/plain")
        if route.delay:
            self.server.stopping.wait(min(route.delay, MAX_DELAY_SECONDS))
            if self.server.stopping.is_set():
                return
        if route.trickle:
            self._trickle(route)
            return
        if self._not_modified(route):
            self.send_response(304)
            self._send_validators(route)
            self.end_headers()
            return
        self.send_response(route.status)
        if route.content_type:
            self.send_header("Content-Type", route.content_type)
        if route.send_length:
            self.send_header("Content-Length", str(len(route.body)))
        self._send_validators(route)
        for name, value in route.headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            for start in range(0, len(route.body), 64 * 1024):
                self.wfile.write(route.body[start : start + 64 * 1024])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading (byte caps): expected

    def _trickle(self, route: Route) -> None:
        """Send the reply a byte at a time, `route.trickle` seconds apart, until the client
        hangs up or the server stops (each wait is on the stop event)."""
        lines = [f"HTTP/1.1 {route.status} OK"]
        if route.content_type:
            lines.append(f"Content-Type: {route.content_type}")
        if route.send_length:
            lines.append(f"Content-Length: {len(route.body)}")
        lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")
        self.close_connection = True
        try:
            if route.trickle_from == "body":
                self.wfile.write(head)
                head = b""
            for byte in head + route.body:
                if self.server.stopping.wait(min(route.trickle, MAX_DELAY_SECONDS)):
                    return
                self.wfile.write(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up: what a deadline is for

    def _not_modified(self, route: Route) -> bool:
        if route.etag and self.headers.get("If-None-Match") == route.etag:
            return True
        return bool(route.last_modified) and self.headers.get("If-Modified-Since") == route.last_modified

    def _send_validators(self, route: Route) -> None:
        if route.etag:
            self.send_header("ETag", route.etag)
        if route.last_modified:
            self.send_header("Last-Modified", route.last_modified)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (signature of the base)
        pass  # keep test output quiet


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.stopping = threading.Event()
        self.request_log: list[tuple[str, dict[str, str]]] = []
        self._log_lock = threading.Lock()
        self.answering = 0
        self.max_answering = 0

    def log_request_headers(self, path: str, headers: dict[str, str]) -> None:
        with self._log_lock:
            self.request_log.append((path, headers))

    def in_flight(self, change: int) -> None:
        with self._log_lock:
            self.answering += change
            self.max_answering = max(self.max_answering, self.answering)


class LocalHTTPServer:
    """A started test server; configure routes while it runs."""

    def __init__(self) -> None:
        self._server = _Server()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        """The full URL of a path on this server (host may be e.g. 'localhost')."""
        return f"http://{host}:{self.port}{path}"

    def route(self, path: str, body: bytes | str = b"", **options) -> str:
        """Serve `body` on `path` (options: the fields of Route). Returns the path's URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self._server.routes[path] = Route(body=data, **options)
        return self.url(path)

    def redirect(self, path: str, to: str, status: int = 302) -> str:
        """Answer `path` with a redirect to `to` (a path or a full URL). Returns the path's URL."""
        return self.route(path, b"", status=status, content_type=None, headers={"Location": to})

    @property
    def max_in_flight(self) -> int:
        """The most requests this server was answering at the same time."""
        with self._server._log_lock:
            return self._server.max_answering

    def requests_to(self, path: str) -> list[dict[str, str]]:
        """Headers of each request received on `path`, in order."""
        with self._server._log_lock:
            return [headers for seen, headers in self._server.request_log if seen.split("?")[0] == path]

    def start(self) -> LocalHTTPServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake any delayed handler, stop serving, close the socket."""
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LocalHTTPServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


# Small, valid feed documents for tests. Each item is (title, link, published RFC 822 / ISO, html).


def rss_feed(title: str, items: list[tuple[str, str, str, str]], link: str = "http://example.org/") -> str:
    """An RSS 2.0 document; each item's html goes in content:encoded (omit it with "")."""
    parts = []
    for item_title, item_link, published, html in items:
        content = f"<content:encoded><![CDATA[{html}]]></content:encoded>" if html else ""
        parts.append(
            f"<item><title>{item_title}</title><link>{item_link}</link>"
            f"<guid>{item_link}</guid><pubDate>{published}</pubDate>{content}</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>{title}</title><link>{link}</link><description>test</description>"
        + "".join(parts)
        + "</channel></rss>"
    )


def atom_feed(title: str, items: list[tuple[str, str, str, str]]) -> str:
    """An Atom 1.0 document; each item's html is the entry's content (omit it with "")."""
    parts = []
    for item_title, item_link, published, html in items:
        content = f'<content type="html"><![CDATA[{html}]]></content>' if html else ""
        parts.append(
            f'<entry><title>{item_title}</title><link href="{item_link}"/>'
            f"<id>{item_link}</id><updated>{published}</updated><author><name>Ann Writer</name>"
            f"</author>{content}</entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{title}</title><id>urn:test:feed</id><updated>2026-01-01T00:00:00Z</updated>"
        + "".join(parts)
        + "</feed>"
    )


def rdf_feed(title: str, items: list[tuple[str, str, str, str]]) -> str:
    """An RSS 1.0 (RDF) document with dc:date; each item's html goes in content:encoded."""
    parts = []
    for item_title, item_link, published, html in items:
        content = f"<content:encoded><![CDATA[{html}]]></content:encoded>" if html else ""
        parts.append(
            f'<item rdf:about="{item_link}"><title>{item_title}</title><link>{item_link}</link>'
            f"<dc:date>{published}</dc:date>{content}</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f'<channel rdf:about="http://example.org/"><title>{title}</title>'
        "<link>http://example.org/</link><description>test</description></channel>"
        + "".join(parts)
        + "</rdf:RDF>"
    )


def article_page(title: str, paragraphs: list[str]) -> str:
    """A realistic HTML article page: navigation, the article, a footer."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        "<nav><ul><li><a href='/'>Home</a></li><li><a href='/world'>World</a></li></ul></nav>"
        f"<article><h1>{title}</h1>{body}</article>"
        "<footer><p>Copyright 2026 Example News. All rights reserved.</p></footer></body></html>"
    )


def feed_body(topic: str) -> str:
    """A full article in HTML, long enough to be stored from a feed without a page fetch."""
    return "".join(
        f"<p>Reporters covering the {topic} story learned on day {n} that the regional council "
        f"would publish its report on the {topic}, with figures on costs, delays and the people "
        f"affected, before the end of the month, according to two officials.</p>"
        for n in range(1, 6)
    )
