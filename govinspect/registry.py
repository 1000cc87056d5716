"""Loading the site registry (``shared/spec/registry.md``) from CSV or YAML.

A bad registry is refused as a whole: :class:`RegistryError` carries one line per problem, each
naming the row, and nothing is crawled.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from govinspect.masking import strip_credentials
from govinspect.urls import host_key

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
        data = yaml.safe_load(raw.decode("utf-8-sig"))
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
        rows.append({(k or "").strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items()})
    return rows, columns


def load_registry(path: str | Path) -> Registry:
    """Load and validate a registry file, or raise :class:`RegistryError` listing every problem."""
    path = Path(path)
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
        values = {k: ("" if row.get(k) is None else str(row.get(k)).strip()) for k in REQUIRED}
        row_problems = [f"{where}: empty required field {k!r}" for k, v in values.items() if not v]
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
        url = values["url"]
        if url:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                row_problems.append(f"{where}: url {url!r} is not an http(s) URL with a host")
            else:
                try:
                    _ = parts.port
                except ValueError:
                    row_problems.append(f"{where}: url {url!r} has a bad port")
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


def adhoc_site(url: str, name: str | None = None) -> Site:
    """A site for ``govinspect inspect URL``: not in any registry, identified by its host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RegistryError(url, [f"{url!r} is not an http(s) URL with a host"])
    url = strip_credentials(url)  # never stored; the sites inspected are public
    host = host_key(url)
    site_id = "adhoc-" + host.replace(":", "-")
    return Site(
        id=site_id, name=name or host, organizer=name or host, level="department", url=url,
        registered=False,
    )
