"""A loopback server that behaves like linkchecker's HTTP test server (``tests/checker/httpserver.py``).

Behaviour only, written for this project (linkchecker is GPL-2.0; none of its code or files are
shipped here): HTTP/1.0, two ``Set-Cookie`` headers on every answer, ``/status/NNN`` answers NNN
(body ``testcontent`` unless 1xx/204/304), ``…redirect_newscheme…`` redirects to ``ftp:``/``file:``,
``…redirect…`` redirects to the same path with ``newurl``, queries are ignored, folders get a dummy
listing and everything else comes from a dict of pages.
"""

from __future__ import annotations

import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COOKIES = ('Comment="justatest"; Max-Age="2000"; Path="/"; Version="1"; Foo="Bar"',
           'Comment="justatest"; Max-Age="0"; Path="/"; Version="1"; Foo="Bar"')
LISTING = (b'<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 3.2 Final//EN"><html><title>Dummy directory listing</title>'
           b'<body><ul><li><a href="example1.txt">example1.txt</a><li><a href="example2.html">example2.html</a>'
           b'<li><a href="example3">example3</a></ul></body></html>')
TYPES = {".html": "text/html", ".xhtml": "application/xhtml+xml", ".txt": "text/plain", ".css": "text/css"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server: LinkcheckerLikeServer

    def log_message(self, format, *args):  # noqa: A002
        pass

    def end_headers(self):
        for cookie in COOKIES:
            self.send_header("Set-Cookie", cookie)
        super().end_headers()

    def _answer(self, head: bool) -> None:
        self.server.hits.append((self.command, self.path))
        path = self.path.split("?", 1)[0]
        if "redirect_newscheme" in path:
            self.send_response(302)
            self.send_header("Location", "file:README.md" if "file" in path else "ftp://example.com/")
            self.end_headers()
            return
        if "redirect" in path:
            self.send_response(302)
            self.send_header("Location", path.replace("redirect", "newurl"))
            self.end_headers()
            return
        if "status/" in path:
            code = int(path.rsplit("/", 1)[1])
            status = code if code in {s.value for s in HTTPStatus} else 500
            self.send_response(status)
            self.end_headers()
            if not head and status >= 200 and status not in (204, 304):
                self.wfile.write(b"testcontent")
            return
        if path in self.server.pages and path.endswith("/"):
            body, ctype = self.server.pages[path], "text/html"
        elif path.endswith("/") and any(p.startswith(path) for p in self.server.pages):
            body, ctype = LISTING, "text/html"  # an existing folder without index page
        elif path in self.server.pages:
            body = self.server.pages[path]
            ctype = next((t for ext, t in TYPES.items() if path.endswith(ext)), "application/octet-stream")
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def do_GET(self):  # noqa: N802
        try:
            self._answer(head=False)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_HEAD(self):  # noqa: N802
        try:
            self._answer(head=True)
        except (BrokenPipeError, ConnectionResetError):
            pass


class LinkcheckerLikeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, pages: dict[str, bytes]):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pages = pages
        self.hits: list[tuple[str, str]] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> LinkcheckerLikeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
