"""Plain-Chinese wording shared by the list documents and the monthly report.

What each rule means and what the unit should do, Chinese labels for evidence facts, and the last
masking/neutralising pass every cell goes through before it is written.
"""

from __future__ import annotations

import json
from typing import Any

from govinspect.cells import is_formula_like, neutralise  # noqa: F401 (is_formula_like: for the xlsx writer)
from govinspect.masking import mask_text, mask_value
from govinspect.rules import RULES

SEVERITY_ZH = {"critical": "严重", "high": "高", "medium": "中", "low": "低"}
STATUS_ZH = {"open": "未整改", "fixed": "已整改", "reopened": "再次出现", "closed": "已销号"}

REMEDY = {
    "site.unreachable": "尽快恢复网站访问，排查服务器、域名解析和网络；恢复后保持首页可正常打开。",
    "link.broken": "修正链接地址，或删除失效链接；涉及栏目调整的，设置跳转到新地址。",
    "ad.network": "删除页面中引用的广告联盟代码或资源，检查模板和第三方插件。",
    "ad.commercial": "删除页面中的商业广告内容，政府网站不得刊登商业广告。",
    "ad.hidden-link": "立即删除隐藏链接（暗链），排查网站是否被篡改，修补漏洞并更换管理口令。",
    "image.flag-misuse": "按规定使用国旗标准图案（比例3:2、标准颜色），不得变形、变色。",
    "image.emblem-misuse": "按规定使用国徽标准图案，不得变形、变色或作装饰使用。",
    "image.map-no-approval": "使用标注审图号的标准地图，或在图上标注审图号。",
    "archive.unlabeled": "在归档页面显著位置标注“已归档”字样及归档时间。",
    "leak.id-number": "立即删除或遮蔽页面及附件中的身份证号码，清理缓存和搜索引擎快照。",
    "leak.phone": "删除或遮蔽页面及附件中的个人手机号码，确需公开的应取得本人同意。",
    "leak.bank-card": "立即删除或遮蔽页面及附件中的银行卡号，清理缓存和搜索引擎快照。",
    "leak.classified-marking": "立即撤下带有涉密或内部标志的信息，按保密规定核查处理。",
    "identity.icp-missing": "在网站底部标注ICP备案编号并链接到备案系统。",
    "identity.psb-missing": "在网站底部标注公安机关备案号。",
    "identity.conac-missing": "在网站底部加装党政机关网站标识。",
    "identity.site-code-missing": "在网站底部标注正确的政府网站标识码。",
    "identity.name-mismatch": "网站名称与登记名称保持一致，统一页面标题和页头名称。",
    "identity.emblem-missing": "在首页显著位置使用标准国徽图案。",
    "freshness.homepage-stale": "及时更新首页动态、要闻等栏目内容。",
    "freshness.column-stale": "按要求更新该栏目内容；确无内容的栏目应整合或关闭。",
    "freshness.column-empty": "为空白栏目补充内容，或删除、整合该栏目。",
    "registry.unregistered-site": "核实该网站是否为本单位开办；是则办理登记，否则删除相关链接。",
}

EVIDENCE_ZH = {
    "status": "HTTP状态", "error": "错误", "method": "请求方式", "link_text": "链接文字", "tag": "元素",
    "redirects": "跳转次数", "url": "地址", "matched": "匹配内容", "match": "匹配内容", "filter": "过滤规则",
    "text": "文字", "count": "数量", "hits": "命中", "width": "宽", "height": "高", "ratio": "比例",
    "newest": "最近更新", "days": "天数", "column": "栏目", "expected": "应为", "found": "实际",
    "host": "主机", "label": "标注", "sheet": "工作表", "cell": "单元格", "page": "页码",
    "age_days": "距今天数", "as_of": "检查日期", "threshold_days": "期限（天）", "items": "条目数",
    "alt": "图片说明", "declared_size": "页面尺寸", "rendered_size": "显示尺寸", "intrinsic_size": "原图尺寸",
    "problems": "问题", "format": "格式", "level": "网站级别", "context": "上下文", "rule": "规则",
    "expected_name": "登记名称", "title": "页面标题", "domain": "域名", "intrinsic_aspect": "原图宽高比",
    "rendered_aspect": "显示宽高比",
}
# machine detail that helps no site editor (kept in the store and the index)
EVIDENCE_SKIP = {"sha256", "delta_e_field", "delta_e_star", "found_by", "named_by", "kind", "orientation",
                 "dated_items", "name_text", "images_checked", "references", "redirects", "method", "tag"}


def entry_status(entry: dict[str, Any]) -> str:
    """An entry's state for the documents: 未整改 / 已整改（date）, with the last re-check's note."""
    if entry.get("status") == "fixed":
        how = "复核通过" if entry.get("fixed_by") == "recheck" else "检查确认"
        return f"已整改（{how} {(entry.get('fixed_at') or '')[:10]}）".replace(" ）", "）")
    note = entry.get("check_note")
    return f"未整改（{note}）" if note else "未整改"


def rule_name(rule_id: str) -> str:
    r = RULES.get(rule_id)
    return r.name if r else rule_id


def remedy(rule_id: str) -> str:
    return REMEDY.get(rule_id, "请按问题描述整改。")


def evidence_lines(evidence: Any, limit: int = 600) -> str:
    """Evidence as ``label：value`` lines, masked; long values shortened so a cell stays readable."""
    evidence = mask_value(evidence)
    if not isinstance(evidence, dict):
        return mask_text(str(evidence))[:limit]
    lines = []
    for key, value in evidence.items():
        if value in (None, "", [], {}) or key in EVIDENCE_SKIP:
            continue
        if isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False)
        lines.append(f"{EVIDENCE_ZH.get(key, key)}：{value}")
    text = "\n".join(lines)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def masked(value: Any) -> Any:
    return mask_text(value) if isinstance(value, str) else value


def neutral(value: Any) -> Any:
    """Masked, and never a formula (``govinspect.cells``): text a spreadsheet would evaluate gets an
    apostrophe in front (HTML cells may be pasted into a spreadsheet)."""
    return neutralise(masked(value))
