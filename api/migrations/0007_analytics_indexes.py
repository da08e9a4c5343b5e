from tortoise import migrations
from tortoise.migrations import operations as ops

# Written by hand: the tables below belong to the analytics domain's SQL and are not Tortoise models.
# `workday_index` maps a day to the working days before it; `case_fact` holds one narrow row of figures
# per case, kept up to date by api.analytics.service.refresh_facts (see docs/analytics.md).
FACT_FIGURES = ", ".join(
    f"{stage}_{unit} DOUBLE PRECISION"
    for stage in ("accept", "investigate", "verify", "review", "approve", "province", "pay", "total")
    for unit in ("wd", "h")
)


async def fill_workday_index(apps, schema_editor):
    if schema_editor.collect_sql:
        return
    from api.analytics.repository import write_workday_index
    from api.analytics.workdays import index_rows

    await write_workday_index(index_rows(), client=schema_editor.client)


class Migration(migrations.Migration):
    dependencies = [('models', '0006_disbursements')]

    initial = False

    operations = [
        ops.RunSQL(
            [
                "CREATE TABLE IF NOT EXISTS workday_index ("
                " day INTEGER NOT NULL PRIMARY KEY, idx INTEGER NOT NULL, work SMALLINT NOT NULL)",
                "CREATE TABLE IF NOT EXISTS case_fact ("
                " case_id INTEGER NOT NULL PRIMARY KEY REFERENCES aid_case (id) ON DELETE CASCADE,"
                " last_seq INTEGER NOT NULL, submitted_at TIMESTAMPTZ NOT NULL, month VARCHAR(7) NOT NULL,"
                " item_id INTEGER NOT NULL, region_id VARCHAR(12) NOT NULL, channel VARCHAR(16) NOT NULL,"
                " status VARCHAR(24) NOT NULL, applicant_id INTEGER NOT NULL, age INTEGER,"
                " accepted SMALLINT NOT NULL, extended SMALLINT NOT NULL, draft_minutes DOUBLE PRECISION,"
                " rating SMALLINT, ease SMALLINT, "
                + FACT_FIGURES + ")",
                "CREATE TABLE IF NOT EXISTS case_fact_refresh ("
                " id INTEGER NOT NULL PRIMARY KEY, refreshed_at TIMESTAMPTZ, survey_id INTEGER)",
                "CREATE INDEX IF NOT EXISTS case_fact_submitted ON case_fact (submitted_at)",
                # the refresh finds the cases changed since it last ran
                "CREATE INDEX IF NOT EXISTS aid_case_updated ON aid_case (updated_at)",
                # the daily provincial figures select syncs by the day they were requested
                "CREATE INDEX IF NOT EXISTS province_sync_created ON province_sync (created_at)",
            ],
            reverse_sql=[
                "DROP INDEX IF EXISTS province_sync_created",
                "DROP INDEX IF EXISTS aid_case_updated",
                "DROP INDEX IF EXISTS case_fact_submitted",
                "DROP TABLE IF EXISTS case_fact_refresh",
                "DROP TABLE IF EXISTS case_fact",
                "DROP TABLE IF EXISTS workday_index",
            ],
        ),
        ops.RunPython(fill_workday_index, reverse_code=ops.RunPython.noop),
    ]
