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

    def __call__(self, keys: Sequence[Any] = (), args: Sequence[Any] = (), client: Any = None) -> Any:
        """``client``: a pipeline to add the step to (its reply comes with the pipeline's); a resend of
        the whole pipeline runs each step once all the same."""
        memo = f"{self._prefix}:{uuid.uuid4().hex}"
        return self._script(keys=list(keys), args=[*args, memo, self._seconds], client=client)


class OnceCommands:
    """The plain writes whose resend would change their answer or count twice, as once-steps."""

    def __init__(self, client: redis.Redis, memo_prefix: str, memo_seconds: int):
        self._incrby = OnceScript(client, _INCRBY, memo_prefix, memo_seconds)
        self._sadd = OnceScript(client, _SADD, memo_prefix, memo_seconds)
        self._setnx = OnceScript(client, _SETNX, memo_prefix, memo_seconds)

    def hincrby(self, key: str, field: str, n: int) -> int:
        return int(self._incrby(keys=[key], args=[field, int(n)]))

    def sadd(self, key: str, member: str) -> bool:
        """True when ``member`` is new in the set: for this call, also when its reply was lost once."""
        return bool(self._sadd(keys=[key], args=[member]))

    def setnx(self, key: str, value: str) -> bool:
        return bool(self._setnx(keys=[key], args=[value]))
