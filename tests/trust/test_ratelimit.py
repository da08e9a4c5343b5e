"""Rate limits on codes, sign-ins and mutations: one interface, a memory and a Redis backend."""

from __future__ import annotations

import asyncio

import pytest

from api.kit.errors import RateLimitedError
from api.kit.ratelimit import MemoryStore, RateLimiter, RedisStore, Rule, wait_text
from tests.factories import make_staff
from tests.graphql.helpers import CODE_REQUEST, STAFF_SIGN_IN, gql, new_phone, sign_in_staff

RULE = Rule("test", limit=3, window=60, message="获取验证码")
RATE_LIMITED = "... on RateLimitedError { retryAfter }"


class FakeTime:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture(params=["memory", "redis"])
async def store(request):
    if request.param == "memory":
        s = MemoryStore()
    else:
        s = RedisStore(request.getfixturevalue("redis_server").url)
    yield s
    await s.close()


async def test_hits_up_to_the_limit_pass_and_the_next_is_refused_with_retry_after(store):
    limiter = RateLimiter(store)
    for _ in range(3):
        await limiter.hit(RULE, "13800000001")

    with pytest.raises(RateLimitedError) as caught:
        await limiter.hit(RULE, "13800000001")

    assert 1 <= caught.value.retry_after <= 60
    assert caught.value.code == "rate_limited"
    assert caught.value.message == f"获取验证码过于频繁，请在{wait_text(caught.value.retry_after)}后再试"


async def test_subjects_and_rules_are_counted_apart(store):
    limiter = RateLimiter(store)
    other_rule = Rule("other", limit=3, window=60, message="登录尝试")
    for _ in range(3):
        await limiter.hit(RULE, "a")

    await limiter.hit(RULE, "b")
    await limiter.hit(other_rule, "a")
    with pytest.raises(RateLimitedError):
        await limiter.hit(RULE, "a")


async def test_a_new_window_starts_after_the_old_one_ends(store):
    limiter = RateLimiter(store)
    short = Rule("short", limit=1, window=1, message="操作")
    await limiter.hit(short, "x")
    with pytest.raises(RateLimitedError):
        await limiter.hit(short, "x")

    await asyncio.sleep(1.1)

    await limiter.hit(short, "x")


async def test_memory_window_follows_its_clock():
    now = FakeTime()
    limiter = RateLimiter(MemoryStore(now))
    await limiter.hit(Rule("w", 1, 600, "操作"), "x")
    now.t += 599
    with pytest.raises(RateLimitedError) as caught:
        await limiter.hit(Rule("w", 1, 600, "操作"), "x")
    assert caught.value.retry_after == 1
    now.t += 1

    await limiter.hit(Rule("w", 1, 600, "操作"), "x")


async def test_redis_counts_are_shared_between_limiters(redis_server):
    one, two = RedisStore(redis_server.url), RedisStore(redis_server.url)
    try:
        await RateLimiter(one).hit(Rule("shared", 1, 60, "操作"), "x")
        with pytest.raises(RateLimitedError):
            await RateLimiter(two).hit(Rule("shared", 1, 60, "操作"), "x")
    finally:
        await one.close()
        await two.close()


async def test_a_redis_count_left_without_an_expiry_gets_one_and_the_script_survives_a_flush(redis_server):
    from redis import asyncio as aioredis

    store = RedisStore(redis_server.url)
    raw = aioredis.from_url(redis_server.url)
    try:
        await raw.set("dachuan:rl:stuck", 5)  # as a crash between INCR and EXPIRE could have left it
        assert await store.hit("stuck", 60) == (6, 60.0)
        assert 59_000 <= await raw.pttl("dachuan:rl:stuck") <= 60_000
        count, left = await store.hit("stuck", 60)
        assert count == 7 and 58 <= left <= 60
        await raw.script_flush()  # Redis restarted: the script is loaded again
        await raw.delete("dachuan:rl:fresh")
        assert (await store.hit("fresh", 30))[0] == 1
        assert 29_000 <= await raw.pttl("dachuan:rl:fresh") <= 30_000
    finally:
        await raw.aclose()
        await store.close()


async def test_redis_down_lets_requests_through(redis_server):
    store = RedisStore(redis_server.url)
    limiter = RateLimiter(store)
    redis_server.stop()
    try:
        for _ in range(5):
            await limiter.hit(Rule("down", 1, 60, "操作"), "x")
    finally:
        await store.close()


