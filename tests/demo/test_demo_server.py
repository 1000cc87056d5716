"""The demo proxy over real loopback sockets: hosts, encodings, errors and seeded behaviours."""

from __future__ import annotations

import http.client
import json
import re
import socket
import time

import pytest

from govinspect.demo import ClusterServer
from govinspect.demo.seeds import encodings, links, traps

from .conftest import fetch


def test_homepage_served_by_host_name(cluster, opener):
    city = cluster.site("city")
    got = fetch(opener, city.url)
    assert got.status == 200
    assert got.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert city.name in got.body.decode("utf-8")
    # the directory of a column serves its index.html too
    col = city.column("tzgg")
    folder = col.list_paths[0].rsplit("/", 1)[0] + "/"
    assert fetch(opener, city.abs(folder)).body == fetch(opener, city.abs(col.list_paths[0])).body


def test_gbk_declared_by_header_only(cluster, opener):
    site = cluster.site("county_a")
    got = fetch(opener, site.url)
    assert got.headers["Content-Type"] == "text/html; charset=GBK"
    assert b"charset=" not in got.body[:400]
    with pytest.raises(UnicodeDecodeError):
        got.body.decode("utf-8")
    assert site.name in got.body.decode("gb18030")


def test_gbk_declared_by_meta_only(cluster, opener):
    site = cluster.site("county_b")
    got = fetch(opener, site.url)
    assert got.headers["Content-Type"] == "text/html"
    assert b'content="text/html; charset=gb2312"' in got.body[:400]
    assert site.name in got.body.decode("gb18030")


def test_gbk_page_without_any_declaration(cluster, opener):
    site = cluster.site("mzj")
    got = fetch(opener, site.abs(encodings.UNDECLARED_PATH))
    assert got.status == 200
    assert got.headers["Content-Type"] == "text/html"
    assert b"charset" not in got.body.lower()
    with pytest.raises(UnicodeDecodeError):
        got.body.decode("utf-8")
    assert encodings.UNDECLARED_TITLE in got.body.decode("gb18030")
    # the rest of that site is UTF-8, declared by <meta> only
    home = fetch(opener, site.url)
    assert home.headers["Content-Type"] == "text/html"
    assert b'charset=utf-8"' in home.body[:400]


def test_missing_page_is_404(cluster, opener):
    got = fetch(opener, cluster.site("city").abs("/no/such/page.html"))
    assert got.status == 404
    assert "页面不存在" in got.body.decode("utf-8")


def test_unknown_host_is_502_like_a_proxy(opener):
    got = fetch(opener, "http://www.no-such-host.example/")
    assert got.status == 502
    assert fetch(opener, links.DEAD_URL).status == 502


def test_redirect_loop_headers(cluster, raw_opener):
    jyj = cluster.site("jyj")
    a = fetch(raw_opener, jyj.abs("/loop/a"))
    b = fetch(raw_opener, jyj.abs("/loop/b"))
    assert (a.status, a.headers["Location"]) == (302, jyj.abs("/loop/b"))
    assert (b.status, b.headers["Location"]) == (302, jyj.abs("/loop/a"))


def test_redirect_chain_ends_on_a_page(cluster, opener):
    city = cluster.site("city")
    got = fetch(opener, city.abs("/old/index.html"))
    assert got.status == 200
    assert got.url == city.abs(city.column("ywdt").list_paths[0])


def test_head_405_get_200(opener):
    assert fetch(opener, links.HEAD405_URL, method="HEAD").status == 405
    got = fetch(opener, links.HEAD405_URL)
    assert got.status == 200 and got.body


def test_head_has_headers_and_no_body(cluster, server):
    city = cluster.site("city")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", city.url)
    get = conn.getresponse()
    body = get.read()
    conn.request("HEAD", city.url)  # same keep-alive connection
    head = conn.getresponse()
    assert head.read() == b""
    assert int(head.getheader("Content-Length")) == len(body) > 0
    assert head.getheader("Content-Type") == get.getheader("Content-Type")
    conn.close()


