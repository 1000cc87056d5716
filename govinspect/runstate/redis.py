"""The Redis run state: many processes on many machines share one run (``RUN_STATE_BACKEND = "redis"``).

Keys (``P`` = ``<prefix>:run:<run_id>``):

* ``P:sites`` hash site id → page budget (set by ``begin``)
* ``P:s:<site>`` hash of counters: ``pages errors blocked trapped failures pending scheduled
  budget_exhausted homepage_done homepage_ok max_pages``
* ``P:s:<site>:seen`` / ``P:s:<site>:scope`` sets of claimed page URLs / scope hosts
* ``P:t:claimed`` / ``P:t:done`` sets of target keys claimed / resolved; ``P:t:w:<sha1(key)>`` sites
  waiting for a target
* ``P:trap:<site>:<sha1(path)>`` set of query variants; ``P:d:<namespace>`` hash of JSON values
* ``P:final`` set of finalised sites; ``P:end`` set once when the run record is closed
* waiting rooms: ``P:w:<namespace>:r`` hash key → result (JSON); ``P:w:<namespace>:q:<sha1(key)>`` list
  of items waiting for the key, renamed to ``P:w:<namespace>:h:<sha1(key)>`` when handed over
* ``P:c:<namespace>`` set of claimed keys, ``P:c:<namespace>:n`` hash group → keys it claimed;
  ``P:n:<namespace>`` hash key → tally
* ``P:s:<site>:units-added`` / ``units-done`` sets of named units of work counted (fleet redo safety)

Decisions that read and write (budget, target claims, releases, trap variants) are Lua scripts, so
they are atomic across processes. ``target_done`` touches the waiting sites' hashes by name from the
script (fine on one Redis server, the deployment here; Redis Cluster would need hash tags).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from govinspect.runstate.base import JSON, RunState, SiteProgress, check_counter, check_counts, dumps, loads
from govinspect.runstate.once import OnceCommands, OnceScript, ScriptBatch, memo_seconds_for

_CLAIM_PAGES = """
local max = tonumber(redis.call('HGET', KEYS[1], 'max_pages') or '0')
local out = {}
for i, url in ipairs(ARGV) do
  if redis.call('SISMEMBER', KEYS[2], url) == 1 then
    out[i] = 0
  else
    local n = tonumber(redis.call('HGET', KEYS[1], 'scheduled') or '0')
    if max > 0 and n >= max then
      redis.call('HSET', KEYS[1], 'budget_exhausted', 1)
      out[i] = -1
    else
      redis.call('SADD', KEYS[2], url)
      redis.call('HINCRBY', KEYS[1], 'scheduled', 1)
      out[i] = 1
    end
  end
end
return out
"""

# KEYS: claimed, done, site hash, then one waiting-set key per target; ARGV: site id, then the targets
_CLAIM_TARGETS = """
local out = {}
local added = 0
for i = 2, #ARGV do
  local key = ARGV[i]
  if redis.call('SISMEMBER', KEYS[2], key) == 1 then
    out[i - 1] = 0
  else
    if redis.call('SADD', KEYS[i + 2], ARGV[1]) == 1 then added = added + 1 end
    out[i - 1] = redis.call('SADD', KEYS[1], key)
  end
end
if added > 0 then redis.call('HINCRBY', KEYS[3], 'pending', added) end
return out
"""

# KEYS: done, waiting set; ARGV: target key, site-hash prefix
_TARGET_DONE = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return {} end
local sites = redis.call('SMEMBERS', KEYS[2])
for _, s in ipairs(sites) do redis.call('HINCRBY', ARGV[2] .. s, 'pending', -1) end
redis.call('DEL', KEYS[2])
return sites
"""

