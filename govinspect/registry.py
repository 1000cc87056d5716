"""Loading the site registry (``shared/spec/registry.md``) from CSV or YAML.

A bad registry is refused as a whole: :class:`RegistryError` carries one line per problem, each
naming the row, and nothing is crawled.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from govinspect.masking import strip_credentials
from govinspect.urls import host_key, normalize_url, url_problem

LEVELS = ("portal", "county", "department", "township")
RENDER_POLICIES = ("auto", "always", "never")
REQUIRED = ("id", "name", "organizer", "level", "url")
OPTIONAL = ("parent", "archive_paths", "extra_hosts", "render")


class RegistryError(ValueError):
    """A registry that cannot be used; ``problems`` holds one line per problem."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"registry {source} refused:\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    organizer: str
    level: str
    url: str
    parent: str | None = None
    archive_paths: tuple[str, ...] = ()
    extra_hosts: tuple[str, ...] = ()
    render: str = "auto"
    registered: bool = True

    @property
    def host(self) -> str:
        return host_key(self.url)

    @property
    def hosts(self) -> frozenset[str]:
        """Every ``host[:port]`` that belongs to this site: its own and its ``extra_hosts``."""
        return frozenset({self.host, *(host_key(h) for h in self.extra_hosts)})


@dataclass
class Registry:
    sites: list[Site] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_id = {s.id: s for s in self.sites}
        self._by_host: dict[str, Site] = {}
        for s in self.sites:
            for h in s.hosts:
                self._by_host.setdefault(h, s)

    def __iter__(self):
        return iter(self.sites)

    def __len__(self) -> int:
        return len(self.sites)

    def get(self, site_id: str) -> Site | None:
        return self._by_id.get(site_id)

    def site_for_host(self, host: str) -> Site | None:
        """The registered site a ``host[:port]`` belongs to, if any."""
        return self._by_host.get(host)

    def select(self, ids: Iterable[str]) -> Registry:
        wanted = list(ids)
        unknown = [i for i in wanted if i not in self._by_id]
        if unknown:
            raise RegistryError("--sites", [f"unknown site id {i!r}" for i in unknown])
        return Registry([self._by_id[i] for i in wanted])

    def cluster_domains(self) -> set[str]:
        """Registrable parents of the portals' hosts (``city.gov.cn`` for ``www.city.gov.cn``)."""
        domains = set()
        for s in self.sites:
            if s.level == "portal":
                host = s.host.split(":", 1)[0]
                domains.add(host[4:] if host.startswith("www.") else host)
        return domains


