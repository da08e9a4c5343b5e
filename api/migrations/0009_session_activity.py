from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_access_log')]

    initial = False

    operations = [
        ops.AddField(
            model_name='AuthSession',
            name='client',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='AuthSession',
            name='last_seen_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='AuthSession',
            name='user_agent',
            field=fields.CharField(null=True, max_length=200),
        ),
    ]
