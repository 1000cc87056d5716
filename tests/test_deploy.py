"""The scheduling examples in ``deploy/`` (cron, systemd units and timers) are valid and call real verbs.

Every command they run is parsed by govinspect's own CLI parser (verb and flags). Verbs that
``shared/spec/cli.md`` promises but this checkout does not have yet are skipped, by name. Timers'
``OnCalendar`` and the units are checked by ``systemd-analyze`` where it runs, else by a parser of
the calendar syntax; cron lines must have five valid time fields.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from govinspect.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
# the verbs of shared/spec/cli.md (contracts), built here or by other parts of the project
CONTRACT_VERBS = {"crawl", "inspect", "export", "seed", "worker", "runs", "probe", "rectify", "report"}
SAMPLE_SUBSTITUTION = "2026-11"  # what $(date …) gives, for parsing
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


# ---- reading the files ---------------------------------------------------------------------------------
def parse_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        key, sep, value = line.partition("=")
        assert sep and current is not None, f"{path.name}: not a key=value line in a section: {raw!r}"
        current.append((key.strip(), value.strip()))
    return sections


def shell_commands(script: str) -> list[list[str]]:
    """The simple commands of a shell line: split at ; && ||, redirections and ``exec`` dropped,
    command substitutions replaced by a sample value."""
    script = re.sub(r'"?\$\((?:[^()]|\([^()]*\))*\)"?', SAMPLE_SUBSTITUTION, script)
    script = re.sub(r"(?<=\s)\d+(?=>)", "", script)  # 2>&1: the descriptor number of a redirection
    lexer = shlex.shlex(script, posix=True, punctuation_chars=";&|<>")
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    tokens = list(lexer)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in (";", "&&", "||", "|", "&"):
            commands.append([])
        elif tok in (">", ">>", "<", ">&", "&>", "2>", "2>>"):
            i += 1  # skip the target
        else:
            commands[-1].append(tok)
        i += 1
    return [c[1:] if c and c[0] == "exec" else c for c in commands if c]


def exec_commands(value: str) -> list[list[str]]:
    """Commands of a systemd ``ExecStart=``: its own argv, or the commands of ``sh -c '…'``."""
    value = value.lstrip("-@:+!")
    argv = shlex.split(value)
    if Path(argv[0]).name in ("sh", "bash") and argv[1:2] == ["-c"]:
        return shell_commands(argv[2].replace("%%", "%"))
    return [[a.replace("%%", "%") for a in argv]]


def check_govinspect(argv: list[str], where: str) -> str:
    """Parse a govinspect command line with the real parser; returns the verb."""
    assert Path(argv[0]).name == "govinspect", f"{where}: runs {argv[0]}, not govinspect"
    assert len(argv) > 1, f"{where}: no verb"
    verb = argv[1]
    assert verb in CONTRACT_VERBS, f"{where}: {verb!r} is not a verb of cli.md"
    parser = build_parser()
    verbs = next(a for a in parser._subparsers._group_actions if a.dest == "verb").choices  # noqa: SLF001
    if verb not in verbs:
        return "missing:" + verb
    try:
        parser.parse_args(argv[1:])
    except SystemExit as exc:
        raise AssertionError(f"{where}: govinspect rejects {' '.join(argv[1:])!r}") from exc
    return verb


_CAL_WORDS = {"minutely", "hourly", "daily", "weekly", "monthly", "yearly", "annually", "quarterly",
              "semiannually"}
_DAYS = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"


def _cal_field(text: str, low: int, high: int) -> bool:
    for part in text.split(","):
        if part == "*":
            continue
        m = re.fullmatch(r"(\*|\d+)(?:\.\.(\d+))?(?:/(\d+))?", part)
        if not m:
            return False
        values = [int(v) for v in (m.group(1), m.group(2)) if v and v != "*"]
        if any(not low <= v <= high for v in values) or (m.group(3) and int(m.group(3)) == 0):
            return False
    return True


def calendar_ok(expr: str) -> bool:
    """systemd.time(7) calendar events, the forms examples use: words, [weekday] [date] time."""
    if expr in _CAL_WORDS:
        return True
    parts = expr.split()
    if parts and re.fullmatch(rf"{_DAYS}(?:(?:\.\.|,){_DAYS})*", parts[0]):
        parts = parts[1:]
    if not parts or len(parts) > 2:
        return False
    date_part, time_part = (parts if len(parts) == 2 else (None, parts[0]))
    if date_part is not None:
        d = date_part.split("-")
        if len(d) != 3 or not (_cal_field(d[0], 1970, 2200) or d[0] == "*") or not _cal_field(d[1], 1, 12) \
                or not _cal_field(d[2], 1, 31):
            return False
    t = time_part.split(":")
    if len(t) not in (2, 3):
        return False
    return _cal_field(t[0], 0, 23) and _cal_field(t[1], 0, 59) and (len(t) == 2 or _cal_field(t[2], 0, 59))


_CRON_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def cron_field_ok(text: str, low: int, high: int) -> bool:
    for part in text.split(","):
        m = re.fullmatch(r"(\*|\d+(?:-\d+)?)(?:/(\d+))?", part)
        if not m:
            return False
        if m.group(1) != "*":
            bounds = [int(v) for v in m.group(1).split("-")]
            if any(not low <= v <= high for v in bounds):
                return False
        if m.group(2) is not None and int(m.group(2)) == 0:
            return False
    return True


def cron_entries(path: Path) -> list[tuple[list[str], str]]:
    entries = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", line):
            continue
        fields = line.split(None, 5)
        assert len(fields) == 6, f"cron line without 5 time fields and a command: {raw!r}"
        entries.append((fields[:5], fields[5]))
    return entries


# ---- the examples -----------------------------------------------------------------------------------------
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
TIMERS = sorted((DEPLOY / "systemd").glob("*.timer"))


def test_examples_exist():
    names = {p.name for p in UNITS + TIMERS}
    assert {"govinspect-crawl.service", "govinspect-crawl.timer", "govinspect-monthly.service",
            "govinspect-monthly.timer", "govinspect-probe.service", "govinspect-probe.timer"} <= names
    assert (DEPLOY / "cron" / "govinspect.crontab").is_file()


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_service_runs_real_verbs(unit: Path):
    service = dict(parse_unit(unit)).get("Service")
    assert service, f"{unit.name}: no [Service]"
    execs = [v for k, v in service if k == "ExecStart"]
    assert execs and (len(execs) == 1 or ("Type", "oneshot") in service)
    missing = []
    for value in execs:
        for argv in exec_commands(value):
            verb = check_govinspect(argv, unit.name)
            if verb.startswith("missing:"):
                missing.append(verb[8:])
    if missing:
        pytest.skip(f"{unit.name}: verbs of cli.md not built in this checkout yet: {', '.join(missing)}")


@pytest.mark.parametrize("timer", TIMERS, ids=lambda p: p.name)
def test_timer_calendar_and_service(timer: Path):
    sections = parse_unit(timer)
    calendars = [v for k, v in sections.get("Timer", []) if k == "OnCalendar"]
    assert calendars, f"{timer.name}: no OnCalendar"
    for expr in calendars:
        assert calendar_ok(expr), f"{timer.name}: implausible OnCalendar={expr}"
        if SYSTEMD_ANALYZE:
            out = subprocess.run([SYSTEMD_ANALYZE, "calendar", expr], capture_output=True, text=True)
            assert out.returncode == 0, out.stderr
    assert ("WantedBy", "timers.target") in sections.get("Install", [])
    assert timer.with_suffix(".service").is_file(), f"{timer.name}: no unit to start"


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze not installed: parsing checks only")
def test_systemd_analyze_verify(tmp_path: Path):
    """The units as systemd reads them, with the paths of this checkout (verify wants real files)."""
    exe = Path(sys.executable).with_name("govinspect")
    env = tmp_path / "govinspect.env"
    shutil.copy(DEPLOY / "systemd" / "govinspect.env", env)
    for path in UNITS + TIMERS:
        text = path.read_text(encoding="utf-8").replace("/opt/govinspect/.venv/bin/govinspect", str(exe))
        (tmp_path / path.name).write_text(text.replace("/etc/govinspect/govinspect.env", str(env)))
    out = subprocess.run([SYSTEMD_ANALYZE, "verify", *(str(tmp_path / p.name) for p in UNITS + TIMERS)],
                         capture_output=True, text=True)
    assert out.returncode == 0 and not out.stderr.strip(), out.stderr


def test_cron_lines():
    entries = cron_entries(DEPLOY / "cron" / "govinspect.crontab")
    assert len(entries) >= 3
    verbs = set()
    for fields, command in entries:
        for text, (low, high) in zip(fields, _CRON_RANGES, strict=True):
            assert cron_field_ok(text, low, high), f"bad cron field {text!r} in {fields}"
        for argv in shell_commands(command.replace("\\%", "%")):
            verbs.add(check_govinspect(argv, "crontab"))
    assert "crawl" in verbs


def test_checkers_catch_bad_examples(tmp_path: Path):
    """Decoys: each checker rejects what it is there to reject."""
    assert not calendar_ok("*-*-* 25:00:00") and not calendar_ok("every night") and not calendar_ok("*-13-01 03:00")
    assert calendar_ok("Mon..Fri *-*-* 01:30:00") and calendar_ok("hourly") and calendar_ok("*:00/30:00")
    assert not cron_field_ok("61", 0, 59) and not cron_field_ok("*/0", 0, 59) and cron_field_ok("1-5", 0, 7)
    bad = tmp_path / "bad.crontab"
    bad.write_text("30 1 * * govinspect crawl --registry r.csv\n")
    with pytest.raises(AssertionError):
        for fields, _ in cron_entries(bad):
            assert all(cron_field_ok(t, lo, hi) for t, (lo, hi) in zip(fields, _CRON_RANGES, strict=True))
    with pytest.raises(AssertionError, match="rejects"):
        check_govinspect(["/x/govinspect", "crawl", "--registry", "r.csv", "--max-pagez", "3"], "decoy")
    with pytest.raises(AssertionError, match="not a verb"):
        check_govinspect(["/x/govinspect", "crawll"], "decoy")
    assert shell_commands('exec /x/govinspect report --month "$(date -d "last month" +%Y-%m)" --out d >> l 2>&1') \
        == [["/x/govinspect", "report", "--month", "2026-11", "--out", "d"]]
