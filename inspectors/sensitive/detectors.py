"""Detectors for personal data and secrecy markings in extracted text (``domain-rules.md`` §4).

Text arrives as :class:`~inspectors.sensitive.text.Chunk` objects (a page's text, a PDF page, a sheet
with one line per row). Candidates are found by regular expressions over the whole chunk (fast), then
validated: GB 11643 check character and a real birth date not after the inspection date, Luhn and a
BIN prefix for cards, roster context for mobile numbers. Only masked values leave this module.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from itertools import chain, compress, pairwise, repeat
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
_ID_CONTEXT_WORDS = ("身份证", "证件号", "身份号码")  # ID_CONTEXT as substring tests (公民身份号码 holds 身份号码)
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
# ``\d{11}|\d[ -]\d{4}[ -]\d{4}`` with its first digit outside the alternation: re then skips to the next
# digit in C instead of trying both branches at every position (a page's HTML in a third of the time).
_MAYBE_DIGITS = re.compile(r"\d(?:\d{10}|[ -]\d{4}[ -]\d{4})")
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


_FULLWIDTH = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789xX")
_FULLWIDTH_DIGIT = re.compile("[０-９]")


def _ascii_rows(values: list[str], width: int) -> bytes:
    """The candidates as ASCII, ``width`` bytes each. The patterns' ``\\d`` takes any script's digits:
    fullwidth ones were read as ASCII before matching (:meth:`Scanner.scan`); any other script's make
    the candidate invalid (zeros: month 00) rather than crash the scan."""
    joined = "".join(values)
    if joined.isascii():
        return joined.encode("ascii")
    return "".join(v if v.isascii() and len(v) == width else "0" * width for v in values).encode("ascii")


def id18_valid_many(values: list[str], as_of: date | None = None) -> np.ndarray:
    """:func:`id18_valid` for many candidates at once (numpy): rosters carry thousands of IDs."""
    arr = np.frombuffer(_ascii_rows(values, 18), dtype=np.uint8).reshape(len(values), 18)
    total = (arr[:, :17].astype(np.int64) - 48) @ _WEIGHTS
    last = np.where(arr[:, 17] == ord("x"), ord("X"), arr[:, 17])
    ok = _CHECK_CODES[total % 11] == last
    return ok & _valid_dates(_number(arr[:, 6:10]), _number(arr[:, 10:12]), _number(arr[:, 12:14]), as_of)


def id15_valid_many(values: list[str], as_of: date | None = None) -> np.ndarray:
    arr = np.frombuffer(_ascii_rows(values, 15), dtype=np.uint8).reshape(len(values), 15)
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
        for raw in dict.fromkeys(raws):  # distinct values in order of first sighting (rosters repeat a card)
            key = hash(raw)
            if key not in rh.values:
                rh.values.add(key)
                rh.samples.append(Hit(mask(raw), chunk.locate(offsets[raws.index(raw)])))
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
        if not text.isascii() and _FULLWIDTH_DIGIT.search(text):
            # typed with a Chinese IME: fullwidth digits all through, where the patterns want 1-9 or
            # 19|20 (same length, so every offset and mark still holds)
            chunk = replace(chunk, text=text.translate(_FULLWIDTH))
            text = chunk.text
        tokens = _Tokens.of(text)  # long texts: numpy instead of regex passes, same results
        if not text or not (tokens.might_leak() if tokens else might_leak(text)):
            return
        marked = any(ch in text for ch in "密部存传")
        if marked and not chunk.parts:
            self._markings(chunk)
        if not (tokens.has_four_digits() if tokens else _DIGITS.search(text)):
            if marked and chunk.parts:
                self._add_by_part(chunk, marked, [], [], [], [])
            return
        if not self._id_context:
            self._id_context = any(map(_id_context, _parts(chunk))) if chunk.parts else any(
                w in text for w in _ID_CONTEXT_WORDS)
        # Every pattern is bounded by non-digits, so two matches overlap only if they start together.
        # Candidates are collected per pattern and validated in bulk (numpy): per-hit Python work is
        # what bounded attachment scanning on rosters of thousands of rows.
        lines = _LineIndex(text, tokens.codes if isinstance(tokens, _Tokens) else None)
        (s18, v18), (s15, v15), (s_card, v_card), (s_mob, e_mob, v_mob) = (
            tokens.candidates() if tokens else _candidates(text))
        taken: set[int] = set()
        id_lines: set[int] = set()
        id_at: list[int] = []
        ids: list[str] = []
        if s18:
            ok = id18_valid_many(v18, self.as_of).tolist()
            id_at, ids = list(compress(s18, ok)), list(compress(v18, ok))
            taken.update(id_at)
            id_lines.update(lines.starts(id_at))
        if s15:
            ok = id15_valid_many(v15, self.as_of).tolist()
            starts = list(compress(s15, ok))
            taken.update(starts)
            id_lines.update(lines.starts(starts))
            self._id15.extend(zip(compress(v15, ok), repeat(chunk), starts))
        cards: list[str] = []
        card_at: list[int] = []
        if s_card:
            digits = [v if v.isdigit() else _NON_DIGIT.sub("", v) for v in v_card]
            seen = self._luhn_seen  # rosters repeat one account number (a 代发 card) on many rows
            for value in set(digits).difference(seen):
                seen[value] = luhn_valid(value)
            # matches never overlap, so a card found here takes no other card's start
            ok = [16 <= len(d) <= 19 and seen[d] and p not in taken for p, d in zip(s_card, digits, strict=True)]
            cards, card_at = list(compress(digits, ok)), list(compress(s_card, ok))
            taken.update(card_at)
        if chunk.parts:
            self._add_by_part(chunk, marked, id_at, ids, card_at, cards)
        else:
            self._add_many(LEAK_ID, ids, mask_id, chunk, id_at)
            self._add_many(LEAK_CARD, cards, mask_digits, chunk, card_at)
        if taken and not taken.isdisjoint(s_mob):
            keep = [start not in taken for start in s_mob]
            s_mob, e_mob, v_mob = list(compress(s_mob, keep)), list(compress(e_mob, keep)), list(compress(v_mob, keep))
        if not s_mob:
            return
        # A mobile counts on a roster line: one holding an ID number, or a name-like cell.
        line_of = lines.starts(s_mob)
        ok = [line in id_lines for line in line_of]
        if not all(ok):
            roster_lines: dict[int, bool] = {}
            for i in [i for i, good in enumerate(ok) if not good]:
                line = line_of[i]
                found = roster_lines.get(line)
                if found is None:
                    found = roster_lines[line] = bool(NAME.search(text, line, lines.end(e_mob[i])))
                ok[i] = found
        raws = [v if len(v) == 11 else _digits(v)[-11:] for v in compress(v_mob, ok)]
        if raws:
            self._phones.append((chunk, raws, list(compress(s_mob, ok))))

    def _markings(self, chunk: Chunk, pos: int = 0, endpos: int | None = None) -> None:
        end = len(chunk.text) if endpos is None else endpos
        for rx in (SECRET, INTERNAL):
            for m in rx.finditer(chunk.text, pos, end):
                self._add(LEAK_MARK, m.group(), str.strip, chunk, m.start())

    def _add_by_part(self, chunk: Chunk, marked: bool, id_at: list[int], ids: list[str], card_at: list[int],
                     cards: list[str]) -> None:
        """Hits of a chunk of parts, added in the order a chunk per part adds them (markings, IDs,
        cards, part after part): the first hits become the samples."""
        for start, end in _part_bounds(chunk):
            if marked:
                self._markings(chunk, start, end)
            i, j = bisect.bisect_left(id_at, start), bisect.bisect_left(id_at, end)
            self._add_many(LEAK_ID, ids[i:j], mask_id, chunk, id_at[i:j])
            i, j = bisect.bisect_left(card_at, start), bisect.bisect_left(card_at, end)
            self._add_many(LEAK_CARD, cards[i:j], mask_digits, chunk, card_at[i:j])

    def results(self) -> dict[str, RuleHits]:
        """Hits per rule, after the document-wide conditions (ID context, phone roster size)."""
        out = {rule: rh for rule, rh in self.hits.items() if rh.count}
        if self._id15 and (self._id_context or not self.id15_context):
            for raw, chunk, offset in self._id15:
                self._add(LEAK_ID, raw, mask_id, chunk, offset)
            out[LEAK_ID] = self.hits[LEAK_ID]
        distinct = set().union(*(raws for _, raws, _ in self._phones))
        if len(distinct) >= self.phone_min:
            by_chunk: dict[int, tuple[Chunk, list[str], list[int]]] = {}
            for chunk, raws, offsets in self._phones:
                entry = by_chunk.setdefault(id(chunk), (chunk, [], []))
                entry[1].extend(raws)
                entry[2].extend(offsets)
            for chunk, raws, offsets in by_chunk.values():
                self._add_many(LEAK_PHONE, raws, mask_digits, chunk, offsets)
            out[LEAK_PHONE] = self.hits[LEAK_PHONE]
        return out


#: (starts, values) of ID18, ID15 and CARD matches, (starts, ends, values) of MOBILE matches
Found = tuple[tuple[list[int], list[str]], tuple[list[int], list[str]], tuple[list[int], list[str]],
              tuple[list[int], list[int], list[str]]]


def _candidates(text: str, pos: int = 0, endpos: int | None = None) -> Found:
    """Matches of ID18, ID15, CARD and MOBILE in ``text[pos:endpos]``, in text order."""
    end = len(text) if endpos is None else endpos
    out = []
    for rx in (ID18, ID15, CARD):
        matches = list(rx.finditer(text, pos, end))
        out.append(([m.start() for m in matches], [m.group() for m in matches]))
    matches = list(MOBILE.finditer(text, pos, end))
    out.append(([m.start() for m in matches], [m.end() for m in matches], [m.group() for m in matches]))
    return tuple(out)  # type: ignore[return-value]


# Long texts (sheets, rosters) are read as numpy arrays: four regex passes, each trying every position
# of a text that is mostly digits, and a match object per hit cost more than the rest of a scan.
FAST_MIN_CHARS = 1_000  # below: the regexes cost less than numpy's set-up (measured: 30 roster lines, a page)
# Decimal digits other than 0-9 (fullwidth…): ``\d`` in the patterns matches them, the arrays do not.
_OTHER_DIGIT = re.compile(r"[^\D0-9]")
_IS_WORD = np.zeros(129, dtype=bool)  # [0-9A-Za-z*]: a digit run next to one is part of a longer token
_IS_WORD[[ord(c) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz*"]] = True
_PLANE = 0x20000  # other digits are looked up in a table below this; a text with higher code points asks re


@cache
def _other_digits() -> np.ndarray:
    """Which code points below U+20000 are decimal digits other than 0-9 (built once, ~20 ms)."""
    table = np.zeros(_PLANE, dtype=bool)
    table[[ord(c) for c in _OTHER_DIGIT.findall("".join(map(chr, range(128, _PLANE))))]] = True
    return table


def _codes(text: str) -> np.ndarray | None:
    """The text's code points, or None when it holds decimal digits other than 0-9 (``\\d`` matches them)."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if not text.isascii():
        high = codes[codes >= 128]
        if len(high) <= 50_000:  # the distinct characters asked one by one (str.isdecimal is ``\d``)
            high = np.sort(high)  # np.unique's first call imports modules for ~60 ms
            if any(map(str.isdecimal, map(chr, high[np.concatenate(([True], high[1:] != high[:-1]))].tolist()))):
                return None
        elif (high >= _PLANE).any():
            if _OTHER_DIGIT.search(text):
                return None
        elif _other_digits()[high].any():
            return None
    return codes


