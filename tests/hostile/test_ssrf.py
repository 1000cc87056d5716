"""SSRF (issue 11, item 1): a hostile registered site must not make the crawler request internal addresses.

The "internal" service is a real loopback server on its own port; its request log must stay empty.
The hostile site links and redirects to it in every spelling of 127.0.0.1, to the metadata address
and through a host name that resolves to loopback.
"""

from __future__ import annotations

import sqlite3

import pytest

from govinspect.addresses import AddressPolicy, literal_ip
from tests.support.cli import LINKS_ONLY, STRICT, govinspect, write_registry
from tests.support.server import Route, RouteServer, html


@pytest.mark.parametrize(("host", "expected"), [
    ("127.0.0.1", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"),
    ("0x7f.1", "127.0.0.1"), ("127.1", "127.0.0.1"), ("[::ffff:127.0.0.1]", "127.0.0.1"),
    ("::ffff:7f00:1", "127.0.0.1"), ("169.254.169.254.", "169.254.169.254"), ("[::1]", "::1"),
    ("www.example-city.gov.cn", None), ("0day.example", None), ("1e100.net", None),
])
def test_every_spelling_of_an_address_is_recognised(host, expected):
    ip = literal_ip(host)
    assert (str(ip) if ip else None) == expected


def test_policy_defaults_and_allowances():
    policy = AddressPolicy(allow=["10.0.0.0/8"], site_hosts=["127.0.0.1:8080"])
    ip = literal_ip
    assert policy.refusal(ip("8.8.8.8")) is None  # public
    assert policy.refusal(ip("10.1.2.3")) is None  # allowed network
    assert policy.refusal(ip("192.168.1.1"))  # private, not allowed
    assert policy.refusal(ip("127.0.0.1"), "127.0.0.1:8080") is None  # the registered site itself
    assert policy.refusal(ip("127.0.0.1"), "127.0.0.1:8081")  # another port of loopback: not the site
    assert policy.refusal(ip("100.64.0.1"))  # shared address space (CGNAT)
    # link-local and metadata: never, even when a setting or the registry would allow them
    everything = AddressPolicy(allow=["0.0.0.0/0", "::/0"], site_hosts=["169.254.169.254"])
    assert everything.refusal(ip("169.254.169.254"), "169.254.169.254")
    assert everything.refusal(ip("100.100.100.200"))
    assert everything.refusal(ip("fe80::1"))
    assert everything.refusal(ip("127.0.0.1")) is None


def _hostile_routes(internal: str, port: int) -> dict[str, Route]:
    links = "".join(f'<a href="{u}">x</a>' for u in [
        f"{internal}/admin/delete?all=1",                     # HEAD-checked before the fix
        f"http://2130706433:{port}/admin/users",              # decimal
        f"http://0177.0.0.1:{port}/admin/octal",              # octal
        f"http://[::ffff:127.0.0.1]:{port}/admin/mapped",     # IPv4-mapped IPv6
        f"http://localhost:{port}/admin/by-name",             # a name that resolves to loopback
        "http://169.254.169.254/latest/meta-data/iam",        # cloud metadata
        "/to-internal",                                       # an in-scope redirect into the intranet
        "/fine.html",
    ])
    return {
        "/": Route(html(links)),
        "/fine.html": Route(html("ok")),
        "/to-internal": Route(b"", 302, location=f"{internal}/admin/users"),
    }


def test_hostile_site_cannot_reach_internal_addresses(tmp_path):
    with RouteServer({"/admin/users": Route(html("<a href='/admin/secret'>secret</a>"))}) as internal, \
            RouteServer() as site, RouteServer() as moved:
        port = internal.server_address[1]
        site.routes.update(_hostile_routes(internal.url, port))
        # a second registered site whose homepage redirects into the internal service
        moved.routes["/"] = Route(b"", 301, location=f"{internal.url}/admin/users")
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "甲", "organizer": "甲", "url": site.url + "/"},
            {"id": "3416000002", "name": "乙", "organizer": "乙", "url": moved.url + "/"}])
        store = tmp_path / "s.sqlite3"
        result = govinspect("crawl", "--registry", str(registry), "--store", str(store), *STRICT, *LINKS_ONLY,
                            "-s", "DOWNLOAD_TIMEOUT=3", "-s", "RETRY_TIMES=0")
        internal_hits = list(internal.hits)
        site_hits = list(site.hits)
    assert internal_hits == []
    assert ("GET", "/fine.html") in site_hits  # the site itself was crawled
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    db = sqlite3.connect(store)
    errors = dict(db.execute("SELECT target_url, error FROM link_checks"))
    blocked = sorted(u for u, e in errors.items() if e == "blocked-address")
    assert len(blocked) == 8, errors  # 6 links, the redirect's target and the moved homepage's
    assert any("169.254.169.254" in u for u in blocked)
    # refused targets are not broken links: the user gets nothing to "fix" there
    assert db.execute("SELECT COUNT(*) FROM findings WHERE rule='link.broken'").fetchone()[0] == 0
    # the moved site was not inspected, so it is not complete
    completed = dict(db.execute("SELECT site_id, completed FROM run_sites"))
    assert completed == {"3416000001": 1, "3416000002": 0}
    assert "not requested" in result.stderr and "internal address" in result.stderr


