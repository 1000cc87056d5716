"""Redis steps that take effect once even when the client sends them twice.

A Redis restart can drop a connection after a step ran (and reached the append-only file) but before
its reply arrived. redis-py then sends the same command again. For a claim that is wrong: the resend
finds its own claim, answers "taken by someone", and the page, link check or site fold is lost; a
counter is counted twice. Each call here carries a fresh memo key; the step stores its result there
in the same atomic Lua call, and a resend of that call returns the stored result instead of running
again. The memo outlives the client's retry window and then expires.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import redis

# The memo key and its lifetime are the last two arguments; the step's own code sees ARGV without them.
_WRAPPER = """
local __ttl = tonumber(table.remove(ARGV))
local __memo = table.remove(ARGV)
local __prev = redis.call('GET', __memo)
if __prev then return cmsgpack.unpack(__prev) end
local function __step()
%s
end
local __out = __step()
redis.call('SET', __memo, cmsgpack.pack(__out), 'EX', __ttl)
return __out
"""

_INCRBY = "return redis.call('HINCRBY', KEYS[1], ARGV[1], tonumber(ARGV[2]))"
_SADD = "return redis.call('SADD', KEYS[1], ARGV[1])"
_SETNX = "if redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 1 end return 0"


def memo_seconds_for(retry_seconds: float) -> int:
    """How long a memo must live: past the longest a client keeps resending (with a margin)."""
    return int(2 * retry_seconds) + 60


class OnceScript:
    """A Lua step (``register_script`` source) run at most once per call, resends included."""

    def __init__(self, client: redis.Redis, source: str, memo_prefix: str, memo_seconds: int):
        self._script = client.register_script(_WRAPPER % source)
        self._prefix = memo_prefix
        self._seconds = int(memo_seconds)

    def __call__(self, keys: Sequence[Any] = (), args: Sequence[Any] = ()) -> Any:
        """Run the step now (several in one round trip: :class:`ScriptBatch`)."""
        return self._script(keys=list(keys), args=self.with_memo(args))

    def with_memo(self, args: Sequence[Any]) -> list[Any]:
        """The step's arguments with a fresh memo key: a resend of them runs the step once all the same."""
        return [*args, f"{self._prefix}:{uuid.uuid4().hex}", self._seconds]


class ScriptBatch:
    """Lua steps sent in one round trip.

    redis-py's pipeline asks Redis whether its scripts exist (``SCRIPT EXISTS``) before every
    execution: a second round trip each time, on a worker's per-page path. Here the steps go as plain
    ``EVALSHA`` commands; the steps a restarted Redis answers "no such script" are loaded and sent
    again, alone (the others ran: sending them twice would run them twice, unless they are once-steps).
    """

    def __init__(self, client: redis.Redis):
        self.client = client
        self.steps: list[tuple[Any, list[Any], list[Any]]] = []

    def add(self, script: Any, keys: Sequence[Any] = (), args: Sequence[Any] = ()) -> None:
        """``script``: a ``register_script`` script, or a :class:`OnceScript` (given its memo here)."""
        if isinstance(script, OnceScript):
            script, args = script._script, script.with_memo(args)
        self.steps.append((script, list(keys), list(args)))

    def __len__(self) -> int:
        return len(self.steps)

    def execute(self) -> list[Any]:
        replies = self._send(self.steps)
        missing = [i for i, reply in enumerate(replies) if isinstance(reply, redis.exceptions.NoScriptError)]
        if missing:
            for script in {id(self.steps[i][0]): self.steps[i][0] for i in missing}.values():
                script.sha = self.client.script_load(script.script)
            for i, reply in zip(missing, self._send([self.steps[i] for i in missing]), strict=True):
                replies[i] = reply
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return replies

    def _send(self, steps: Sequence[tuple[Any, list[Any], list[Any]]]) -> list[Any]:
        if not steps:
            return []
        pipe = self.client.pipeline(transaction=False)
        for script, keys, args in steps:
            pipe.evalsha(script.sha, len(keys), *keys, *args)
        return pipe.execute(raise_on_error=False)


class OnceCommands:
    """The plain writes whose resend would change their answer or count twice, as once-steps."""

    def __init__(self, client: redis.Redis, memo_prefix: str, memo_seconds: int):
        self._incrby = OnceScript(client, _INCRBY, memo_prefix, memo_seconds)
        self._sadd = OnceScript(client, _SADD, memo_prefix, memo_seconds)
        self._setnx = OnceScript(client, _SETNX, memo_prefix, memo_seconds)

    def hincrby(self, key: str, field: str, n: int) -> int:
        return int(self._incrby(keys=[key], args=[field, int(n)]))

    def hincrby_to(self, batch: ScriptBatch, key: str, field: str, n: int) -> None:
        """:meth:`hincrby` as a step of ``batch`` (the new value is its reply)."""
        batch.add(self._incrby, keys=[key], args=[field, int(n)])

    def sadd(self, key: str, member: str) -> bool:
        """True when ``member`` is new in the set: for this call, also when its reply was lost once."""
        return bool(self._sadd(keys=[key], args=[member]))

    def setnx(self, key: str, value: str) -> bool:
        return bool(self._setnx(keys=[key], args=[value]))
