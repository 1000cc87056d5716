"""Detectors: checksums, dates, masking, roster context and markings (domain-rules §4)."""

from __future__ import annotations

from datetime import date

import pytest

from inspectors.sensitive import LEAK_CARD, LEAK_ID, LEAK_MARK, LEAK_PHONE, Chunk, Scanner
from inspectors.sensitive.detectors import id15_valid, id18_valid, luhn_valid
from tests.inspectors.helpers import AS_OF, CARD_A, CARD_B, ID_A, ID_B, ID_C, PHONES, luhn_complete


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


def _other_digits_where_the_pattern_says_any_digit(number: str, digits: str) -> str:
    """ID_A's digits at the pattern's ``\\d`` places (which match any script's digits) in ``digits``."""
    table = str.maketrans("0123456789", digits)
    return number[0] + number[1:6].translate(table) + number[6:8] + number[8:10].translate(table) + number[10:14] \
        + number[14:].translate(table)


def test_ids_with_other_scripts_digits_never_crash_the_scan():
    """Such a candidate once crashed the bulk check (``encode("ascii")``): the page or file lost."""
    fullwidth = _other_digits_where_the_pattern_says_any_digit(ID_A, "０１２３４５６７８９")
    assert fullwidth != ID_A and scan(f"张三 {fullwidth}")[LEAK_ID].count == 1  # read as the ID it shows
    # decoy: Arabic-Indic digits are not taken for an ID (and do not crash either)
    arabic = _other_digits_where_the_pattern_says_any_digit(ID_A, "٠١٢٣٤٥٦٧٨٩")
    assert LEAK_ID not in scan(f"张三 {arabic}")