def test_decoy_allowed_network_is_reached(tmp_path):
    """With the network allowed (an intranet deployment) the same links are requested: the test above
    would pass for the wrong reason otherwise."""
    with RouteServer({"/admin/users": Route(html("users"))}) as internal, RouteServer() as site:
        port = internal.server_address[1]
        site.routes.update(_hostile_routes(internal.url, port))
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "甲", "organizer": "甲", "url": site.url + "/"}])
        result = govinspect("crawl", "--registry", str(registry), "--store", str(tmp_path / "s.sqlite3"),
                            *STRICT, *LINKS_ONLY, "-s", 'NETWORK_ALLOW=["127.0.0.0/8", "::1/128"]',
                            "-s", "DOWNLOAD_TIMEOUT=3", "-s", "RETRY_TIMES=0")
        internal_hits = {path for _, path in internal.hits}
    assert result.returncode == 0, result.stderr[-2000:]
    assert {"/admin/delete?all=1", "/admin/users", "/admin/octal", "/admin/by-name"} <= internal_hits


def test_registered_sites_on_loopback_are_crawled_and_checked(tmp_path):
    """The registry's own hosts may live on internal addresses: each is crawled, and links between
    them are checked, without any setting."""
    with RouteServer() as b, RouteServer() as a:
        a.routes.update({"/": Route(html(f'<a href="{b.url}/b1.html">B1</a><a href="/a1.html">A1</a>')),
                         "/a1.html": Route(html("a1"))})
        b.routes.update({"/": Route(html("b")), "/b1.html": Route(html("b1"))})
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "甲", "organizer": "甲", "url": a.url + "/"},
            {"id": "3416000002", "name": "乙", "organizer": "乙", "url": b.url + "/"}])
        result = govinspect("crawl", "--registry", str(registry), "--store", str(tmp_path / "s.sqlite3"),
                            *STRICT, *LINKS_ONLY)
        b_hits = list(b.hits)
    assert result.returncode == 0, result.stderr[-2000:]
    assert ("HEAD", "/b1.html") in b_hits and ("GET", "/") in b_hits


def test_homepage_redirect_to_www_extends_scope_but_not_to_other_hosts(tmp_path):
    from govinspect.urls import www_variant

    assert www_variant("city.gov.cn", "www.city.gov.cn")
    assert www_variant("www.city.gov.cn:8080", "city.gov.cn:8080")
    assert not www_variant("city.gov.cn", "evil.cn")
    assert not www_variant("127.0.0.1:80", "127.0.0.1:81")


