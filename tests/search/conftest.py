"""Fixtures: real Elasticsearch and OpenSearch nodes (no mocks), per-test index prefixes, a store.

Engines: ``GOVINSPECT_TEST_ES_URL`` / ``GOVINSPECT_TEST_OPENSEARCH_URL`` point at running ones;
otherwise an engine already healthy on its default port is reused, else ``scripts/engines.sh start``
starts it (and the session stops what it started). ``GOVINSPECT_SKIP_ENGINES=1`` skips these tests.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from govinspect.search.adapter import SearchEngine
from govinspect.search.config import SearchConfig
from govinspect.store import FindingStore
from tests.search.helpers import Relay

ROOT = Path(__file__).resolve().parents[2]
ENGINES_SH = ROOT / "scripts" / "engines.sh"
ENV_URL = {"es": "GOVINSPECT_TEST_ES_URL", "opensearch": "GOVINSPECT_TEST_OPENSEARCH_URL"}
_started: list[str] = []


def _engine_url(name: str) -> str:
    if os.environ.get("GOVINSPECT_SKIP_ENGINES") == "1":
        pytest.skip("GOVINSPECT_SKIP_ENGINES=1: tests against real search engines skipped")
    if os.environ.get(ENV_URL[name]):
        return os.environ[ENV_URL[name]].rstrip("/")
    url = subprocess.run([str(ENGINES_SH), "url", name], capture_output=True, text=True,
                         check=True).stdout.strip()
    status = subprocess.run([str(ENGINES_SH), "status", name], capture_output=True, text=True)
    if status.returncode != 0:
        started = subprocess.run([str(ENGINES_SH), "start", name], capture_output=True, text=True,
                                 timeout=900)
        if started.returncode != 0:
            pytest.fail(f"could not start {name}: {started.stderr[-2000:]}")
        _started.append(name)
    return url


@pytest.fixture(scope="session", params=["es", "opensearch"])
def engine_url(request: pytest.FixtureRequest) -> str:
    return _engine_url(request.param)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for name in _started:
        subprocess.run([str(ENGINES_SH), "stop", name], capture_output=True, timeout=120)


@pytest.fixture
def prefix() -> str:
    return f"gi-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def config(engine_url: str, prefix: str) -> SearchConfig:
    return SearchConfig.load({}, env={}, url=engine_url, index_prefix=prefix)


@pytest.fixture
def engine(config: SearchConfig) -> Iterator[SearchEngine]:
    eng = SearchEngine(config)
    yield eng
    eng.delete_index(f"{config.index_prefix}-*")
    eng.delete_template(f"{config.index_prefix}-findings")
    eng.delete_template(f"{config.index_prefix}-observations")
    eng.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[FindingStore]:
    s = FindingStore(tmp_path / "findings.db")
    yield s
    try:
        s.close()
    except Exception:
        pass


@pytest.fixture
def relay(engine_url: str) -> Iterator[Relay]:
    r = Relay(engine_url)
    r.up()
    yield r
    r.down()
