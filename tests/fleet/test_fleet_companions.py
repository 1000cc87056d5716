"""Homepage companions in a fleet: a footer in a same-site iframe or a ``document.write`` script.

The homepage waits for its companions in the run state (Redis), not in a request's meta, so the
worker that fetches the last companion (any of them) inspects it. Real seed/worker processes, real
Redis, a loopback site server; links to other hosts go to a loopback proxy that answers 404.
"""

from __future__ import annotations

import sqlite3
from collections import Counter

import pytest

from tests.fleet.helpers import AS_OF, SETTINGS, cli, fleet_env, run_status, site_completion, start_worker, wait_all
from tests.support.cli import write_registry
from tests.support.server import Route, RouteServer, html

pytestmark = pytest.mark.slow

IDENTITY_ONLY = ["-s", 'INSPECTORS={"inspectors.identity.IdentityInspector": 800}',
                 "-s", 'NETWORK_ALLOW=["127.0.0.0/8"]']
MISSING = {"identity.icp-missing", "identity.psb-missing", "identity.conac-missing", "identity.site-code-missing"}


def footer(site_id: str) -> str:
    return (f'<div class="footer">网站标识码：{site_id} <a href="http://beian.miit.gov.cn/">蒙ICP备05006530号</a>'
            ' 蒙公网安备 15010202000123号 <a href="http://bszs.conac.cn/sitename?id=1">'
            '<img src="http://dcs.conac.cn/image/red.png" alt="党政机关"></a></div>')


def script_writing(markup: str) -> bytes:
    return ("document.write('" + markup.replace("'", "\\'") + "');\n").encode()


SITES = {  # id: (name, path of the homepage)
    "3416000011": ("框架市人民政府", "/a/"),
    "3416000012": ("脚本县人民政府", "/b/"),
    "3416000013": ("导航区人民政府", "/c/"),
}


def _routes() -> dict[str, Route]:
    js = {"Content-Type": "application/javascript"}
    a, b, c = (f"<h1>{name}</h1>" for name, _ in SITES.values())
    return {
        # the footer in a same-site iframe
        "/a/": Route(html(a + '<iframe src="/a/qt_88992/xbdb/" frameborder="0"></iframe>', title=SITES["3416000011"][0])),
        "/a/qt_88992/xbdb/": Route(html(footer("3416000011")), delay=0.5),
        # the footer written by a same-site script
        "/b/": Route(html(b + '<script src="/b/js/copyright.js"></script>', title=SITES["3416000012"][0])),
        "/b/js/copyright.js": Route(script_writing(footer("3416000012")), headers=js, delay=0.5),
        # decoy: the iframe holds a navigation bar, the script writes nothing: the marks are missing
        "/c/": Route(html(c + '<iframe src="/c/nav/"></iframe><script src="/c/js/menu.js"></script>',
                          title=SITES["3416000013"][0])),
        "/c/nav/": Route(html('<a href="/c/">首页</a>'), delay=0.5),
        "/c/js/menu.js": Route(b"var menu = 1;", headers=js),
    }


