"""The last line of defence: personal data masked in whatever reaches a writer."""

import logging

from govinspect.masking import MaskingFilter, mask_digits, mask_id, mask_text, mask_value


def test_formats_of_findings_md():
    assert mask_id("34160219900101123X") == "341602********123X"
    assert mask_digits("13812345678") == "138****5678"
    assert mask_digits("6222 0212 3456 7890 128") == "622************0128"


def test_free_text_masking():
    text = "张三 34160219900101123X 手机 138-1234-5678 卡号 6222021234567890128，旧证 341602900101123"
    masked = mask_text(text)
    for secret in ("19900101", "1234-5678", "0212345678", "900101"):
        assert secret not in masked
    assert "341602********123X" in masked and "138****5678" in masked
    assert mask_value({"rows": [text]})["rows"][0] == masked


def test_log_filter_masks_messages(caplog):
    logger = logging.getLogger("test.masking")
    logger.addFilter(MaskingFilter())
    with caplog.at_level(logging.INFO):
        logger.info("leak %s on page", "34160219900101123X")
    assert "34160219900101123X" not in caplog.text and "341602********123X" in caplog.text


def _valid_id(body17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body17 + "10X98765432"[sum(int(d) * w for d, w in zip(body17, weights, strict=True)) % 11]


def test_urls_mask_only_valid_ids_and_cards():
    from govinspect.masking import mask_url

    pid = _valid_id("34160219900101123")
    assert mask_url(f"http://a.gov.cn/files/{pid}.xlsx") == f"http://a.gov.cn/files/{pid[:6]}********{pid[-4:]}.xlsx"
    assert mask_url("http://a.gov.cn/q?card=6222021234567890128") == "http://a.gov.cn/q?card=622************0128"
    # CMS article ids and invalid numbers are left alone, so links stay usable
    article = "http://a.gov.cn/art/2026/11/3/art_12_202611031234567890.html"
    assert mask_url(article) == article
    bad = pid[:17] + ("0" if pid[17] != "0" else "1")  # wrong check character: not an ID
    assert mask_url(f"http://a.gov.cn/t/{bad}.html") == f"http://a.gov.cn/t/{bad}.html"


def test_crawl_stores_no_unmasked_id_from_urls(tmp_path):
    """A link whose file name is an ID number: the store and exports keep only the masked form."""
    from tests.support.cli import FAST, LINKS_ONLY, govinspect, write_registry
    from tests.support.server import Route, RouteServer, html

    pid = _valid_id("34160219900101123")
    with RouteServer({"/": Route(html(f'<a href="/files/{pid}.xlsx">名单</a>'))}) as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "测试", "organizer": "测试", "url": srv.url + "/"}])
        store = tmp_path / "s.sqlite3"
        result = govinspect("crawl", "--registry", str(registry), "--store", str(store), *FAST, *LINKS_ONLY)
        out = tmp_path / "f.jsonl"
        govinspect("export", "--format", "jsonl", "--out", str(out), "--store", str(store))
    assert result.returncode == 0, result.stderr[-2000:]
    import sqlite3

    db = sqlite3.connect(store)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    for path in (store, out):
        assert pid.encode() not in path.read_bytes(), path
    assert f"{pid[:6]}********{pid[-4:]}.xlsx" in out.read_text(encoding="utf-8")
    assert pid not in result.stderr
