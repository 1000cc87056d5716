"""Deadlines by the Chinese calendar: holidays, adjusted working weekends, and years the library lacks."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from govinspect.rectify.calendar import HolidayFileError, WorkCalendar
from govinspect.rectify.lists import format_number


def test_national_day_2026_and_its_adjusted_working_saturday():
    cal = WorkCalendar()
    # Oct 1-7 2026 are off; Saturday Oct 10 is a working day (调休). Issued Wed Sep 30: Oct 8, 9, 10.
    assert cal.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    # decoy: counting weekdays only would give Mon Oct 5, in the middle of the holiday
    assert cal.is_workday(date(2026, 10, 10)) and not cal.is_workday(date(2026, 10, 5))
    # issued Fri Oct 9: the working Saturday counts, the Sunday does not
    assert cal.add_working_days(date(2026, 10, 9), 3) == date(2026, 10, 13)
    assert cal.source(2026).startswith("chinese-calendar") and cal.warnings == []


def test_unknown_year_uses_the_holiday_file_with_a_warning(tmp_path, caplog):
    hol = tmp_path / "holidays.yaml"
    hol.write_text('2031:\n  holidays: ["2031-10-01..2031-10-07"]\n  workdays: ["2031-10-11"]\n', encoding="utf-8")
    cal = WorkCalendar(hol)
    with caplog.at_level(logging.WARNING):
        # Tue Sep 30 2031: Oct 1-7 off, Wed Oct 8, Thu Oct 9, Fri Oct 10
        assert cal.add_working_days(date(2031, 9, 30), 3) == date(2031, 10, 10)
        assert cal.is_workday(date(2031, 10, 11))  # a Saturday made a working day by the file
    assert cal.source(2031) == "file"
    assert any("2031" in w and str(hol) in w for w in cal.warnings)
    assert any("holiday file" in r.message for r in caplog.records)


def test_unknown_year_without_file_is_weekdays_loudly_not_a_crash():
    cal = WorkCalendar()
    assert cal.add_working_days(date(2031, 9, 30), 3) == date(2031, 10, 3)
    assert cal.source(2031) == "weekdays"
    assert any("weekdays only" in w and "RECTIFY_HOLIDAY_FILE" in w for w in cal.warnings)


def test_bad_holiday_file_names_the_problem(tmp_path):
    hol = tmp_path / "h.yaml"
    hol.write_text('2031:\n  holidays: ["2031-13-01"]\n', encoding="utf-8")
    with pytest.raises(HolidayFileError, match="2031-13-01"):
        WorkCalendar(hol)


def test_number_formats():
    assert format_number("整改〔{year}〕第{seq:04d}号", 2026, 1) == "整改〔2026〕第0001号"
    assert format_number("ZG-{year}-{seq:04d}", 2026, 12) == "ZG-2026-0012"
    with pytest.raises(ValueError, match="RECTIFY_NUMBER_FORMAT"):
        format_number("ZG-{unit}", 2026, 1)


def test_issue_in_an_unknown_year_warns_and_uses_the_file(tmp_path):
    from govinspect.store import FindingStore
    from tests.rectify.helpers import json_lines
    from tests.search.helpers import SITE_A, SITE_B, broken, do_run, stale
    from tests.support.cli import govinspect

    store = FindingStore(tmp_path / "s.sqlite3")
    do_run(store, "r1", [broken(SITE_A, "a.html", "x.pdf"), stale(SITE_B)], sites=(SITE_A, SITE_B))
    store.close()
    hol = tmp_path / "holidays.yaml"
    hol.write_text('2031:\n  holidays: ["2031-10-01..2031-10-07"]\n  workdays: ["2031-10-11"]\n', encoding="utf-8")
    result = govinspect("rectify", "issue", "--date", "2031-09-30", "--organizer", SITE_A.organizer, "--out",
                        str(tmp_path / "a"), "--holiday-file", str(hol), "--store", str(tmp_path / "s.sqlite3"))
    assert result.returncode == 0, result.stderr
    assert json_lines(result.stdout)[0]["deadline"] == "2031-10-10"
    assert "warning:" in result.stderr and str(hol) in result.stderr and "2031" in result.stderr
    # no file entry for 2031: weekdays, loudly, and the document says so too
    result = govinspect("rectify", "issue", "--date", "2031-09-30", "--out", str(tmp_path / "b"),
                        "--store", str(tmp_path / "s.sqlite3"))
    assert result.returncode == 0, result.stderr
    assert json_lines(result.stdout)[0]["deadline"] == "2031-10-03" and "weekdays only" in result.stderr
    page = next((tmp_path / "b").glob("*.html")).read_text(encoding="utf-8")
    assert "暂按周一至周五计算" in page