def test_workers_finish_homepages_whose_footer_is_in_an_iframe_or_a_script(redis_db, tmp_path):
    with RouteServer(_routes()) as site, RouteServer({}) as elsewhere:
        registry = write_registry(tmp_path / "sites.csv", [
            {"id": sid, "name": name, "organizer": "测试办", "url": site.url + path}
            for sid, (name, path) in SITES.items()])
        env = fleet_env(elsewhere.url)  # other hosts (beian, conac) answer from a loopback proxy
        env.update(https_proxy=elsewhere.url, no_proxy="127.0.0.1,localhost")
        store = tmp_path / "fleet.sqlite3"
        result = cli("seed", "--registry", str(registry), "--store", str(store), "--as-of", AS_OF,
                     "--run-id", "companions", *SETTINGS, *IDENTITY_ONLY, env=env)
        assert result.returncode == 0, result.stderr
        # one request each at a time: a homepage's companion is mostly fetched while its worker is busy
        workers = [start_worker(store, env, tmp_path / f"w{i}.log", *IDENTITY_ONLY, "-s", "FLEET_MAX_IN_FLIGHT=1")
                   for i in range(2)]
        codes = wait_all(workers)
        gets = Counter(path for method, path in site.hits if method == "GET")
    logs = [(tmp_path / f"w{i}.log").read_text() for i in range(2)]
    assert codes == [0, 0], [log[-2000:] for log in logs]
    assert run_status(store, "companions") == "finished"
    db = sqlite3.connect(store)
    rules = {(sid, rule) for sid, rule in db.execute("SELECT site_id, rule FROM findings")}
    db.close()
    # the footers were seen: no identity mark reported missing for the iframe or the script site
    assert {rule for sid, rule in rules if sid in ("3416000011", "3416000012")} == set()
    # the decoy's homepage was inspected with its companions, which lack the marks
    assert {rule for sid, rule in rules if sid == "3416000013"} == MISSING
    # every page and companion fetched exactly once, in the whole fleet
    assert gets == Counter({path: 1 for path in _routes()}), gets
    assert all(done == 1 for done, _ in site_completion(store, "companions").values())
    # the held homepages were dropped from Redis once their sites were folded
    assert redis_db.exists("govinspect:run:companions:sites")  # (the run state itself stays)
    assert redis_db.keys("govinspect:run:companions:d:fleet-home:*") == []


def test_a_worker_killed_while_fetching_a_companion_is_finished_by_another(redis_db, tmp_path):
    """The worker fetching a footer iframe is killed: the other worker takes the frame request back
    from its in-flight hash and, with the homepage held in Redis, finishes and inspects it."""
    import os
    import signal
    import time

    routes = _routes()
    routes["/a/qt_88992/xbdb/"].delay = 4.0  # long enough to find it in flight and kill its worker
    with RouteServer(routes) as site, RouteServer({}) as elsewhere:
        registry = write_registry(tmp_path / "sites.csv", [
            {"id": sid, "name": name, "organizer": "测试办", "url": site.url + path}
            for sid, (name, path) in SITES.items()])
        env = fleet_env(elsewhere.url)
        env.update(https_proxy=elsewhere.url, no_proxy="127.0.0.1,localhost")
        store = tmp_path / "fleet.sqlite3"
        result = cli("seed", "--registry", str(registry), "--store", str(store), "--as-of", AS_OF,
                     "--run-id", "kill-companion", *SETTINGS, *IDENTITY_ONLY, env=env)
        assert result.returncode == 0, result.stderr
        workers = [start_worker(store, env, tmp_path / f"w{i}.log", *IDENTITY_ONLY, "-s", "FLEET_MAX_IN_FLIGHT=1",
                                "-s", "DOWNLOAD_TIMEOUT=20") for i in range(2)]
        prefix = "govinspect:fleet:run:kill-companion:inflight:"
        victim = None
        deadline = time.monotonic() + 120
        while victim is None and time.monotonic() < deadline:
            for key in redis_db.keys(prefix + "*"):
                if any(b"/a/qt_88992/xbdb/" in v for v in redis_db.hvals(key)):
                    pid = int(key.decode()[len(prefix):].split(":")[1])
                    victim = next(w for w in workers if w.pid == pid)
            time.sleep(0.05)
        assert victim is not None, "no worker ever held the frame"
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        survivor = next(w for w in workers if w is not victim)
        codes = wait_all([survivor])
        gets = Counter(path for method, path in site.hits if method == "GET")
    log = (tmp_path / f"w{workers.index(survivor)}.log").read_text()
    assert codes == [0], log[-3000:]
    assert "silent" in log  # the frame request was taken back from the dead worker
    assert run_status(store, "kill-companion") == "finished"
    db = sqlite3.connect(store)
    rules = {(sid, rule) for sid, rule in db.execute("SELECT site_id, rule FROM findings")}
    db.close()
    assert {rule for sid, rule in rules if sid in ("3416000011", "3416000012")} == set()
    assert {rule for sid, rule in rules if sid == "3416000013"} == MISSING
    assert all(done == 1 for done, _ in site_completion(store, "kill-companion").values())
    # only what was in flight at the kill is fetched twice (the frame, at most one more)
    assert gets["/a/qt_88992/xbdb/"] == 2 and sum(gets.values()) <= len(routes) + 2, gets
