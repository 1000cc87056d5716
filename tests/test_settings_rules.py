"""The settings rule, checked on the source: every setting is declared once in ``settings/`` and read
without an inline default.

An inline default (``getint("X", 5)``, ``get("X") or 5``, ``getbool(name, True)``) silently disagrees
with ``settings/__init__.py`` the day either changes, and a name read but declared nowhere is a
setting nobody can find. Scrapy's own settings (``scrapy.settings.default_settings``) are declared by
Scrapy; the plugins' documented settings we read are allow-listed below by name.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import scrapy.settings.default_settings as scrapy_defaults

import settings as project_settings

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("crawler", "inspectors", "pipelines", "govinspect")
NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$|^[A-Z]{4,}$")  # RENDER_ENABLED, BOT_NAME; not "A1"
# Getter names only Scrapy's settings objects have (besides ``get``, which dicts have too).
SETTINGS_GETTERS = {"getint", "getfloat", "getbool", "getlist", "getdict", "getdictorlist", "getwithbase"}
# Documented settings of plugins (read, not declared by us): name → plugin.
# (PLAYWRIGHT_MAX_CONTEXTS, REDIS_URL and the like are set in settings/, so declared there.)
PLUGIN_SETTINGS = {
    "PLAYWRIGHT_LAUNCH_OPTIONS": "scrapy-playwright",  # crawler/rendering/guard.py merges the user's options
    # Scrapy still reads it (scrapy/core/downloader); its default lives behind a deprecation __getattr__.
    "CONCURRENT_REQUESTS_PER_IP": "scrapy (deprecated)",
}
# Receivers of ``.get("UPPER")`` that are environments, not settings.
ENV_RECEIVER = re.compile(r"(^|\.)(environ|env|os\.environ)$")
# Receivers of ``x["UPPER"]`` that are settings objects.
SETTINGS_RECEIVER = re.compile(r"(^|\.)(settings|s|base)$")


def _files() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _literal_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and NAME.match(node.value):
        return node.value
    return None


def _settings_read(node: ast.AST) -> tuple[str | None, bool] | None:
    """(setting name or None when computed, has an inline default) if ``node`` reads a setting."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
        return None
    method, first = node.func.attr, node.args[0]
    has_default = len(node.args) > 1 or any(k.arg in ("default", "def_val") for k in node.keywords)
    if method in SETTINGS_GETTERS:
        if isinstance(first, ast.Constant) and not isinstance(first.value, str):
            return None  # response.headers.getlist(b"Set-Cookie")
        return _literal_name(first), has_default
    if method == "get" and _literal_name(first) and not ENV_RECEIVER.search(ast.unparse(node.func.value)):
        return _literal_name(first), has_default
    return None


def _falsy_constant(node: ast.AST) -> bool:
    """``or None`` / ``or ""`` normalise an empty value; they carry no default of their own."""
    if isinstance(node, ast.Constant):
        return not node.value
    return isinstance(node, (ast.List, ast.Dict, ast.Tuple)) and not getattr(node, "elts", getattr(node, "keys", []))


def scan(path: Path) -> tuple[list[str], set[str]]:
    """(inline defaults as ``file:line: code``, names of settings read) of one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel = path.relative_to(ROOT)
    defaults, names = [], set()
    for node in ast.walk(tree):
        read = _settings_read(node)
        if read is not None:
            name, has_default = read
            if name:
                names.add(name)
            if has_default:
                defaults.append(f"{rel}:{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and _settings_read(node.values[0]):
            # ``or None``/``or ""`` carry no value; ``or s.getint("OTHER")`` is a documented fallback setting
            if not all(_falsy_constant(v) or _settings_read(v) for v in node.values[1:]):
                defaults.append(f"{rel}:{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.Subscript) and _literal_name(node.slice) and isinstance(node.ctx, ast.Load):
            if SETTINGS_RECEIVER.search(ast.unparse(node.value)):
                names.add(node.slice.value)  # type: ignore[attr-defined]
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "enabled_setting"
                                                  for t in node.targets):
            if _literal_name(node.value):  # Inspector.enabled_setting: read by inspectors/base.py
                names.add(node.value.value)  # type: ignore[attr-defined]
    return defaults, names


def declared() -> set[str]:
    ours = {n for n in vars(project_settings) if n.isupper()}
    scrapys = {n for n in vars(scrapy_defaults) if n.isupper()}
    return ours | scrapys | set(PLUGIN_SETTINGS)


def test_no_inline_defaults():
    offenders = [line for path in _files() for line in scan(path)[0]]
    assert offenders == [], "declare the default in settings/__init__.py and read without one:\n" + "\n".join(offenders)


def test_every_setting_read_is_declared():
    known = declared()
    missing = sorted({f"{name} ({path.relative_to(ROOT)})" for path in _files() for name in scan(path)[1]
                      if name not in known})
    assert missing == [], "declare these in settings/__init__.py:\n" + "\n".join(missing)


def test_environment_variables_map_to_declared_settings():
    """Settings read through a name table (env mappings) rather than a literal are declared too."""
    from govinspect.config import ENV_SETTINGS
    from govinspect.search.config import SETTING_ENV

    assert sorted(set(ENV_SETTINGS.values()) - declared()) == []
    assert sorted(set(SETTING_ENV) - declared()) == []


def test_plugin_allow_list_is_needed():
    """Each allow-listed plugin setting is read and declared neither by us nor by Scrapy (keeps the list short)."""
    ours = {n for n in vars(project_settings) if n.isupper()} | {n for n in vars(scrapy_defaults) if n.isupper()}
    read = set().union(*(scan(path)[1] for path in _files()))
    assert set(PLUGIN_SETTINGS) <= read - ours


@pytest.mark.parametrize(("code", "default", "name"), [
    ('s.getint("MAX_PAGE_DEPTH", 5)', True, "MAX_PAGE_DEPTH"),
    ('crawler.settings.get("GOVINSPECT_STORE", "x")', True, "GOVINSPECT_STORE"),
    ("settings.get('LEAK_XLSX_READER', default='fast')", True, "LEAK_XLSX_READER"),
    ("self.settings.getbool(self.enabled_setting, True)", True, None),
    ('s.getint("MAX_PAGE_DEPTH")', False, "MAX_PAGE_DEPTH"),
    ('settings.get("GOVINSPECT_STORE") or "govinspect-data/x.sqlite3"', True, None),
    ('settings.get("IMAGE_EMBLEM_REFERENCE_DIR") or None', False, None),
    ('s.get("FLEET_HOST_DELAY") or s.getfloat("DOWNLOAD_DELAY")', False, None),
    ('os.environ.get("GOVINSPECT_STORE", "x")', False, None),
    ('response.headers.getlist(b"Set-Cookie", [])', False, None),
])
def test_the_scan_itself(tmp_path, code, default, name):
    """The scan finds what it must (so a green run means something) and leaves environments alone."""
    f = ROOT / "tests" / f"_scan_probe_{tmp_path.name}.py"
    f.write_text(f"x = {code}\n", encoding="utf-8")
    try:
        defaults, names = scan(f)
    finally:
        f.unlink()
    assert bool(defaults) is default
    if name:
        assert name in names
