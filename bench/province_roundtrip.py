"""The 高龄津贴 provincial round trip: acceptance → push → province decides → callback → subscriber.

    .venv/bin/python bench/province_roundtrip.py            # 500 applications
    .venv/bin/python bench/province_roundtrip.py --quick    # 50 applications, well under a minute

Shape (PostgreSQL + Redis, the scaled-out topology of tests/system/test_scaled_out.py): a throw-away
PostgreSQL cluster and Redis server, `--apis` API processes (default 2), `--workers` worker processes
(default 2) and the province simulator with PROVINCE_SIM_DECISION_DELAY_SECONDS=0. The simulator decides on a
polling loop (PROVINCE_SIM_POLL_INTERVAL_SECONDS, default 0.5 s in the simulator) and when a push falls due:
the bench sets the poll with `--sim-poll` (default 0.01 s); run with `--sim-poll 0.5` to see the simulator's
default. Worker i names API i as its callback URL (`--callbacks first`: all name API 1).

The bench seeds M applicants (80+, 新桥村) and their 高龄津贴 applications through the service layer, opens
one `caseProgress` subscription per case (spread over the API processes), waits until Redis shows them live,
then accepts the applications as jd-cuiping through GraphQL `caseAccept` (alternating API processes):

1. latency phase: `--serial` applications one at a time (accept, wait for its province_decide, next one);
2. throughput phase: the rest at once (`--concurrency` accepts in flight, or `--rate` per second).

Latency per case = receipt of the province_decide event at the subscriber − the moment caseAccept returned.
The breakdown uses the events' createdAt: accept → province_sent (outbox wake-up, claim, push to the province,
commit) → province_decide (the province decides and calls back; the callback's commit) → receipt (delivery).
Throughput = decided cases / (last province_decide received − first accept sent) in phase 2.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from datetime import date

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness as h  # noqa: E402

TARGET_P50 = 0.100
TARGET_RATE = 200.0
ADMIN_TOKEN = "bench-admin"


async def run(args, topo: h.Topology, api_urls: list[str], pids: dict[str, int]) -> dict:
    import httpx

    f: dict = {}
    await h.open_service_layer(topo)
    https = [httpx.AsyncClient(base_url=u, timeout=120, limits=httpx.Limits(max_connections=200))
             for u in api_urls]
    # the measured accepts go through the light client: the bench shares the 2 cores with the system
    lite = [h.LiteHTTP(u, timeout=120) for u in api_urls]
    pool = None
    try:
        worker_token = await h.sign_in(https[0], "cun-xinqiao")
        township_token = await h.sign_in(https[-1], "jd-cuiping")
        m = args.applications
        started = time.monotonic()
        case_ids = await h.seed_cases(worker_token, n=m, item_code="gaoling", material_kinds=("id_card", "bank_card"),
                                      form={}, first_birth=date(1935, 1, 1), progress=h.log)
        h.log(f"{len(case_ids)} 高龄津贴 applications seeded in {time.monotonic() - started:.1f} s")

        # --- one subscriber per case, spread over the API processes
        events: dict[int, dict[int, h.Received]] = {c: {} for c in case_ids}
        decided: dict[int, asyncio.Future] = {c: asyncio.get_running_loop().create_future() for c in case_ids}

        def seen(r: h.Received) -> None:
            events[r.case_id][r.seq] = r
            if r.action == "province_decide" and not decided[r.case_id].done():
                decided[r.case_id].set_result(r)

        pool = h.SubscriberPool(ws_urls=[u.replace("http://", "ws://") + "/graphql" for u in api_urls],
                                token=township_token, on_receive=seen)
        await pool.open(case_ids, after_seq=1)
        took = await h.wait_channels_live(topo.redis.url, case_ids, limit=120)
        h.log(f"{m} subscriptions live ({len(pool._sockets)} connections; {took:.1f} s for Redis to confirm)")
        await asyncio.sleep(1)

        accepted_at: dict[int, float] = {}
        failures: list[str] = []

        async def accept(i: int, case_id: int) -> None:
            http = lite[i % len(lite)]
            try:
                d = await h.gql(http, h.ACCEPT, {"id": str(case_id)}, township_token)
                payload = d["caseAccept"]
                if payload["__typename"] != "CaseSuccess":
                    failures.append(f"case {case_id}: {payload}")
                    return
            except Exception as e:  # noqa: BLE001 (counted and reported)
                failures.append(f"case {case_id}: {type(e).__name__}: {e}")
                return
            accepted_at[case_id] = time.time()

        serial = case_ids[:args.serial]
        burst = case_ids[args.serial:]

        # --- phase 1: one at a time
        h.log(f"latency phase: {len(serial)} applications one at a time")
        profiler = h.start_profilers(topo, pids, "serial") if args.profile else []
        for i, case_id in enumerate(serial):
            await accept(i, case_id)
            try:
                await asyncio.wait_for(asyncio.shield(decided[case_id]), args.case_timeout)
            except TimeoutError:
                failures.append(f"case {case_id}: no province_decide within {args.case_timeout} s")
        h.stop_profilers(profiler)

        # --- phase 2: all the rest at once
        h.log(f"throughput phase: {len(burst)} applications, "
              + (f"{args.rate}/s" if args.rate else f"{args.concurrency} accepts in flight"))
        profiler = h.start_profilers(topo, pids, "burst") if args.profile else []
        cpu_before = topo.cpu_snapshot()
        gate = asyncio.Semaphore(args.concurrency)
        t0_mono = time.monotonic()
        t0 = time.time()

        async def paced(i: int, case_id: int) -> None:
            if args.rate:
                delay = t0_mono + i / args.rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            async with gate:
                await accept(i, case_id)

        await asyncio.gather(*(paced(i, c) for i, c in enumerate(burst)))
        accepts_done = time.time()
        h.log(f"{len(burst)} accepts returned in {accepts_done - t0:.1f} s; waiting for the decisions")
        waiting = [decided[c] for c in burst if c in accepted_at]
        if waiting:
            _, pending = await asyncio.wait(waiting, timeout=args.timeout)
            if pending:
                failures.append(f"{len(pending)} province_decide events not received within {args.timeout} s")
        elapsed = time.time() - t0
        cpu_after = topo.cpu_snapshot()
        h.stop_profilers(profiler)
        topo.check_alive()
        await asyncio.sleep(0.5)  # stragglers of the breakdown (province_sent after province_decide cannot be)
        f.update(events=events, accepted_at=accepted_at, serial=serial, burst=burst, t0=t0,
                 accepts_done=accepts_done, failures=failures, errors=list(pool.errors),
                 cpu=h.cpu_delta(cpu_before, cpu_after, elapsed),
                 cpu_used={k: cpu_after[k] - cpu_before.get(k, 0.0) for k in cpu_after if k != "machine"}, elapsed=elapsed, connections=len(pool._sockets))
        async with httpx.AsyncClient(base_url=topo.sim_url, timeout=10) as sim:
            f["sim"] = (await sim.get("/admin/stats", headers={"X-Admin-Token": ADMIN_TOKEN})).json()
        ids = ",".join(map(str, case_ids))
        f["approved"] = topo.pg.psql(f"select count(*) from aid_case where id in ({ids}) and status = 'approved'",
                                     "dachuan_bench").strip()
        f["outbox"] = topo.pg.psql("select status, count(*) from outbox_message group by status order by 1",
                                   "dachuan_bench").strip().replace("\n", ", ")
    finally:
        if pool is not None:
            await pool.close()
        for http in [*https, *lite]:
            await http.aclose()
        await h.close_service_layer()
    return f


def _latencies(f: dict, cases: list[int]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"total": [], "from_created": [], "push": [], "province": [], "delivery": []}
    for c in cases:
        ev = f["events"][c]
        decide = next((r for r in ev.values() if r.action == "province_decide"), None)
        if decide is None or c not in f["accepted_at"]:
            continue
        out["total"].append(decide.received_at - f["accepted_at"][c])
        accept, sent = ev.get(2), next((r for r in ev.values() if r.action == "province_sent"), None)
        if accept is not None:
            out["from_created"].append(decide.received_at - accept.created_at)
            if sent is not None:
                out["push"].append(sent.created_at - accept.created_at)
                out["province"].append(decide.created_at - sent.created_at)
        out["delivery"].append(decide.received_at - decide.created_at)
    return out


def _line(values: list[float]) -> str:
    if not values:
        return "none"
    return (f"p50 {h.ms(h.percentile(values, 50))}   p90 {h.ms(h.percentile(values, 90))}   "
            f"p99 {h.ms(h.percentile(values, 99))}   max {h.ms(max(values))}")


def dump(path: str, f: dict) -> None:
    """One row per case: phase, the accept's return and, per event (accept, province_sent, province_decide),
    createdAt and receipt (epoch seconds)."""
    with open(path, "w") as out:
        out.write("case_id,phase,accept_returned,accept_created,accept_received,sent_created,sent_received,"
                  "decide_created,decide_received\n")
        for phase, cases in (("serial", f["serial"]), ("burst", f["burst"])):
            for c in cases:
                ev = f["events"][c]
                by_action = {r.action: r for r in ev.values()}
                cells = [str(c), phase, f"{f['accepted_at'].get(c, '')}"]
                for action in ("accept", "province_sent", "province_decide"):
                    r = by_action.get(action)
                    cells += [f"{r.created_at:.6f}", f"{r.received_at:.6f}"] if r else ["", ""]
                out.write(",".join(cells) + "\n")


def report(args, f: dict) -> bool:
    serial = _latencies(f, f["serial"])
    burst = _latencies(f, f["burst"])
    decided_burst = [f["events"][c] for c in f["burst"]]
    last = [next((r.received_at for r in ev.values() if r.action == "province_decide"), None) for ev in decided_burst]
    got = [t for t in last if t is not None]
    rate = len(got) / (max(got) - f["t0"]) if got else 0.0
    p50 = h.percentile(serial["total"], 50) if serial["total"] else h.percentile(burst["total"], 50)
    ok = not f["failures"] and not f["errors"]
    met = ok and p50 < TARGET_P50 and rate >= TARGET_RATE

    def med(xs: list[float]) -> str:
        return h.ms(h.percentile(xs, 50)) if xs else "n/a"

    n_burst = len(f["burst"])
    phase2 = f"{args.rate:g}/s" if args.rate else "at once"
    stages = []
    for label, pick in (("accepts", lambda ev: ev.get(2)),
                        ("pushes (province_sent)", lambda ev: next((r for r in ev.values()
                                                                    if r.action == "province_sent"), None)),
                        ("decisions (province_decide)", lambda ev: next((r for r in ev.values()
                                                                         if r.action == "province_decide"), None))):
        times = sorted(r.created_at for r in map(pick, decided_burst) if r is not None)
        if len(times) > 1:
            stages.append(f"{label} {len(times) / (times[-1] - f['t0']):.0f}/s")
    cpu_total = sum(f["cpu_used"].values())
    rows = [
        ("date", time.strftime("%Y-%m-%d %H:%M %Z")),
        ("machine", h.machine()),
        ("code", h.source_version()),
        ("machine load", f"{args.busy_before:.0f}% busy before the start; during the measurement see CPU below"),
        ("shape", f"PostgreSQL + Redis; {args.apis} API processes, {args.workers} workers, province_sim "
                  f"(decision delay 0, poll {args.sim_poll:g} s); callbacks to "
                  + ("API 1" if args.callbacks == "first" else "worker i → API i")),
        ("applications", f"{args.applications} 高龄津贴: {len(f['serial'])} one at a time, then {n_burst} "
                         + (f"at {args.rate:g}/s" if args.rate else f"at once ({args.concurrency} accepts in flight)")),
        ("latency, one at a time", _line(serial["total"])),
        ("  breakdown (p50)", f"accept→province_sent {med(serial['push'])}, province_sent→province_decide "
                              f"{med(serial['province'])}, province_decide→subscriber {med(serial['delivery'])}"),
        (f"latency, {phase2}", _line(burst["total"])),
        ("  breakdown (p50)", f"accept→province_sent {med(burst['push'])}, province_sent→province_decide "
                              f"{med(burst['province'])}, province_decide→subscriber {med(burst['delivery'])}"),
        ("throughput", f"{rate:.1f} round trips/s ({len(got)}/{n_burst} decided; accepts returned after "
                       f"{f['accepts_done'] - f['t0']:.1f} s, last decision received after "
                       f"{(max(got) - f['t0']) if got else float('nan'):.1f} s)"),
        ("  by stage", ", ".join(stages) + " (count / time from the first accept sent to the stage's last "
                                             "createdAt)"),
        ("CPU during phase 2", f["cpu"]),
        ("CPU per round trip", (f"{cpu_total / len(got) * 1000:.0f} ms over all processes "
                                f"(→ at most {os.cpu_count() / (cpu_total / len(got)):.0f} round trips/s "
                                f"on {os.cpu_count()} cores if nothing else limited it)")
                               if got and cpu_total else "n/a (no phase 2)"),
        ("database", f"{f['approved']}/{args.applications} approved; outbox {f['outbox']}"),
        ("simulator", ", ".join(f"{k} {v}" for k, v in f["sim"].items() if v)),
        ("errors", f"{len(f['failures']) + len(f['errors'])}"
                   + (f"; first: {(f['failures'] + f['errors'])[0]}" if not ok else "")),
        ("targets", f"p50 < {TARGET_P50 * 1000:.0f} ms (one at a time) and ≥ {TARGET_RATE:.0f} round trips/s"),
        ("met", f"p50 {'YES' if p50 < TARGET_P50 else 'NO'} ({h.ms(p50)}), throughput "
                f"{'YES' if rate >= TARGET_RATE else 'NO'} ({rate:.0f}/s)"
                + ("" if args.applications >= 500 else f" — at {args.applications} applications only")),
    ]
    print(h.summary_block("bench/province_roundtrip.py — 高龄津贴 acceptance → province → subscriber", rows),
          flush=True)
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--applications", type=int, default=500, help="applications (default 500)")
    parser.add_argument("--serial", type=int, default=None,
                        help="of which accepted one at a time for the latency figure (default M/10, kept in 10..50)")
    parser.add_argument("--concurrency", type=int, default=32, help="accepts in flight in the throughput phase")
    parser.add_argument("--rate", type=float, default=0, help="accepts per second in the throughput phase (0: all)")
    parser.add_argument("--apis", type=int, default=2, help="API processes")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--sim-poll", type=float, default=0.01,
                        help="PROVINCE_SIM_POLL_INTERVAL_SECONDS (the simulator's own default is 0.5)")
    parser.add_argument("--case-timeout", type=float, default=30, help="seconds per case in the latency phase")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for the throughput phase")
    parser.add_argument("--callbacks", choices=("spread", "first"), default="spread",
                        help="which API the province calls back: worker i names API i (spread, default, as a load "
                             "balancer would) or all name API 1 (first)")
    parser.add_argument("--dump", default=None, help="write every case's timings as CSV to this file")
    parser.add_argument("--profile", action="store_true", help="py-spy every API, worker and the simulator")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, profiles)")
    parser.add_argument("--quick", action="store_true", help="50 applications: checks the bench works")
    args = parser.parse_args()
    if args.quick:
        args.applications = 50
    if args.serial is None:
        args.serial = max(min(args.applications // 10, 50), min(10, args.applications))
    args.serial = min(args.serial, args.applications)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop everything started (finally below)
    args.busy_before = h.busy_now()
    h.log(f"machine {args.busy_before:.0f}% busy before the start (other processes)")
    h.log(f"open-file limit {h.raise_nofile()}")
    topo = h.Topology("province", keep=args.keep or args.profile)
    ran_cleanly = False
    try:
        topo.start_stores()
        api_ports, sim_port = [h.free_port() for _ in range(args.apis)], h.free_port()
        topo.sim_url = f"http://127.0.0.1:{sim_port}"
        topo.base_env(PROVINCE_URL=topo.sim_url, PUBLIC_BASE_URL=f"http://127.0.0.1:{api_ports[0]}")
        topo.migrate()
        sim = topo.spawn([sys.executable, "-m", "province_sim"], "sim", {
            "PROVINCE_SIM_PORT": str(sim_port), "PROVINCE_SIM_DATABASE_PATH": str(topo.tmp / "sim.sqlite3"),
            "PROVINCE_SIM_DECISION_DELAY_SECONDS": "0", "PROVINCE_SIM_POLL_INTERVAL_SECONDS": str(args.sim_poll),
            "PROVINCE_SIM_ADMIN_TOKEN": ADMIN_TOKEN})
        topo.wait_http(topo.sim_url, sim)
        pids = {"sim": sim.pid}
        urls = []
        for i, port in enumerate(api_ports):
            api = topo.start_api(f"api{i + 1}", port)
            pids[f"api{i + 1}"] = api.pid
            urls.append(f"http://127.0.0.1:{port}")
        for i in range(args.workers):
            # the callback URL a worker sends comes from its PUBLIC_BASE_URL: spread, as nginx in front would
            callback_to = urls[i % len(urls)] if args.callbacks == "spread" else urls[0]
            pids[f"worker{i + 1}"] = topo.spawn([sys.executable, "-m", "workers"], f"worker{i + 1}",
                                                {"PUBLIC_BASE_URL": callback_to}).pid
        time.sleep(1)
        topo.check_alive()
        h.log(f"PostgreSQL, Redis, simulator :{sim_port}, APIs {', '.join(urls)}, {args.workers} workers")
        figures = asyncio.run(run(args, topo, urls, pids))
        report(args, figures)
        if args.dump:
            dump(args.dump, figures)
        ran_cleanly = not figures["failures"] and not figures["errors"]
        if args.profile:
            print(f"profiles (py-spy raw stacks, see bench/pyspy_top.py): {topo.tmp}/profile-*.txt")
    finally:
        if topo.keep:
            print(f"logs kept in {topo.logs}")
        topo.close()
    sys.exit(0 if ran_cleanly else 1)


if __name__ == "__main__":
    main()