def test_origin_form_request_with_host_header(cluster, server):
    site = cluster.site("rsj")  # a host with a port
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", "/index.html", headers={"Host": site.host})
    resp = conn.getresponse()
    assert resp.status == 200
    assert "示例市人社局" in resp.read().decode("utf-8")
    conn.request("GET", "/index.html", headers={"Host": "rsj.example-city.gov.cn"})  # wrong port: not in cluster
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 502
    conn.close()


def test_connect_is_refused(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"CONNECT www.example-city.gov.cn:443 HTTP/1.1\r\nHost: www.example-city.gov.cn:443\r\n\r\n")
        status_line = sock.recv(200).split(b"\r\n", 1)[0]
    assert status_line.split()[1] in (b"501", b"405")


def test_path_traversal_stays_inside_the_host(cluster, server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", "http://www.example-city.gov.cn/../../registry.csv")
    resp = conn.getresponse()
    assert "3416000001" not in resp.read().decode("utf-8", "replace")
    conn.close()


def test_429_then_200_after_retry_after(cluster, opener, server):
    server.reset()
    url = cluster.site("city").abs("/zmhd/index.html")
    first = fetch(opener, url)
    assert first.status == 429 and first.headers["Retry-After"] == "1"
    assert fetch(opener, url).status == 200


def test_waf_answers_403_with_a_javascript_challenge(opener):
    got = fetch(opener, f"http://{links.WAF_HOST}/any/path.html")
    assert got.status == 403
    assert b"<script>" in got.body and b"document.cookie" in got.body


def test_down_site_answers_503_everywhere(cluster, opener):
    down = cluster.site("down")
    assert fetch(opener, down.url).status == 503
    assert fetch(opener, down.abs("/css/style.css")).status == 503


def test_hanging_url_delay_is_in_behaviours_and_capped_by_max_delay(cluster, opener):
    hosts = json.loads(cluster.behaviours_path.read_text(encoding="utf-8"))["hosts"]
    path = links.HANG_URL.split("/", 3)[3]
    assert hosts[links.PROVINCE]["paths"]["/" + path]["delay"] == 20.0
    started = time.monotonic()
    got = fetch(opener, links.HANG_URL)
    assert got.status == 200
    assert 0.9 <= time.monotonic() - started < 5  # the server fixture caps delays at 1 s


def test_calendar_trap_never_ends(cluster, opener):
    city = cluster.site("city")
    url = city.abs("/calendar?month=2026-11")
    seen = []
    for _ in range(4):
        body = fetch(opener, url).body.decode("utf-8")
        nxt = re.search(r'href="([^"]+)">下一月', body)[1]
        url = city.abs(nxt)
        seen.append(nxt)
    assert seen == [
        "/calendar?month=2026-12",
        "/calendar?month=2027-01",
        "/calendar?month=2027-02",
        "/calendar?month=2027-03",
    ]


def test_session_ids_are_ignored_for_files_and_multiply_on_the_trap(cluster, opener):
    city = cluster.site("city")
    plain = city.abs(city.column("tzgg").list_paths[0])
    assert fetch(opener, f"{plain};jsessionid=ABC").body == fetch(opener, plain).body
    body = fetch(opener, city.abs(f"/wsbs/index.do;jsessionid={traps.SESSION}")).body.decode("utf-8")
    ids = re.findall(r"jsessionid=([0-9A-F]{32})", body)
    assert len(set(ids)) == 2 and traps.SESSION not in ids


def test_keep_alive_serves_many_requests_on_one_connection(cluster, server):
    city = cluster.site("city")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    started = time.monotonic()
    for _ in range(50):
        conn.request("GET", city.url)
        resp = conn.getresponse()
        assert resp.status == 200 and resp.read()
    assert time.monotonic() - started < 2.5  # no Nagle stalls: well over 20 requests/s
    conn.close()


def test_stop_releases_the_port(cluster):
    srv = ClusterServer(cluster.root).start()
    port = srv.port
    srv.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_only_loopback():
    with pytest.raises(ValueError):
        ClusterServer(".", host="0.0.0.0")
