"""Statistics statements run on PostgreSQL with their own settings: memory to sort in, no JIT, a time limit, and
a plan for the range asked (not the generic plan PostgreSQL may switch a prepared statement to from its sixth
run, which does not know the range: 740 → 970 ms for end to end by item over 36 months at a million cases)."""

from __future__ import annotations

from api.analytics import repository


async def test_statistics_statements_run_with_their_settings(db):
    d = repository.dialect()
    if d.pg:
        sql = ("SELECT current_setting('plan_cache_mode') AS plans, current_setting('work_mem') AS mem,"
               " current_setting('jit') AS jit, current_setting('statement_timeout') AS timeout")
        rows = [await repository.fetch(repository.dialect(), sql) for _ in range(7)]  # past the sixth run too
        assert {tuple(r[0].values()) for r in rows} == {("force_custom_plan", "64MB", "off", "2min")}
        # only for the statement's own transaction: read outside one (fetch without the PostgreSQL settings)
        after = await repository.fetch(repository.Dialect("sqlite"), "SELECT current_setting('plan_cache_mode') AS p")
        assert after == [{"p": "auto"}]
    else:
        assert await repository.fetch(d, f"SELECT {d.p(7)} AS n") == [{"n": 7}]
