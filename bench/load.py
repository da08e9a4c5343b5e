"""Load: concurrent applicants applying with photos while thousands of `caseProgress` subscribers stay live.

    .venv/bin/python bench/load.py                                              # 200 applicants, 2,000 subscribers, 60 s
    .venv/bin/python bench/load.py --applicants 20 --subscribers 200 --seconds 10   # smoke run, well under a minute
    .venv/bin/python bench/load.py --per-kind 20          # API CPU per request kind, one request at a time

Shape (PostgreSQL + Redis, the scaled-out topology): a throw-away PostgreSQL cluster and Redis server,
`--apis` API processes (default 2) and one `python -m workers` process; `python -m api migrate` for the schema
and the demo staff. Clients alternate between the API processes, as a load balancer would.

Before the measurement the bench seeds `--subscribers` 就业救助 cases through the service layer and opens one
`caseProgress` subscription per case from `--client-procs` processes (graphql-transport-ws, 20 a connection,
signed in as jd-cuiping, spread over the APIs), and waits until Redis shows every case channel subscribed.

Then, for `--seconds`:

- `--applicants` applicants at once, each in a loop: a new person (new phone, new ID number) asks for a sign-in
  code (`authCodeRequest`), signs in with it (`authCodeSignIn`; the code is read from the API's log, where the
  log SMS backend writes it), saves a profile (`profileSave`), uploads `--photos` photos (`POST /api/materials`,
  a `--photo`-sized JPEG each) and submits a 就业救助 application with them (`caseSubmit`). Between two steps the
  person pauses `--think` seconds (uniformly 0.5–1.5 times it); `--think 0` is a closed loop as fast as it goes.
- jd-cuiping accepts subscribed cases through GraphQL `caseAccept` at `--accept-rate` per second, so the
  subscribers receive events while the applicants apply (delivery latency = receipt − the event's createdAt).

Rate limits stay on. Many applicants from one address would exceed the per-address code limit
(`RATE_CODES_PER_CLIENT_HOUR`, 60 an hour), so by default (`--addresses one`) the bench raises that one limit for
its API processes by environment variable, to what the run needs; every other limit keeps its default.
`--addresses proxy` instead leaves every limit at its default and runs the APIs as behind the reverse proxy
(`TRUST_FORWARDED_FOR=true`), each applicant sending its own `X-Forwarded-For` address.

Figures: throughput (operations and completed applications per second), p50/p90/p99/max latency per operation
kind, and every error (HTTP status other than success, GraphQL errors, typed error payloads, timeouts,
subscription errors and connections closed by the server).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import re
import signal
import sys
import time
import uuid
from collections import defaultdict
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness as h  # noqa: E402

TARGET_P99 = 1.0
TARGET_APPLICANTS = 200
TARGET_SUBSCRIBERS = 2000
TARGET_SECONDS = 60

CODE_REQUEST = ("mutation($p:String!){ authCodeRequest(phone:$p){ __typename "
                "... on Error { code message } } }")
CODE_SIGN_IN = ("mutation($p:String!,$c:String!){ authCodeSignIn(phone:$p, code:$c){ __typename "
                "... on SignInSuccess { token } ... on Error { code message } } }")
PROFILE_SAVE = ("mutation($i:ProfileInput!){ profileSave(input:$i){ __typename "
                "... on ApplicantSuccess { applicant { id } } ... on Error { code message } } }")
SUBMIT = ("mutation($i:CaseSubmitInput!){ caseSubmit(input:$i){ __typename "
          "... on CaseSuccess { case { id status lastSeq } } ... on Error { code message } } }")
PHOTO_KINDS = ("id_card", "hukou", "unemployment_cert")  # 就业救助's materials: the first is required
SMS_LINE = re.compile(r"\[sms\] 验证码 (\d{6}) → (\S+)")


# ------------------------------------------------------------------------------------------ subscriber processes

def client_main(conn, ws_urls: list[str], token: str, case_ids: list[int]) -> None:
    h.raise_nofile()
    asyncio.run(_client(conn, ws_urls, token, case_ids))


async def _client(conn, ws_urls: list[str], token: str, case_ids: list[int]) -> None:
    pool = h.SubscriberPool(ws_urls=ws_urls, token=token)
    try:
        await pool.open(case_ids, after_seq=1)  # seq 1 is the submission: only new steps come
    except Exception as e:  # noqa: BLE001 (reported to the parent, which stops the run)
        conn.send(("failed", f"{type(e).__name__}: {e}"))
        return
    conn.send(("subscribed", len(pool._sockets), list(pool.errors)))
    await asyncio.to_thread(conn.recv)  # "stop": the measurement is over (plus a grace period)
    rows = [(r.case_id, r.seq, r.created_at, r.received_at) for r in pool.received]
    open_at_end = sum(1 for ws in pool._sockets if ws.close_code is None)
    conn.send(("results", rows, list(pool.errors), pool.closed_by_server, open_at_end))
    await asyncio.to_thread(conn.recv)  # "bye": the parent has read this process's CPU time
    await pool.close()


# ------------------------------------------------------------------------------------------------ SMS codes

class CodeReader:
    """Reads sign-in codes from the API processes' logs (the log SMS backend prints `[sms] 验证码 CODE → PHONE`)."""

    def __init__(self, paths: list) -> None:
        self.files = [open(p, encoding="utf-8", errors="replace") for p in paths]  # noqa: SIM115
        self.codes: dict[str, str] = {}
        self.waiters: dict[str, asyncio.Future] = {}
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            for f in self.files:
                for line in f.readlines():
                    m = SMS_LINE.search(line)
                    if m:
                        code, phone = m.group(1), m.group(2)
                        self.codes[phone] = code
                        waiter = self.waiters.pop(phone, None)
                        if waiter is not None and not waiter.done():
                            waiter.set_result(code)
            await asyncio.sleep(0.01)

    async def code_for(self, phone: str, wait: float = 30) -> str:
        if phone in self.codes:
            return self.codes.pop(phone)
        waiter = asyncio.get_running_loop().create_future()
        self.waiters[phone] = waiter
        try:
            return await asyncio.wait_for(waiter, wait)
        finally:
            self.codes.pop(phone, None)

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
        for f in self.files:
            f.close()


