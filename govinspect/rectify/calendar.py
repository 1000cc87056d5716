"""Working days by the Chinese calendar: statutory holidays and adjusted working weekends (调休).

``chinese-calendar`` carries the official schedule up to its last published year and raises for
later years. For such a year this module reads a holiday file the user edits (``holidays.yaml``
next to this module documents the format) and warns; when the file lacks the year too, it counts
weekdays only and says so loudly, naming the file to edit. It never crashes on a date and never
guesses silently. Every warning is kept on the calendar (``warnings``) for the documents to show.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import yaml

logger = logging.getLogger(__name__)

BUNDLED_HOLIDAY_FILE = Path(__file__).with_name("holidays.yaml")


class HolidayFileError(ValueError):
    """The holiday file cannot be read; names the file and the problem."""


@dataclass
class YearData:
    holidays: set[date] = field(default_factory=set)
    workdays: set[date] = field(default_factory=set)


def _days(value: object, year: int, where: str) -> set[date]:
    out: set[date] = set()
    for item in value or []:
        text = str(item).strip()
        start_s, sep, end_s = text.partition("..")
        try:
            start = date.fromisoformat(start_s.strip())
            end = date.fromisoformat(end_s.strip()) if sep else start
        except ValueError:
            raise HolidayFileError(f"{where}: {text!r} is not YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD") from None
        if end < start or start.year != year or end.year != year:
            raise HolidayFileError(f"{where}: {text!r} is not a range inside {year}")
        out.update(start + timedelta(n) for n in range((end - start).days + 1))
    return out


def load_holiday_file(path: str | Path) -> dict[int, YearData]:
    """Years of a holiday file (see ``holidays.yaml``); raises :class:`HolidayFileError` on bad data."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise HolidayFileError(f"holiday file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise HolidayFileError(f"holiday file {path}: expected one mapping per year")
    years: dict[int, YearData] = {}
    for key, value in data.items():
        try:
            year = int(key)
        except (TypeError, ValueError):
            raise HolidayFileError(f"holiday file {path}: {key!r} is not a year") from None
        value = value or {}
        if not isinstance(value, dict):
            raise HolidayFileError(f"holiday file {path}: {year} must hold holidays/workdays lists")
        where = f"holiday file {path}, {year}"
        years[year] = YearData(_days(value.get("holidays"), year, where), _days(value.get("workdays"), year, where))
    return years


class WorkCalendar:
    """Is a day a working day? The library for the years it knows, the holiday file for the others."""

    def __init__(self, holiday_file: str | Path | None = None):
        self.holiday_file = Path(holiday_file) if holiday_file else BUNDLED_HOLIDAY_FILE
        self.file_years = load_holiday_file(self.holiday_file) if self.holiday_file.is_file() else {}
        self.warnings: list[str] = []
        self.notes_zh: list[str] = []  # the same warnings for the documents' readers
        self._sources: dict[int, str] = {}

    def source(self, year: int) -> str:
        """Where ``year``'s schedule comes from: ``chinese-calendar X``, ``file``, or ``weekdays``."""
        if year not in self._sources:
            self._sources[year] = self._decide(year)
        return self._sources[year]

    def _decide(self, year: int) -> str:
        import chinese_calendar

        version = getattr(chinese_calendar, "__version__", "?")
        if year in self.file_years:
            if not _library_knows(year):
                self._warn(f"chinese-calendar {version} has no schedule for {year}: using the holiday file"
                           f" {self.holiday_file}; check it against the State Council notice for {year}",
                           f"{year}年节假日安排取自本地节假日文件（日历库尚未收录该年），请以国务院办公厅通知为准。")
            return "file"
        if _library_knows(year):
            return f"chinese-calendar {version}"
        self._warn(f"no holiday schedule for {year}: chinese-calendar {version} does not know it and the holiday"
                   f" file {self.holiday_file} has no {year} entry; deadlines in {year} count weekdays only and"
                   f" may be early. Add {year} (holidays and adjusted workdays) to the holiday file"
                   f" (RECTIFY_HOLIDAY_FILE).",
                   f"{year}年节假日安排尚未收录，整改期限暂按周一至周五计算，可能偏早，请以国务院办公厅通知为准。")
        return "weekdays"

    def _warn(self, message: str, note_zh: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)
            self.notes_zh.append(note_zh)
            logger.warning(message)

    def is_workday(self, day: date) -> bool:
        src = self.source(day.year)
        if src == "file":
            data = self.file_years[day.year]
            if day in data.workdays:
                return True
            if day in data.holidays:
                return False
            return day.weekday() < 5
        if src == "weekdays":
            return day.weekday() < 5
        import chinese_calendar

        return bool(chinese_calendar.is_workday(day))

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself not counted)."""
        day, left = start, days
        while left > 0:
            day += timedelta(days=1)
            if self.is_workday(day):
                left -= 1
        return day


def _library_knows(year: int) -> bool:
    import chinese_calendar

    try:
        chinese_calendar.is_workday(date(year, 6, 30))
    except NotImplementedError:
        return False
    return True
