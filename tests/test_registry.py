"""Registry loading per registry.md: CSV (UTF-8, BOM, GBK) and YAML, refusing each kind of error."""

from pathlib import Path

import pytest

from govinspect.registry import RegistryError, load_registry

HEADER = "id,name,organizer,level,url,parent,archive_paths,extra_hosts,render\n"
GOOD = (
    "3416000001,示例市人民政府,示例市人民政府办公室,portal,http://www.example-city.gov.cn/,,/lsgd/;/old/,"
    "files.example-city.gov.cn,never\n"
    "3416000002,示例市教育局,示例市教育局,department,http://jyj.example-city.gov.cn:8080/,3416000001,,,\n"
)


def write(tmp_path: Path, text: str, name: str = "sites.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_loads_with_lists_and_ports(tmp_path):
    reg = load_registry(write(tmp_path, HEADER + GOOD))
    portal, dept = reg.sites
    assert portal.archive_paths == ("/lsgd/", "/old/")
    assert portal.hosts == {"www.example-city.gov.cn", "files.example-city.gov.cn"}
    assert dept.host == "jyj.example-city.gov.cn:8080"
    assert dept.parent == "3416000001" and dept.render == "auto"
    assert reg.site_for_host("files.example-city.gov.cn") is portal
    assert reg.cluster_domains() == {"example-city.gov.cn"}


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_spreadsheet_exports_load(tmp_path, encoding):
    reg = load_registry(write(tmp_path, HEADER + GOOD, encoding=encoding))
    assert reg.sites[0].name == "示例市人民政府"


def test_yaml_loads(tmp_path):
    text = (
        "- {id: '3416000001', name: 示例市人民政府, organizer: 办公室, level: portal, url: 'http://a.gov.cn/',"
        " archive_paths: [/lsgd/]}\n"
        "- {id: '3416000002', name: 教育局, organizer: 教育局, level: department, url: 'http://b.gov.cn/',"
        " parent: '3416000001'}\n"
    )
    reg = load_registry(write(tmp_path, text, "sites.yaml"))
    assert [s.id for s in reg] == ["3416000001", "3416000002"]
    assert reg.sites[0].archive_paths == ("/lsgd/",)


def test_missing_column_refused(tmp_path):
    with pytest.raises(RegistryError) as err:
        load_registry(write(tmp_path, "id,name,level,url\n3416000001,a,portal,http://a.gov.cn/\n"))
    assert err.value.problems == ["missing column(s): organizer"]


def test_every_row_problem_reported_with_its_row(tmp_path):
    text = HEADER + GOOD + (
        "3416000001,重复,单位,portal,http://c.gov.cn/,,,,\n"          # row 4: duplicate id
        "3416000004,坏网址,单位,portal,ftp://c.gov.cn/,,,,\n"          # row 5: malformed URL
        "3416000005,坏上级,单位,department,http://d.gov.cn/,9999999999,,,\n"  # row 6: unknown parent
        "3416000006,坏级别,单位,city,http://e.gov.cn/,,,,\n"           # row 7: bad level
        "3416000007,,单位,portal,http://f.gov.cn/,,,,sometimes\n"      # row 8: empty name, bad render
        "12345,短码,单位,portal,http://g.gov.cn/,,,,\n"                # row 9: id not 10 chars
    )
    with pytest.raises(RegistryError) as err:
        load_registry(write(tmp_path, text))
    problems = "\n".join(err.value.problems)
    assert "row 4: duplicate id '3416000001' (first in row 2)" in problems
    assert "row 5: url 'ftp://c.gov.cn/'" in problems
    assert "row 6: unknown parent '9999999999'" in problems
    assert "row 7: level 'city'" in problems
    assert "row 8: empty required field 'name'" in problems
    assert "row 8: render 'sometimes'" in problems
    assert "row 9: id '12345'" in problems
    assert len(err.value.problems) == 7


def test_bad_registry_crawls_nothing(tmp_path):
    from tests.support.cli import govinspect

    path = write(tmp_path, HEADER + "3416000001,a,b,portal,not a url,,,,\n")
    store = tmp_path / "store.sqlite3"
    result = govinspect("crawl", "--registry", str(path), "--store", str(store))
    assert result.returncode == 2
    assert "row 2: url 'not a url'" in result.stderr
    assert not store.exists()
