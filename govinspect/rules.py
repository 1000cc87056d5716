"""Rule ids of ``shared/spec/rules.md`` with their default severity and key kind.

The key kind says what identifies one finding inside a site: ``site`` (one per site), ``page``,
``target`` (the offending resource) or ``target-or-page`` (leaks: attachment URL, else page);
``message`` (the message's own page, or the list page plus ``#`` plus the message title, fragment kept)
and ``page-kind-tag`` (``article:PubDate``: the inspector sets ``Observation.key``).
Severities here are defaults; ``RULE_SEVERITY`` in settings overrides them.
"""

from __future__ import annotations

from dataclasses import dataclass

SEVERITIES = ("critical", "high", "medium", "low")


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    key: str
    name: str


_RULES = [
    Rule("site.unreachable", "critical", "site", "网站无法访问"),
    Rule("link.broken", "high", "target", "不可用链接"),
    Rule("ad.network", "high", "target", "广告联盟资源"),
    Rule("ad.commercial", "high", "page", "商业广告"),
    Rule("ad.hidden-link", "critical", "target", "暗链"),
    Rule("image.flag-misuse", "high", "target", "国旗图片使用不规范"),
    Rule("image.emblem-misuse", "high", "target", "国徽图片使用不规范"),
    Rule("image.map-no-approval", "medium", "target", "地图无审图号"),
    Rule("archive.unlabeled", "medium", "page", "归档页面未标注"),
    Rule("leak.id-number", "critical", "target-or-page", "泄露身份证号"),
    Rule("leak.phone", "high", "target-or-page", "泄露手机号码"),
    Rule("leak.bank-card", "critical", "target-or-page", "泄露银行卡号"),
    Rule("leak.classified-marking", "critical", "target-or-page", "涉密或内部标志"),
    Rule("identity.icp-missing", "medium", "site", "缺少ICP备案号"),
    Rule("identity.psb-missing", "medium", "site", "缺少公安备案号"),
    Rule("identity.conac-missing", "medium", "site", "缺少党政机关网站标识"),
    Rule("identity.site-code-missing", "medium", "site", "网站标识码缺失或不符"),
    Rule("identity.name-mismatch", "medium", "site", "网站名称不符"),
    Rule("identity.emblem-missing", "high", "site", "首页缺少国徽"),
    Rule("freshness.homepage-stale", "critical", "site", "首页长期未更新"),
    Rule("freshness.column-stale", "high", "page", "栏目长期未更新"),
    Rule("freshness.column-empty", "medium", "page", "空白栏目"),
    Rule("registry.unregistered-site", "low", "target", "未登记网站"),
    # issue 10: availability probes, soft-404 and hijacked external links, injected content
    Rule("site.availability-low", "high", "site", "首页可用率低"),
    Rule("link.soft-404", "high", "target", "链接指向错误页面"),
    Rule("link.hijacked-external", "critical", "target", "外部链接被劫持"),
    Rule("security.injected-content", "critical", "target-or-page", "疑似挂马或篡改"),
    # issue 10: interaction, coordination, page meta tags, domain, superior link, annual report
    Rule("interaction.unanswered", "critical", "message", "留言超期未回复"),
    Rule("interaction.reply-fields-missing", "medium", "site", "留言办理信息公开不全"),
    Rule("policy.repost-late", "medium", "target", "重要政策未及时转载"),
    Rule("identity.meta-missing", "low", "page-kind-tag", "网页元数据标签缺失"),
    Rule("identity.domain-nonstandard", "medium", "site", "域名不规范"),
    Rule("identity.superior-link-missing", "low", "site", "未链接上级门户网站"),
    Rule("identity.annual-report-missing", "medium", "site", "未公开政府网站工作年度报表"),
]

RULES: dict[str, Rule] = {r.id: r for r in _RULES}


def rule(rule_id: str) -> Rule:
    """Look a rule up, refusing ids that are not in the contract."""
    try:
        return RULES[rule_id]
    except KeyError:
        raise KeyError(f"unknown rule id {rule_id!r}; see shared/spec/rules.md") from None


def category(rule_id: str) -> str:
    """The area of a rule: the part before the dot (``link`` for ``link.broken``)."""
    return rule_id.split(".", 1)[0]