class _Tokens:
    """A long text as code points (numpy), answering :func:`might_leak` and :func:`_candidates` exactly."""

    def __init__(self, text: str, codes: np.ndarray):
        self.text = text
        self.codes = codes
        self.digit = (codes >= 48) & (codes <= 57)
        d2 = self.digit[:-1] & self.digit[1:]
        self.d4 = d2[:-2] & d2[2:]  # d4[i]: four digits from i

    @classmethod
    def of(cls, text: str) -> _Tokens | _Windows | None:
        """None for short texts and texts with other decimal digits (the regexes then decide)."""
        if len(text) < FAST_MIN_CHARS:
            return None
        if len(text) > WINDOW_CHARS:
            cuts = _cuts(text)
            if cuts is not None:
                windows = _Windows(text, cuts)
                return windows if all(_codes(part) is not None for _, part in windows.parts()) else None
        codes = _codes(text)
        return None if codes is None else cls(text, codes)

    def has_four_digits(self) -> bool:
        """``_DIGITS``: four digits in a row."""
        return bool(self.d4.any())

    def might_leak(self) -> bool:
        r"""``might_leak``: a marking word, ``\d{11}`` or ``\d[ -]\d{4}[ -]\d{4}``."""
        if any(w in self.text for w in _MARK_WORDS):
            return True
        n, d, d4 = len(self.codes), self.digit, self.d4
        if n < 11:
            return False
        d8 = d4[:-4] & d4[4:]
        if (d8[:-3] & d4[7:]).any():
            return True
        sep = (self.codes == 32) | (self.codes == 45)
        return bool((d[:n - 10] & sep[1:n - 9] & d4[2:n - 8] & sep[6:n - 4] & d4[7:n - 3]).any())

    def candidates(self) -> Found:
        """:func:`_candidates` on the whole text, from the runs of ``[0-9Xx]``.

        Every pattern is bounded by characters outside ``[0-9A-Za-z*]``, and a match holds only digits,
        X/x, ``+`` and single spaces or dashes between digit groups. So a run standing alone (no space
        or dash joining it to another run, no ``+`` before it) can only match as a whole, and its
        length, first digits and neighbours say which pattern: decided for all runs at once. Runs
        joined to others (``6222 0210 …``, ``138-1234-5678``, ``+86 …``) that could hold a match go
        through the regexes, each group on its own span: the result is the regexes' on the whole text.
        """
        text, codes, n = self.text, self.codes, len(self.codes)
        xs = (codes == 88) | (codes == 120)
        dx = self.digit | xs
        edges = np.flatnonzero(dx[1:] != dx[:-1]) + 1
        if dx[0]:
            edges = np.concatenate(([0], edges))
        if dx[-1]:
            edges = np.concatenate((edges, [n]))
        if not len(edges):
            return ([], []), ([], []), ([], []), ([], [], [])
        # Runs of X alone stay: joining one to a digit run only sends that run to the regexes.
        starts, ends = edges[0::2], edges[1::2]
        length = ends - starts
        after = codes[np.minimum(ends, n - 1)]
        after[ends == n] = 0
        joined = (starts[1:] == ends[:-1] + 1) & ((after[:-1] == 32) | (after[:-1] == 45))
        join_prev = np.concatenate(([False], joined))
        plus = (codes[np.maximum(starts - 1, 0)] == 43) & (starts > 0)
        alone = ~join_prev & ~np.concatenate((joined, [False])) & ~plus
        # Only runs of 11+ characters standing alone, bounded by no letter, digit or '*', match by themselves.
        pick = np.flatnonzero(alone & (length >= 11))
        s, e, ln = starts[pick], ends[pick], length[pick]
        before = codes[np.maximum(s - 1, 0)]
        before[s == 0] = 0
        bounded = ~_IS_WORD[np.minimum(before, 128)] & ~_IS_WORD[np.minimum(after[pick], 128)]
        s, e, ln = s[bounded], e[bounded], ln[bounded]
        x_at = np.flatnonzero(xs)
        nd = ln - (np.searchsorted(x_at, e) - np.searchsorted(x_at, s)) if len(x_at) else ln

        def at(k: int) -> np.ndarray:  # the code k characters into each picked run (all have 11+)
            return codes[s + k]

        c0, c1, c2, c3 = at(0), at(1), at(2), at(3)
        digits = nd == ln
        last = codes[e - 1]
        id18 = (ln == 18) & (c0 != 48) & (digits | ((nd == 17) & ((last == 88) | (last == 120))))
        year = (at(6) - 48) * 10 + at(7) - 48  # the regex's shape: born 18xx, 19xx or 20xx
        id18 &= (year >= 18) & (year <= 20)
        id15 = digits & (ln == 15) & (c0 != 48)
        card = digits & (((ln >= 16) & (ln <= 19) & (c0 == 54) & (c1 == 50)) | (
            (ln >= 16) & (ln <= 18) & ((c0 == 52) | (c0 == 53))))
        mobile = digits & (((ln == 11) & (c0 == 49) & (c1 >= 51) & (c1 <= 57)) | (
            (ln == 13) & (c0 == 56) & (c1 == 54) & (c2 == 49) & (c3 >= 51) & (c3 <= 57)))

        def spans(mask: np.ndarray) -> tuple[list[int], list[int]]:
            return s[mask].tolist(), e[mask].tolist()

        s18, _ = spans(id18)
        s15, _ = spans(id15)
        s_card, e_card = spans(card)
        s_mob, e_mob = spans(mobile)
        found: Found = (
            (s18, [text[p:p + 18] for p in s18]),
            (s15, [text[p:p + 15] for p in s15]),
            (s_card, list(map(text.__getitem__, map(slice, s_card, e_card)))),
            (s_mob, e_mob, list(map(text.__getitem__, map(slice, s_mob, e_mob)))),
        )
        if alone.all():
            return found
        # Groups of joined runs (or a run after '+') that could hold a match: a run long enough for an
        # ID or card, or starting like a mobile (1, 86) or card (4, 5, 62) with 11+ run characters
        # from it to the group's end.
        first = np.flatnonzero(~join_prev)
        last = np.concatenate((first[1:] - 1, [len(starts) - 1]))
        group = np.cumsum(~join_prev) - 1
        total = np.cumsum(length)
        suffix = total[last][group] - total + length
        lead = codes[starts]
        maybe = ~alone & ((length >= 15) | (((lead == 49) | ((lead >= 52) & (lead <= 54)) | (lead == 56))
                                             & (suffix >= 11)))
        if not maybe.any():
            return found
        extra = [_candidates(text, int(starts[first[g]]) - int(plus[first[g]]), min(int(ends[last[g]]) + 1, n))
                 for g in sorted(set(group[maybe].tolist()))]
        return tuple(_merge(own, [x[i] for x in extra]) for i, own in enumerate(found))  # type: ignore[return-value]