# ---------------------------------------------------------------------------------------------- the run

class Recorder:
    """Latency per operation kind and every error, with the time each operation ended."""

    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.ended: list[float] = []
        self.errors: list[str] = []
        self.error_kinds: dict[str, int] = defaultdict(int)

    def ok(self, kind: str, seconds: float) -> None:
        self.latency[kind].append(seconds)
        self.ended.append(time.monotonic())

    def error(self, kind: str, text: str) -> None:
        self.errors.append(f"{kind}: {text}"[:400])
        self.error_kinds[kind] += 1


def photo_bytes(size: str, seed: int) -> bytes:
    """A JPEG of the given size (`WxH`) with noise in it, so it compresses like a photo rather than a flat area."""
    import io

    from PIL import Image

    w, h_ = (int(x) for x in size.lower().split("x"))
    noise = Image.effect_noise((w, h_), 40).convert("RGB")
    tint = Image.new("RGB", (w, h_), (120 + seed % 60, 110, 100))
    buf = io.BytesIO()
    Image.blend(noise, tint, 0.6).save(buf, format="JPEG", quality=85)
    return buf.getvalue()


async def drive(args, topo: h.Topology, urls: list[str], api_logs: list) -> dict:
    import httpx

    from api.kit.idnumber import make_id_number

    figures: dict = {}
    rec = Recorder()
    await h.open_service_layer(topo)
    codes = CodeReader(api_logs)
    codes.start()
    # the measured requests go through the bench's light client (bench/_harness.py LiteHTTP: one write per
    # request, idle connections dropped after 2 s, before uvicorn closes them at 5 s); httpx only for set-up
    clients = [h.LiteHTTP(u, timeout=args.timeout) for u in urls]
    procs, pipes = [], []
    try:
        async with httpx.AsyncClient(base_url=urls[0], timeout=args.timeout) as setup:
            worker_token = await h.sign_in(setup, "cun-xinqiao")
            township_token = await h.sign_in(setup, "jd-cuiping")
        started = time.monotonic()
        case_ids = await h.seed_cases(worker_token, n=args.subscribers, item_code="jiuye", material_kinds=("id_card",),
                                      form={"helpWanted": "job_referral"}, first_birth=date(1975, 1, 1),
                                      progress=h.log)
        figures["seed_seconds"] = time.monotonic() - started
        h.log(f"{len(case_ids)} cases seeded in {figures['seed_seconds']:.1f} s")

        # --- subscribers, spread over client processes and API processes
        ctx = mp.get_context("spawn")
        ws_urls = [u.replace("http://", "ws://") + "/graphql" for u in urls]
        shares = [case_ids[i::args.client_procs] for i in range(args.client_procs)]
        started = time.monotonic()
        for share in shares:
            parent, child = ctx.Pipe()
            p = ctx.Process(target=client_main, args=(child, ws_urls, township_token, share), daemon=True)
            p.start()
            topo.extra_pids[f"subscribers{len(procs) + 1}"] = p.pid
            procs.append(p)
            pipes.append(parent)
        connections = 0
        for pipe in pipes:
            msg = await asyncio.to_thread(pipe.recv)
            if msg[0] != "subscribed":
                raise RuntimeError(f"a subscriber process failed: {msg[1]}")
            connections += msg[1]
        await h.wait_channels_live(topo.redis.url, case_ids, limit=300)
        figures["subscribe_seconds"] = time.monotonic() - started
        figures["connections"] = connections
        h.log(f"{len(case_ids)} subscriptions on {connections} connections live in "
              f"{figures['subscribe_seconds']:.1f} s")
        await asyncio.sleep(2)
        topo.check_alive()

        photos = [photo_bytes(args.photo, i) for i in range(4)]
        figures["photo_bytes"] = len(photos[0])
        # each (photo, kind) request body built once, as a phone's upload would be, not re-encoded per request
        bodies = {(i, kind): h.multipart({"kind": kind}, "file", "photo.jpg", "image/jpeg", data)
                  for i, data in enumerate(photos) for kind in PHOTO_KINDS}
        serial = iter(range(10**9))
        accepted: dict[int, float] = {}
        completed: list[float] = []
        stop_at = time.monotonic() + args.seconds

        async def timed(kind: str, call, check) -> object | None:
            t = time.monotonic()
            try:
                result = await call()
            except Exception as e:  # noqa: BLE001 (every failure is an error of the run, and counted)
                rec.error(kind, f"{type(e).__name__}: {e}")
                return None
            problem = check(result)
            if problem:
                rec.error(kind, problem)
                return None
            rec.ok(kind, time.monotonic() - t)
            return result

        def gql_check(field: str, success: str):
            def check(r) -> str | None:
                if r.status_code != 200:
                    return f"HTTP {r.status_code}: {r.text[:200]}"
                body = r.json()
                if body.get("errors"):
                    return f"GraphQL errors: {body['errors']}"
                payload = body["data"][field]
                if payload["__typename"] != success:
                    return f"{payload}"
                return None
            return check

        async def think() -> None:
            if args.think > 0:
                await asyncio.sleep(args.think * random.uniform(0.5, 1.5))

        async def applicant() -> None:
            await asyncio.sleep(random.uniform(0, min(args.think, 1.0) if args.think else 0))  # spread the start
            while time.monotonic() < stop_at:
                await journey(next(serial))

        async def journey(k: int) -> None:
            """One person, from asking for a code to a submitted application; returns at the first error."""
            http = clients[k % len(clients)]
            headers = {"X-Forwarded-For": f"10.{(k >> 16) & 255}.{(k >> 8) & 255}.{k & 255}"} \
                if args.addresses == "proxy" else {}
            phone = f"136{k:08d}"

            async def post(query: str, variables: dict, token: str | None = None):
                auth = {"Authorization": f"Bearer {token}"} if token else {}
                return await http.post("/graphql", json={"query": query, "variables": variables},
                                       headers={**headers, **auth})

            if await timed("authCodeRequest", lambda: post(CODE_REQUEST, {"p": phone}),
                           gql_check("authCodeRequest", "CodeSentSuccess")) is None:
                return
            try:
                code = await codes.code_for(phone)
            except TimeoutError:
                rec.error("sms", f"no code for {phone} in the API logs")
                return
            await think()
            r = await timed("authCodeSignIn", lambda: post(CODE_SIGN_IN, {"p": phone, "c": code}),
                            gql_check("authCodeSignIn", "SignInSuccess"))
            if r is None:
                return
            token = r.json()["data"]["authCodeSignIn"]["token"]
            await think()
            birth = date(1980, 1, 1) + timedelta(days=k // 800)
            profile = {"name": "压测申请人", "idNumber": make_id_number(birth=birth, seq=100 + k % 800),
                       "address": f"新桥村{k}号", "regionCode": h.XINQIAO}
            if await timed("profileSave", lambda: post(PROFILE_SAVE, {"i": profile}, token),
                           gql_check("profileSave", "ApplicantSuccess")) is None:
                return
            material_ids = []
            for n in range(args.photos):
                await think()
                kind = PHOTO_KINDS[n % len(PHOTO_KINDS)]
                body, content_type = bodies[((k + n) % len(photos), kind)]
                r = await timed("upload", lambda body=body, content_type=content_type: http.post(
                    "/api/materials", content=body, content_type=content_type,
                    headers={**headers, "Authorization": f"Bearer {token}"}),
                    lambda r: None if r.status_code == 201 else f"HTTP {r.status_code}: {r.text[:200]}")
                if r is not None:
                    material_ids.append(r.json()["id"])
            if len(material_ids) < args.photos:
                return
            await think()
            submission = {"itemCode": "jiuye", "submissionKey": uuid.uuid4().hex,
                          "form": {"helpWanted": "training"}, "materialIds": material_ids}
            if await timed("caseSubmit", lambda: post(SUBMIT, {"i": submission}, token),
                           gql_check("caseSubmit", "CaseSuccess")) is not None:
                completed.append(time.monotonic())
            await think()

        async def accepter() -> None:
            if args.accept_rate <= 0:
                return
            t0 = time.monotonic()
            pending = []
            for i, case_id in enumerate(case_ids):
                delay = t0 + i / args.accept_rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                if time.monotonic() >= stop_at:
                    break

                async def one(i: int = i, case_id: int = case_id) -> None:
                    http = clients[i % len(clients)]
                    r = await timed("caseAccept (staff)", lambda: http.post(
                        "/graphql", json={"query": h.ACCEPT, "variables": {"id": str(case_id)}},
                        headers={"Authorization": f"Bearer {township_token}"}),
                        gql_check("caseAccept", "CaseSuccess"))
                    if r is not None:
                        accepted[case_id] = time.time()

                pending.append(asyncio.create_task(one()))
            await asyncio.gather(*pending)

        profiled = {name: proc.pid for name, proc in topo.processes if name.startswith("api")}
        profiled["bench"] = os.getpid()
        profilers = h.start_profilers(topo, profiled, "load") if args.profile else []
        cpu_before = topo.cpu_snapshot()
        load_before = os.getloadavg()
        t_start = time.monotonic()
        first_wall = time.time()
        await asyncio.gather(accepter(), *(applicant() for _ in range(args.applicants)))
        figures["elapsed"] = time.monotonic() - t_start
        h.stop_profilers(profilers)
        await asyncio.sleep(args.grace)  # the last deliveries
        figures["cpu_all"] = h.cpu_delta(cpu_before, topo.cpu_snapshot(), time.monotonic() - t_start)
        figures["loadavg"] = (load_before, os.getloadavg())

        results, sub_errors, closed, open_at_end = [], [], 0, 0
        for pipe in pipes:
            pipe.send("stop")
        for pipe in pipes:
            msg = await asyncio.to_thread(pipe.recv)
            results += msg[1]
            sub_errors += msg[2]
            closed += msg[3]
            open_at_end += msg[4]
        for pipe in pipes:
            pipe.send("bye")
        for p in procs:
            p.join(timeout=30)
        deliveries = {}
        for case_id, seq, created, received in results:
            if seq == 2:
                deliveries[case_id] = received - created
        missing = [c for c in accepted if c not in deliveries]
        for seconds in deliveries.values():
            rec.latency["caseProgress delivery"].append(seconds)
        for e in sub_errors:
            rec.error("caseProgress", e)
        if missing:
            rec.error("caseProgress", f"{len(missing)} accepted cases' events never reached their subscriber")
        figures.update(rec=rec, completed=completed, accepted=len(accepted), delivered=len(deliveries),
                       closed=closed, open_at_end=open_at_end, first_wall=first_wall, t_start=t_start)
        topo.check_alive()
    finally:
        for c in clients:
            await c.aclose()
        await codes.close()
        await h.close_service_layer()
    return figures


async def per_kind(args, topo: h.Topology, url: str, api_log, api_pid: int) -> None:
    """`--per-kind N`: N applicants one request at a time, kind by kind, on ONE API process (no subscribers, no
    other traffic); prints the CPU that API process used per request of each kind. CPU time counts only what
    the process itself ran, so it hardly depends on what else the machine is doing, unlike latency."""
    import httpx

    from api.kit.idnumber import make_id_number

    codes = CodeReader([api_log])
    codes.start()
    photos = [photo_bytes(args.photo, i) for i in range(4)]
    n = args.per_kind
    cpu: dict[str, list[float]] = defaultdict(list)

    async with httpx.AsyncClient(base_url=url, timeout=args.timeout) as http:
        async def post(query: str, variables: dict, field: str, success: str, token: str | None = None) -> dict:
            r = await http.post("/graphql", json={"query": query, "variables": variables},
                                headers={"Authorization": f"Bearer {token}"} if token else {})
            payload = r.json()["data"][field]
            if payload["__typename"] != success:
                raise RuntimeError(f"{field}: {payload}")
            return payload

        for turn in range(args.per_kind_rounds):
            ks = range(turn * n, (turn + 1) * n)
            phones = [f"137{k:08d}" for k in ks]
            t = h.cpu_seconds(api_pid)
            for phone in phones:
                await post(CODE_REQUEST, {"p": phone}, "authCodeRequest", "CodeSentSuccess")
            cpu["authCodeRequest"].append((h.cpu_seconds(api_pid) - t) / n)
            sent = [await codes.code_for(phone) for phone in phones]
            t = h.cpu_seconds(api_pid)
            tokens = [(await post(CODE_SIGN_IN, {"p": phone, "c": code}, "authCodeSignIn", "SignInSuccess"))["token"]
                      for phone, code in zip(phones, sent, strict=True)]
            cpu["authCodeSignIn"].append((h.cpu_seconds(api_pid) - t) / n)
            t = h.cpu_seconds(api_pid)
            for k, token in zip(ks, tokens, strict=True):
                profile = {"name": "压测申请人", "idNumber": make_id_number(birth=date(1980, 1, 1) + timedelta(days=k // 800),
                                                                     seq=100 + k % 800),
                           "address": f"新桥村{k}号", "regionCode": h.XINQIAO}
                await post(PROFILE_SAVE, {"i": profile}, "profileSave", "ApplicantSuccess", token)
            cpu["profileSave"].append((h.cpu_seconds(api_pid) - t) / n)
            t = h.cpu_seconds(api_pid)
            uploaded = []
            for k, token in zip(ks, tokens, strict=True):
                ids = []
                for i in range(args.photos):
                    r = await http.post("/api/materials", data={"kind": PHOTO_KINDS[i]},
                                        files={"file": ("photo.jpg", photos[(k + i) % len(photos)], "image/jpeg")},
                                        headers={"Authorization": f"Bearer {token}"})
                    if r.status_code != 201:
                        raise RuntimeError(f"upload: HTTP {r.status_code}: {r.text[:200]}")
                    ids.append(r.json()["id"])
                uploaded.append(ids)
            cpu["upload"].append((h.cpu_seconds(api_pid) - t) / (n * args.photos))
            t = h.cpu_seconds(api_pid)
            for token, ids in zip(tokens, uploaded, strict=True):
                await post(SUBMIT, {"i": {"itemCode": "jiuye", "submissionKey": uuid.uuid4().hex,
                                          "form": {"helpWanted": "training"}, "materialIds": ids}},
                           "caseSubmit", "CaseSuccess", token)
            cpu["caseSubmit"].append((h.cpu_seconds(api_pid) - t) / n)
    await codes.close()
    journey = sum(min(v) * (args.photos if k == "upload" else 1) for k, v in cpu.items())
    out = [("date", time.strftime("%Y-%m-%d %H:%M %Z")), ("machine", h.machine()), ("code", h.source_version()),
           ("machine load", f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"),
           ("load", f"{n} applicants × {args.per_kind_rounds} rounds, one request at a time, {args.photos} photos "
                    f"of {args.photo} each")]
    out += [(kind, "API CPU per request " + ", ".join(f"{1000 * x:.1f} ms" for x in v) + " (by round)")
            for kind, v in cpu.items()]
    out.append(("journey", f"{1000 * journey:.0f} ms of API CPU per applicant (the lowest round of each kind)"))
    print(h.summary_block("bench/load.py --per-kind — API CPU per request, one at a time", out), flush=True)


def report(args, f: dict) -> bool:
    rec: Recorder = f["rec"]
    elapsed = f["elapsed"]
    request_kinds = [k for k in rec.latency if k != "caseProgress delivery"]
    requests = sum(len(rec.latency[k]) for k in request_kinds)
    worst_p99 = max((h.percentile(v, 99) for v in rec.latency.values() if v), default=float("nan"))
    full = (args.applicants >= TARGET_APPLICANTS and args.subscribers >= TARGET_SUBSCRIBERS
            and args.seconds >= TARGET_SECONDS)
    ok = not rec.errors and worst_p99 < TARGET_P99
    load_before, load_after = f["loadavg"]
    out = [
        ("date", time.strftime("%Y-%m-%d %H:%M %Z")),
        ("machine", h.machine()),
        ("code", h.source_version()),
        ("machine load", f"{args.busy_before:.0f}% busy before the start; load average "
                         f"{' '.join(f'{x:.2f}' for x in load_before)} at the start, "
                         f"{' '.join(f'{x:.2f}' for x in load_after)} at the end"),
        ("shape", f"PostgreSQL + Redis; {args.apis} API processes, 1 workers process; rate limits on "
                  + ("(per-address code limit raised for one address)" if args.addresses == "one"
                     else "(defaults; X-Forwarded-For per applicant)")),
        ("load", f"{args.applicants} applicants at once for {args.seconds} s, think {args.think} s, "
                 f"{args.photos} photos of {args.photo} ({f['photo_bytes'] / 1024:.0f} KiB); "
                 f"{args.subscribers} caseProgress subscribers on {f['connections']} connections; "
                 f"accepts {args.accept_rate}/s"),
        ("throughput", f"{requests} requests in {elapsed:.1f} s = {requests / elapsed:.1f}/s; "
                       f"{len(f['completed'])} applications submitted = {len(f['completed']) / elapsed:.2f}/s"),
        ("subscribers", f"{f['delivered']} accepts delivered to their subscriber ({f['accepted']} acknowledged; an "
                        f"accept that timed out at the client may still have committed); "
                        f"{f['open_at_end']} connections open at the end, {f['closed']} closed by the server"),
    ]
    for kind in ("authCodeRequest", "authCodeSignIn", "profileSave", "upload", "caseSubmit", "caseAccept (staff)",
                 "caseProgress delivery"):
        v = rec.latency.get(kind, [])
        if not v and not rec.error_kinds.get(kind):
            continue
        out.append((kind, f"n={len(v):<5} p50 {h.ms(h.percentile(v, 50))}   p90 {h.ms(h.percentile(v, 90))}   "
                          f"p99 {h.ms(h.percentile(v, 99))}   max {h.ms(max(v, default=float('nan')))}   "
                          f"errors {rec.error_kinds.get(kind, 0)}"))
    out += [
        ("CPU, all processes", f["cpu_all"]),
        ("seeding / subscribing", f"{f['seed_seconds']:.0f} s / {f['subscribe_seconds']:.0f} s"),
        ("errors", f"{len(rec.errors)}" + (f" ({dict(rec.error_kinds)}); first: {rec.errors[0]}" if rec.errors
                                           else "")),
        ("target", f"{TARGET_APPLICANTS} applicants + {TARGET_SUBSCRIBERS} subscribers for {TARGET_SECONDS} s: "
                   f"zero errors and p99 < {TARGET_P99 * 1000:.0f} ms for every operation kind"),
        ("met", ("YES" if ok else "NO") + ("" if full else " (a smaller run than the target's)")),
    ]
    print(h.summary_block("bench/load.py — applicants with photos + live subscribers, 2 APIs", out), flush=True)
    if rec.errors[1:]:
        print("more errors:", *rec.errors[1:10], sep="\n  ")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--applicants", type=int, default=TARGET_APPLICANTS, help="applicants at once (default 200)")
    parser.add_argument("--subscribers", type=int, default=TARGET_SUBSCRIBERS,
                        help="live caseProgress subscriptions, one per seeded case (default 2000)")
    parser.add_argument("--seconds", type=float, default=TARGET_SECONDS, help="length of the measurement (60)")
    parser.add_argument("--think", type=float, default=1.0,
                        help="seconds an applicant pauses between two steps, ×0.5–1.5 (default 1; 0: closed loop)")
    parser.add_argument("--photos", type=int, default=2, help="photos per application (1–3, default 2)")
    parser.add_argument("--photo", default="1600x1200", help="size of each photo, WxH (default 1600x1200)")
    parser.add_argument("--accept-rate", type=float, default=10,
                        help="caseAccept per second on subscribed cases, so subscribers get events (default 10)")
    parser.add_argument("--apis", type=int, default=2, help="API processes (default 2)")
    parser.add_argument("--client-procs", type=int, default=2, help="processes holding the subscriptions")
    parser.add_argument("--addresses", choices=("one", "proxy"), default="one",
                        help="one: every applicant from this machine's address, per-address code limit raised; "
                             "proxy: all limits at their defaults, a distinct X-Forwarded-For per applicant")
    parser.add_argument("--timeout", type=float, default=30, help="seconds before a request counts as failed")
    parser.add_argument("--grace", type=float, default=3, help="seconds to wait for the last deliveries")
    parser.add_argument("--per-kind", type=int, default=0, metavar="N",
                        help="instead of the load: N applicants one request at a time on one API process, "
                             "printing its CPU per request kind")
    parser.add_argument("--per-kind-rounds", type=int, default=2, help="rounds of --per-kind (default 2)")
    parser.add_argument("--profile", action="store_true",
                        help="py-spy every API process and the bench's client during the load (implies --keep)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")
    args = parser.parse_args()
    if not 1 <= args.photos <= len(PHOTO_KINDS):
        parser.error("--photos must be 1..3")
    limit = h.raise_nofile()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop everything started (finally below)
    args.busy_before = h.busy_now()
    h.log(f"machine {args.busy_before:.0f}% busy before the start; load average {os.getloadavg()}")
    h.log(f"open-file limit {limit}")
    topo = h.Topology("load", keep=args.keep or args.profile)
    ok_run = False
    try:
        topo.start_stores()
        extra = {"OUTBOX_POLL_SECONDS": "0.5"}
        if args.addresses == "one":
            # every applicant asks for a code from 127.0.0.1: room for all of them, with a margin
            extra["RATE_CODES_PER_CLIENT_HOUR"] = str(max(60, int(args.applicants * args.seconds * 2)))
        else:
            extra["TRUST_FORWARDED_FOR"] = "true"
        topo.base_env(**extra)
        topo.migrate()
        urls, logs, pids = [], [], []
        if args.per_kind:
            args.apis = 1
        for i in range(args.apis):
            port = h.free_port()
            pids.append(topo.start_api(f"api{i + 1}", port).pid)
            urls.append(f"http://127.0.0.1:{port}")
            logs.append(topo.logs / f"api{i + 1}.log")
        topo.spawn([sys.executable, "-m", "workers"], "workers")
        h.log(f"PostgreSQL, Redis, APIs {', '.join(urls)}, 1 workers process")
        if args.per_kind:
            asyncio.run(per_kind(args, topo, urls[0], logs[0], pids[0]))
            ok_run = True
            return
        figures = asyncio.run(drive(args, topo, urls, logs))
        report(args, figures)
        ok_run = not figures["rec"].errors
    finally:
        if topo.keep:
            print(f"logs kept in {topo.logs}")
        topo.close()
    sys.exit(0 if ok_run else 1)


if __name__ == "__main__":
    main()
