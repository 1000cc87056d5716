"""Run-state fixtures: every test runs against the in-process backend and a real Redis."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from govinspect.runstate import MemoryRunState, RunState
from govinspect.runstate.redis import RedisRunState
from tests.support.redis import drop_prefix, redis_url, unique_prefix


@pytest.fixture(params=["memory", "redis"])
def make_state(request) -> Iterator[Callable[[str], RunState]]:
    """A factory: ``make_state(run_id)`` gives a run state; for Redis each call is a new client (as
    another process would have), all sharing one run."""
    made: list[RunState] = []
    if request.param == "memory":
        shared: dict[str, MemoryRunState] = {}

        def factory(run_id: str = "r1") -> RunState:
            return shared.setdefault(run_id, MemoryRunState(run_id))

        yield factory
        return
    url, prefix = redis_url(), unique_prefix()

    def factory(run_id: str = "r1") -> RunState:
        state = RedisRunState.from_url(run_id, url, prefix)
        made.append(state)
        return state

    factory.url, factory.prefix = url, prefix  # type: ignore[attr-defined]
    yield factory
    for state in made:
        state.close()
    drop_prefix(url, prefix)


@pytest.fixture
def state(make_state) -> RunState:
    s = make_state("r1")
    s.begin({"a": 3, "b": 0})
    return s
