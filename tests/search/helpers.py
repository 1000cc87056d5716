"""Test data and tools shared by the search tests: sites, observations, a real run, a TCP relay."""

from __future__ import annotations

import socket
import threading

from govinspect.findings import Observation
from govinspect.registry import Site
from govinspect.store import FindingStore

SITE_A = Site(id="3416000001", name="示例市人民政府", organizer="示例市人民政府办公室", level="portal",
              url="http://www.example.gov.cn/")
SITE_B = Site(id="3416000002", name="示例市教育局", organizer="示例市教育局", level="department",
              url="http://jyj.example.gov.cn/")


def broken(site: Site, page: str, target: str, status: int = 404) -> Observation:
    return Observation(rule="link.broken", site_id=site.id, page_url=site.url + page,
                       target_url=site.url + target, message=f"页面中的链接无法访问（HTTP {status}），请修复或删除",
                       evidence={"status": status, "link_text": "下载附件"})


def leak(site: Site, page: str, id_number: str = "340102199001011237") -> Observation:
    return Observation(rule="leak.id-number", site_id=site.id, page_url=site.url + page,
                       message=f"页面公开了居民身份证号 {id_number}，请删除或遮盖",
                       evidence={"matched": id_number, "context": f"姓名 张三 身份证号 {id_number} 电话"})


def stale(site: Site) -> Observation:
    return Observation(rule="freshness.homepage-stale", site_id=site.id, page_url=site.url,
                       message="首页最新信息已超过14天未更新", evidence={"newest": "2026-01-02", "days": 40})


def do_run(store: FindingStore, run_id: str, observations: list[Observation],
           sites: tuple[Site, ...] = (SITE_A,), completed: bool = True) -> dict[str, dict[str, int]]:
    """A real run in the store: start, observe, finalize each site (what the store pipeline does)."""
    store.start_run(run_id, "2026-11-01", {}, list(sites))
    by_id = {s.id: s for s in sites}
    for obs in observations:
        store.add_observation(run_id, obs, by_id[obs.site_id].url)
    counts = {s.id: store.finalize_site(run_id, s, completed=completed) for s in sites}
    store.end_run(run_id, "finished")
    return counts


class Relay:
    """A loopback TCP relay in front of a real engine that can be cut (connection refused) and
    restored on the same port: the engine "goes down" for the client without restarting it."""

    def __init__(self, upstream: str):
        host_port = upstream.split("//", 1)[1].rstrip("/")
        host, port = host_port.rsplit(":", 1)
        self.upstream = (host, int(port))
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def up(self) -> None:
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", self.port))
        srv.listen(64)
        self._server = srv
        threading.Thread(target=self._accept, args=(srv,), daemon=True).start()

    def down(self) -> None:
        srv, self._server = self._server, None
        if srv is not None:
            try:
                srv.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close alone would not
            except OSError:
                pass
            srv.close()
        with self._lock:
            for c in self._conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                c.close()
            self._conns.clear()

    def _accept(self, srv: socket.socket) -> None:
        while True:
            try:
                client, _ = srv.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
