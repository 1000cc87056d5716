"""Detectors for personal data and secrecy markings in extracted text (``domain-rules.md`` §4).

Text arrives as :class:`~inspectors.sensitive.text.Chunk` objects (a page's text, a PDF page, a sheet
with one line per row). Candidates are found by regular expressions over the whole chunk (fast), then
validated: GB 11643 check character and a real birth date not after the inspection date, Luhn and a
BIN prefix for cards, roster context for mobile numbers. Only masked values leave this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from operator import mul

import numpy as np

from govinspect.masking import mask_digits, mask_id
from inspectors.sensitive.text import Chunk

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
_ID_OFFSET = 48 * sum(ID_WEIGHTS)
# Digits, letters and '*' around a candidate mean it is part of something longer or already masked.
#
# Each pattern starts with the set of characters a match can begin with, its boundary lookbehind
# following that character: a pattern that starts with a lookbehind is tried at every position of the
# text in Python's regex engine, one that starts with a character set skips to the candidates in C (~3x
# faster on a page). The alternatives after the first character keep the plain pattern's order, so the
# matches are the plain pattern's (tests/inspectors/test_detectors.py compares them with the plain forms
# given in the comments).
_E = r"(?![0-9A-Za-z*])"


def _bounded_after(first: str) -> str:
    """A character of set ``first`` with no ``[0-9A-Za-z*]`` before it (the lookbehind checked after it)."""
    return rf"{first}(?<![0-9A-Za-z*]{first})"


_ID_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}"
_GROUPS = r"(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?"
# (?<![0-9A-Za-z*])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]{_E}
ID18 = re.compile(_bounded_after("[1-9]") + r"\d{5}(?:18|19|20)\d{2}" + _ID_DATE + r"[\dXx]" + _E)
# (?<![0-9A-Za-z*])[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}{_E}
ID15 = re.compile(_bounded_after("[1-9]") + r"\d{7}" + _ID_DATE + _E)
# (?<![0-9A-Za-z*])(?:(?:62|4|5)\d{14,17}|(?:62\d\d|[45]\d{3})(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?){_E}
CARD = re.compile(_bounded_after("[456]") + r"(?:(?<=6)2\d{14,17}|(?<=[45])\d{14,17}|(?<=6)2\d\d" + _GROUPS
                  + r"|(?<=[45])\d{3}" + _GROUPS + ")" + _E)
# (?<![0-9A-Za-z*+])(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}{_E}
MOBILE = re.compile(r"[+81](?<![0-9A-Za-z*+][+81])(?:(?<=\+)86[ -]?1|(?<=8)6[ -]?1|(?<=1))[3-9]\d(?:[ -]?\d{4}){2}"
                    + _E)
_PERIOD = r"(?:\d{1,2}\s*(?:年|个月)|长期|[一二三四五六七八九十]{1,3}年)"
SECRET = re.compile(
    r"(?<!商业)(?<!工作)(?<!个人)(?:绝密|机密|秘密)(?:\s*[★☆]\s*" + _PERIOD + r"?|\s*" + _PERIOD + r")"
)
INTERNAL = re.compile(r"内部资料|内部文件|注意保存|不得外传")
ID_CONTEXT = re.compile(r"身份证|证件号|公民身份号码|身份号码")
# Name-like cell or token: 2–4 Han characters starting with a common surname (top ~100 cover ~85 %).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫严段雷侯龙史陶黎贺顾毛郝龚邵万钱覃武戴"
    "莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅"
    "童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连"
)
_SEP = r"\s,，;；:：|、（(）)\t"
NAME = re.compile(
    r"(?:^|(?<=[" + _SEP + r"\ue000]))[" + SURNAMES + r"][\u4e00-\u9fff]{1,3}(?=$|[" + _SEP + "])", re.M
)
_DIGITS = re.compile(r"\d\d{3}")  # \d{4}, written to start with a character set (see above)
LEAK_ID, LEAK_PHONE, LEAK_CARD, LEAK_MARK = (
    "leak.id-number", "leak.phone", "leak.bank-card", "leak.classified-marking")


# Anything any detector could match: 11+ digit runs, separated mobiles/cards, marking words.
_MAYBE_DIGITS = re.compile(r"\d(?:\d{10}|[ -]\d{4}[ -]\d{4})")  # \d{11}|\d[ -]\d{4}[ -]\d{4}, see above
_MARK_WORDS = ("密", "内部资料", "内部文件", "注意保存", "不得外传")


_NON_DIGIT = re.compile(r"\D")


def _digits(value: str) -> str:
    return value if value.isdigit() else _NON_DIGIT.sub("", value)


def might_leak(text: str) -> bool:
    """A cheap test on raw text (HTML included) before the detectors run on the visible text.

    Substring tests and a digits-only regex: an alternation with CJK literals is tried at every
    position and costs as much as the detectors themselves.
    """
    return any(w in text for w in _MARK_WORDS) or bool(_MAYBE_DIGITS.search(text))


def id18_valid(value: str, as_of: date | None = None) -> bool:
    """GB 11643: MOD 11-2 check character and a real birth date not after the inspection date."""
    # weights times ASCII codes in C (operator.mul), minus the '0' offset: ~4x a Python-level loop
    total = sum(map(mul, value[:17].encode(), ID_WEIGHTS)) - _ID_OFFSET
    if ID_CHECK[total % 11] != value[17].upper():
        return False
    return _real_date(int(value[6:10]), int(value[10:12]), int(value[12:14]), as_of)


def id15_valid(value: str, as_of: date | None = None) -> bool:
    """GB 11643-1989: no check digit; the YYMMDD birth date (19YY) must be a real date."""
    return _real_date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]), as_of)


_WEIGHTS = np.array(ID_WEIGHTS, dtype=np.int64)
_CHECK_CODES = np.frombuffer(ID_CHECK.encode(), dtype=np.uint8)
_DAYS = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_DIGIT_POWERS = {n: 10 ** np.arange(n - 1, -1, -1, dtype=np.int64) for n in (2, 4)}


def _number(block: np.ndarray) -> np.ndarray:
    return (block.astype(np.int64) - 48) @ _DIGIT_POWERS[block.shape[1]]


def _valid_dates(y: np.ndarray, m: np.ndarray, d: np.ndarray, as_of: date | None) -> np.ndarray:
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    month_days = _DAYS[np.clip(m, 0, 12)] - ((m == 2) & ~leap)
    ok = (m >= 1) & (m <= 12) & (d >= 1) & (d <= month_days) & (y >= 1880)
    if as_of is not None:
        ok &= y * 10000 + m * 100 + d <= as_of.year * 10000 + as_of.month * 100 + as_of.day
    return ok


def id18_valid_many(values: list[str], as_of: date | None = None) -> np.ndarray:
    """:func:`id18_valid` for many candidates at once (numpy): rosters carry thousands of IDs."""
    arr = np.frombuffer("".join(values).encode("ascii"), dtype=np.uint8).reshape(len(values), 18)
    total = (arr[:, :17].astype(np.int64) - 48) @ _WEIGHTS
    last = np.where(arr[:, 17] == ord("x"), ord("X"), arr[:, 17])
    ok = _CHECK_CODES[total % 11] == last
    return ok & _valid_dates(_number(arr[:, 6:10]), _number(arr[:, 10:12]), _number(arr[:, 12:14]), as_of)


def id15_valid_many(values: list[str], as_of: date | None = None) -> np.ndarray:
    arr = np.frombuffer("".join(values).encode("ascii"), dtype=np.uint8).reshape(len(values), 15)
    return _valid_dates(1900 + _number(arr[:, 6:8]), _number(arr[:, 8:10]), _number(arr[:, 10:12]), as_of)


def _real_date(y: int, m: int, d: int, as_of: date | None) -> bool:
    try:
        born = date(y, m, d)
    except ValueError:
        return False
    return y >= 1880 and (as_of is None or born <= as_of)



def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = ord(ch) - 48
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


@dataclass
class Hit:
    """One validated, masked hit and where it was."""

    masked: str
    where: str


@dataclass
class RuleHits:
    values: set[int] = field(default_factory=set)  # hashes of distinct raw values (never stored)
    samples: list[Hit] = field(default_factory=list)
    count: int = 0


class Scanner:
    """Accumulates hits over the chunks of one page or attachment; :meth:`results` concludes."""

    def __init__(self, as_of: date | None = None, phone_min: int = 3, id15_context: bool = True,
                 max_samples: int = 5):
        self.as_of = as_of
        self.phone_min = phone_min
        self.id15_context = id15_context
        self.max_samples = max_samples
        self.hits: dict[str, RuleHits] = {}
        self._id15: list[tuple[str, Chunk, int]] = []
        self._phones: list[tuple[str, Chunk, int]] = []
        self._id_context = False
        self._luhn_seen: dict[str, bool] = {}

    def _add(self, rule: str, raw: str, mask: Callable[[str], str], chunk: Chunk, offset: int) -> None:
        """Count a hit; mask and locate it (which may cost a search) only when it becomes a sample."""
        rh = self.hits.setdefault(rule, RuleHits())
        rh.count += 1
        key = hash(raw)
        if key not in rh.values:
            rh.values.add(key)
            if len(rh.samples) < self.max_samples:
                rh.samples.append(Hit(mask(raw), chunk.locate(offset)))

    def _add_many(self, rule: str, raws: list[str], mask: Callable[[str], str], chunk: Chunk,
                  offsets: list[int]) -> None:
        """:meth:`_add` for many hits: counting and distinct values in C, samples for the first few."""
        if not raws:
            return
        rh = self.hits.setdefault(rule, RuleHits())
        rh.count += len(raws)
        if len(rh.samples) >= self.max_samples:
            rh.values.update(map(hash, raws))
            return
        for raw, offset in zip(raws, offsets, strict=True):
            key = hash(raw)
            if key not in rh.values:
                rh.values.add(key)
                rh.samples.append(Hit(mask(raw), chunk.locate(offset)))
                if len(rh.samples) >= self.max_samples:
                    break
        rh.values.update(map(hash, raws))

    def _luhn(self, digits: str) -> bool:
        """Luhn with memory: rosters repeat one account number (a 代发 card) on many rows."""
        valid = self._luhn_seen.get(digits)
        if valid is None:
            valid = self._luhn_seen[digits] = luhn_valid(digits)
        return valid

    def scan(self, chunk: Chunk) -> None:
        text = chunk.text
        if not text or not might_leak(text):
            return
        if any(ch in text for ch in "密部存传"):
            self._markings(chunk)
        if not _DIGITS.search(text):
            return
        if not self._id_context and ID_CONTEXT.search(text):
            self._id_context = True
        # Every pattern is bounded by non-digits, so two matches overlap only if they start together.
        # Candidates are collected in one pass per pattern and validated in bulk (numpy): per-hit
        # Python work is what bounded attachment scanning on rosters of thousands of rows.
        lines = _LineIndex(text)
        taken: set[int] = set()
        id_lines: set[int] = set()
        found = [(m.start(), m.group()) for m in ID18.finditer(text)]
        if found:
            ok = id18_valid_many([v for _, v in found], self.as_of)
            valid = [f for f, good in zip(found, ok.tolist(), strict=True) if good]
            starts = [p for p, _ in valid]
            taken.update(starts)
            id_lines.update(lines.starts(starts))
            self._add_many(LEAK_ID, [v for _, v in valid], mask_id, chunk, starts)
        found = [(m.start(), m.group()) for m in ID15.finditer(text)]
        if found:
            ok = id15_valid_many([v for _, v in found], self.as_of)
            valid = [f for f, good in zip(found, ok.tolist(), strict=True) if good]
            starts = [p for p, _ in valid]
            taken.update(starts)
            id_lines.update(lines.starts(starts))
            self._id15.extend((v, chunk, p) for p, v in valid)
        cards, card_at = [], []
        for m in CARD.finditer(text):
            digits = _digits(m.group())
            if 16 <= len(digits) <= 19 and m.start() not in taken and self._luhn(digits):
                taken.add(m.start())
                cards.append(digits)
                card_at.append(m.start())
        self._add_many(LEAK_CARD, cards, mask_digits, chunk, card_at)
        mobiles = [(m.start(), m.end(), m.group()) for m in MOBILE.finditer(text) if m.start() not in taken]
        if not mobiles:
            return
        roster_lines: dict[int, bool] = {}
        line_starts = lines.starts([s for s, _, _ in mobiles])
        phones = []
        for (start, end, value), line in zip(mobiles, line_starts, strict=True):
            roster = roster_lines.get(line)
            if roster is None:
                roster = roster_lines[line] = line in id_lines or bool(
                    NAME.search(text, line, lines.end(end)))
            if roster:
                phones.append((value if len(value) == 11 else _digits(value)[-11:], chunk, start))
        self._phones.extend(phones)

    def _markings(self, chunk: Chunk) -> None:
        for rx in (SECRET, INTERNAL):
            for m in rx.finditer(chunk.text):
                self._add(LEAK_MARK, m.group(), str.strip, chunk, m.start())

    def results(self) -> dict[str, RuleHits]:
        """Hits per rule, after the document-wide conditions (ID context, phone roster size)."""
        out = {rule: rh for rule, rh in self.hits.items() if rh.count}
        if self._id15 and (self._id_context or not self.id15_context):
            for raw, chunk, offset in self._id15:
                self._add(LEAK_ID, raw, mask_id, chunk, offset)
            out[LEAK_ID] = self.hits[LEAK_ID]
        distinct = {raw for raw, _, _ in self._phones}
        if len(distinct) >= self.phone_min:
            by_chunk: dict[int, tuple[Chunk, list[str], list[int]]] = {}
            for raw, chunk, offset in self._phones:
                entry = by_chunk.setdefault(id(chunk), (chunk, [], []))
                entry[1].append(raw)
                entry[2].append(offset)
            for chunk, raws, offsets in by_chunk.values():
                self._add_many(LEAK_PHONE, raws, mask_digits, chunk, offsets)
            out[LEAK_PHONE] = self.hits[LEAK_PHONE]
        return out


class _LineIndex:
    """Line starts of a text, found once (numpy) so many matches are placed on lines in C."""

    def __init__(self, text: str):
        self.text = text
        self._breaks: np.ndarray | None = None

    @property
    def breaks(self) -> np.ndarray:
        if self._breaks is None:
            codes = np.frombuffer(self.text.encode("utf-32-le"), dtype=np.uint32)
            self._breaks = np.flatnonzero(codes == 10)
        return self._breaks

    def starts(self, positions: list[int]) -> list[int]:
        """The start of the line holding each position."""
        if not positions:
            return []
        if not len(self.breaks):
            return [0] * len(positions)
        i = np.searchsorted(self.breaks, np.asarray(positions), side="left")
        prev = np.where(i > 0, self.breaks[np.maximum(i - 1, 0)] + 1, 0)
        return prev.tolist()

    def end(self, pos: int) -> int:
        end = self.text.find("\n", pos)
        return len(self.text) if end < 0 else end


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _line_end(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end < 0 else end

