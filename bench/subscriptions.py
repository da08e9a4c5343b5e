"""Live-progress fan-out: N `caseProgress` subscribers on ONE API process, one status change each.

    .venv/bin/python bench/subscriptions.py             # 10,000 subscribers (500 connections × 20)
    .venv/bin/python bench/subscriptions.py --quick     # 200 subscribers, well under a minute

Shape (PostgreSQL + Redis, the scaled-out topology): a throw-away PostgreSQL cluster and Redis server, one
`python -m api` process (uvicorn, the process measured), `python -m api migrate` for the schema and demo staff.
The bench process seeds N 就业救助 (jiuye) cases through the service layer, opens the subscribers from
`--client-procs` separate processes (graphql-transport-ws, up to 20 subscriptions per connection, signed in as
jd-cuiping), waits until Redis shows every case channel subscribed, then accepts every case once, at `--rate`
per second (default 100; `--rate 0`: as fast as `--concurrency` allows, a burst). By default the accepts run
through the service layer in the bench process and are published through Redis, so the API process does only
delivery (`--via graphql` sends them as caseAccept mutations to the same API process).

Latency per event = receipt at the subscriber − the event's createdAt (set in `cases.service.act` before the
writes), and receipt − the moment the transition's commit returned (`--via service`: an after-commit hook that
runs before the publish; `--via graphql`: the mutation's response). Memory = VmRSS of the API process.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from datetime import date

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness as h  # noqa: E402

TARGET_P99 = 1.0
TARGET_SUBSCRIBERS = 10_000


# ------------------------------------------------------------------------------------------ client processes

def client_main(conn, ws_urls: list[str], token: str, case_ids: list[int], per_connection: int) -> None:
    h.raise_nofile()
    asyncio.run(_client(conn, ws_urls, token, case_ids, per_connection))


async def _client(conn, ws_urls: list[str], token: str, case_ids: list[int], per_connection: int) -> None:
    pool = h.SubscriberPool(ws_urls=ws_urls, token=token, per_connection=per_connection)
    expected = set(case_ids)
    got: set[int] = set()
    all_in = asyncio.Event()

    def seen(r: h.Received) -> None:
        if r.seq >= 2:
            got.add(r.case_id)
            if len(got) >= len(expected):
                all_in.set()

    pool.on_receive = seen
    try:
        await pool.open(case_ids, after_seq=1)  # seq 1 is the submission: only new steps come
    except Exception as e:  # noqa: BLE001 (reported to the parent, which stops the run)
        conn.send(("failed", f"{type(e).__name__}: {e}"))
        return
    conn.send(("subscribed", len(pool._sockets), list(pool.errors)))
    while not all_in.is_set():
        if conn.poll():
            conn.recv()  # "stop": the parent gave up waiting
            break
        try:
            await asyncio.wait_for(all_in.wait(), 0.1)
        except TimeoutError:
            pass
    rows = [(r.case_id, r.seq, r.created_at, r.received_at) for r in pool.received]
    conn.send(("results", rows, list(pool.errors), pool.closed_by_server))
    await asyncio.to_thread(conn.recv)  # "bye": the parent has read this process's CPU time
    await pool.close()


# ---------------------------------------------------------------------------------------------- the run

async def drive(args, topo: h.Topology, api_url: str, api_pid: int) -> dict:
    import httpx

    from api.cases import service as cases
    from api.kit.db import after_commit, unit_of_work

    figures: dict = {}
    await h.open_service_layer(topo)
    try:
        async with httpx.AsyncClient(base_url=api_url, timeout=120) as http:
            worker_token = await h.sign_in(http, "cun-xinqiao")
            township_token = await h.sign_in(http, "jd-cuiping")
            n = args.subscribers
            started = time.monotonic()
            case_ids = await h.seed_cases(worker_token, n=n, item_code="jiuye", material_kinds=("id_card",),
                                          form={"helpWanted": "job_referral"}, first_birth=date(1975, 1, 1),
                                          progress=h.log)
            figures["seed_seconds"] = time.monotonic() - started
            h.log(f"{len(case_ids)} cases seeded in {figures['seed_seconds']:.1f} s")
            township = await h.actor_for(township_token)

            figures["rss_idle"] = h.rss_kib(api_pid)
            # --- subscribers, spread over client processes
            profiler = _start_profiler(args, topo, api_pid, "subscribe")
            ctx = mp.get_context("spawn")
            procs, pipes = [], []
            ws_url = api_url.replace("http://", "ws://") + "/graphql"
            shares = [case_ids[i::args.client_procs] for i in range(args.client_procs)]
            started = time.monotonic()
            for share in shares:
                parent, child = ctx.Pipe()
                p = ctx.Process(target=client_main, args=(child, [ws_url], township_token, share,
                                                          args.per_connection), daemon=True)
                p.start()
                topo.extra_pids[f"client{len(procs) + 1}"] = p.pid
                procs.append(p)
                pipes.append(parent)
            connections = 0
            for pipe in pipes:
                msg = await asyncio.to_thread(pipe.recv)
                if msg[0] != "subscribed":
                    raise RuntimeError(f"a client process failed: {msg[1]}")
                connections += msg[1]
            live = await h.wait_channels_live(topo.redis.url, case_ids, limit=300)
            figures["subscribe_seconds"] = time.monotonic() - started
            _stop_profiler(profiler)
            figures["connections"] = connections
            h.log(f"{n} subscriptions on {connections} connections live in {figures['subscribe_seconds']:.1f} s "
                  f"(Redis confirmed the last channel {live:.1f} s after the last subscribe was sent)")
            await asyncio.sleep(2)  # let the initial reads of the last subscriptions finish
            figures["rss_subscribed"] = h.rss_kib(api_pid)
            topo.check_alive()

            profiler = _start_profiler(args, topo, api_pid, "deliver")
            cpu_before = h.cpu_seconds(api_pid)
            all_before = topo.cpu_snapshot()
            # --- one transition per case
            committed: dict[int, float] = {}
            gate = asyncio.Semaphore(args.concurrency)
            t0 = time.monotonic()

            async def via_service(case_id: int) -> None:
                async def mark() -> None:
                    committed[case_id] = time.time()

                async with unit_of_work():
                    after_commit(mark)  # registered first, so it runs right after the commit, before the publish
                    await cases.act(township, case_id, "accept", {"comment": ""})

            async def via_graphql(case_id: int) -> None:
                d = await h.gql(http, h.ACCEPT, {"id": str(case_id)}, township_token)
                committed[case_id] = time.time()
                if d["caseAccept"]["__typename"] != "CaseSuccess":
                    raise RuntimeError(f"caseAccept failed: {d}")

            act = via_service if args.via == "service" else via_graphql

            async def one(i: int, case_id: int) -> None:
                if args.rate:
                    delay = t0 + i / args.rate - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                async with gate:
                    await act(case_id)

            first_transition = time.time()
            await asyncio.gather(*(one(i, c) for i, c in enumerate(case_ids)))
            figures["transition_seconds"] = time.monotonic() - t0
            h.log(f"{n} transitions committed in {figures['transition_seconds']:.1f} s "
                  f"({n / figures['transition_seconds']:.0f}/s)")

            # --- collect
            results, errors, closed = [], [], 0
            deadline = time.monotonic() + args.timeout
            for pipe in pipes:
                while not pipe.poll(0.1):
                    if time.monotonic() > deadline:
                        pipe.send("stop")
                        break
                msg = await asyncio.to_thread(pipe.recv)
                results += msg[1]
                errors += msg[2]
                closed += msg[3]
            figures["cpu_seconds"] = h.cpu_seconds(api_pid) - cpu_before
            figures["cpu_all"] = h.cpu_delta(all_before, topo.cpu_snapshot(), time.time() - first_transition)
            for pipe in pipes:
                pipe.send("bye")
            _stop_profiler(profiler)
            figures["rss_after"] = h.rss_kib(api_pid)
            figures["rss_peak"] = h.hwm_kib(api_pid)
            for p in procs:
                p.join(timeout=30)
            figures.update(results=results, errors=errors, closed=closed, committed=committed,
                           first_transition=first_transition)
            topo.check_alive()
    finally:
        await h.close_service_layer()
    return figures


def _start_profiler(args, topo: h.Topology, pid: int, phase: str):
    if not args.profile:
        return None
    spy = os.path.join(os.path.dirname(sys.executable), "py-spy")
    out = topo.tmp / f"api-profile-{phase}.txt"
    h.log(f"py-spy recording the API process into {out}")
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "200",
                             "--output", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def _stop_profiler(proc) -> None:
    if proc is None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


def report(args, f: dict) -> bool:
    rows = f["results"]
    n = args.subscribers
    latest: dict[int, tuple] = {}
    for case_id, seq, created, received in rows:
        if seq == 2:
            latest[case_id] = (created, received)
    from_created = [r - c for c, r in latest.values()]
    from_commit = [r - f["committed"][cid] for cid, (_, r) in latest.items() if cid in f["committed"]]
    missing = n - len(latest)
    received_at = [r for _, r in latest.values()]
    span = (max(received_at) - f["first_transition"]) if received_at else float("nan")
    p99 = h.percentile(from_created, 99)
    if args.dump:
        with open(args.dump, "w") as out:
            out.write("case_id,committed,created_at,received_at\n")
            for cid, (c, r) in sorted(latest.items(), key=lambda kv: kv[1][0]):
                out.write(f"{cid},{f['committed'].get(cid, '')},{c:.6f},{r:.6f}\n")
    met = missing == 0 and not f["errors"] and n >= TARGET_SUBSCRIBERS and p99 < TARGET_P99
    rate = f"{args.rate}/s" if args.rate else f"unthrottled ({args.concurrency} at a time)"
    mib = 1024
    out = [
        ("date", time.strftime("%Y-%m-%d %H:%M %Z")),
        ("machine", h.machine()),
        ("code", h.source_version()),
        ("machine load", f"{args.busy_before:.0f}% busy before the start; during the measurement see CPU below"),
        ("shape", "PostgreSQL + Redis (scaled-out); ONE API process (uvicorn) measured"),
        ("subscribers", f"{n} caseProgress subscriptions on {f['connections']} connections "
                        f"(≤{args.per_connection} each), {args.client_procs} client processes"),
        ("transitions", f"{n} accepts via {args.via}, {rate}: committed in {f['transition_seconds']:.1f} s "
                        f"({n / f['transition_seconds']:.0f}/s)"),
        ("delivered", f"{len(latest)}/{n} (missing {missing}), last one {span:.2f} s after the first transition"),
        ("latency from createdAt", f"p50 {h.ms(h.percentile(from_created, 50))}   p90 "
                                   f"{h.ms(h.percentile(from_created, 90))}   p99 {h.ms(p99)}   max "
                                   f"{h.ms(max(from_created, default=float('nan')))}"),
        ("latency from commit", f"p50 {h.ms(h.percentile(from_commit, 50))}   p90 "
                                f"{h.ms(h.percentile(from_commit, 90))}   p99 {h.ms(h.percentile(from_commit, 99))}"),
        ("API RSS", f"idle {f['rss_idle'] / mib:.1f} MiB → subscribed {f['rss_subscribed'] / mib:.1f} MiB → after "
                    f"{f['rss_after'] / mib:.1f} MiB (peak {f['rss_peak'] / mib:.1f} MiB); "
                    f"{(f['rss_subscribed'] - f['rss_idle']) / max(n, 1):.1f} KiB per subscriber"),
        ("API CPU", f"{f['cpu_seconds']:.1f} s during transitions+delivery "
                    f"({f['cpu_seconds'] / max(len(latest), 1) * 1000:.2f} ms per delivered event)"),
        ("API GC pauses", h.gc_pauses(f["gc_log"], f["first_transition"], max(received_at, default=0.0))),
        ("CPU, all processes", f["cpu_all"] + " (bench = the transition driver)"),
        ("seeding / subscribing", f"{f['seed_seconds']:.0f} s / {f['subscribe_seconds']:.0f} s"),
        ("errors", f"{len(f['errors'])} (connections closed by the server: {f['closed']})"
                   + (f"; first: {f['errors'][0]}" if f["errors"] else "")),
        ("target", f"{TARGET_SUBSCRIBERS} subscribers with p99 < {TARGET_P99 * 1000:.0f} ms (from createdAt)"),
        ("met", "YES" if met else ("NO" if n >= TARGET_SUBSCRIBERS else
                                   f"n/a at {n} subscribers (p99 {'<' if p99 < TARGET_P99 else '≥'} 1 s)")),
    ]
    print(h.summary_block("bench/subscriptions.py — caseProgress fan-out on one API process", out), flush=True)
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=TARGET_SUBSCRIBERS,
                        help="subscribers = cases = transitions (default 10000)")
    parser.add_argument("--per-connection", type=int, default=h.MAX_SUBS_PER_CONNECTION,
                        help="subscriptions per WebSocket connection (server cap 20)")
    parser.add_argument("--client-procs", type=int, default=2, help="processes holding the connections")
    parser.add_argument("--via", choices=("service", "graphql"), default="service",
                        help="transitions through the service layer in the bench process (published via Redis) "
                             "or as caseAccept mutations to the measured API process")
    parser.add_argument("--rate", type=float, default=100,
                        help="transitions per second (default 100; 0: as fast as --concurrency allows)")
    parser.add_argument("--concurrency", type=int, default=8, help="transitions in flight at once")
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for the last delivery")
    parser.add_argument("--profile", action="store_true", help="py-spy the API process during the transitions")
    parser.add_argument("--dump", default=None, help="write every delivery as CSV (case, committed, created, "
                                                     "received; epoch seconds) to this file")
    parser.add_argument("--no-gc-log", dest="gc_log", action="store_false",
                        help="run the API as plain `python -m api` (by default it runs through bench/_gcwrap.py, "
                             "which logs its garbage-collector pauses; the same module, run the same way)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, profile)")
    parser.add_argument("--quick", action="store_true", help="200 subscribers: checks the bench works")
    args = parser.parse_args()
    if args.quick:
        args.subscribers = 200
    if not 1 <= args.per_connection <= h.MAX_SUBS_PER_CONNECTION:
        parser.error("--per-connection must be 1..20")
    limit = h.raise_nofile()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop everything started (finally below)
    args.busy_before = h.busy_now()
    h.log(f"machine {args.busy_before:.0f}% busy before the start (other processes)")
    h.log(f"open-file limit {limit}")
    topo = h.Topology("subs", keep=args.keep or args.profile)
    ran_cleanly = False
    try:
        topo.start_stores()
        topo.base_env()
        topo.migrate()
        port = h.free_port()
        gc_log = topo.tmp / "api-gc.log" if args.gc_log else None
        api = topo.start_api("api", port, gc_log=gc_log)
        h.log(f"PostgreSQL {topo.database_url}, Redis {topo.redis.url}, API pid {api.pid} on :{port}")
        figures = asyncio.run(drive(args, topo, f"http://127.0.0.1:{port}", api.pid))
        figures["gc_log"] = gc_log
        report(args, figures)
        delivered = {r[0] for r in figures["results"] if r[1] == 2}
        ran_cleanly = not figures["errors"] and len(delivered) == args.subscribers
        if args.profile:
            print(f"profiles (py-spy raw stacks): {topo.tmp}/api-profile-subscribe.txt, api-profile-deliver.txt")
    finally:
        if topo.keep:
            print(f"logs kept in {topo.logs}")
        topo.close()
    sys.exit(0 if ran_cleanly else 1)


if __name__ == "__main__":
    main()