def test_rendered_page_cannot_reach_internal_addresses(tmp_path):
    """The browser too: images, scripts' fetches and frames aimed at internal addresses are refused."""
    from tests.rendering.conftest import CHROMIUM, RENDER_TEST

    if not __import__("pathlib").Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing")
    with RouteServer() as internal, RouteServer() as site:
        port = internal.server_address[1]
        page = html(
            f'<img src="http://127.0.0.1:{port}/admin/pixel.png">'
            f'<iframe src="http://[::ffff:127.0.0.1]:{port}/admin/frame"></iframe>'
            f'<script>fetch("http://2130706433:{port}/admin/fetch").catch(() => 0);'
            f'fetch("http://0177.0.0.1:{port}/admin/octal").catch(() => 0);</script>'
            '<img src="/ok.png">')
        site.routes.update({"/": Route(page), "/ok.png": Route(b"", headers={"Content-Type": "image/png"})})
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "甲", "organizer": "甲", "url": site.url + "/", "render": "always"}])
        result = govinspect("crawl", "--registry", str(registry), "--store", str(tmp_path / "s.sqlite3"),
                            *STRICT, *LINKS_ONLY, *RENDER_TEST)
        internal_hits = list(internal.hits)
        site_hits = list(site.hits)
    assert result.returncode == 0, result.stderr[-3000:]
    assert ("GET", "/ok.png") in site_hits  # the browser did load the page's own resources
    assert internal_hits == []
    assert "browser request refused" in result.stderr


def test_through_a_proxy_literal_internal_addresses_are_still_refused(tmp_path):
    """Behind a proxy the proxy resolves names (they are sent to it), but a literal internal address in
    any spelling is refused before it reaches the proxy."""
    from tests.support.cli import clean_env

    with RouteServer() as internal, RouteServer() as proxy:
        port = internal.server_address[1]
        home = html("".join(f'<a href="{u}">x</a>' for u in [
            f"http://127.0.0.1:{port}/admin/users", f"http://2130706433:{port}/admin/decimal",
            f"http://[::ffff:127.0.0.1]:{port}/admin/mapped", "http://169.254.169.254/latest/meta-data/",
            "http://www.example-city.gov.cn/news.html"]))
        proxy.routes.update({"http://www.example-city.gov.cn/": Route(home),
                             "http://www.example-city.gov.cn/news.html": Route(html("news"))})
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "甲", "organizer": "甲", "url": "http://www.example-city.gov.cn/"}])
        result = govinspect("crawl", "--registry", str(registry), "--store", str(tmp_path / "s.sqlite3"),
                            *STRICT, *LINKS_ONLY, "-s", "DOWNLOAD_TIMEOUT=3", "-s", "RETRY_TIMES=0",
                            env=clean_env(http_proxy=proxy.url))
        proxy_hits = [path for _, path in proxy.hits]
        internal_hits = list(internal.hits)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "http://www.example-city.gov.cn/news.html" in proxy_hits  # names go through the proxy
    assert internal_hits == [] and all("example-city" in p for p in proxy_hits), proxy_hits


def test_resolver_refuses_names_that_resolve_inside():
    """Connect-time check (DNS rebinding): the resolver itself refuses internal answers for untrusted names."""
    from twisted.internet import reactor

    from crawler.addresses import BlockedAddressLookup, GuardedResolver

    resolver = GuardedResolver(reactor, 0, 5.0, AddressPolicy(allow=["10.0.0.0/8"]), {"www.intranet.gov.cn"})
    with pytest.raises(BlockedAddressLookup):
        resolver._check("127.0.0.1", "rebind.evil.example")
    with pytest.raises(BlockedAddressLookup):
        resolver._check("169.254.169.254", "www.intranet.gov.cn")  # metadata: not even for the registry
    assert resolver._check("127.0.0.1", "www.intranet.gov.cn.") == "127.0.0.1"  # a registered host
    assert resolver._check("10.1.2.3", "files.example") == "10.1.2.3"  # NETWORK_ALLOW
    assert resolver._check("93.184.216.34", "www.example.com") == "93.184.216.34"
