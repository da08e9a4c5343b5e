"""Rate limits: fixed-window counters held in Redis when configured (shared by every process), in memory otherwise."""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from api.kit.errors import RateLimitedError

log = logging.getLogger("dachuan.ratelimit")


@dataclass(frozen=True)
class Rule:
    """At most `limit` hits per `window` seconds for one key; `limit` 0 turns the rule off."""

    name: str
    limit: int
    window: int
    message: str  # what was limited, e.g. "获取验证码"


class Store(Protocol):
    """Counts hits in fixed windows; one interface, two backends."""

    async def hit(self, key: str, window: int) -> tuple[int, float]:
        """Counts one hit; returns the hits so far in the current window and the seconds until it ends."""
        ...

    async def count(self, key: str) -> tuple[int, float]:
        """Returns the hits so far in the current window and the seconds until it ends, counting nothing."""
        ...

    async def close(self) -> None: ...


class MemoryStore:
    """Counters in this process (the embedded default: one API process)."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._windows: dict[str, tuple[float, int]] = {}

    async def hit(self, key: str, window: int) -> tuple[int, float]:
        now = self._now()
        ends, count = self._windows.get(key, (0.0, 0))
        if ends <= now:
            ends, count = now + window, 0
            if len(self._windows) > 100_000:  # forget ended windows now and then, so memory stays bounded
                self._windows = {k: v for k, v in self._windows.items() if v[0] > now}
        count += 1
        self._windows[key] = (ends, count)
        return count, ends - now

    async def count(self, key: str) -> tuple[int, float]:
        now = self._now()
        ends, count = self._windows.get(key, (0.0, 0))
        return (count, ends - now) if ends > now else (0, 0.0)

    async def close(self) -> None:
        self._windows.clear()


class RedisStore:
    """Counters in Redis (INCR with an expiry), so every API process sees the same counts."""

    def __init__(self, url: str, prefix: str = "dachuan:rl:") -> None:
        from redis import asyncio as aioredis

        self._redis = aioredis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix
        self._hit = None

    # one command, atomic in Redis: the count, an expiry set when the key has none (new, or left without one by
    # a crash between INCR and EXPIRE in an older version), and the time left
    _HIT = """
    local count = redis.call('INCR', KEYS[1])
    local ttl = redis.call('PTTL', KEYS[1])
    if ttl < 0 then
        redis.call('EXPIRE', KEYS[1], ARGV[1])
        ttl = tonumber(ARGV[1]) * 1000
    end
    return {count, ttl}
    """

    async def hit(self, key: str, window: int) -> tuple[int, float]:
        if self._hit is None:
            self._hit = self._redis.register_script(self._HIT)  # EVALSHA, loading the script when Redis lacks it
        count, ttl_ms = await self._hit(keys=[self._prefix + key], args=[window])
        return int(count), int(ttl_ms) / 1000

    async def count(self, key: str) -> tuple[int, float]:
        name = self._prefix + key
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.get(name)
            pipe.pttl(name)
            count, ttl_ms = await pipe.execute()
        return (int(count), ttl_ms / 1000) if count is not None and ttl_ms > 0 else (0, 0.0)

    async def close(self) -> None:
        await self._redis.aclose()


class RateLimiter:
    """Checks hits against rules; an exceeded rule raises RateLimitedError saying when to try again."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def hit(self, rule: Rule, subject: str | int | None, *, refuse: bool = True) -> None:
        """Counts one hit of `subject` (a phone, an address, an account) against `rule`; past the limit, raises
        RateLimitedError (unless `refuse` is False: a failure being counted, whose own error is the answer)."""
        if rule.limit <= 0 or subject in (None, ""):
            return
        try:
            count, remaining = await self.store.hit(self._key(rule, subject), rule.window)
        except Exception:
            # a Redis outage must not stop sign-ins and mutations: limits pause until it is back
            log.warning("rate limit store unavailable, %s not counted", rule.name, exc_info=True)
            return
        if refuse and count > rule.limit:
            raise self._refusal(rule, remaining)

    async def check(self, rule: Rule, subject: str | int | None) -> None:
        """Raises RateLimitedError when `subject` has used up `rule` already; counts nothing."""
        if rule.limit <= 0 or subject in (None, ""):
            return
        try:
            count, remaining = await self.store.count(self._key(rule, subject))
        except Exception:
            log.warning("rate limit store unavailable, %s not checked", rule.name, exc_info=True)
            return
        if count >= rule.limit:
            raise self._refusal(rule, remaining)

    @staticmethod
    def _key(rule: Rule, subject: str | int) -> str:
        # subjects are hashed: phone numbers and addresses do not sit in Redis in the clear
        return f"{rule.name}:{hashlib.sha256(str(subject).encode()).hexdigest()[:32]}"

    @staticmethod
    def _refusal(rule: Rule, remaining: float) -> RateLimitedError:
        retry_after = max(1, math.ceil(remaining))
        return RateLimitedError(f"{rule.message}过于频繁，请在{wait_text(retry_after)}后再试",
                                retry_after=retry_after, code="rate_limited")

    async def close(self) -> None:
        await self.store.close()


def wait_text(seconds: int) -> str:
    """Returns a wait in words: 45秒, 3分钟, 1小时20分钟."""
    if seconds < 60:
        return f"{seconds}秒"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes}分钟"
    hours, rest = divmod(minutes, 60)
    return f"{hours}小时{rest}分钟" if rest else f"{hours}小时"


@dataclass(frozen=True)
class Rules:
    code_per_phone: Rule
    code_per_client: Rule
    sign_in_per_client: Rule
    sign_in_per_account: Rule
    applicant_mutations: Rule
    staff_mutations: Rule

    @classmethod
    def from_settings(cls, s) -> Rules:
        return cls(
            code_per_phone=Rule("code_phone", s.rate_codes_per_phone_hour, 3600, "获取验证码"),
            code_per_client=Rule("code_client", s.rate_codes_per_client_hour, 3600, "获取验证码"),
            sign_in_per_client=Rule("sign_in_client", s.rate_failed_sign_ins_per_client_15min, 900, "登录失败"),
            sign_in_per_account=Rule("sign_in_account", s.rate_failed_sign_ins_per_account_15min, 900, "登录失败"),
            applicant_mutations=Rule("mutations_applicant", s.rate_applicant_mutations_minute, 60, "操作"),
            staff_mutations=Rule("mutations_staff", s.rate_staff_mutations_minute, 60, "操作"),
        )


_limiter: RateLimiter | None = None
_rules: Rules | None = None


def configure_rate_limits(settings) -> RateLimiter:
    """Sets the process-wide limiter from settings: Redis when REDIS_URL is set, memory otherwise."""
    global _limiter, _rules
    store: Store = RedisStore(settings.redis_url) if settings.redis_url else MemoryStore()
    _limiter = RateLimiter(store)
    _rules = Rules.from_settings(settings)
    return _limiter


def get_rate_limiter() -> tuple[RateLimiter, Rules]:
    """Returns the process-wide limiter and rules (configured at start)."""
    if _limiter is None or _rules is None:
        from api.settings import get_settings

        configure_rate_limits(get_settings())
    assert _limiter is not None and _rules is not None
    return _limiter, _rules


async def check_mutation(actor) -> None:
    """Counts one mutation by a signed-in account."""
    limiter, rules = get_rate_limiter()
    if actor.is_staff:
        await limiter.hit(rules.staff_mutations, f"s{actor.staff_id}")
    elif actor.is_applicant:
        await limiter.hit(rules.applicant_mutations, f"c{actor.citizen_id}")