def test_ids_typed_all_in_fullwidth_digits_are_found_and_masked():
    """A Chinese IME types fullwidth digits throughout: the number is the ID it shows."""
    wide = ID_A.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    hits = scan(f"张三 身份证号：{wide}\n")[LEAK_ID]
    assert hits.count == 1 and hits.samples[0].masked == ID_A[:6] + "********" + ID_A[-4:]
    # decoy: the same with a wrong check character is no ID, fullwidth or not
    wrong = (ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1")).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert LEAK_ID not in scan(f"张三 身份证号：{wrong}\n")


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


# Long texts (sheets, rosters) are read from numpy arrays of their digit runs instead of the regexes.
CARD_C = luhn_complete("621483000012345678")
GROUPED_CARD = " ".join(CARD_C[i:i + 4] for i in range(0, len(CARD_C), 4))
LONG_POSITIVES = [
    f"王芳\t{ID_A}\t{PHONES[0]}\t{CARD_A}",
    f"李强\t{ID_C.lower()}\t86{PHONES[1]}\t{GROUPED_CARD}",  # x check character, 86 before a mobile
    f"张伟\t{ID_B}\t+86 {PHONES[2][:3]} {PHONES[2][3:7]} {PHONES[2][7:]}\t{CARD_B}",
    f"刘洋\t{ID_A}\t{PHONES[3][:3]}-{PHONES[3][3:7]}-{PHONES[3][7:]}\t-{CARD_B}",
]
LONG_DECOYS = [
    "赵六\t341602********1234\t138****1234\t6222 **** **** 1234",
    f"孙七\tsfz{ID_A}\t{ID_A}7\t+{PHONES[0]}\tA{CARD_A}",  # glued to letters, longer runs, '+' before a mobile
    "周八\t2026-10-01\t0556-1234567\t580.0\t21000101",
    f"吴九\t{ID_A[:-1]}{'0' if ID_A[-1] != '0' else '1'}\t4{CARD_A[1:]}\t341602850312123",  # no ID context
]


def summary(res: dict) -> dict:
    return {rule: (h.count, len(h.values), [(s.masked, s.where) for s in h.samples]) for rule, h in res.items()}


def scan_lines(lines: list[str], repeat: int) -> dict:
    text = "\n".join(lines * repeat)
    chunk = Chunk("表", text, resolver=lambda off: f"第{text.count(chr(10), 0, off) + 1}行")
    scanner = Scanner(AS_OF)
    scanner.scan(chunk)
    return scanner.results()


def test_long_texts_give_the_regexes_findings(monkeypatch):
    from inspectors.sensitive import detectors

    text = "\n".join(LONG_POSITIVES * 20)
    assert len(text) >= detectors.FAST_MIN_CHARS and detectors._Tokens.of(text) is not None
    fast = scan_lines(LONG_POSITIVES + LONG_DECOYS, 20)
    assert {rule: len(h.values) for rule, h in fast.items()} == {LEAK_ID: 3, LEAK_PHONE: 4, LEAK_CARD: 3}
    assert fast[LEAK_ID].count == 80 and fast[LEAK_PHONE].count == 80 and fast[LEAK_CARD].count == 80
    assert [s.where for s in fast[LEAK_CARD].samples] == ["第1行", "第2行", "第3行"]  # 2: grouped, joined runs
    assert scan_lines(LONG_DECOYS, 40) == {}
    monkeypatch.setattr(detectors, "FAST_MIN_CHARS", 10 ** 9)
    assert summary(scan_lines(LONG_POSITIVES + LONG_DECOYS, 20)) == summary(fast)


def test_long_text_with_other_digits_goes_to_the_regexes():
    from inspectors.sensitive import detectors

    text = "\n".join(LONG_POSITIVES * 20)
    assert detectors._Tokens.of(text + "\n编号 １２３") is None  # fullwidth digits: \d matches them
    assert detectors._Tokens.of(text + "\n编号 一二三") is not None
    han = "示例市人民政府关于进一步做好工作的通知" * 3000  # over 50,000 non-ASCII characters: a lookup table
    assert detectors._Tokens.of(text + han) is not None and detectors._Tokens.of(text + han + "１") is None
    assert summary(scan_lines(LONG_POSITIVES * 20 + ["编号 １２３"], 1)) == summary(scan_lines(LONG_POSITIVES, 20))


def test_very_long_texts_are_read_in_windows(monkeypatch):
    """Bounded memory: a text is cut after line breaks into windows read one by one, same findings."""
    from inspectors.sensitive import detectors

    whole = summary(scan_lines(LONG_POSITIVES + LONG_DECOYS, 20))
    monkeypatch.setattr(detectors, "WINDOW_CHARS", 3000)
    text = "\n".join((LONG_POSITIVES + LONG_DECOYS) * 20)
    windows = detectors._Tokens.of(text)
    assert isinstance(windows, detectors._Windows) and len(windows.cuts) > 3
    assert summary(scan_lines(LONG_POSITIVES + LONG_DECOYS, 20)) == whole
    assert detectors._Tokens.of(text + "\n编号 １２３") is None  # other digits in any window: the regexes
    assert not isinstance(detectors._Tokens.of(text.replace("\n", "|")), detectors._Windows)  # no line breaks


@pytest.mark.parametrize(("text", "maybe"), [
    ("电话 13812345678", True), ("卡号 6222 0212 3456", True), ("138-1234-5678", True),
    ("１３８１２３４５６７８", True),  # \d: fullwidth digits too
    ("2026年10月1日 0556-1234567 1380000", False), ("第1234 5678号", False), ("", False), ("内部资料", True),
])
def test_might_leak_prefilter(text, maybe):
    from inspectors.sensitive.detectors import might_leak

    assert might_leak(text) is maybe


def ordered(res: dict) -> list:
    return [(rule, h.count, len(h.values), [(s.masked, s.where) for s in h.samples]) for rule, h in res.items()]


@pytest.mark.parametrize("pages", [
    [(1, "附件：公民身份证号码登记表 机密★"), (2, f"  3年\n编号 341602850312123 王芳 {PHONES[0]}\n李强 {PHONES[1]}"),
     (3, f"张伟 {PHONES[2]} 内部资料 {ID_A}"), (4, ""), (5, f"{CARD_A} 秘密★\n{ID_C} 刘洋")],
    [(1, "身份证号码"), (2, "编号 341602850312123")],  # context on a page without numbers: not context
])
def test_pdf_pages_scanned_together_as_page_by_page(pages):
    """PDF pages are joined to be scanned at once: same hits, order, samples and pages as page by page."""
    from inspectors.sensitive.formats.pdf import joined

    by_page = Scanner(AS_OF)
    for n, text in pages:
        by_page.scan(Chunk(f"第{n}页", text))
    together = Scanner(AS_OF)
    together.scan(joined(pages))
    assert ordered(together.results()) == ordered(by_page.results())
    assert len(pages) == 2 or [s.where for s in together.results()[LEAK_MARK].samples] == ["第1页", "第3页", "第5页"]


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
