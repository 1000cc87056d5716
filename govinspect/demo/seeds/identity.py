"""Footer and header identity problems: a missing ICP, public-security or conac mark, a wrong
网站标识码, a site name that differs from the registry, a county portal without the national emblem.
The manifest entries are derived by the generator from these spec changes."""

from __future__ import annotations

from govinspect.demo.builder import ClusterBuilder


def plan(b: ClusterBuilder) -> None:
    if site := b.site("county_b"):
        site.missing_marks.add("icp")
    if site := b.site("jyj"):
        site.missing_marks.add("psb")
    if site := b.site("county_c"):
        site.missing_marks.add("conac")
        site.emblem = False
    if site := b.site("mzj"):
        site.display_code = site.id[:-2] + "33"  # footer shows another site's code
    if site := b.site("rsj"):
        site.display_name = "示例市人社局"
