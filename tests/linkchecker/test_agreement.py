"""link.broken agrees with linkchecker's verdicts on its HTTP test fixtures.

Source: linkchecker (https://github.com/linkchecker/linkchecker, GPL-2.0), ``tests/checker/``:
``test_http.py`` (status codes, ``http_empty``/``http_file``/``http_utf8``/``http.xhtml``/
``http_invalid_host``), ``test_http_redirect.py``, and the loopback-servable links of ``http_slash``,
``http_quotes`` and ``http_url_quote``. The cases (link, linkchecker's verdict) are transcribed; no file
of linkchecker is shipped (its licence is not ours). Links to internet hosts are left out (tests stay on
127.0.0.1). The server behaves as linkchecker's test server does (``server.py``).

Deliberate disagreements (``DISAGREE``), where a visitor's browser is the reference:
* ``http:`` and ``http:/`` resolve, as in every browser (WHATWG URL), to the page itself and to the
  site root: working links. linkchecker reports them as errors.
* ``/status/100``: linkchecker calls a bare 100 answer an error; Twisted reads the 100 as an interim
  answer and then has no final one, a broken link too here, so we agree; 101-103 likewise get no final
  answer: linkchecker calls them valid, we report them broken (a visitor gets no page either).
"""

from __future__ import annotations

import os
import sqlite3
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urljoin

import pytest

from crawler import links
from govinspect.urls import normalize_url
from tests.linkchecker.server import LinkcheckerLikeServer
from tests.support.cli import FAST, LINKS_ONLY, govinspect, write_registry

D = "/tests/checker/data/"
# (page, href, linkchecker says error)
CASES: list[tuple[str, str, bool]] = [
    (D + "index.html", D + "http_empty.html", False),
    (D + "index.html", D + "http_utf8.html", False),
    (D + "index.html", D + "http.xhtml", False),
    (D + "http_file.html", "file:///example/file", True),
    (D + "http.xhtml", "http.html", False),
    (D + "http.html", "/?d=directory&p=page", False),
    (D + "http.html", "/?d=directory&p=page1", False),
    (D + "http.html", "/?q=ü", False),
    (D + "http.html", "file.html", False),
    (D + "http.html", "file.css", False),
    (D + "http_invalid_host.html", "http://localhost]", True),
    (D + "http_slash.html", "http:/www.example.com/", True),
    (D + "http_slash.html", "http:www.example.com/", True),
    (D + "http_slash.html", "http://", True),
    (D + "http_slash.html", "http:/", True),
    (D + "http_slash.html", "http:", True),
    (D + "http_quotes.html", "/stalter&sohn", True),
    (D + "http_url_quote.html", "/?quoted=%FC", False),
    (D + "http_url_quote.html", "/?quoted=%FF", False),
    (D + "index.html", "/redirect1", True),
    (D + "index.html", D + "redirect.html", False),
    (D + "index.html", "/redirect_newscheme_ftp", True),
    (D + "index.html", "/redirect_newscheme_file", True),
]
STATUSES = sorted(s.value for s in HTTPStatus if s.value >= 100)
CASES += [(D + "status.html", f"/status/{code}", (code not in (101, 102, 103) and code < 200) or
           (code >= 400 and code != 429)) for code in STATUSES]
# ``file:///example/file`` used to be here: a link to the visitor's own disk is now link.broken
# (``unsupported-scheme``, issue 12), as linkchecker says.
DISAGREE = {"http:", "http:/", "/status/101", "/status/102", "/status/103"}
# Unparseable URLs become link.broken with the malformed-URL work of issue 11 (branch ``hostile``);
# until that is merged they are dropped, after it they must agree.
PENDING = set() if hasattr(links, "MALFORMED") else {"http://localhost]", "http://"}


def _pages() -> dict[str, bytes]:
    pages: dict[str, list[str]] = {}
    for page, href, _ in CASES:
        pages.setdefault(page, []).append(href)
    out = {page: "".join(f'<a href="{h.replace("&", "&amp;")}">{h}</a>\n' for h in hrefs).encode("utf-8")
           for page, hrefs in pages.items()}
    out[D + "index.html"] = out[D + "index.html"] + "".join(
        f'<a href="{p}">{p}</a>' for p in pages if p != D + "index.html").encode()
    out["/"] = f'<a href="{D}index.html">tests</a>'.encode()
    out[D + "http_empty.html"] = b""
    out[D + "http_utf8.html"] = '<!DOCTYPE html><html lang="en"><meta charset="utf-8"><p>a — b</p></html>'.encode()
    out[D + "http.xhtml"] = b'<a href="http.html">a link</a>'
    for name in ("file.html", "file.css", "newurl.html"):
        out[D + name] = b"<html><body>file</body></html>"
    return out


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("linkchecker")
    with LinkcheckerLikeServer(_pages()) as server:
        registry = write_registry(tmp / "sites.csv", [
            {"id": "3416000001", "name": "linkchecker", "organizer": "测试", "url": server.url + "/"}])
        store = tmp / "store.sqlite3"
        result = govinspect("crawl", "--registry", str(registry), "--store", str(store), *FAST, *LINKS_ONLY,
                            "-s", "RETRY_TIMES=0", "-s", "DOWNLOAD_TIMEOUT=3", "-s", "RENDER_ENABLED=false")
        base = server.url
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite3.connect(store)
    broken = {r[0] for r in db.execute("SELECT target_url FROM findings WHERE rule='link.broken'")}
    checked = {r[0] for r in db.execute("SELECT target_url FROM link_checks")}
    out = {}
    for page, href, _ in CASES:
        try:
            target = normalize_url(urljoin(base + page, href))
        except ValueError:
            target = href
        # a malformed href is kept as written (normalised), not joined onto the page
        written = {href, normalize_url(href)} if href.lower().startswith(("http://", "https://")) else {href}
        out[(page, href)] = (target in broken or bool(written & broken), target in checked or bool(written & checked))
    return out