# Texts longer than this are read in windows: the arrays take ~50 bytes a character at worst.
WINDOW_CHARS = 1 << 20


def _cuts(text: str) -> list[int] | None:
    """Window bounds, each just after a line break (no match holds one, and one before or after a
    match bounds it as the text's start or end would); None when a long stretch has no line break."""
    cuts = [0]
    while len(text) - cuts[-1] > WINDOW_CHARS:
        cut = text.rfind("\n", cuts[-1] + WINDOW_CHARS // 2, cuts[-1] + WINDOW_CHARS)
        if cut < 0:
            return None
        cuts.append(cut + 1)
    return cuts + [len(text)]


class _Windows:
    """:class:`_Tokens` of a long text, window by window (built again for each question: rare texts)."""

    def __init__(self, text: str, cuts: list[int]):
        self.text = text
        self.cuts = cuts

    def parts(self) -> Iterator[tuple[int, str]]:
        for lo, hi in pairwise(self.cuts):
            yield lo, self.text[lo:hi]

    def _tokens(self) -> Iterator[tuple[int, _Tokens]]:
        for lo, part in self.parts():
            yield lo, _Tokens(part, np.frombuffer(part.encode("utf-32-le", "surrogatepass"), dtype=np.uint32))

    def might_leak(self) -> bool:
        return any(w in self.text for w in _MARK_WORDS) or any(t.might_leak() for _, t in self._tokens())

    def has_four_digits(self) -> bool:
        return any(t.has_four_digits() for _, t in self._tokens())

    def candidates(self) -> Found:
        columns: tuple[list, ...] = ([], [], [], [], [], [], [], [], [])
        for lo, tokens in self._tokens():
            found = [c for kind in tokens.candidates() for c in kind]
            for i, column in enumerate(found):
                columns[i].extend([p + lo for p in column] if i in _POSITIONS else column)
        c = columns
        return (c[0], c[1]), (c[2], c[3]), (c[4], c[5]), (c[6], c[7], c[8])


_POSITIONS = frozenset({0, 2, 4, 6, 7})  # the columns of a Found that hold offsets


def _merge(own: tuple[list, ...], more: list[tuple[list, ...]]) -> tuple[list, ...]:
    """Columns of matches from disjoint parts of a text, ordered by start."""
    rows = sorted(chain(zip(*own, strict=True), *(zip(*m, strict=True) for m in more)))
    return tuple(map(list, zip(*rows, strict=True))) if rows else tuple([] for _ in own)


PART_SEP = "，\n"  # between the parts of a chunk: ends a name, a number and a marking as a text's end does


def _part_bounds(chunk: Chunk) -> Iterator[tuple[int, int]]:
    ends = chunk.marks[1:] + [len(chunk.text) + len(PART_SEP)]
    for start, end in zip(chunk.marks, ends, strict=True):
        yield start, end - len(PART_SEP)


def _parts(chunk: Chunk) -> Iterator[str]:
    for start, end in _part_bounds(chunk):
        yield chunk.text[start:end]


def _id_context(text: str) -> bool:
    """What :meth:`Scanner.scan` asks of a chunk before it looks for ID context words in it."""
    return might_leak(text) and bool(_DIGITS.search(text)) and any(w in text for w in _ID_CONTEXT_WORDS)


class _LineIndex:
    """Line starts of a text, found once (numpy) so many matches are placed on lines in C."""

    def __init__(self, text: str, codes: np.ndarray | None = None):
        self.text = text
        self.codes = codes  # the text's code points when already made
        self._breaks: np.ndarray | None = None

    @property
    def breaks(self) -> np.ndarray:
        if self._breaks is None:
            codes = self.codes
            if codes is None:
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
        return np.where(i > 0, self.breaks[np.maximum(i - 1, 0)] + 1, 0).tolist()

    def end(self, pos: int) -> int:
        end = self.text.find("\n", pos)
        return len(self.text) if end < 0 else end


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _line_end(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end < 0 else end

