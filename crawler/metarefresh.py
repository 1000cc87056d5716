"""Meta refresh that leaves official hosts is not followed: the page itself is what gets inspected.

Scrapy follows ``<meta http-equiv="refresh">`` like a redirect and drops the page that carried it. A
defaced page that refreshes to a casino would then never reach the inspectors (they would see the
casino's answer as a failed or odd link check). Refreshes to the same host or to government hosts
(an old ``index.html`` moving visitors to the new homepage) are followed as before.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse, Response
from scrapy.utils.response import get_meta_refresh

from govinspect.urls import host_key, is_government_host


def stays_official(page_url: str, target_url: str) -> bool:
    host = host_key(target_url)
    return host == host_key(page_url) or is_government_host(host)


class OfficialMetaRefreshMiddleware(MetaRefreshMiddleware):
    def __init__(self, settings):
        super().__init__(settings)
        self.ignore_tags = settings.getlist("METAREFRESH_IGNORE_TAGS")

    def process_response(self, request: Request, response: Response, spider=None) -> Request | Response:
        if isinstance(response, HtmlResponse) and request.method != "HEAD" and not request.meta.get("dont_redirect"):
            _, url = get_meta_refresh(response, ignore_tags=self.ignore_tags)
            if url and not stays_official(request.url, url):
                return response
        return super().process_response(request, response)
