"""Times every dashboard statistic on generated data: 1,000,000 cases on PostgreSQL, 100,000 on SQLite.

    .venv/bin/python bench/analytics.py                     # both databases, full size
    .venv/bin/python bench/analytics.py --only sqlite --sqlite-cases 20000

Generates the data with `api.demo.generate` (bulk COPY / executemany), then asks each statistic as an
analyst through the service layer (what the GraphQL resolver calls), over the last 12 months (the
dashboard's default) and over the whole generated span. Prints each one's time: the first run and the
median of the next runs. The target is under 1 second for every dashboard query. Processing times are
asked as the PWA dashboard asks them, in working days only (`hours=False`); all stages with hours as well
(what an analyst's GraphQL query selecting `medianHours` costs) is printed apart, like the whole review
report, without the mark. Next to each median, the CPU the database spent on it (median of the same runs):
SQLite's is this process's; PostgreSQL's is its server processes', parallel workers included, when the
bench started the server or was told its data directory (`--pg-datadir`), which on a shared machine says
more than the wall time. Not a test: nothing is asserted; figures are printed as they are.

    .venv/bin/python bench/analytics.py --only postgres --keep-pg     # keeps the generated server running
    .venv/bin/python bench/analytics.py --only postgres --pg-url postgres://…/bench --pg-datadir /tmp/dachuan-pg-…
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from api.analytics import service as analytics  # noqa: E402
from api.kit.actors import Actor  # noqa: E402
from api.kit.clock import SHANGHAI  # noqa: E402

TARGET_SECONDS = 1.0
ANALYST = Actor(kind="staff", role="analyst", name="bench", region_code="511703")
Query = Callable[[date, date], Awaitable[object]]

DASHBOARD: list[tuple[str, Query]] = [
    ("件数·按事项", lambda s, e: analytics.case_counts(ANALYST, start=s, end=e, group_by=["item"])),
    ("件数·按乡镇", lambda s, e: analytics.case_counts(ANALYST, start=s, end=e, group_by=["township"])),
    ("件数·按村", lambda s, e: analytics.case_counts(ANALYST, start=s, end=e, group_by=["village"])),
    ("件数·渠道×月份", lambda s, e: analytics.case_counts(ANALYST, start=s, end=e, group_by=["channel", "month"])),
    ("件数·年龄段×渠道", lambda s, e: analytics.case_counts(ANALYST, start=s, end=e, group_by=["ageBand", "channel"])),
    ("件数·状态(低保,筛选)", lambda s, e: analytics.case_counts(ANALYST, start=s, end=e, group_by=["status"],
                                                          filters=[("item", ["dibao"])])),
    ("办理漏斗", lambda s, e: analytics.funnel(ANALYST, start=s, end=e)),
    ("环节用时·全部环节", lambda s, e: analytics.processing_times(ANALYST, start=s, end=e, hours=False)),
    ("环节用时·受理", lambda s, e: analytics.processing_times(ANALYST, start=s, end=e, stages=["accept"])),
    ("全程用时·按乡镇", lambda s, e: analytics.processing_times(ANALYST, start=s, end=e, group_by=["township"],
                                                          stages=["total"], hours=False)),
    ("全程用时·按事项", lambda s, e: analytics.processing_times(ANALYST, start=s, end=e, group_by=["item"],
                                                          stages=["total"])),
    ("预警超期率·按乡镇", lambda s, e: analytics.clock_rates(ANALYST, start=s, end=e)),
    ("申请用时·按渠道", lambda s, e: analytics.time_to_apply(ANALYST, start=s, end=e)),
    ("省级同步·按日", lambda s, e: analytics.province_sync(ANALYST, start=s, end=e)),
    ("满意度·按事项", lambda s, e: analytics.satisfaction(ANALYST, start=s, end=e, group_by=["item"])),
    ("满意度·按乡镇", lambda s, e: analytics.satisfaction(ANALYST, start=s, end=e, group_by=["township"])),
    ("满意度·按渠道", lambda s, e: analytics.satisfaction(ANALYST, start=s, end=e, group_by=["channel"])),
    ("覆盖面·80岁以上·按乡镇", lambda s, e: analytics.elder_reach(ANALYST, start=s, end=e, group_by=["township"])),
]
REPORTS: list[tuple[str, Query]] = [
    ("环节用时·全部环节（含小时）", lambda s, e: analytics.processing_times(ANALYST, start=s, end=e)),
    ("回头看报告（整份）", lambda s, e: analytics.review_report(ANALYST, start=s, end=e, comments_per_township=50)),
]


def server_cpu(datadir: str) -> Callable[[], float] | None:
    """Returns a reader of the CPU seconds a PostgreSQL server has spent: its postmaster's finished children
    (parallel workers, once they exit) and every live child (the backends); None if it cannot be read."""
    try:
        with open(os.path.join(datadir, "postmaster.pid")) as f:
            postmaster = int(f.readline())
    except (OSError, ValueError):
        return None
    tick = os.sysconf("SC_CLK_TCK")

    def fields(pid: int | str) -> list[str]:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()

    def read() -> float:
        ticks = sum(int(v) for v in fields(postmaster)[13:15])
        for pid in os.listdir("/proc"):
            try:
                if pid.isdigit() and int((stat := fields(pid))[1]) == postmaster:
                    ticks += int(stat[11]) + int(stat[12])
            except OSError:
                continue
        return ticks / tick

    try:
        read()
    except OSError:
        return None
    return read


async def _time(query: Query, start: date, end: date, repeat: int,
                cpu: Callable[[], float] | None) -> tuple[float, float, float | None]:
    runs, cpus = [], []
    for _ in range(repeat):
        c, t = cpu() if cpu else 0.0, time.perf_counter()
        await query(start, end)
        runs.append(time.perf_counter() - t)
        cpus.append(cpu() - c if cpu else None)
    later = cpus[1:] or cpus
    return runs[0], statistics.median(runs[1:] or runs), statistics.median(later) if cpu else None


async def measure(label: str, url: str, cases: int, *, months: int, repeat: int, generate_data: bool = True,
                  cpu: Callable[[], float] | None = None) -> list:
    from api.demo.generate import generate
    from api.kit.crypto import configure_cipher
    from api.kit.db import close_db, init_db
    from api.settings import Settings, use_settings

    settings = use_settings(Settings(environment="development", database_url=url, load_demo_data=False))
    configure_cipher(settings)
    await init_db(url)
    now = datetime.now(UTC)
    try:
        if generate_data:
            print(f"\n== {label}: generating {cases:,} cases over {months} months ==", flush=True)
            t = time.perf_counter()
            counts = await generate(cases, months=months, batch_size=5000, now=now,
                                    progress=lambda line: print(line, flush=True))
            print(f"generated in {time.perf_counter() - t:.1f} s: "
                  + ", ".join(f"{v:,} {k}" for k, v in counts.items()), flush=True)
        t = time.perf_counter()
        await analytics.refresh_facts()
        print(f"facts refresh with nothing changed: {(time.perf_counter() - t) * 1000:.0f} ms")
        today = now.astimezone(SHANGHAI).date()
        ranges = [("近12个月", today - timedelta(days=365) + timedelta(days=1), today),
                  (f"全部{months}个月", today - timedelta(days=round(months * 30.44)), today)]
        rows = []
        for range_label, start, end in ranges:
            print(f"\n{label} · {range_label}（{start} 至 {end}）  first / median of {repeat - 1} more runs"
                  f" / database CPU (median)  load {os.getloadavg()[0]:.1f}")
            for name, query in [*DASHBOARD, *REPORTS]:
                first, median, spent = await _time(query, start, end, repeat, cpu)
                mark = "" if (name, query) in REPORTS else ("  ✓" if median < TARGET_SECONDS else "  ✗ over 1 s")
                used = f"{spent * 1000:9.0f} ms" if spent is not None else f"{'—':>12}"
                print(f"  {name:<22} {first * 1000:9.0f} ms {median * 1000:9.0f} ms {used}{mark}", flush=True)
                rows.append((label, range_label, name, first, median))
        return rows
    finally:
        await close_db()


async def main(args: argparse.Namespace) -> None:
    results = []
    if args.only in (None, "postgres") and args.pg_url:
        results += await measure("PostgreSQL", args.pg_url, 0, months=args.months, repeat=args.repeat,
                                 generate_data=False, cpu=server_cpu(args.pg_datadir) if args.pg_datadir else None)
    elif args.only in (None, "postgres"):
        from tests.harness.pg import start_postgres

        cluster = start_postgres()
        try:
            cluster.psql("create database bench")
            results += await measure("PostgreSQL", cluster.dsn_for("bench"), args.pg_cases, months=args.months,
                                     repeat=args.repeat, cpu=server_cpu(cluster.datadir))
        finally:
            if args.keep_pg:
                print(f"\nkept: --pg-url {cluster.dsn_for('bench')} --pg-datadir {cluster.datadir}"
                      f"  (stop: pg_ctl -D {cluster.datadir} stop, then remove the directory)")
            else:
                cluster.stop()
    if args.only in (None, "sqlite") and args.sqlite_url:
        results += await measure("SQLite", args.sqlite_url, 0, months=args.months, repeat=args.repeat,
                                 generate_data=False, cpu=time.process_time)
    elif args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="dachuan-bench-") as tmp:
            url = f"sqlite://{Path(tmp) / 'bench.sqlite3'}"
            results += await measure("SQLite", url, args.sqlite_cases, months=args.months, repeat=args.repeat,
                                     cpu=time.process_time)
    dashboard = {name for name, _ in DASHBOARD}
    for label in dict.fromkeys(r[0] for r in results):
        for range_label in dict.fromkeys(r[1] for r in results if r[0] == label):
            mine = [r for r in results if r[0] == label and r[1] == range_label and r[2] in dashboard]
            slow = [r for r in mine if r[4] >= TARGET_SECONDS]
            print(f"{label} · {range_label}: {len(mine) - len(slow)}/{len(mine)} dashboard queries under "
                  f"{TARGET_SECONDS:.0f} s; slowest {max(r[4] for r in mine) * 1000:.0f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg-cases", type=int, default=1_000_000)
    parser.add_argument("--sqlite-cases", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--only", choices=["postgres", "sqlite"])
    parser.add_argument("--pg-url", help="measure an existing, already generated PostgreSQL database instead")
    parser.add_argument("--pg-datadir", help="the data directory of --pg-url's server, to read its CPU time")
    parser.add_argument("--keep-pg", action="store_true", help="leave the generated PostgreSQL server running")
    parser.add_argument("--sqlite-url", help="measure an existing, already generated SQLite database instead")
    asyncio.run(main(parser.parse_args()))
