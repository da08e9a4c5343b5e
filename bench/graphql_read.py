"""GraphQL read overhead: a page of 50 cases with their applicants, events and materials, through GraphQL and
through a hand-written endpoint that runs the same SQL and writes the same JSON.

    .venv/bin/python bench/graphql_read.py             # 4 clients, 2 rounds × 10 s per path
    .venv/bin/python bench/graphql_read.py --quick     # 1 round × 4 s per path

Shape: a throw-away PostgreSQL cluster and Redis server, `python -m api migrate`, and ONE server process: the
product's application (`api.app.create_app`, the same middleware) run by uvicorn, to which this file adds, in
that process only, one plain Starlette route, `GET /bench/cases`. The product itself has no such route.

The hand-written route does what the GraphQL query makes the server do, without GraphQL and without the ORM's
models: it resolves the caller (`accounts.resolve_session`, as the GraphQL context does), runs the statements
that `cases.service.page` and the DataLoaders issue (the page; then items, applicants, events and materials of
the page's cases, one statement each) as raw SQL, decides each ID number as `applicants.service.id_number_for`
does (whole and audited for the township officer, who needs it), and writes `{"data": …}` with the same
fields. Before measuring, the bench fetches both once, checks that the two bodies are equal and prints the SQL
each path ran (the server counts the statements of a request sent with `X-Bench-SQL: 1`).

The seeded data: `--cases` 就业救助 cases in 新桥村 (by the village worker, each with two material rows and the
submission event; every other case also accepted, so it has a second event). The caller is jd-cuiping, the
township officer. `--clients` concurrent clients (one asyncio loop in this process, keep-alive connections)
send requests back to back for `--seconds`, first to one path, then the other, `--rounds` times; throughput is
requests completed per second, by path, and the ratio is GraphQL ÷ hand-written.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import time
from datetime import date

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness as h  # noqa: E402

TARGET_RATIO = 0.5
PAGE = 50

QUERY = """
query($first: Int!) {
  cases(first: $first) {
    edges { cursor node {
      id number status submittedAt lastSeq regionCode
      item { code name }
      applicant { id name idNumber regionCode }
      events { seq action fromStatus toStatus actorName comment createdAt }
      materials { id kind contentType size url }
    } }
    pageInfo { hasNextPage endCursor }
  }
}"""


# ------------------------------------------------------------------------------------- the server process

class SqlCount:
    """ASGI wrapper: a request sent with `X-Bench-SQL: 1` gets the SQL statements it ran in a response header
    (JSON list, base64). Only for the check before the measurement: the Tortoise logger is at DEBUG meanwhile."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or (b"x-bench-sql", b"1") not in scope.get("headers", []):
            return await self.app(scope, receive, send)
        import base64

        statements: list[str] = []

        class Collect(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                message = record.getMessage()
                if message.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
                    statements.append(message)

        logger = logging.getLogger("tortoise.db_client")
        handler, level = Collect(level=logging.DEBUG), logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)

        async def send_with_count(message):
            if message["type"] == "http.response.start":
                value = base64.b64encode(json.dumps(statements, ensure_ascii=False).encode()).decode()
                message = {**message, "headers": [*message.get("headers", []), (b"x-bench-sql", value.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_count)
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)


def serve() -> None:
    """The server process: the product's app, plus the hand-written route, on $PORT."""
    import uvicorn
    from starlette.routing import Route

    from api.app import create_app
    from api.kit.logs import configure_logging
    from api.settings import get_settings

    settings = get_settings()
    configure_logging(json_lines=True, level=logging.WARNING)
    app = create_app(settings)
    app.router.routes.insert(0, Route("/bench/cases", hand_written, methods=["GET"]))  # before the PWA's catch-all
    app.router.routes.insert(0, Route("/bench/profile", profile_switch, methods=["POST"]))
    uvicorn.run(SqlCount(app), host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning",
                log_config=None, access_log=False, lifespan="on")


_profiler = None


async def profile_switch(request):
    """POST /bench/profile?to=on|FILE: cProfile this process from now on, or stop and write the stats to FILE."""
    import cProfile

    from starlette.responses import PlainTextResponse

    global _profiler
    to = request.query_params["to"]
    if to == "on":
        _profiler = cProfile.Profile()
        _profiler.enable()
    elif _profiler is not None:
        _profiler.disable()
        _profiler.dump_stats(to)
        _profiler = None
    return PlainTextResponse("ok")


# The statements `cases.service.page` and the DataLoaders issue for this query (the same text Tortoise sends;
# see `--show-sql`), run here through the same connection pool without building ORM models.
PAGE_SQL = ('SELECT "accepted_at","channel","number","submitted_at","extension_reason","case_due_at","amount",'
            '"draft_started_at","warn_at","notice_until","status","decided_at","closed_at","last_seq","assignee_id",'
            '"submission_key","proxy_by_id","stage_started_at","start_month","clock_flag","form_data","extended",'
            '"created_at","updated_at","applicant_id","open_key","verification","decision_reason","item_id","id",'
            '"region_id","emergency","investigation","due_at","notice_ended" FROM "aid_case" '
            'WHERE CAST("region_id" AS VARCHAR) LIKE $1 ESCAPE \'\\\' ORDER BY "id" DESC LIMIT $2')
ITEMS_SQL = ('SELECT "emergency_hours","name_en","emergency_allowed","route","syncs_to_province",'
             '"whole_case_working_days","stage_limits","name","emergency_paperwork_working_days","enabled",'
             '"short_name","payment","code","form","description","whole_case_extended_working_days","updated_at",'
             '"materials","township_approval_limit","id","notice_days","sort_order" FROM "aid_item" WHERE "id" IN ({})')
APPLICANTS_SQL = ('SELECT "account_id","registered_by_id","id_number_hash","bank_name","id_masked","id","sex",'
                  '"region_id","name","phone","updated_at","bank_account_enc","id_number_enc","created_at","address",'
                  '"bank_masked","birth_date" FROM "applicant" WHERE "id" IN ({})')
MATERIALS_SQL = ('SELECT "storage_key","uploaded_by_staff_id","case_id","id","uploaded_by_kind","applicant_id",'
                 '"width","kind","created_at","size","height","original_name","content_type","sha256" FROM "material" '
                 'WHERE "case_id" IN ({}) ORDER BY "created_at" ASC,"id" ASC')
EVENTS_SQL = ('SELECT "actor_staff_id","case_id","id","action","created_at","comment","actor_name","actor_role",'
              '"data","to_status","from_status","seq","public","actor_kind" FROM "case_event" WHERE "case_id" IN ({}) '
              'ORDER BY "case_id" ASC,"seq" ASC')


def _in(sql: str, values: list) -> tuple[str, list]:
    return sql.format(",".join(f"${i}" for i in range(1, len(values) + 1))), values


async def hand_written(request):
    """GET /bench/cases?first=50: what the GraphQL query returns, by hand."""
    from types import SimpleNamespace

    from starlette.responses import JSONResponse
    from tortoise import connections

    from api.accounts import service as accounts
    from api.applicants.service import id_number_for
    from api.cases.types import encode_cursor
    from api.graphql.context import bearer_token

    actor = await accounts.resolve_session(bearer_token(request.headers))
    if actor is None or not actor.is_staff:
        return JSONResponse({"errors": [{"message": "请先登录"}]}, status_code=200)
    first = int(request.query_params.get("first", PAGE))
    db = connections.get("default")
    cases = await db.execute_query_dict(PAGE_SQL, [f"{actor.region_code or ''}%", first + 1])
    page = cases[:first]
    case_ids = [c["id"] for c in page]
    applicant_ids = list(dict.fromkeys(c["applicant_id"] for c in page))
    item_ids = list(dict.fromkeys(c["item_id"] for c in page))
    items = {r["id"]: r for r in await db.execute_query_dict(*_in(ITEMS_SQL, item_ids))}
    people = {r["id"]: r for r in await db.execute_query_dict(*_in(APPLICANTS_SQL, applicant_ids))}
    materials: dict[int, list] = {}
    for r in await db.execute_query_dict(*_in(MATERIALS_SQL, case_ids)):
        materials.setdefault(r["case_id"], []).append(r)
    events: dict[int, list] = {}
    for r in await db.execute_query_dict(*_in(EVENTS_SQL, case_ids)):
        events.setdefault(r["case_id"], []).append(r)

    def iso(value) -> str | None:
        return value.isoformat() if value is not None else None

    def applicant(a: dict) -> dict:
        person = SimpleNamespace(id=a["id"], id_number_enc=a["id_number_enc"], id_masked=a["id_masked"])
        return {"id": str(a["id"]), "name": a["name"], "idNumber": id_number_for(actor, person, a["region_id"]),
                "regionCode": a["region_id"]}

    edges = []
    for c in page:
        item = items[c["item_id"]]
        edges.append({"cursor": encode_cursor(c["id"]), "node": {
            "id": str(c["id"]), "number": c["number"], "status": c["status"].upper(),
            "submittedAt": iso(c["submitted_at"]), "lastSeq": c["last_seq"], "regionCode": c["region_id"],
            "item": {"code": item["code"], "name": item["name"]},
            "applicant": applicant(people[c["applicant_id"]]),
            "events": [{"seq": e["seq"], "action": e["action"],
                        "fromStatus": e["from_status"].upper() if e["from_status"] else None,
                        "toStatus": e["to_status"].upper(), "actorName": e["actor_name"], "comment": e["comment"],
                        "createdAt": iso(e["created_at"])} for e in events.get(c["id"], [])],
            "materials": [{"id": str(m["id"]), "kind": m["kind"], "contentType": m["content_type"], "size": m["size"],
                           "url": f"/api/materials/{m['id']}"} for m in materials.get(c["id"], [])],
        }})
    return JSONResponse({"data": {"cases": {"edges": edges, "pageInfo": {
        "hasNextPage": len(cases) > first, "endCursor": edges[-1]["cursor"] if edges else None}}}})


# ---------------------------------------------------------------------------------------------- the run

async def seed(args, topo: h.Topology, url: str) -> str:
    import httpx

    from api.cases import service as cases
    from api.kit.db import unit_of_work

    await h.open_service_layer(topo)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            worker_token = await h.sign_in(http, "cun-xinqiao")
            township_token = await h.sign_in(http, "jd-cuiping")
        case_ids = await h.seed_cases(worker_token, n=args.cases, item_code="jiuye", material_kinds=("id_card",),
                                      form={"helpWanted": "job_referral"}, first_birth=date(1975, 1, 1),
                                      progress=h.log)
        township = await h.actor_for(township_token)
        for case_id in case_ids[::2]:
            async with unit_of_work():
                await cases.act(township, case_id, "accept", {"comment": "已受理"})
    finally:
        await h.close_service_layer()
    return township_token


def _graphql_request(token: str) -> tuple[str, dict, dict]:
    return ("/graphql", {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            {"query": QUERY, "variables": {"first": PAGE}})


async def check(http, token: str, show_sql: bool) -> dict:
    """Fetches each path once: the bodies must be equal; returns the statements each ran."""
    import base64

    auth = {"Authorization": f"Bearer {token}", "X-Bench-SQL": "1"}
    g = await http.post("/graphql", json={"query": QUERY, "variables": {"first": PAGE}}, headers=auth)
    w = await http.get("/bench/cases", params={"first": PAGE}, headers=auth)
    sql = {name: json.loads(base64.b64decode(r.headers.get("x-bench-sql") or "W10=")) for name, r in
           (("GraphQL", g), ("hand-written", w))}
    if show_sql:
        for name, statements in sql.items():
            print(f"--- {name}: {len(statements)} statements")
            for s in statements:
                print("   ", s[:1500])
    for name, r in (("GraphQL", g), ("hand-written", w)):
        if r.status_code != 200:
            raise RuntimeError(f"{name}: HTTP {r.status_code}: {r.text[:500]}")
    gb, wb = g.json(), w.json()
    if gb.get("errors"):
        raise RuntimeError(f"GraphQL errors: {gb['errors']}")
    edges = gb["data"]["cases"]["edges"]
    if len(edges) != PAGE:
        raise RuntimeError(f"the page has {len(edges)} cases, not {PAGE}")
    if gb != wb:
        for i, (a, b) in enumerate(zip(gb["data"]["cases"]["edges"], wb["data"]["cases"]["edges"], strict=False)):
            if a != b:
                raise RuntimeError(f"the bodies differ, first at edge {i}:\nGraphQL      {json.dumps(a)[:800]}\n"
                                   f"hand-written {json.dumps(b)[:800]}")
        raise RuntimeError(f"the bodies differ:\n{json.dumps(gb)[:600]}\n{json.dumps(wb)[:600]}")
    texts = {name: sorted(_statement_key(st) for st in statements) for name, statements in sql.items()}
    return {"sql": sql, "same_sql": texts["GraphQL"] == texts["hand-written"], "bytes": len(g.content),
            "bytes_hand": len(w.content)}


def _statement_key(statement: str) -> str:
    """A statement without its parameters and with its SELECT list sorted: Tortoise's column order follows a set
    (it changes between processes), and the DataLoaders run in whatever order their fields complete."""
    text = statement.split(": [", 1)[0]
    if text.startswith("SELECT ") and " FROM " in text:
        columns, rest = text[7:].split(" FROM ", 1)
        text = "SELECT " + ",".join(sorted(columns.split(","))) + " FROM " + rest
    return text


async def measure(http, token: str, path: str, clients: int, seconds: float) -> dict:
    """`clients` loops sending back to back for `seconds`; returns completed requests, latencies and errors."""
    if path == "graphql":
        body = json.dumps({"query": QUERY, "variables": {"first": PAGE}}).encode()

        async def one():
            return await http.post("/graphql", content=body, headers={"Authorization": f"Bearer {token}",
                                                                       "Content-Type": "application/json"})
    else:
        async def one():
            return await http.get("/bench/cases", params={"first": PAGE}, headers={"Authorization": f"Bearer {token}"})

    latencies: list[float] = []
    errors: list[str] = []
    stop_at = time.monotonic() + seconds

    async def loop() -> None:
        while time.monotonic() < stop_at:
            t = time.monotonic()
            try:
                r = await one()
            except Exception as e:  # noqa: BLE001
                errors.append(f"{type(e).__name__}: {e}")
                continue
            if r.status_code != 200 or b'"errors"' in r.content[:20]:
                errors.append(f"HTTP {r.status_code}: {r.text[:200]}")
                continue
            latencies.append(time.monotonic() - t)

    started = time.monotonic()
    await asyncio.gather(*(loop() for _ in range(clients)))
    elapsed = time.monotonic() - started
    return {"n": len(latencies), "elapsed": elapsed, "rps": len(latencies) / elapsed, "latencies": latencies,
            "errors": errors}


async def drive(args, topo: h.Topology, url: str, server_pid: int) -> dict:
    import httpx

    token = await seed(args, topo, url)
    h.log(f"{args.cases} cases seeded")
    figures: dict = {"rounds": []}
    limits = httpx.Limits(max_connections=args.clients + 2, max_keepalive_connections=args.clients + 2)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        figures.update(await check(http, token, args.show_sql))
        h.log("both paths return the same body; warming up")
        for path in ("graphql", "hand"):
            await measure(http, token, path, args.clients, 1.0)
        figures["loadavg_before"] = os.getloadavg()
        for r in range(args.rounds):
            row = {}
            for path in ("graphql", "hand") if r % 2 == 0 else ("hand", "graphql"):
                before = topo.cpu_snapshot()
                server_before = h.cpu_seconds(server_pid)
                if args.profile:
                    await http.post("/bench/profile", params={"to": "on"})
                m = await measure(http, token, path, args.clients, args.seconds)
                if args.profile:
                    out = topo.tmp / f"profile-{path}-round{r + 1}.pstats"
                    await http.post("/bench/profile", params={"to": str(out)})
                    figures.setdefault("profiles", []).append(out)
                m["server_cpu"] = h.cpu_seconds(server_pid) - server_before
                m["cpu_all"] = h.cpu_delta(before, topo.cpu_snapshot(), m["elapsed"])
                row[path] = m
                h.log(f"round {r + 1} {path}: {m['rps']:.1f} requests/s, p50 "
                      f"{h.ms(h.percentile(m['latencies'], 50))}, server CPU "
                      f"{1000 * m['server_cpu'] / max(m['n'], 1):.1f} ms per request, errors {len(m['errors'])}")
            figures["rounds"].append(row)
        figures["loadavg_after"] = os.getloadavg()
    return figures


def report(args, f: dict) -> bool:
    def total(path: str) -> tuple[int, float]:
        return (sum(r[path]["n"] for r in f["rounds"]), sum(r[path]["elapsed"] for r in f["rounds"]))

    g_n, g_s = total("graphql")
    w_n, w_s = total("hand")
    g_rps, w_rps = g_n / g_s, w_n / w_s
    ratio = g_rps / w_rps if w_rps else float("nan")
    errors = sum(len(r[p]["errors"]) for r in f["rounds"] for p in ("graphql", "hand"))

    def cpu_per_request(path: str) -> float:
        return (sum(r[path]["server_cpu"] for r in f["rounds"])
                / max(sum(r[path]["n"] for r in f["rounds"]), 1))

    cpu_ratio = cpu_per_request("hand") / cpu_per_request("graphql") if cpu_per_request("graphql") else float("nan")

    def lat(path: str) -> str:
        v = [x for r in f["rounds"] for x in r[path]["latencies"]]
        cpu = sum(r[path]["server_cpu"] for r in f["rounds"])
        n = sum(r[path]["n"] for r in f["rounds"])
        return (f"p50 {h.ms(h.percentile(v, 50))}   p99 {h.ms(h.percentile(v, 99))}; server CPU "
                f"{1000 * cpu / max(n, 1):.1f} ms per request")

    out = [
        ("date", time.strftime("%Y-%m-%d %H:%M %Z")),
        ("machine", h.machine()),
        ("code", h.source_version()),
        ("machine load", f"{args.busy_before:.0f}% busy before the start; load average "
                         f"{' '.join(f'{x:.2f}' for x in f['loadavg_before'])} at the measurement's start, "
                         f"{' '.join(f'{x:.2f}' for x in f['loadavg_after'])} at its end"),
        ("shape", "PostgreSQL + Redis; ONE server process (the product app + GET /bench/cases)"),
        ("query", f"cases(first: {PAGE}) with item, applicant, events, materials; caller jd-cuiping (township); "
                  f"{f['bytes'] / 1024:.1f} KiB per response"),
        ("SQL per request", f"GraphQL {len(f['sql']['GraphQL'])} statements, hand-written "
                            f"{len(f['sql']['hand-written'])}; the same statements (column and statement order aside): "
                            f"{'yes' if f['same_sql'] else 'NO'}"),
        ("load", f"{args.clients} concurrent clients, {args.rounds} rounds × {args.seconds:.0f} s per path"),
        ("GraphQL", f"{g_rps:.1f} requests/s   " + lat("graphql")),
        ("hand-written", f"{w_rps:.1f} requests/s   " + lat("hand")),
        ("per round", "; ".join(f"{r['graphql']['rps']:.1f} vs {r['hand']['rps']:.1f}" for r in f["rounds"])),
        ("CPU, last round", f"GraphQL: {f['rounds'][-1]['graphql']['cpu_all']}"),
        ("", f"hand-written: {f['rounds'][-1]['hand']['cpu_all']}"),
        ("ratio", f"GraphQL ÷ hand-written = {ratio:.2f}"),
        ("CPU ratio", f"hand-written ÷ GraphQL server CPU per request = {cpu_ratio:.2f} (what the throughput ratio "
                      f"approaches when the server is CPU-bound; it depends far less on other load)"),
        ("errors", str(errors)),
        ("target", f"GraphQL ≥ {TARGET_RATIO:.0%} of the hand-written throughput"),
        ("met", "YES" if ratio >= TARGET_RATIO and not errors else "NO"),
    ]
    print(h.summary_block("bench/graphql_read.py — a page of 50 cases: GraphQL vs hand-written", out), flush=True)
    return not errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the server process
    parser.add_argument("--cases", type=int, default=200, help="cases seeded (default 200)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--seconds", type=float, default=10, help="seconds per path per round (default 10)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds, alternating the order of the paths")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the server during each measurement; keeps the .pstats files and prints the "
                             "top functions of the GraphQL path")
    parser.add_argument("--show-sql", action="store_true", help="print the statements each path runs")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")
    parser.add_argument("--quick", action="store_true", help="1 round × 4 s per path")
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    if args.quick:
        args.rounds, args.seconds = 1, 4
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args.busy_before = h.busy_now()
    h.log(f"machine {args.busy_before:.0f}% busy before the start; load average {os.getloadavg()}")
    topo = h.Topology("gqlread", keep=args.keep or args.profile)
    ok = False
    try:
        topo.start_stores()
        topo.base_env()
        topo.migrate()
        port = h.free_port()
        server = topo.spawn([sys.executable, os.path.abspath(__file__), "--serve"], "server", {"PORT": str(port)})
        topo.wait_http(f"http://127.0.0.1:{port}", server)
        figures = asyncio.run(drive(args, topo, f"http://127.0.0.1:{port}", server.pid))
        ok = report(args, figures)
        for path in figures.get("profiles", []):
            print(f"profile: {path}")
        if figures.get("profiles"):
            import pstats

            graphql = [str(p) for p in figures["profiles"] if "graphql" in p.name]
            pstats.Stats(*graphql).sort_stats("tottime").print_stats(25)
            pstats.Stats(*graphql).sort_stats("cumulative").print_stats(40)
    finally:
        if topo.keep:
            print(f"logs kept in {topo.logs}")
        topo.close()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
