"""A small HTTP file server on loopback (127.0.0.1, a free port) for the download tests.

It serves ``files`` (URL path → bytes) with ``Content-Length``, a strong ``ETag`` (a hash
of the bytes), ``Last-Modified``, ``HEAD`` and single byte ranges (``Range: bytes=N-``,
``If-Range``: 206, or 200 when the validator no longer matches; 416 past the end), like
FDA's servers. ``faults`` (URL path → :class:`Fault`) misbehave on purpose. Every request
is logged as ``(method, path, Range header)``. Nothing leaves the machine.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Fault:
    """How a path misbehaves: ``cut_after`` bytes then the connection drops (the next ``cuts``
    GETs); ``stall`` seconds of silence before the body (every GET; ``stalls`` of them, −1:
    all); ``ignore_range``; ``announce`` a Content-Length other than the true one (every GET)."""

    cut_after: int | None = None
    cuts: int = 1
    stall: float = 0.0
    stalls: int = -1
    ignore_range: bool = False
    announce: int | None = None


class LoopbackServer:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.modified: dict[str, float] = {}
        self.faults: dict[str, Fault] = {}
        self.log: list[tuple[str, str, str | None]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:
                outer.log.append(("HEAD", self.path, None))
                self._answer(body=False)

            def do_GET(self) -> None:
                outer.log.append(("GET", self.path, self.headers.get("Range")))
                self._answer(body=True)

            def _answer(self, body: bool) -> None:
                data = outer.files.get(self.path)
                if data is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                fault = outer.faults.get(self.path, Fault())
                etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
                modified = formatdate(outer.modified.get(self.path, 1_700_000_000), usegmt=True)
                start, status = 0, 200
                asked = self.headers.get("Range") if body and not fault.ignore_range else None
                if asked and asked.startswith("bytes=") and asked.endswith("-"):
                    if_range = self.headers.get("If-Range")
                    if if_range is None or if_range in (etag, modified):
                        start, status = int(asked[6:-1]), 206
                        if start >= len(data):
                            self.send_response(416)
                            self.send_header("Content-Range", f"bytes */{len(data)}")
                            self.send_header("Content-Length", "0")
                            self.end_headers()
                            return
                rest = data[start:]
                self.send_response(status)
                self.send_header("Content-Length", str(fault.announce if fault.announce is not None else len(rest)))
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", modified)
                self.send_header("Accept-Ranges", "bytes")
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.end_headers()
                if not body:
                    return
                if fault.stall and fault.stalls != 0:
                    fault.stalls -= 1
                    time.sleep(fault.stall)
                if fault.cut_after is not None and fault.cuts > 0:
                    fault.cuts -= 1
                    self.wfile.write(rest[: fault.cut_after])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                try:
                    self.wfile.write(rest)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)
                if fault.announce is not None:
                    self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def publish(self, path: str, data: bytes, when: float = 1_700_000_000) -> None:
        self.files[path] = data
        self.modified[path] = when

    def gets(self, path: str) -> list[str | None]:
        """The Range header of every GET of ``path``, in order."""
        return [rng for method, p, rng in self.log if method == "GET" and p == path]

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# -- fixtures (import them into a test module: ``from loopback_http import server, synth_zips``) --

@pytest.fixture
def server(monkeypatch):
    """A file server on 127.0.0.1; FDA's addresses point at it (nothing reaches another network)."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    with LoopbackServer() as srv:
        monkeypatch.setenv("PVSIGNAL_FAERS_URL", srv.url + "/faers")
        monkeypatch.setenv("PVSIGNAL_OPENFDA_URL", srv.url + "/openfda")
        yield srv


@pytest.fixture(scope="session")
def synth_zips(tmp_path_factory):
    """Two synthetic quarters (legacy AERS 2012Q3, FAERS 2012Q4) of 150 reports, and a
    re-published pair (another seed: other bytes, same names) — as bytes by file name."""
    from pvsignal import api

    out = {}
    for seed, name in ((1, "first"), (2, "again")):
        res = api.synth(tmp_path_factory.mktemp(name), "2012Q3:2012Q4", 150, seed)
        out[name] = {p.name: p.read_bytes() for p in res.paths}
    return out
