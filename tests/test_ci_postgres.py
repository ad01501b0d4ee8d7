"""The PostgreSQL server .ci/run starts for the suite (.ci/postgres) is there and speaks PostgreSQL."""

from __future__ import annotations

import socket
import struct

from yarl import URL

from summarizer.config import load_settings

SSL_REQUEST = struct.pack("!ii", 8, 80877103)  # the protocol's SSLRequest message


def test_the_test_server_answers_as_postgresql(postgres_url):
    url = URL(postgres_url)
    assert url.scheme == "postgresql" and url.host == "127.0.0.1"
    with socket.create_connection((url.host, url.port or 5432), timeout=5) as connection:
        connection.sendall(SSL_REQUEST)
        answer = connection.recv(1)
    assert answer in (b"N", b"S")  # a PostgreSQL server, with or without TLS


def test_the_test_url_is_no_briefbot_setting_to_warn_about(monkeypatch, caplog, tmp_path):
    monkeypatch.setenv("BRIEFBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    monkeypatch.setenv("BRIEFBOT_DATABSE_URL", "x")  # a misspelt key still gets its warning
    load_settings(env_file=tmp_path / "none.env")
    assert "BRIEFBOT_DATABSE_URL" in caplog.text
    assert "BRIEFBOT_TEST_POSTGRES_URL" not in caplog.text
