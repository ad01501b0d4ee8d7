"""fetch(): real HTTP against a local server; every failure gives a readable FetchError."""

from __future__ import annotations

import dataclasses
import re
import time

import pytest
from http_server import article_page

from summarizer.errors import FetchError
from summarizer.sources.fetch import fetch

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00" * 8
PAGE = article_page("Harbour reopens", ["The harbour reopened on Monday after repairs."] * 3)


def test_fetches_a_page_with_an_honest_user_agent(http_server, settings):
    url = http_server.route("/a", PAGE)
    result = fetch(url, settings)
    assert result.status == 200
    assert result.content_type == "text/html"
    assert result.charset == "utf-8"
    assert "Harbour reopens" in result.text
    assert http_server.requests_to("/a")[0]["User-Agent"] == settings.user_agent


def test_follows_redirects_and_reports_the_final_url(http_server, settings):
    http_server.route("/new", PAGE)
    http_server.redirect("/old", "/new", status=301)
    result = fetch(http_server.url("/old"), settings)
    assert result.url == http_server.url("/new")
    assert "Harbour reopens" in result.text


def test_decodes_the_declared_charset(http_server, settings):
    url = http_server.route(
        "/latin", "<p>Café in Zürich</p>".encode("latin-1"), content_type="text/html; charset=iso-8859-1"
    )
    assert "Café in Zürich" in fetch(url, settings).text


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (404, "dead link: 404 Not Found"),
        (410, "dead link: 410 Gone"),
        (500, "server error: 500"),
        (403, "access denied: 403"),
    ],
)
def test_http_errors_are_readable(http_server, settings, status, message):
    url = http_server.route("/x", "nope", status=status)
    with pytest.raises(FetchError, match=message):
        fetch(url, settings)


def test_slow_server_times_out(http_server, settings):
    url = http_server.route("/slow", PAGE, delay=3.0)
    quick = dataclasses.replace(settings, http_read_timeout=0.5)
    with pytest.raises(FetchError, match=r"timed out after 0.5 s"):
        fetch(url, quick)


@pytest.mark.parametrize("send_length", [True, False])
def test_huge_body_is_refused(http_server, settings, send_length):
    url = http_server.route("/huge", b"a" * 20_000_000, content_type="text/plain", send_length=send_length)
    with pytest.raises(FetchError, match="page is larger than 5 MB"):
        fetch(url, settings)


def test_redirect_loop_is_named(http_server, settings):
    http_server.redirect("/loop-a", "/loop-b")
    http_server.redirect("/loop-b", "/loop-a")
    with pytest.raises(FetchError, match="redirect loop"):
        fetch(http_server.url("/loop-a"), settings)


def test_redirect_chain_is_capped(http_server, settings):
    for hop in range(10):
        http_server.redirect(f"/hop{hop}", f"/hop{hop + 1}")
    http_server.route("/hop10", PAGE)
    with pytest.raises(FetchError, match=r"too many redirects \(more than 5\)"):
        fetch(http_server.url("/hop0"), settings)
    assert fetch(http_server.url("/hop6"), settings).url == http_server.url("/hop10")


def test_images_are_refused_by_type_and_by_content(http_server, settings):
    as_image = http_server.route("/pic.png", PNG, content_type="image/png")
    disguised = http_server.route("/pic.html", PNG, content_type="text/html")
    blob = http_server.route("/blob", PNG, content_type="application/octet-stream")
    with pytest.raises(FetchError, match="image/png"):
        fetch(as_image, settings)
    with pytest.raises(FetchError, match=r"binary data \(labelled text/html\)"):
        fetch(disguised, settings)
    with pytest.raises(FetchError, match="application/octet-stream"):
        fetch(blob, settings)


def test_conditional_get_sends_validators_and_gets_304(http_server, settings):
    url = http_server.route(
        "/feed",
        "<rss/>",
        content_type="application/rss+xml",
        etag='"v1"',
        last_modified="Mon, 02 Nov 2026 10:00:00 GMT",
    )
    first = fetch(url, settings)
    assert (first.etag, first.last_modified) == ('"v1"', "Mon, 02 Nov 2026 10:00:00 GMT")
    again = fetch(url, settings, etag=first.etag)
    assert again.not_modified and again.status == 304 and again.content == b""
    assert http_server.requests_to("/feed")[1]["If-None-Match"] == '"v1"'
    by_date = fetch(url, settings, last_modified=first.last_modified)
    assert by_date.not_modified
    assert http_server.requests_to("/feed")[2]["If-Modified-Since"] == first.last_modified


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_private_addresses_are_refused_by_default(http_server, settings, host):
    http_server.route("/a", PAGE)
    public_only = dataclasses.replace(settings, allow_private_urls=False)
    with pytest.raises(FetchError, match="refused: .* private or local address"):
        fetch(http_server.url("/a", host=host), public_only)
    assert http_server.requests_to("/a") == []


def test_only_web_schemes(settings):
    with pytest.raises(FetchError, match="only http and https"):
        fetch("ftp://example.org/file.txt", settings)
    with pytest.raises(FetchError, match="only http and https"):
        fetch("file:///etc/passwd", settings)


def test_unreachable_port_is_a_connection_error(settings):
    with LocalPort() as port:
        with pytest.raises(FetchError, match="could not connect to 127.0.0.1"):
            fetch(f"http://127.0.0.1:{port}/", settings)


class LocalPort:
    """A port on 127.0.0.1 that nothing listens on (bound, never listening)."""

    def __enter__(self) -> int:
        import socket

        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        return self._sock.getsockname()[1]

    def __exit__(self, *exc_info) -> None:
        self._sock.close()


DRIP = article_page("Drip", ["Slow."])  # ~400 bytes: over 90 s at a byte every 0.25 s


@pytest.mark.parametrize(("trickle_from", "send_length"), [("status", True), ("body", True), ("body", False)])
def test_a_trickling_server_is_cut_off_at_the_overall_deadline(
    http_server, settings, trickle_from, send_length
):
    """A byte every 0.25 s never trips the 1 s per-read timeout; the overall deadline
    (connect 0.5 s + read 1 s) cuts the fetch whether the status line, the headers or the
    body trickle, with or without a Content-Length."""
    url = http_server.route("/drip", DRIP, trickle=0.25, trickle_from=trickle_from, send_length=send_length)
    quick = dataclasses.replace(settings, http_connect_timeout=0.5, http_read_timeout=1.0)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"^timed out after 1.5 s \(the whole download\)$"):
        fetch(url, quick)
    # A bound on behaviour, not a benchmark: uncut, this reply takes over 90 s.
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("address", ["100.100.100.200", "100.64.0.1", "100.127.255.254"])
def test_the_shared_address_range_is_refused_like_private_ones(settings, address):
    """100.64.0.0/10 (carrier-grade NAT; cloud metadata at 100.100.100.200) is not `is_private`
    in Python, yet no more public than 10.0.0.0/8."""
    public_only = dataclasses.replace(settings, allow_private_urls=False, http_connect_timeout=0.5)
    with pytest.raises(FetchError, match=rf"^refused: {re.escape(address)} is a private or local address"):
        fetch(f"http://{address}/latest/meta-data/", public_only)
