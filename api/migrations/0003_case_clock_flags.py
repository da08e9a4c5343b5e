from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_outbox_province')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Case',
            name='clock_flag',
            field=fields.CharField(default='ok', max_length=8),
        ),
        ops.AddField(
            model_name='Case',
            name='notice_ended',
            field=fields.BooleanField(default=False),
        ),
    ]
