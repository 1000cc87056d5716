"""Inspectors that wait for something (an image's bytes, a site's error page, a landing page) judge the
same whichever worker saw what: each "worker" below is its own inspector instance (for Redis, with its
own connection) on one run state, as the processes of a fleet are.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from scrapy.signalmanager import SignalManager

from crawler.spiders.cluster import ClusterSpider
from govinspect.config import build_settings
from govinspect.vocabulary import Fetched, RunContext
from inspectors.hijacked import PURPOSE as LANDING
from inspectors.hijacked import HijackedExternalInspector
from inspectors.identity_emblem import EmblemMissingInspector
from inspectors.images import ImageInspector
from inspectors.images.drawing import draw_emblem, draw_flag, encode
from inspectors.soft404 import PURPOSE as ERROR_PAGE_PROBE
from inspectors.soft404 import Soft404Inspector
from tests.inspectors.helpers import AS_OF, CITY, DEPT, REGISTRY, make_attachment, make_page

FLAG_URL = "http://www.example-city.gov.cn/files/gq.png"
FLAG_PAGE = f'<p><img src="{FLAG_URL}" alt="国旗" width="150" height="100"></p>'


def _worker(cls, make_state, **settings):
    """One worker's inspector: its own crawler, its own handle on run "r1"."""
    state = make_state("r1")
    context = RunContext(run_id="r1", as_of=AS_OF, registry=REGISTRY, state=state)
    crawler = SimpleNamespace(settings=build_settings(extra={"GOVINSPECT_RUN": context, **settings}), stats=None,
                              signals=SignalManager())
    return cls(crawler)


def _flag(url: str = FLAG_URL):
    return make_attachment(encode(draw_flag(300, 200, mirrored=True)), url.rsplit("/", 1)[-1])


def test_image_contexts_wait_in_the_run_state_for_any_worker(make_state):
    one, two, three = (_worker(ImageInspector, make_state) for _ in range(3))
    p1 = make_page(FLAG_PAGE, url="http://www.example-city.gov.cn/a.html")
    p2 = make_page(FLAG_PAGE, url="http://www.example-city.gov.cn/b.html")
    assert list(one.inspect_page(p1)) == [] and list(two.inspect_page(p2)) == []
    [img1] = [link for link in p1.links if link.tag == "img"]
    [img2] = [link for link in p2.links if link.tag == "img"]
    assert one.wants_attachment(img1, p1) and two.wants_attachment(img2, p2)  # the crawl fetches it once
    # the download lands on a third worker: it judges the image for the pages the others saw
    found = list(three.inspect_attachment(_flag()))
    assert sorted(o.page_url for o in found) == [p1.url, p2.url]
    assert {o.rule for o in found} == {"image.flag-misuse"} and found[0].evidence["problems"] == ["mirrored"]
    # a page met later, by a worker that never saw the image, is judged at once from the shared analysis
    p3 = make_page(FLAG_PAGE, url="http://www.example-city.gov.cn/c.html")
    assert [o.page_url for o in two.inspect_page(p3)] == [p3.url]
    [img3] = [link for link in p3.links if link.tag == "img"]
    assert two.wants_attachment(img3, p3)  # asked for already: no extra HEAD check of it


def test_a_redone_download_still_has_the_contexts(make_state):
    """A worker killed after taking an image's contexts, before its findings were stored: the
    request's redo on another worker gets the same contexts again."""
    one, victim, redo = (_worker(ImageInspector, make_state) for _ in range(3))
    page = make_page(FLAG_PAGE)
    list(one.inspect_page(page))
    next(iter(victim.inspect_attachment(_flag())))  # took them, then died before storing anything
    assert [o.page_url for o in redo.inspect_attachment(_flag())] == [page.url]


def test_image_budget_per_site_is_run_wide(make_state):
    one, two = (_worker(ImageInspector, make_state, IMAGE_MAX_PER_SITE=1) for _ in range(2))
    a = make_page('<img src="/i/a.png" alt="国旗" width="150" height="100">', url=CITY.url + "a.html")
    b = make_page('<img src="/i/b.png" alt="国旗" width="150" height="100">', url=CITY.url + "b.html")
    list(one.inspect_page(a))
    list(two.inspect_page(b))
    assert [one.wants_attachment(link, a) for link in a.links if link.tag == "img"] == [True]
    assert [two.wants_attachment(link, b) for link in b.links if link.tag == "img"] == [False]  # budget spent
    assert list(two.inspect_attachment(make_attachment(b"%PDF-1.4", "b.pdf"))) == []  # not asked for: ignored


def test_emblem_seen_by_another_worker_counts_for_the_homepage(make_state):
    """The homepage shows an unnamed image; another worker downloads it and finds the national emblem;
    a third one ends the site: no identity.emblem-missing."""
    url = "http://www.example-city.gov.cn/files/hui.png"
    body = f'<img src="{url}" width="64" height="64">'
    home = make_page(body, url=CITY.url)
    images_a, images_b = _worker(ImageInspector, make_state), _worker(ImageInspector, make_state)
    emblem_a, emblem_c = _worker(EmblemMissingInspector, make_state), _worker(EmblemMissingInspector, make_state)
    list(images_a.inspect_page(home))
    list(emblem_a.inspect_page(home))
    list(images_b.inspect_attachment(make_attachment(encode(draw_emblem(64)), "hui.png")))
    assert list(emblem_c.site_finished(CITY, SimpleNamespace(run_id="r1"))) == []
    # decoy: a homepage whose only image is not an emblem is reported, wherever the site ends
    other = make_page('<img src="http://jyj.example-city.com/f.png" width="64" height="64">', url=DEPT.url,
                      site=SimpleNamespace(**{**DEPT.__dict__, "level": "county"}))
    list(emblem_a.inspect_page(other))
    assert [o.rule for o in emblem_c.site_finished(other.site, SimpleNamespace(run_id="r1"))] == [
        "identity.emblem-missing"]


