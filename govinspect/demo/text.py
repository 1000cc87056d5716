"""Deterministic Chinese filler text: article titles and paragraphs that read like a gov site.

Nothing here may look like personal data, a classification marking or advertising: those are
seeded on purpose by their own seeds.
"""

from __future__ import annotations

import random

_TOPICS = {
    "news": [
        "召开全市经济运行调度会",
        "开展安全生产大检查",
        "推进乡村振兴重点工作",
        "部署秋冬季大气污染防治",
        "调研重点项目建设",
        "召开优化营商环境推进会",
        "开展文明城市创建督查",
        "举行防汛应急演练",
        "推进政务服务“一网通办”",
        "召开民生实事工作推进会",
    ],
    "notice": [
        "关于做好国庆节期间有关工作的通知",
        "关于开展年度统计执法检查的公告",
        "关于调整办公时间的通知",
        "关于征求意见的公告",
        "关于公布政务服务事项清单的通知",
        "关于开展消防安全检查的通知",
    ],
    "policy": [
        "关于印发实施方案的通知",
        "关于进一步加强管理工作的意见",
        "关于印发管理办法的通知",
        "关于支持中小企业发展的若干措施",
        "关于印发工作要点的通知",
    ],
    "personnel": [
        "公开招聘工作人员公告",
        "拟任职干部任前公示",
        "事业单位公开招聘拟聘用人员公示",
        "公开遴选公务员公告",
        "人事任免通知",
    ],
    "open": [
        "政府信息公开工作年度报告",
        "财政预算公开",
        "重大行政决策目录",
        "权责清单公开",
        "政府信息公开指南",
        "部门决算公开",
    ],
}

_SENTENCES = [
    "会议强调，要深入贯彻落实党中央、国务院决策部署，坚持稳中求进工作总基调。",
    "各地各部门要提高政治站位，压实工作责任，确保各项任务落地见效。",
    "要持续优化营商环境，提升政务服务水平，让企业和群众办事更加便捷。",
    "要统筹发展和安全，抓好安全生产和防灾减灾工作，守牢安全底线。",
    "要加强督促检查，对工作推进不力的单位进行通报，确保按时完成目标任务。",
    "本次活动共有各级干部职工参加，取得了良好的社会效果。",
    "下一步，将进一步完善工作机制，强化部门协同，形成工作合力。",
    "请各单位结合实际，认真组织实施，并于规定时间内报送工作开展情况。",
    "本通知自印发之日起施行，由市人民政府办公室负责解释。",
    "如有疑问，请在工作日上午8:30至12:00、下午14:30至17:30与我们联系。",
]


def title(rng: random.Random, kind: str, prefix: str) -> str:
    """An item title for a column of ``kind``; ``prefix`` is the site's short name."""
    return f"{prefix}{rng.choice(_TOPICS[kind])}"


def paragraphs(rng: random.Random, count: int = 3) -> list[str]:
    return [rng.choice(_SENTENCES) + rng.choice(_SENTENCES) for _ in range(count)]


def short_name(name: str) -> str:
    """示例市教育局 -> 市教育局; 示南县人民政府 -> 示南县."""
    if name.endswith("人民政府"):
        return name[: -len("人民政府")]
    return name[2:] if name.startswith("示例") else name
