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
