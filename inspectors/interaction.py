"""``interaction.unanswered`` and ``interaction.reply-fields-missing``: the public messages a site lists.

A page that shows messages (a message table, an item list, a message page of its own; see
``inspectors/messages.py``) yields one fact per message: what that page shows of it. Lists rarely
show the reply itself and message pages rarely show the list's status, so each message is judged
when the site's run ends, over every page that showed it (``page_facts`` in the store; nothing is
kept in the process, so any worker may inspect any page):

* unanswered: submitted more than ``INTERACTION_UNANSWERED_DAYS`` (90) days before the inspection date,
  nothing shows a reply (no reply date, no reply text, no answered status) and some page says there is
  none (a waiting status such as 未回复/办理中/待处理, an empty reply-date column, or the message's own
  page without a reply). A list that shows neither status nor reply date says nothing either way.
* reply fields (portals and county portals, ``INTERACTION_PLATFORM_LEVELS``): each message shows its
  受理日期 and, once answered, 答复日期, 答复部门 and 答复内容, on its list row or its own page. A
  message with a page of its own is judged only when that page was inspected.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date

from govinspect.facts import Fact, PageFacts
from govinspect.findings import Observation
from govinspect.registry import Site
from inspectors.base import Inspector, Page, RunView
from inspectors.dates import nfkc
from inspectors.freshness import _breadcrumb
from inspectors.identity import visible_text
from inspectors.messages import (
    Words,
    about_messages,
    load_words,
    message_container,
    parse_items,
    parse_message_page,
    parse_tables,
)
from inspectors.pagemeta import article_title, page_metas

FACT_KIND = "interaction.message"
FIELD_NAMES = {"submitted": "受理日期", "replied": "答复日期", "department": "答复部门", "content": "答复内容"}


class InteractionInspector(Inspector):
    enabled_setting = "INSPECT_INTERACTION_ENABLED"

    def __init__(self, crawler):
        super().__init__(crawler)
        s = self.settings
        self.words: Words = load_words(s.get("INTERACTION_WORDS_FILE") or None)
        self.days = s.getint("INTERACTION_UNANSWERED_DAYS")
        self.levels = frozenset(s.getlist("INTERACTION_PLATFORM_LEVELS"))
        self.max_examples = s.getint("INTERACTION_MAX_EXAMPLES")

    # ---- per page: facts -------------------------------------------------------------------------
    def inspect_page(self, page: Page) -> Iterator[PageFacts]:
        facts = list(self._facts(page))
        if facts:
            yield PageFacts(page.site.id, page.url, facts)

    def _facts(self, page: Page) -> Iterator[Fact]:
        if not self.words.hints.search(page.text):
            return  # no submission label or status word: no messages (most pages stop here)
        as_of = page.run.as_of if page.run else date.today()
        hosts = page.site.hosts
        messages, tables = parse_tables(page.tree, page.url, hosts, as_of, self.words)
        messages += parse_items(page.tree, page.url, hosts, as_of, self.words, tables)
        if not messages and not page.is_homepage:
            container = message_container(page.tree, self.words)
            if container is not None:
                heading = article_title(page, page_metas(page))
                found = parse_message_page(container, visible_text(container), page.url, heading, as_of, self.words)
                messages = [found] if found else []
        if messages:
            tags = page_metas(page)
            context = nfkc(" ".join((page.tree.findtext(".//title") or "", tags.get("columnname", ""),
                                     tags.get("columntype", ""), page.link_text or "", _breadcrumb(page.tree))))
            messages = [m for m in messages if about_messages(m, context, self.words)]
        seen: set[str] = set()
        for msg in messages:
            if msg.key in seen:
                continue
            seen.add(msg.key)
            yield Fact(page.site.id, FACT_KIND, msg.key, page.url, {
                "title": msg.title, "source": msg.source, "own_page": msg.own_page, "status": msg.status,
                "submitted": msg.submitted.isoformat() if msg.submitted else None,
                "replied": msg.replied.isoformat() if msg.replied else None,
                "shown": sorted(msg.shown), "fields": sorted(msg.fields), "as_of": as_of.isoformat()})

    # ---- per site: conclusions -------------------------------------------------------------------
    def site_finished(self, site: Site, view: RunView) -> Iterator[Observation]:
        by_key: dict[str, list[Fact]] = defaultdict(list)
        for fact in view.facts(site.id, FACT_KIND):
            by_key[fact.key].append(fact)
        if not by_key:
            return
        incomplete: list[dict] = []
        judged = 0
        for key, facts in by_key.items():
            m = _merge(key, facts)
            if m["unanswered"] and m["submitted"] and (m["as_of"] - m["submitted"]).days > self.days:
                yield self._unanswered(site, m)
            if m["own_page"] and not m["page_seen"]:
                continue  # its own page would show what the list does not: not judged without it
            judged += 1
            required = ["submitted"] + (["replied", "department", "content"] if m["answered"] else [])
            missing = [f for f in required if f not in m["shown"]]
            if missing:
                incomplete.append({"message": key, "title": m["title"], "missing": missing})
        if incomplete and site.level in self.levels:
            yield self._fields_missing(site, incomplete, judged)

    def _unanswered(self, site: Site, m: dict) -> Observation:
        age = (m["as_of"] - m["submitted"]).days
        return Observation(
            rule="interaction.unanswered", site_id=site.id, page_url=m["key"],
            message=f"留言“{m['title']}”于{m['submitted'].isoformat()}提交，至检查日已{age}天仍未回复"
                    f"（超过{self.days}天），请尽快答复并公开办理结果。",
            evidence={"title": m["title"], "submitted": m["submitted"].isoformat(), "age_days": age,
                      "threshold_days": self.days, "status": m["status_text"], "listed_on": m["pages"][:10],
                      "as_of": m["as_of"].isoformat()},
        )

    def _fields_missing(self, site: Site, incomplete: list[dict], judged: int) -> Observation:
        counts: dict[str, int] = defaultdict(int)
        for item in incomplete:
            for f in item["missing"]:
                counts[f] += 1
        names = "、".join(f"{FIELD_NAMES[f]}（{counts[f]}条）" for f in FIELD_NAMES if counts.get(f))
        examples = [{**i, "missing": [FIELD_NAMES[f] for f in i["missing"]]} for i in incomplete[:self.max_examples]]
        return Observation(
            rule="interaction.reply-fields-missing", site_id=site.id, page_url=site.url,
            message=f"互动交流平台公开的{judged}条留言中有{len(incomplete)}条未列明{names}，"
                    "请按规定公开每条留言的受理日期、答复日期、答复部门和答复内容。",
            evidence={"messages_judged": judged, "messages_incomplete": len(incomplete),
                      "missing_counts": {FIELD_NAMES[f]: n for f, n in counts.items()}, "examples": examples},
        )


def _merge(key: str, facts: list[Fact]) -> dict:
    """One message over every page that showed it."""
    shown: set[str] = set()
    submitted = replied = None
    answered = says_unanswered = own_page = page_seen = False
    statuses: set[str] = set()
    title = ""
    for f in facts:
        d = f.data
        shown |= set(d.get("shown") or ())
        own_page = own_page or bool(d.get("own_page"))
        page_seen = page_seen or d.get("source") == "page"
        title = title or d.get("title") or ""
        sub = date.fromisoformat(d["submitted"]) if d.get("submitted") else None
        submitted = min(x for x in (submitted, sub) if x) if (submitted or sub) else None
        replied = replied or d.get("replied")
        if d.get("status"):
            statuses.add(d["status"])
        fields = set(d.get("fields") or ())
        f_answered = d.get("status") == "answered" or bool(d.get("replied")) or "content" in (d.get("shown") or ())
        answered = answered or f_answered
        if not f_answered and (d.get("status") == "unanswered" or "replied" in fields or d.get("source") == "page"):
            says_unanswered = True
    as_of = max(date.fromisoformat(f.data["as_of"]) for f in facts)
    return {
        "key": key, "title": title, "submitted": submitted, "answered": answered,
        "unanswered": says_unanswered and not answered, "own_page": own_page, "page_seen": page_seen,
        "shown": shown, "status_text": sorted(statuses), "pages": sorted({f.page_url for f in facts}), "as_of": as_of,
    }