def test_agreement_with_linkchecker(verdicts, capsys):
    agree = [(p, h) for p, h, err in CASES if verdicts[(p, h)][0] == err]
    ratio = len(agree) / len(CASES)
    with capsys.disabled():
        print(f"\nlinkchecker agreement: {len(agree)}/{len(CASES)} = {ratio:.3f}")
    wrong = [(h, err, verdicts[(p, h)]) for p, h, err in CASES if verdicts[(p, h)][0] != err and h not in DISAGREE | PENDING]
    assert not wrong, f"disagreements not documented (href, linkchecker error, (broken, checked)): {wrong}"


def test_documented_disagreements_still_hold(verdicts):
    # if one of these starts agreeing, the docstring must say so
    held = {href: verdicts[(page, href)][0] != err for page, href, err in CASES if href in DISAGREE}
    assert all(held.values()), f"now agreeing (update the docstring): {[h for h, v in held.items() if not v]}"


# ---- optional: linkchecker's own fixture files ---------------------------------------------------------
# With GOVINSPECT_LINKCHECKER_DIR pointing at a linkchecker checkout, its offline HTTP fixtures (those of
# test_http.py's test_html) are served as its test server serves them, and every verdict of their .result
# files is compared. Not shipped: linkchecker is GPL-2.0.
LINKCHECKER_DIR = os.environ.get("GOVINSPECT_LINKCHECKER_DIR", "")
OFFLINE = ("http_empty.html", "http_file.html", "http_utf8.html", "http.xhtml", "http_invalid_host.html")


def _results(text: str) -> list[tuple[str, bool]]:
    """(url as written, error?) of each block of a linkchecker ``.result`` file, the page itself left out."""
    out = []
    for block in text.strip().split("\n\n"):
        lines = block.splitlines()
        url = next((line[4:] for line in lines if line.startswith("url ")), None)
        if url and "%(port)d" not in url:
            out.append((url.replace("%%", "%"), "error" in lines))
    return out


@pytest.mark.skipif(not LINKCHECKER_DIR, reason="GOVINSPECT_LINKCHECKER_DIR not set (linkchecker not shipped)")
def test_linkchecker_fixture_files(tmp_path):
    data = Path(LINKCHECKER_DIR) / "tests" / "checker" / "data"
    pages = {D + name: (data / name).read_bytes() for name in OFFLINE}
    pages[D + "http.html"] = b""  # linked by http.xhtml; its own links need the internet
    pages["/"] = "".join(f'<a href="{D}{name}">{name}</a>' for name in OFFLINE).encode()
    with LinkcheckerLikeServer(pages) as server:
        registry = write_registry(tmp_path / "sites.csv", [
            {"id": "3416000001", "name": "linkchecker", "organizer": "测试", "url": server.url + "/"}])
        store = tmp_path / "store.sqlite3"
        result = govinspect("crawl", "--registry", str(registry), "--store", str(store), *FAST, *LINKS_ONLY,
                            "-s", "RETRY_TIMES=0", "-s", "DOWNLOAD_TIMEOUT=3", "-s", "RENDER_ENABLED=false")
        base = server.url
    assert result.returncode == 0, result.stderr[-3000:]
    broken = {r[0] for r in sqlite3.connect(store).execute("SELECT target_url FROM findings WHERE rule='link.broken'")}
    compared = []
    for name in OFFLINE:
        for url, error in _results((data / (name + ".result")).read_text(encoding="utf-8")):
            try:
                target = normalize_url(urljoin(f"{base}{D}{name}", url))
            except ValueError:
                target = url
            compared.append((url, error, target in broken or url in broken))
    wrong = [(u, e, b) for u, e, b in compared if e != b and u not in DISAGREE | PENDING]
    assert compared and not wrong, wrong
