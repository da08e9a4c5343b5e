from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_session_activity')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Case',
            name='assignee',
            field=fields.ForeignKeyField('models.StaffAccount', source_field='assignee_id', null=True, db_constraint=True, to_field='id', related_name='assigned_cases', on_delete=OnDelete.SET_NULL),
        ),
    ]
