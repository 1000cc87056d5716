"""WAF challenge pages are recognised whatever the case of their tell-tale words (crawler/outcomes.py).

The check searches a lower-cased copy of the body with lower-case words: these cases pin that it
still matches what the case-blind search matched, and nothing more.
"""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse

from crawler.outcomes import is_challenge, waf_signature


def _response(body: str, status: int = 200) -> HtmlResponse:
    return HtmlResponse("http://www.example-city.gov.cn/", status=status, body=body.encode("utf-8"))


@pytest.mark.parametrize("tell", [
    "Just a moment...", "JUST A MOMENT...", "var __JSL_Clearance=1;", "CF-Browser-Verification",
    "Challenge-Platform", "请开启JavaScript", "请启用 javascript", "请开启 JAVASCRIPT", "安全验证", "访问验证",
    "yunsuo_SESSION_verify", "/cdn_SEC/", "X_WAF_id", "waf.js",
])
def test_challenge_words_in_any_case(tell):
    assert is_challenge(_response(f"<html><SCRIPT>1</SCRIPT><p>{tell}</p></html>"))
    assert waf_signature(_response(f"<html><p>{tell}</p></html>", status=403)) == "challenge page"


@pytest.mark.parametrize("body", [
    "<html><script>1</script><p>Just a moment</p></html>",  # no dots: an ordinary sentence
    "<html><script>1</script><p>请开启 Java Script</p></html>",
    "<html><p>安全验证</p></html>",  # no script: not a challenge page
    "<html><script>1</script>" + "正文" * 10000 + "安全验证</html>",  # a large page is content
    "<html><script>1</script><p>wafer, software</p></html>",
])
def test_decoys_are_not_challenges(body):
    assert not is_challenge(_response(body))