# KEYS: site hash, seen set, claimed, done; ARGV: site id, waiting-key prefix, check_refused (0/1),
# page count, pages…, then (key, url-or-empty) pairs of targets. Waiting sets are named in the script
# (prefix .. sha1(key)), like target_done's site hashes.
_CLAIM_LINKS = """
local max = tonumber(redis.call('HGET', KEYS[1], 'max_pages') or '0')
local npages = tonumber(ARGV[4])
local pages, refused = {}, {}
local taken = 0
for i = 1, npages do
  local url = ARGV[4 + i]
  if redis.call('SISMEMBER', KEYS[2], url) == 1 then
    pages[i] = 0
  else
    local n = tonumber(redis.call('HGET', KEYS[1], 'scheduled') or '0')
    if max > 0 and n >= max then
      redis.call('HSET', KEYS[1], 'budget_exhausted', 1)
      pages[i] = -1
      if ARGV[3] == '1' then refused[#refused + 1] = url end
    else
      redis.call('SADD', KEYS[2], url)
      redis.call('HINCRBY', KEYS[1], 'scheduled', 1)
      pages[i] = 1
      taken = taken + 1
    end
  end
end
local waiting = 0
local function claim(key)
  if redis.call('SISMEMBER', KEYS[4], key) == 1 then return 0 end
  if redis.call('SADD', ARGV[2] .. redis.sha1hex(key), ARGV[1]) == 1 then waiting = waiting + 1 end
  return redis.call('SADD', KEYS[3], key)
end
local targets = {}
local j = 4 + npages + 1
local t = 1
while j < #ARGV do
  local key, url = ARGV[j], ARGV[j + 1]
  if url ~= '' and redis.call('SISMEMBER', KEYS[2], url) == 1 then targets[t] = 0 else targets[t] = claim(key) end
  t = t + 1
  j = j + 2
end
local late = {}
for i, url in ipairs(refused) do late[i] = claim(url) end
if taken + waiting > 0 then redis.call('HINCRBY', KEYS[1], 'pending', taken + waiting) end
return {pages, targets, late}
"""

# KEYS: done set; ARGV: waiting-key prefix, site-hash prefix, targets…. Returns each released site with
# its pending count afterwards: [site, pending, …]
_TARGETS_DONE_LEFT = """
local released = {}
for i = 3, #ARGV do
  local key = ARGV[i]
  if redis.call('SADD', KEYS[1], key) == 1 then
    local waiting = ARGV[1] .. redis.sha1hex(key)
    for _, s in ipairs(redis.call('SMEMBERS', waiting)) do
      released[s] = redis.call('HINCRBY', ARGV[2] .. s, 'pending', -1)
    end
    redis.call('DEL', waiting)
  end
end
local out = {}
for s, n in pairs(released) do
  out[#out + 1] = s
  out[#out + 1] = n
end
return out
"""