def test_waits_are_said_in_chinese():
    assert [wait_text(s) for s in (5, 60, 61, 3600, 4800)] == ["5秒", "1分钟", "2分钟", "1小时", "1小时20分钟"]


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_codes_per_phone_are_limited_through_graphql(make_client, request, backend):
    redis_url = request.getfixturevalue("redis_server").url if backend == "redis" else None
    phone = new_phone()
    async with make_client(rate_codes_per_phone_hour=2, otp_resend_seconds=0, rate_redis_url=redis_url) as client:
        answers = []
        for _ in range(3):
            body = await gql(client, CODE_REQUEST.replace("... on Error", RATE_LIMITED + " ... on Error"),
                             {"phone": phone})
            answers.append(body["data"]["authCodeRequest"])
        other = await gql(client, CODE_REQUEST, {"phone": new_phone()})

    assert [a["__typename"] for a in answers] == ["CodeSentSuccess", "CodeSentSuccess", "RateLimitedError"]
    assert answers[2]["code"] == "rate_limited"
    assert 3500 <= answers[2]["retryAfter"] <= 3600
    assert answers[2]["message"].startswith("获取验证码过于频繁，请在")
    assert other["data"]["authCodeRequest"]["__typename"] == "CodeSentSuccess"


async def test_codes_per_client_address_are_limited(make_client):
    async with make_client(rate_codes_per_client_hour=2, otp_resend_seconds=0) as client:
        names = [(await gql(client, CODE_REQUEST, {"phone": new_phone()}))["data"]["authCodeRequest"]["__typename"]
                 for _ in range(3)]

    assert names == ["CodeSentSuccess", "CodeSentSuccess", "RateLimitedError"]


async def test_a_forged_forwarded_address_does_not_dodge_the_per_address_limit(make_client):
    """Behind the proxy, a client that writes its own X-Forwarded-For gets the proxy's hop appended after it: the
    address counted is that last hop, so new forged first hops do not buy new codes; another real address
    (another last hop) has its own count."""
    async with make_client(rate_codes_per_client_hour=2, otp_resend_seconds=0, trust_forwarded_for=True) as client:
        async def ask(forwarded: str) -> str:
            response = await client.post("/graphql", json={"query": CODE_REQUEST, "variables": {"phone": new_phone()}},
                                         headers={"X-Forwarded-For": forwarded})
            return response.json()["data"]["authCodeRequest"]["__typename"]

        forged = [await ask(f"198.51.100.{i}, 203.0.113.7") for i in range(3)]
        elsewhere = await ask("203.0.113.8")

    assert forged == ["CodeSentSuccess", "CodeSentSuccess", "RateLimitedError"]
    assert elsewhere == "CodeSentSuccess"


async def test_after_too_many_failures_an_account_is_refused_even_the_right_password(make_client):
    _, username = await make_staff("approver")
    async with make_client(rate_failed_sign_ins_per_account_15min=3, login_max_failures=100) as client:
        for _ in range(3):
            await gql(client, STAFF_SIGN_IN, {"u": username, "p": "wrong-password-9"})
        body = await gql(client, STAFF_SIGN_IN, {"u": username, "p": "Passw0rd!x"})

    result = body["data"]["authStaffSignIn"]
    assert result["code"] == "rate_limited"
    assert result["message"].startswith("登录失败过于频繁，请在")
    assert result["message"].endswith("分钟后再试")


async def test_failed_sign_ins_per_client_address_are_limited_across_accounts(make_client):
    async with make_client(rate_failed_sign_ins_per_client_15min=2) as client:
        bodies = [await gql(client, STAFF_SIGN_IN, {"u": f"guess{i}", "p": "x1234567"}) for i in range(3)]
        codes = [b["data"]["authStaffSignIn"]["code"] for b in bodies]

    assert codes == ["bad_credentials", "bad_credentials", "rate_limited"]


async def test_successful_sign_ins_are_not_held_back(make_client):
    _, username = await make_staff("approver")
    async with make_client(rate_failed_sign_ins_per_account_15min=2, rate_failed_sign_ins_per_client_15min=2) as client:
        tokens = [await sign_in_staff(client, username) for _ in range(6)]

    assert len(set(tokens)) == 6


async def test_check_counts_nothing_and_refuses_once_the_limit_is_used(store):
    limiter = RateLimiter(store)
    for _ in range(5):
        await limiter.check(RULE, "y")
    for _ in range(3):
        await limiter.hit(RULE, "y", refuse=False)

    with pytest.raises(RateLimitedError) as caught:
        await limiter.check(RULE, "y")

    assert 1 <= caught.value.retry_after <= 60


async def test_failures_counted_past_the_limit_do_not_raise_themselves(store):
    limiter = RateLimiter(store)
    for _ in range(6):
        await limiter.hit(RULE, "z", refuse=False)

    with pytest.raises(RateLimitedError):
        await limiter.check(RULE, "z")


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_mutations_per_account_are_limited(make_client, request, backend):
    redis_url = request.getfixturevalue("redis_server").url if backend == "redis" else None
    _, username = await make_staff("admin")
    mutation = 'mutation { m: staffDisabledSet(staffId: "999999", disabled: true) { ... on Error { code } } }'
    async with make_client(rate_staff_mutations_minute=2, rate_redis_url=redis_url) as client:
        token = await sign_in_staff(client, username)
        codes = [(await gql(client, mutation, token=token))["data"]["m"]["code"] for _ in range(3)]

    assert codes == ["staff_not_found", "staff_not_found", "rate_limited"]
