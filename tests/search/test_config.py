"""Secrets only from the environment or a private file, never in ``repr`` or logs."""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path

import pytest

from govinspect.search.adapter import EngineUnavailable, SearchEngine
from govinspect.search.config import ConfigError, SearchConfig, read_secrets_file
from govinspect.search.sync import run_sync
from govinspect.store import FindingStore
from tests.search.helpers import SITE_A, do_run, stale

SECRET = "c2VjcmV0LWlkOnNlY3JldC1rZXktOTg3NjU="


def test_settings_then_environment() -> None:
    env = {"GOVINSPECT_ES_URL": "http://127.0.0.1:9", "GOVINSPECT_ES_INDEX_PREFIX": "gov",
           "GOVINSPECT_ES_API_KEY": SECRET}
    c = SearchConfig.load({}, env=env)
    assert (c.url, c.index_prefix, c.api_key) == ("http://127.0.0.1:9", "gov", SECRET)
    c = SearchConfig.load({"ELASTICSEARCH_URL": "https://es.internal:9200"}, env=env)
    assert c.url == "https://es.internal:9200"
    assert not SearchConfig.load({}, env={}).enabled
    assert SECRET not in repr(c) and SECRET not in str(c)


def test_secrets_file_must_be_private(tmp_path: Path) -> None:
    f = tmp_path / "es.secrets"
    f.write_text(f"# engine credentials\nusername = inspector\npassword = p@ss=word\napi_key={SECRET}\n")
    os.chmod(f, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        read_secrets_file(f)
    with pytest.raises(ConfigError):
        SearchConfig.load({"ELASTICSEARCH_SECRETS_FILE": str(f)}, env={"GOVINSPECT_ES_URL": "http://127.0.0.1:9"})
    os.chmod(f, 0o600)
    c = SearchConfig.load({"ELASTICSEARCH_SECRETS_FILE": str(f)}, env={"GOVINSPECT_ES_URL": "http://127.0.0.1:9"})
    assert (c.username, c.password, c.api_key) == ("inspector", "p@ss=word", SECRET)
    # The environment wins over the file.
    c = SearchConfig.load({}, env={"GOVINSPECT_ES_URL": "http://h:1", "GOVINSPECT_ES_SECRETS_FILE": str(f),
                                   "GOVINSPECT_ES_PASSWORD": "from-env"})
    assert c.password == "from-env" and "from-env" not in repr(c)


def test_credentials_in_url_refused() -> None:
    with pytest.raises(ConfigError, match="no credentials"):
        SearchConfig.load({}, env={"GOVINSPECT_ES_URL": "http://elastic:changeme@127.0.0.1:9200"})
    with pytest.raises(ConfigError):
        SearchConfig.load({}, env={"GOVINSPECT_ES_URL": "ftp://127.0.0.1"})


def test_secret_never_logged(engine_url: str, prefix: str, store: FindingStore, engine,
                             caplog: pytest.LogCaptureFixture) -> None:
    """The engines here run without security, so they ignore the key; what matters is that a full
    sync at DEBUG (client libraries included) never writes it to a log."""
    caplog.set_level(logging.DEBUG)
    do_run(store, "r1", [stale(SITE_A)])
    config = SearchConfig.load({}, env={"GOVINSPECT_ES_URL": engine_url, "GOVINSPECT_ES_API_KEY": SECRET,
                                        "GOVINSPECT_ES_INDEX_PREFIX": prefix})
    assert run_sync(store, config)["findings"] == 1
    config = SearchConfig.load({}, env={"GOVINSPECT_ES_URL": engine_url, "GOVINSPECT_ES_USERNAME": "u",
                                        "GOVINSPECT_ES_PASSWORD": SECRET, "GOVINSPECT_ES_INDEX_PREFIX": prefix})
    run_sync(store, config, full=True)
    assert caplog.records
    assert SECRET not in caplog.text
    assert base64.b64encode(f"u:{SECRET}".encode()).decode() not in caplog.text


def test_engine_requests_honour_proxy_variables(engine_url: str, prefix: str, store: FindingStore, engine,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """cli.md: every request honours http_proxy/no_proxy. A dead proxy makes the engine unreachable;
    no_proxy for the engine's host lets it through directly."""
    from tests.search.helpers import Relay

    dead = Relay(engine_url)  # a free loopback port with nothing listening
    do_run(store, "r1", [stale(SITE_A)])
    config = SearchConfig.load({}, env={"GOVINSPECT_ES_URL": engine_url, "GOVINSPECT_ES_INDEX_PREFIX": prefix})
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    connected = SearchEngine(config)  # detected directly; its client must now follow the proxy too
    monkeypatch.setenv("http_proxy", dead.url)
    monkeypatch.setenv("HTTP_PROXY", dead.url)
    with pytest.raises(EngineUnavailable):
        run_sync(store, config)  # detection
    with pytest.raises(EngineUnavailable):
        run_sync(store, config, engine=connected)  # the client's own requests
    connected.close()
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    assert run_sync(store, config)["findings"] == 1
