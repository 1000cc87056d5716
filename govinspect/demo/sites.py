"""The fictional city 示例市 and its sites: who exists, at which host, with which columns.

The first eight rows are the default cluster; larger clusters add more departments after them,
so seeds that look sites up by role find the same sites at every size.
"""

from __future__ import annotations

from govinspect.demo.model import Column, SiteSpec

CITY_DOMAIN = "example-city.gov.cn"
CITY_ID = "3416000001"

# role, id, name, organizer, level, host, cms
_DEFAULT = [
    ("city", CITY_ID, "示例市人民政府", "示例市人民政府办公室", "portal", f"www.{CITY_DOMAIN}", "trs"),
    ("county_a", "3416210001", "示南县人民政府", "示南县人民政府办公室", "county", "www.shinan.gov.cn", "jcms"),
    ("county_b", "3416220001", "示北县人民政府", "示北县人民政府办公室", "county", "www.shibei.gov.cn", "trs"),
    ("county_c", "3416020001", "示东区人民政府", "示东区人民政府办公室", "county", "www.shidong.gov.cn", "jcms"),
    ("jyj", "3416000002", "示例市教育局", "示例市教育局", "department", f"jyj.{CITY_DOMAIN}", "trs"),
    ("mzj", "3416000003", "示例市民政局", "示例市民政局", "department", f"mzj.{CITY_DOMAIN}", "jcms"),
    (
        "rsj",
        "3416000004",
        "示例市人力资源和社会保障局",
        "示例市人力资源和社会保障局",
        "department",
        f"rsj.{CITY_DOMAIN}:8080",
        "trs",
    ),
    ("down", "3416000005", "示例市统计局", "示例市统计局", "department", f"tjj.{CITY_DOMAIN}", "jcms"),
]

# Extra departments for larger (benchmark) clusters: (subdomain, name)
_MORE = [
    ("fgw", "发展和改革委员会"),
    ("czj", "财政局"),
    ("gaj", "公安局"),
    ("wjw", "卫生健康委员会"),
    ("zjj", "住房和城乡建设局"),
    ("jtysj", "交通运输局"),
    ("nyncj", "农业农村局"),
    ("zrzyj", "自然资源和规划局"),
    ("sthjj", "生态环境局"),
    ("scjgj", "市场监督管理局"),
    ("wlj", "文化和旅游局"),
    ("yjglj", "应急管理局"),
    ("slj", "水务局"),
    ("sjj", "审计局"),
    ("sfj", "司法局"),
    ("kjj", "科学技术局"),
    ("tyj", "退役军人事务局"),
    ("ybj", "医疗保障局"),
    ("sjzx", "数据资源管理局"),
    ("xfj", "信访局"),
    ("lyj", "林业局"),
    ("swj", "商务局"),
]

# key, nav text, kind, ColumnType, share of articles, newest age (days), interval (days)
_COLUMNS = [
    ("ywdt", "要闻动态", "news", "工作动态", 0.40, 1, 2),
    ("tzgg", "通知公告", "notice", "通知公告", 0.20, 3, 6),
    ("zcwj", "政策文件", "policy", "政策文件", 0.15, 10, 15),
    ("rsxx", "人事信息", "personnel", "人事信息", 0.10, 20, 30),
    ("gkml", "信息公开", "open", "信息公开目录", 0.15, 2, 5),
]


def _columns(index: int) -> list[Column]:
    return [
        Column(key, name, kind, ctype, 10 + i + index * 10, share, newest, interval)
        for i, (key, name, kind, ctype, share, newest, interval) in enumerate(_COLUMNS)
    ]


def plan_sites(count: int | None) -> list[SiteSpec]:
    """The cluster's sites; ``None`` means the default eight."""
    count = len(_DEFAULT) if count is None else count
    if count < 1:
        raise ValueError("a cluster needs at least one site")
    rows = list(_DEFAULT[:count])
    for n in range(max(0, count - len(_DEFAULT))):
        sub, dept = _MORE[n % len(_MORE)]
        if n >= len(_MORE):
            sub = f"{sub}{n // len(_MORE) + 1}"
        site_id = f"341600{n + 10:04d}"
        rows.append(
            (
                f"dept_{sub}",
                site_id,
                f"示例市{dept}",
                f"示例市{dept}",
                "department",
                f"{sub}.{CITY_DOMAIN}",
                "trs" if n % 2 else "jcms",
            )
        )
    sites = []
    for i, (role, site_id, name, organizer, level, host, cms) in enumerate(rows):
        site = SiteSpec(
            role=role,
            id=site_id,
            name=name,
            organizer=organizer,
            level=level,
            host=host,
            cms=cms,
            parent=None if role == "city" else CITY_ID,
            columns=_columns(i),
        )
        if role == "jyj":
            site.extra_hosts.append(f"files.{CITY_DOMAIN}")
        site.icp = f"皖ICP备{12345678 + i * 7:08d}号" + ("" if i == 0 else f"-{i % 9 + 1}")
        region = {"county_a": "341621", "county_b": "341622", "county_c": "341602"}.get(role, "341602")
        site.psb = f"皖公网安备 {region}02{100123 + i * 11:06d}号"
        sites.append(site)
    if sites[0].role != "city":  # pragma: no cover - _DEFAULT starts with the city
        raise AssertionError("first site must be the city portal")
    return sites