_TRAP = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
"""

# Shared by the waiting steps: the key's result is appended to ``out`` (true), or ``item`` waits in the
# key's list (lists named in the script: prefix .. sha1(key); at most ``limit`` items when limit > 0).
_WAIT_ONE = """
local function wait_one(results, prefix, limit, key, item, out)
  local result = redis.call('HGET', results, key)
  if result then
    out[#out + 1] = key
    out[#out + 1] = result
    return true
  end
  local room = prefix .. redis.sha1hex(key)
  if limit <= 0 or redis.call('LLEN', room) < limit then redis.call('RPUSH', room, item) end
  return false
end
"""

# Shared by the claiming steps: 1 when the key was claimed before (by any group) or is claimed now
# within the group's budget (``budget.n`` claimed so far, ``budget.added`` by this step), 0 when over it.
_CLAIM_ONE = """
local function claim_one(set, key, limit, budget)
  if redis.call('SISMEMBER', set, key) == 1 then return 1 end
  if limit > 0 and budget.n >= limit then return 0 end
  redis.call('SADD', set, key)
  budget.n = budget.n + 1
  budget.added = budget.added + 1
  return 1
end
"""

# KEYS: results hash; ARGV: limit, waiting-list prefix, then (key, item) pairs. Returns [key, result, …]
# of the keys already resolved; the other items are queued.
_WAIT_FOR = _WAIT_ONE + """
local out = {}
local limit = tonumber(ARGV[1])
for i = 3, #ARGV, 2 do wait_one(KEYS[1], ARGV[2], limit, ARGV[i], ARGV[i + 1], out) end
return out
"""

# KEYS: results hash, waiting list, handed list; ARGV: key, result
_RESOLVE = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return {0, redis.call('LRANGE', KEYS[3], 0, -1)}
end
local items = redis.call('LRANGE', KEYS[2], 0, -1)
if #items > 0 then redis.call('RENAME', KEYS[2], KEYS[3]) end
return {1, items}
"""

# wait_for, then claim_within for the keys left waiting. KEYS: results hash, claimed set, claim counts;
# ARGV: wait limit, waiting-list prefix, group, claim limit, then (key, item) pairs. Returns
# {[key, result, …], [key, 1|0, …]}.
_WAIT_OR_CLAIM = _WAIT_ONE + _CLAIM_ONE + """
local out, claims, seen = {}, {}, {}
local limit, climit = tonumber(ARGV[1]), tonumber(ARGV[4])
local budget = {n = tonumber(redis.call('HGET', KEYS[3], ARGV[3]) or '0'), added = 0}
for i = 5, #ARGV, 2 do
  local key = ARGV[i]
  if not wait_one(KEYS[1], ARGV[2], limit, key, ARGV[i + 1], out) and not seen[key] then
    seen[key] = true
    claims[#claims + 1] = key
    claims[#claims + 1] = claim_one(KEYS[2], key, climit, budget)
  end
end
if budget.added > 0 then redis.call('HINCRBY', KEYS[3], ARGV[3], budget.added) end
return {out, claims}
"""

# KEYS: claimed set, group-count hash; ARGV: group, limit, keys…
_CLAIM_WITHIN = _CLAIM_ONE + """
local limit = tonumber(ARGV[2])
local budget = {n = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0'), added = 0}
local out = {}
for i = 3, #ARGV do out[i - 2] = claim_one(KEYS[1], ARGV[i], limit, budget) end
if budget.added > 0 then redis.call('HINCRBY', KEYS[2], ARGV[1], budget.added) end
return out
"""

_HOMEPAGE = """
redis.call('HSET', KEYS[1], 'homepage_done', 1)
if ARGV[1] == '1' then redis.call('HSET', KEYS[1], 'homepage_ok', 1) end
return 1
"""


def _h(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


BACKOFF_CAP, BACKOFF_BASE = 5.0, 0.1


def retry_window(retries: int) -> float:
    """How long, at most, a client of :func:`connect` keeps resending a command."""
    return sum(min(BACKOFF_CAP, BACKOFF_BASE * 2 ** i) for i in range(1, retries + 1))


def expire_matching(client: redis.Redis, pattern: str, seconds: int) -> int:
    """Keys matching ``pattern`` expire ``seconds`` from now (LT: a key that expires sooner already,
    a memo of a Lua step, keeps its own shorter life); returns how many."""
    keys = list(client.scan_iter(match=pattern, count=1000))
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.execute_command("EXPIRE", key, int(seconds), "LT")
    pipe.execute()
    return len(keys)


def connect(url: str, retries: int = 5) -> redis.Redis:
    """A client that retries with backoff when Redis is briefly away (a restart)."""
    return redis.Redis.from_url(
        url, retry=Retry(ExponentialBackoff(cap=BACKOFF_CAP, base=BACKOFF_BASE), retries),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError], health_check_interval=30,
    )


class RedisRunState(RunState):
    SCOPE_CACHE_SECONDS = 2.0
    ANSWERED_MAX = 200_000  # claim_links' memory of answered links (forgotten all at once past it)

    def __init__(self, run_id: str, client: redis.Redis, prefix: str = "govinspect", retry_seconds: float = 60.0):
        """``retry_seconds``: how long ``client`` keeps resending a command whose reply was lost
        (each claim and count below takes effect once all the same: :mod:`govinspect.runstate.once`)."""
        self.run_id = run_id
        self.r = client
        self.p = f"{prefix}:run:{run_id}"
        memo = (f"{self.p}:memo", memo_seconds_for(retry_seconds))

        def once(source: str) -> OnceScript:
            return OnceScript(client, source, *memo)

        self._once = OnceCommands(client, *memo)
        self._claim_pages = once(_CLAIM_PAGES)
        self._claim_targets = once(_CLAIM_TARGETS)
        self._target_done = once(_TARGET_DONE)
        self._trap = once(_TRAP)
        self._claim_links = once(_CLAIM_LINKS)
        self._targets_done_left = once(_TARGETS_DONE_LEFT)
        self._homepage = client.register_script(_HOMEPAGE)  # sets flags: a resend changes nothing
        self._scope_cache: dict[str, tuple[float, set[str]]] = {}
        # (site, page URL) and (site, NUL + target key) that claim_links answered in this process
        self._answered: set[tuple[str, str]] = set()
        self._wait_for = once(_WAIT_FOR)
        self._resolve = once(_RESOLVE)
        self._claim_within = once(_CLAIM_WITHIN)
        self._wait_or_claim = once(_WAIT_OR_CLAIM)
        self._units_script = once(_UNITS_ONCE)

    @classmethod
    def from_url(cls, run_id: str, url: str, prefix: str = "govinspect", retries: int = 5) -> RedisRunState:
        return cls(run_id, connect(url, retries), prefix, retry_window(retries))

    def _s(self, site_id: str) -> str:
        return f"{self.p}:s:{site_id}"

    def begin(self, budgets: Mapping[str, int]) -> None:
        pipe = self.r.pipeline()
        for site_id, max_pages in budgets.items():
            pipe.hsetnx(f"{self.p}:sites", site_id, int(max_pages))
            pipe.hsetnx(self._s(site_id), "max_pages", int(max_pages))
        pipe.execute()

    def site_ids(self) -> list[str]:
        return sorted(k.decode() for k in self.r.hkeys(f"{self.p}:sites"))

    def claim_pages(self, site_id: str, urls: Sequence[str]) -> list[bool | None]:
        if not urls:
            return []
        codes = self._claim_pages(keys=[self._s(site_id), f"{self._s(site_id)}:seen"], args=list(urls))
        return [None if c == 0 else c == 1 for c in codes]

    def pages_seen(self, site_id: str, urls: Sequence[str]) -> list[bool]:
        if not urls:
            return []
        return [bool(x) for x in self.r.smismember(f"{self._s(site_id)}:seen", list(urls))]

    def claim_targets(self, site_id: str, keys: Sequence[str]) -> list[bool]:
        if not keys:
            return []
        waiting = [f"{self.p}:t:w:{_h(k)}" for k in keys]
        codes = self._claim_targets(keys=[f"{self.p}:t:claimed", f"{self.p}:t:done", self._s(site_id), *waiting],
                                    args=[site_id, *keys])
        return [c == 1 for c in codes]

    def claim_links(self, site_id: str, pages: Sequence[str], targets: Sequence[tuple[str, str | None]],
                    check_refused: bool = True) -> tuple[list[bool | None], list[bool], list[bool]]:
        """Links this process had answered before for the site are answered here ("claimed already",
        what Redis would say, with no change there), the rest in one Lua step: a site's menus and
        footer repeat on every page, and they made most of the step's work."""
        known = self._answered
        ask_pages = [i for i, url in enumerate(pages) if (site_id, url) not in known]
        ask_targets = [i for i, (key, _) in enumerate(targets) if (site_id, "\0" + key) not in known]
        page_codes, target_codes = [0] * len(pages), [0] * len(targets)
        late: list[int] = []
        if ask_pages or ask_targets:
            args: list[str | int] = [site_id, f"{self.p}:t:w:", "1" if check_refused else "0", len(ask_pages),
                                     *(pages[i] for i in ask_pages)]
            for i in ask_targets:
                key, url = targets[i]
                args += [key, url or ""]
            keys = [self._s(site_id), f"{self._s(site_id)}:seen", f"{self.p}:t:claimed", f"{self.p}:t:done"]
            asked_pages, asked_targets, late = self._claim_links(keys=keys, args=args)
            if len(known) + len(ask_pages) + len(ask_targets) > self.ANSWERED_MAX:
                known.clear()
            for i, code in zip(ask_pages, asked_pages, strict=True):
                page_codes[i] = code
                if code != -1:  # refused by the budget: asked again, its answer is not "claimed already"
                    known.add((site_id, pages[i]))
            for i, code in zip(ask_targets, asked_targets, strict=True):
                target_codes[i] = code
                known.add((site_id, "\0" + targets[i][0]))
        return ([None if c == 0 else c == 1 for c in page_codes], [c == 1 for c in target_codes],
                [c == 1 for c in late])

    def target_done(self, key: str) -> list[str]:
        sites = self._target_done(keys=[f"{self.p}:t:done", f"{self.p}:t:w:{_h(key)}"], args=[key, f"{self.p}:s:"])
        return sorted(s.decode() for s in sites)

    def targets_done(self, keys: Sequence[str]) -> list[str]:
        if not keys:
            return []
        flat = self._targets_done_left(keys=[f"{self.p}:t:done"], args=[f"{self.p}:t:w:", f"{self.p}:s:", *keys])
        return sorted(flat[i].decode() for i in range(0, len(flat), 2))

    def count_off(self, targets: Sequence[str], pages: Mapping[str, int],
                  units: Mapping[str, tuple[Sequence[str], Sequence[Sequence[str]]]]) -> dict[str, int]:
        """One round trip: a batch of once-steps (targets, plain pages, named units)."""
        batch = ScriptBatch(self.r)
        order: list[str | None] = []
        if targets:
            batch.add(self._targets_done_left, keys=[f"{self.p}:t:done"],
                      args=[f"{self.p}:t:w:", f"{self.p}:s:", *targets])
            order.append(None)
        for site_id, n in pages.items():
            self._once.hincrby_to(batch, self._s(site_id), "pending", -n)
            order.append(site_id)
        for site_id, (names, counts) in units.items():
            if names:
                self._units_step(site_id, names, "done", -1, counts, batch=batch)
                order.append(site_id)
        # each step only takes off: the lowest count a site was seen at is the one after all of them
        # (a resent step may have run after a later one)
        left: dict[str, int] = {}
        for site_id, reply in zip(order, batch.execute(), strict=True):
            if site_id is None:  # the targets' released sites
                seen = [(reply[i].decode(), int(reply[i + 1])) for i in range(0, len(reply), 2)]
            else:  # pages: the new count; units: [new, pending]
                seen = [(site_id, int(reply[1]) if isinstance(reply, list) else int(reply))]
            for site, n in seen:
                left[site] = min(n, left.get(site, n))
        return left

    def waiting_targets(self, site_id: str) -> list[str]:
        keys = [k.decode() for k in self.r.sdiff(f"{self.p}:t:claimed", f"{self.p}:t:done")]
        return sorted(key for key, waits in zip(keys, self.waits_for(site_id, keys), strict=True) if waits)

    def waits_for(self, site_id: str, keys: Sequence[str]) -> list[bool]:
        if not keys:
            return []
        pipe = self.r.pipeline(transaction=False)
        for key in keys:
            pipe.sismember(f"{self.p}:t:w:{_h(key)}", site_id)  # deleted when the target is resolved
        return [bool(x) for x in pipe.execute()]

    def add_pending(self, site_id: str, n: int = 1) -> None:
        self._once.hincrby(self._s(site_id), "pending", n)

    def done_pending(self, site_id: str, n: int = 1) -> int:
        return self._once.hincrby(self._s(site_id), "pending", -n)

    def incr(self, site_id: str, counter: str, n: int = 1) -> int:
        check_counter(counter)
        return self._once.hincrby(self._s(site_id), counter, n)

    def homepage_fetched(self, site_id: str, ok: bool) -> None:
        self._homepage(keys=[self._s(site_id)], args=["1" if ok else "0"])

    def progress(self, site_id: str) -> SiteProgress:
        pipe = self.r.pipeline()
        pipe.hgetall(self._s(site_id))
        pipe.sismember(f"{self.p}:final", site_id)
        raw, finalised = pipe.execute()
        return _progress(site_id, raw, bool(finalised))

    def progress_all(self) -> dict[str, SiteProgress]:
        ids = self.site_ids()
        pipe = self.r.pipeline()
        for site_id in ids:
            pipe.hgetall(self._s(site_id))
        final = self.finalised_sites()
        rows = zip(ids, pipe.execute(), strict=True)
        return {site_id: _progress(site_id, raw, site_id in final) for site_id, raw in rows}

    def add_scope_host(self, site_id: str, host: str) -> None:
        self.r.sadd(f"{self._s(site_id)}:scope", host)
        self._scope_cache.pop(site_id, None)

    def scope_hosts(self, site_id: str) -> set[str]:
        """Asked for every link off the registered hosts (a dozen per page): read at most once per
        ``SCOPE_CACHE_SECONDS`` per site. The set only grows while the site's homepage is handled,
        before any other page of the site is queued, so a short-lived copy is never wrong in practice."""
        now = time.monotonic()
        cached = self._scope_cache.get(site_id)
        if cached is not None and now - cached[0] < self.SCOPE_CACHE_SECONDS:
            return set(cached[1])
        hosts = {h.decode() for h in self.r.smembers(f"{self._s(site_id)}:scope")}
        self._scope_cache[site_id] = (now, hosts)
        return set(hosts)

    def trap_variant(self, site_id: str, path: str, query: str, limit: int) -> bool:
        return bool(self._trap(keys=[f"{self.p}:trap:{site_id}:{_h(path)}"], args=[query, int(limit)]))

    def put(self, namespace: str, key: str, value: JSON) -> None:
        self.r.hset(f"{self.p}:d:{namespace}", key, dumps(value))

    def get(self, namespace: str, key: str) -> JSON | None:
        return loads(self.r.hget(f"{self.p}:d:{namespace}", key))

    def get_many(self, namespace: str, keys: Sequence[str]) -> list[JSON | None]:
        if not keys:
            return []
        return [loads(v) for v in self.r.hmget(f"{self.p}:d:{namespace}", list(keys))]

    def _w(self, namespace: str) -> str:
        return f"{self.p}:w:{namespace}"

    def wait_for(self, namespace: str, items: Sequence[tuple[str, JSON]], limit: int = 0) -> dict[str, JSON]:
        if not items:
            return {}
        args: list[str | int] = [int(limit), f"{self._w(namespace)}:q:"]
        for key, item in items:
            args += [key, dumps(item)]
        flat = self._wait_for(keys=[f"{self._w(namespace)}:r"], args=args)
        return {flat[i].decode(): loads(flat[i + 1]) for i in range(0, len(flat), 2)}

    def resolve(self, namespace: str, key: str, result: JSON) -> tuple[bool, list[JSON]]:
        w, h = self._w(namespace), _h(key)
        first, items = self._resolve(keys=[f"{w}:r", f"{w}:q:{h}", f"{w}:h:{h}"], args=[key, dumps(result)])
        return bool(first), [loads(i) for i in items]

    def results(self, namespace: str, keys: Sequence[str]) -> dict[str, JSON]:
        if not keys:
            return {}
        values = self.r.hmget(f"{self._w(namespace)}:r", list(keys))
        return {k: loads(v) for k, v in zip(keys, values, strict=True) if v is not None}

    def claim_within(self, namespace: str, group: str, keys: Sequence[str], limit: int) -> list[bool]:
        if not keys:
            return []
        codes = self._claim_within(keys=[f"{self.p}:c:{namespace}", f"{self.p}:c:{namespace}:n"],
                                   args=[group, int(limit), *keys])
        return [c == 1 for c in codes]

    def wait_or_claim(self, namespace: str, items: Sequence[tuple[str, JSON]], limit: int,
                      claims: str, group: str, claim_limit: int) -> tuple[dict[str, JSON], dict[str, bool]]:
        if not items:
            return {}, {}
        args: list[str | int] = [int(limit), f"{self._w(namespace)}:q:", group, int(claim_limit)]
        for key, item in items:
            args += [key, dumps(item)]
        flat, claimed = self._wait_or_claim(
            keys=[f"{self._w(namespace)}:r", f"{self.p}:c:{claims}", f"{self.p}:c:{claims}:n"], args=args)
        results = {flat[i].decode(): loads(flat[i + 1]) for i in range(0, len(flat), 2)}
        return results, {claimed[i].decode(): claimed[i + 1] == 1 for i in range(0, len(claimed), 2)}

    def claimed(self, namespace: str, keys: Sequence[str]) -> list[bool]:
        if not keys:
            return []
        return [bool(x) for x in self.r.smismember(f"{self.p}:c:{namespace}", list(keys))]

    def tally(self, namespace: str, key: str, n: int = 1) -> int:
        return self._once.hincrby(f"{self.p}:n:{namespace}", key, n)

    def claim_finalisation(self, site_id: str) -> bool:
        return self._once.sadd(f"{self.p}:final", site_id)

    def finalised_sites(self) -> set[str]:
        return {s.decode() for s in self.r.smembers(f"{self.p}:final")}

    def claim_run_end(self) -> bool:
        return self._once.setnx(f"{self.p}:end", "1")

    def purge(self) -> None:
        self._answered.clear()
        batch = []
        for key in self.r.scan_iter(match=f"{self.p}:*", count=1000):
            batch.append(key)
            if len(batch) >= 500:
                self.r.unlink(*batch)
                batch = []
        if batch:
            self.r.unlink(*batch)

    def expire(self, seconds: int) -> None:
        expire_matching(self.r, f"{self.p}:*", seconds)

    def close(self) -> None:
        self.r.close()

    # ---- units of work (fleet) ----------------------------------------------------------------------
    def add_units(self, site_id: str, units: Sequence[str]) -> int:
        return self._units_once(site_id, units, "added", 1)[0]

    def done_units(self, site_id: str, units: Sequence[str], counts: Sequence[Sequence[str]] | None = None) -> int:
        return self._units_once(site_id, units, "done", -1, counts)[0]

    def done_units_left(self, site_id: str, units: Sequence[str],
                        counts: Sequence[Sequence[str]] | None = None) -> int:
        if not units:
            return self.progress(site_id).pending
        return self._units_once(site_id, units, "done", -1, counts)[1]

    def _units_once(self, site_id: str, units: Sequence[str], kind: str, sign: int,
                    counts: Sequence[Sequence[str]] | None = None) -> tuple[int, int]:
        """How many units were new, and the site's pending count afterwards."""
        if not units:
            return 0, 0
        n, pending = self._units_step(site_id, units, kind, sign, counts)
        return int(n), int(pending)

    def _units_step(self, site_id: str, units: Sequence[str], kind: str, sign: int,
                    counts: Sequence[Sequence[str]] | None = None, batch: ScriptBatch | None = None):
        """The units step's reply ([new, pending]), or nothing when added to ``batch``."""
        check_counts(counts)
        counters = [",".join(c) for c in (counts or [()] * len(units))]
        if len(counters) != len(units):
            raise ValueError("counts must be aligned with units")
        keys = [self._s(site_id), f"{self._s(site_id)}:units-{kind}"]
        args = [sign, len(units), *units, *counters]
        if batch is not None:
            return batch.add(self._units_script, keys=keys, args=args)
        return self._units_script(keys=keys, args=args)

    def open_units(self, site_id: str) -> list[str]:
        units = self.r.sdiff(f"{self._s(site_id)}:units-added", f"{self._s(site_id)}:units-done")
        return sorted(u.decode() for u in units)

    def drop(self, namespace: str) -> None:
        self.r.delete(f"{self.p}:d:{namespace}")


def _progress(site_id: str, raw: dict[bytes, bytes], finalised: bool) -> SiteProgress:
    v = {k.decode(): int(x) for k, x in raw.items()}
    return SiteProgress(
        site_id=site_id, max_pages=v.get("max_pages", 0), pages_scheduled=v.get("scheduled", 0),
        pages=v.get("pages", 0), errors=v.get("errors", 0), blocked=v.get("blocked", 0),
        trapped=v.get("trapped", 0), failures=v.get("failures", 0), pending=v.get("pending", 0),
        budget_exhausted=bool(v.get("budget_exhausted")), homepage_ok=bool(v.get("homepage_ok")),
        homepage_done=bool(v.get("homepage_done")), finalised=finalised,
    )


# units of work (fleet). KEYS: site hash, the site's set of units added (or done); ARGV: sign, count of
# units, the units, then per unit its counters (comma-joined, maybe empty) to add one to when it is new.
# Returns how many were new and the pending count afterwards.
_UNITS_ONCE = """
local n = 0
local m = tonumber(ARGV[2])
for i = 3, 2 + m do
  if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then
    n = n + 1
    for counter in string.gmatch(ARGV[i + m], '[^,]+') do redis.call('HINCRBY', KEYS[1], counter, 1) end
  end
end
if n > 0 then redis.call('HINCRBY', KEYS[1], 'pending', n * tonumber(ARGV[1])) end
return {n, tonumber(redis.call('HGET', KEYS[1], 'pending') or '0')}
"""