def _split_list(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        items = value
    else:
        items = str(value).replace("；", ";").split(";")
    return tuple(str(i).strip() for i in items if str(i).strip())


def _read_rows(path: Path) -> tuple[list[dict], list[str]]:
    """Rows as dicts plus the column names; CSV (any spreadsheet export) or YAML by extension."""
    raw = path.read_bytes()
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(raw.decode("utf-8-sig"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            raise RegistryError(str(path), [f"YAML syntax error{where}: {getattr(exc, 'problem', None) or exc}"]) \
                from None
        except UnicodeDecodeError:
            raise RegistryError(str(path), ["YAML registry is not UTF-8 text"]) from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise RegistryError(str(path), ["YAML registry must be a list of mappings"])
        columns = sorted({k for r in data for k in r})
        return [{str(k): v for k, v in r.items()} for r in data], columns
    # Spreadsheets save CSV as UTF-8 with BOM or, on Chinese Windows, as GBK.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RegistryError(str(path), ["file is neither UTF-8 nor GBK text"])
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    columns = [c.strip() for c in (reader.fieldnames or [])]
    rows = []
    for row in reader:
        cleaned = {(k or "").strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items()}
        # Spreadsheets save empty trailing rows as ",,,,,,": they are not sites
        if not any(isinstance(v, str) and v or isinstance(v, list) and any(v) for v in cleaned.values()):
            continue
        rows.append(cleaned)
    return rows, columns


def load_registry(path: str | Path) -> Registry:
    """Load and validate a registry file, or raise :class:`RegistryError` listing every problem."""
    path = Path(path)
    if path.is_dir():
        raise RegistryError(str(path), ["is a directory, not a registry file"])
    if not path.is_file():
        raise RegistryError(str(path), ["file not found"])
    rows, columns = _read_rows(path)
    problems: list[str] = []
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
        raise RegistryError(str(path), problems)
    if not rows:
        raise RegistryError(str(path), ["no sites listed"])
    # Row numbers as a spreadsheet shows them: the header is row 1 in CSV; YAML counts entries from 1.
    offset = 1 if path.suffix.lower() not in (".yaml", ".yml") else 0
    sites: list[Site] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(rows, start=1 + offset):
        where = f"row {index}"
        not_text = [k for k in (*REQUIRED, "parent", "render") if isinstance(row.get(k), dict | list | tuple)]
        values = {k: ("" if row.get(k) is None or k in not_text else str(row.get(k)).strip()) for k in REQUIRED}
        row_problems = [f"{where}: field {k!r} must be text, not a {type(row.get(k)).__name__}" for k in not_text]
        row_problems += [f"{where}: empty required field {k!r}" for k, v in values.items()
                         if not v and k not in not_text]
        site_id = values["id"]
        if site_id:
            if len(site_id) != 10 or not site_id.isalnum():
                row_problems.append(f"{where}: id {site_id!r} is not a 10-character 网站标识码")
            if site_id in seen:
                row_problems.append(f"{where}: duplicate id {site_id!r} (first in row {seen[site_id]})")
            else:
                seen[site_id] = index
        level = values["level"]
        if level and level not in LEVELS:
            row_problems.append(f"{where}: level {level!r} is not one of {', '.join(LEVELS)}")
        url = strip_credentials(values["url"])  # credentials are never stored (nor sent: sites are public)
        if url:
            problem = url_check(url)
            if problem:
                row_problems.append(f"{where}: url {url[:200]!r} {problem}")
        render = str(row.get("render") or "auto").strip() or "auto"
        if render not in RENDER_POLICIES:
            row_problems.append(f"{where}: render {render!r} is not one of {', '.join(RENDER_POLICIES)}")
        archive_paths = _split_list(row.get("archive_paths"))
        for p in archive_paths:
            if not p.startswith("/"):
                row_problems.append(f"{where}: archive path {p!r} must start with '/'")
        problems.extend(row_problems)
        if row_problems:
            continue
        parent = str(row.get("parent") or "").strip() or None
        sites.append(
            Site(
                id=site_id, name=values["name"], organizer=values["organizer"], level=level, url=url,
                parent=parent, archive_paths=archive_paths, extra_hosts=_split_list(row.get("extra_hosts")),
                render=render,
            )
        )
    ids = set(seen)
    for index, row in enumerate(rows, start=1 + offset):
        parent = str(row.get("parent") or "").strip()
        if parent and parent not in ids:
            problems.append(f"row {index}: unknown parent {parent!r}")
        elif parent and parent == str(row.get("id") or "").strip():
            problems.append(f"row {index}: site is its own parent")
    if problems:
        raise RegistryError(str(path), problems)
    return Registry(sites)


MAX_URL_LENGTH = 2083  # Scrapy's URLLENGTH_LIMIT: longer URLs would be dropped silently


def url_check(url: str) -> str | None:
    """Why a homepage URL is unusable (for one line naming the row), or None."""
    if len(url) > MAX_URL_LENGTH:
        return f"is {len(url)} characters long (at most {MAX_URL_LENGTH})"
    problem = url_problem(url)
    if problem is None:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"is malformed ({problem})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an http(s) URL with a host"
    return f"is malformed ({problem})"


def adhoc_site(url: str, name: str | None = None) -> Site:
    """A site for ``govinspect inspect URL``: not in any registry, identified by its host and path
    (two URLs on one host are two sites: one's findings are not printed as the other's)."""
    url = strip_credentials(url.strip())  # never stored; the sites inspected are public
    problem = url_check(url)
    if problem:
        raise RegistryError("inspect", [f"URL {url[:200]!r} {problem}"])
    host = host_key(url)
    site_id = "adhoc-" + host.replace(":", "-")
    path = urlsplit(url).path
    if path not in ("", "/"):
        site_id += "-" + hashlib.sha1(normalize_url(url).encode()).hexdigest()[:8]
    return Site(
        id=site_id, name=name or host, organizer=name or host, level="department", url=url,
        registered=False,
    )
