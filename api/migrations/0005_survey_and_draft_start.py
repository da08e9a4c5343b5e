from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_satisfaction')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Case',
            name='draft_started_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AlterModelOptions(
            name='Satisfaction',
            options={'table': 'satisfaction', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The 回头看 survey of a decided case: how they applied, ease, satisfaction (1–5) and a comment.'},
        ),
        ops.AddField(
            model_name='Satisfaction',
            name='answered_by',
            field=fields.CharField(default='applicant', max_length=16),
        ),
        ops.AddField(
            model_name='Satisfaction',
            name='ease',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Satisfaction',
            name='helped',
            field=fields.BooleanField(null=True),
        ),
        ops.AddField(
            model_name='Satisfaction',
            name='how_applied',
            field=fields.CharField(null=True, max_length=16),
        ),
    ]
