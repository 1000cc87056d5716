"""Crawler traps on the city portal: a calendar whose 下一月 link never ends and session-id URL
variants (``;jsessionid=``) of which every page hands out new ones. Both are answered by the
server's dynamic handlers (``dynamic`` behaviours), so they are infinite without files."""

from __future__ import annotations

from govinspect.demo.builder import ClusterBuilder

SESSION = "0A1B2C3D4E5F60718293A4B5C6D7E8F9"


def apply(b: ClusterBuilder) -> None:
    city = b.site("city")
    if not city or city.down:
        return
    month = f"{b.as_of:%Y-%m}"
    b.behave(city.host, "/calendar", dynamic="calendar")
    b.behave(city.host, "/wsbs/index.do", dynamic="jsessionid")
    tzgg = city.column("tzgg")
    variant = f"{tzgg.list_paths[0]};jsessionid={SESSION}" if tzgg and tzgg.list_paths else None
    links = [
        f'<a href="/calendar?month={month}">活动日历</a>',
        f'<a href="/wsbs/index.do;jsessionid={SESSION}">网上办事</a>',
    ]
    if variant:
        links.append(f'<a href="{variant}">通知公告（会话）</a>')
    b.inject(city.url, '<div class="block" id="traps"><h2>其他</h2>' + " ".join(links) + "</div>")
    b.expect(
        None,
        city,
        target_url=city.abs(f"/calendar?month={month}"),
        page_url=city.url,
        expect="trap",
        trap="calendar",
        note="every month links the next one, forever",
    )
    b.expect(
        None,
        city,
        target_url=city.abs(f"/wsbs/index.do;jsessionid={SESSION}"),
        page_url=city.url,
        expect="trap",
        trap="session-id",
        note="each answer links new session ids",
    )
    if variant:
        b.expect(
            None,
            city,
            target_url=city.abs(variant),
            page_url=city.url,
            expect="trap",
            trap="session-id",
            note="same page as without ;jsessionid",
            same_as=city.abs(tzgg.list_paths[0]),
        )
