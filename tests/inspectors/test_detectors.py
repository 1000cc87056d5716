"""Detectors: checksums, dates, masking, roster context and markings (domain-rules §4)."""

from __future__ import annotations

from datetime import date

import pytest

from inspectors.sensitive import LEAK_CARD, LEAK_ID, LEAK_MARK, LEAK_PHONE, Chunk, Scanner
from inspectors.sensitive.detectors import id15_valid, id18_valid, luhn_valid
from tests.inspectors.helpers import AS_OF, CARD_A, CARD_B, ID_A, ID_B, ID_C, PHONES


def scan(text: str, **kw) -> dict:
    scanner = Scanner(AS_OF, **kw)
    scanner.scan(Chunk("", text))
    return scanner.results()


def test_gb11643_check_character_and_dates():
    assert id18_valid("11010519491231002X")
    assert not id18_valid("110105194912310021")  # wrong check character
    assert id18_valid(ID_A) and id18_valid(ID_B)
    # Real check character but an impossible date (Feb 30) or a birth after the inspection date.
    from tests.inspectors.helpers import id18

    assert not id18_valid(id18("34160219900230123"))
    assert not id18_valid(id18("34160220301201123"), date(2026, 11, 1))
    assert id15_valid("341602850312123") and not id15_valid("341602851332123")


def test_luhn():
    assert luhn_valid(CARD_A) and luhn_valid(CARD_B)
    assert not luhn_valid(CARD_A[:-1] + str((int(CARD_A[-1]) + 1) % 10))


def test_ids_found_masked_and_counted():
    res = scan(f"张三 {ID_A}\n李四 {ID_C}\n张三 {ID_A}")
    hits = res[LEAK_ID]
    assert hits.count == 3 and len(hits.values) == 2
    assert [h.masked for h in hits.samples] == [ID_A[:6] + "********" + ID_A[-4:], "110105********002X"]
    assert all(ID_A not in h.masked for h in hits.samples)


@pytest.mark.parametrize("decoy", [
    "341602********1234",  # masked ID
    "3416021985****1236",
    ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1"),  # invalid check character
    "订单号 " + ID_A + "7",  # longer digit run: not an ID
    "138****1234",
    "6222 **** **** 1234",
])
def test_decoys_are_not_leaks(decoy):
    assert scan(f"姓名 王五 证件 {decoy}") == {}


def test_legacy_15_digit_needs_context_by_default():
    assert scan("编号 341602850312123") == {}
    assert LEAK_ID in scan("身份证号 341602850312123")
    assert LEAK_ID in scan("编号 341602850312123", id15_context=False)


def test_bank_cards_plain_and_grouped():
    grouped = " ".join(CARD_A[i:i + 4] for i in range(0, len(CARD_A), 4))
    res = scan(f"开户行 示例银行 卡号 {grouped}\n账号 {CARD_B}")
    assert len(res[LEAK_CARD].values) == 2
    assert res[LEAK_CARD].samples[0].masked == CARD_A[:3] + "*" * 12 + CARD_A[-4:]
    bad = CARD_B[:-1] + str((int(CARD_B[-1]) + 1) % 10)
    assert scan(f"账号 {bad}") == {}
    assert LEAK_CARD not in scan("账号 3567420000123454")  # prefix 3 is not a BIN we accept


def test_phone_roster_vs_published_contact():
    roster = "\n".join(f"{name} {p}" for name, p in zip(["王芳", "李强", "张伟", "刘洋"], PHONES, strict=True))
    res = scan(roster)
    assert len(res[LEAK_PHONE].values) == 4
    assert res[LEAK_PHONE].samples[0].masked == "138****5678"
    assert scan(f"咨询电话：{PHONES[0]}（工作日）") == {}
    # Three office numbers without names: a contact list, not a roster.
    assert scan("\n".join(f"办公室 {p}" for p in PHONES[:3])) == {}
    # Below the threshold.
    assert scan("王芳 13812345678\n李强 13923456789") == {}
    # Written with dashes and spaces, rows carrying ID numbers.
    spaced = f"{ID_A} 138-1234-5678\n{ID_B} 139 2345 6789\n{ID_C} +86 150 3456 7890"
    assert len(scan(spaced)[LEAK_PHONE].values) == 3


@pytest.mark.parametrize("text", ["绝密★", "机密★5年", "秘密★1年", "机密 10年", "秘密★长期", "内部资料 注意保存",
                                  "内部文件", "不得外传"])
def test_markings(text):
    res = scan(f"关于做好有关工作的通知 {text}")
    assert LEAK_MARK in res, text


@pytest.mark.parametrize("text", ["保护商业秘密", "工作秘密", "机密文件管理办法", "秘密通道", "个人秘密"])
def test_marking_decoys(text):
    assert scan(text) == {}


# The detectors' patterns are written to start with a character set (speed); these are their plain forms.
_B, _E = r"(?<![0-9A-Za-z*])", r"(?![0-9A-Za-z*])"
PLAIN_PATTERNS = {
    "ID18": _B + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]" + _E,
    "ID15": _B + r"[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}" + _E,
    "CARD": _B + r"(?:(?:62|4|5)\d{14,17}|(?:62\d\d|[45]\d{3})(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?)" + _E,
    "MOBILE": r"(?<![0-9A-Za-z*+])(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}" + _E,
    "_MAYBE_DIGITS": r"\d{11}|\d[ -]\d{4}[ -]\d{4}",
    "_DIGITS": r"\d{4}",
}


@pytest.mark.parametrize("name", sorted(PLAIN_PATTERNS))
def test_fast_patterns_match_exactly_what_the_plain_patterns_match(name):
    import random
    import re

    from inspectors.sensitive import detectors

    plain, fast = re.compile(PLAIN_PATTERNS[name]), getattr(detectors, name)
    rnd = random.Random(9)
    pieces = [ID_A, ID_B, ID_C, "11010119900307123X", "110101900307123", CARD_A, CARD_B, "6222 0212 3456 7890 123",
              "4111-1111-1111-1111", "+86 138 1234 5678", "8613812345678", "13812345678", "138-1234-5678",
              "a", "Z", "*", " ", "-", "+", "8", "6", "2", "4", "1", "年", "X", "\n", "0"]
    alphabets = ["0123456789", "0123456789 -", "0123456789+86 -*Xx", "12345689 -+aZ*\n年", "4562 -0123456789"]
    texts = ["".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 6))) for _ in range(4000)]
    for _ in range(4000):
        alphabet = rnd.choice(alphabets)
        texts.append("".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 50))))
    found = 0
    for text in texts:
        expected = [(m.start(), m.group()) for m in plain.finditer(text)]
        assert [(m.start(), m.group()) for m in fast.finditer(text)] == expected, text
        found += len(expected)
    assert found > 50  # the texts exercise the pattern
