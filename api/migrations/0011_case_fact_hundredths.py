from tortoise import migrations
from tortoise.migrations import operations as ops

# Written by hand: the facts now record every stage's working days and hours in hundredths, rounded up (a
# duration is recorded as the hundredths it has begun), so processing times can be counted per distinct value
# instead of sorted (see docs/analytics.md). This brings the facts written before to the same resolution;
# the arithmetic is api.analytics.repository.recorded's, frozen here: ⌈x·100 − ε⌉ / 100 in doubles, ε a
# millisecond in hundredths of the unit (it absorbs float noise, so a value already on a hundredth stays on it:
# running this twice changes nothing). Not reversible: the unrounded values are gone (the refresh would compute them again if the code
# went back).
FIGURES = [f"{stage}_{unit}"
           for stage in ("accept", "investigate", "verify", "review", "approve", "province", "pay", "total")
           for unit in ("wd", "h")]


# a millisecond in hundredths of a working day, of an hour (100 / 86,400,000 and 100 / 3,600,000)
NOISE = {"wd": "1.1574074074074074e-06", "h": "2.777777777777778e-05"}


def hundredths(column: str, pg: bool) -> str:
    noise = NOISE[column.rsplit("_", 1)[1]]
    scaled = f"({column} * CAST(100 AS DOUBLE PRECISION) - CAST({noise} AS DOUBLE PRECISION))"
    # CAST truncates towards zero on SQLite: adding 1 where that lost a fraction rounds up, for any sign
    up = f"CEIL({scaled})" if pg else f"(CAST({scaled} AS INTEGER) + ({scaled} > CAST({scaled} AS INTEGER)))"
    return f"({up} / CAST(100 AS DOUBLE PRECISION))"


async def record_hundredths(apps, schema_editor):
    if schema_editor.collect_sql:
        return
    client = schema_editor.client
    pg = client.capabilities.dialect == "postgres"
    sets = ", ".join(f"{col} = {hundredths(col, pg)}" for col in FIGURES)
    await client.execute_script(f"UPDATE case_fact SET {sets}")


class Migration(migrations.Migration):
    dependencies = [('models', '0010_case_assignee')]

    initial = False

    operations = [
        ops.RunPython(record_hundredths, reverse_code=ops.RunPython.noop),
    ]