ERROR = ("<html><head><title>提示信息 - 示例市人民政府</title></head><body><div>首页 信息公开</div>"
         "<div class='tip'>对不起，您要找的信息可能已调整，请返回首页继续浏览。</div></body></html>")
HOME = ("<html><head><title>示例市人民政府</title></head><body><h1>示例市人民政府门户网站</h1>"
        + "<p>政务公开 政务服务 互动交流 走进示例</p>" * 20 + "</body></html>")


def _probe(run_id: str = "r1") -> Fetched:
    url = "http://www.example-city.gov.cn/govinspect-abc/page-that-does-not-exist-abc.html"
    return Fetched(url=url, final_url=url, site=CITY, purpose=ERROR_PAGE_PROBE, referer=CITY.url, status=200,
                   headers={}, text=ERROR, run=None)


def test_error_page_learned_by_one_worker_judges_pages_held_by_another(make_state):
    one, two, three = (_worker(Soft404Inspector, make_state) for _ in range(3))
    assert list(one.inspect_page(make_page(HOME, url=CITY.url))) == []
    held = make_page(ERROR, url=CITY.url + "old/1.html", referer=CITY.url + "list.html", link_text="旧")
    assert list(two.inspect_page(held)) == []  # held: the error page is not known yet
    found = list(three.inspect_fetched(_probe()))
    assert [(o.rule, o.target_url, o.evidence["matched"]) for o in found] == [
        ("link.soft-404", held.url, "site-error-page")]
    # after it: a page like it is judged at once by a worker that never saw the error page
    later = make_page(ERROR, url=CITY.url + "old/2.html")
    assert [o.target_url for o in one.inspect_page(later)] == [later.url]
    # decoy: a short page unlike the error page is not
    other = make_page("<html><head><title>联系我们</title></head><body><p>电话：0558-1234567</p></body></html>",
                      url=CITY.url + "lxwm.html")
    assert list(two.inspect_page(other)) == []


def test_an_error_page_like_the_homepage_seen_elsewhere_teaches_nothing(make_state):
    one, two = (_worker(Soft404Inspector, make_state) for _ in range(2))
    list(one.inspect_page(make_page(HOME, url=CITY.url)))
    shell = Fetched(url=_probe().url, final_url=_probe().url, site=CITY, purpose=ERROR_PAGE_PROBE, referer=CITY.url,
                    status=200, headers={}, text=HOME, run=None)
    assert list(two.inspect_fetched(shell)) == []
    assert list(one.inspect_page(make_page(HOME, url=CITY.url + "copy.html"))) == []


LINKS = "<p><a href='http://www.old-partner.com/'>合作单位</a></p>"
CASINO = "<html><head><title>澳门娱乐城-真人百家乐</title></head><body><p>注册即送</p></body></html>"


def test_landing_page_verdict_reaches_referrers_of_every_worker(make_state):
    one, two, three = (_worker(HijackedExternalInspector, make_state) for _ in range(3))
    a = make_page(LINKS, url=CITY.url)
    b = make_page(LINKS, url=DEPT.url, site=DEPT)
    assert list(one.inspect_page(a)) == [] and list(two.inspect_page(b)) == []
    assert [w.url for w in one.wanted_fetches(a)] == ["http://www.old-partner.com/"]
    assert [w.url for w in two.wanted_fetches(b)] == ["http://www.old-partner.com/"]  # waits for it too
    url = "http://www.old-partner.com/"
    fetched = Fetched(url=url, final_url=url, site=CITY, purpose=LANDING, referer=CITY.url, status=200, headers={},
                      text=CASINO, run=None)
    found = list(three.inspect_fetched(fetched))
    assert sorted((o.site_id, o.page_url) for o in found) == sorted([(CITY.id, a.url), (DEPT.id, b.url)])
    # known now: a page met later is reported at once and asks for nothing
    c = make_page(LINKS, url=CITY.url + "c.html")
    assert [o.page_url for o in two.inspect_page(c)] == [c.url] and list(two.wanted_fetches(c)) == []


@pytest.mark.parametrize("sizes", [[3, 4, 2], [9]])
def test_link_check_budget_is_counted_for_the_whole_run(make_state, sizes):
    """SITE_MAX_LINK_CHECKS=5 across two workers: checks beyond it are skipped, the site marked
    incomplete once."""
    incomplete: list[str] = []
    stats = SimpleNamespace(n=0)

    def worker():
        return SimpleNamespace(state=make_state("r1"), max_checks=5, _incomplete=lambda site_id, why: incomplete.append(why),
                               crawler=SimpleNamespace(stats=SimpleNamespace(
                                   inc_value=lambda key, n=1: setattr(stats, "n", stats.n + n))))

    workers = [worker(), worker()]
    allowed = [ClusterSpider._checks_allowed(workers[i % 2], CITY, n) for i, n in enumerate(sizes)]
    assert sum(allowed) == 5 and stats.n == sum(sizes) - 5
    assert incomplete == ["link-check budget of 5 exhausted"]
    assert ClusterSpider._checks_allowed(workers[0], CITY, 2) == 0 and len(incomplete) == 1
