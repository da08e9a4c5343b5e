from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_analytics_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccessLog',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('action', fields.CharField(db_index=True, max_length=32)),
                ('actor_kind', fields.CharField(max_length=16)),
                ('actor_role', fields.CharField(max_length=32)),
                ('staff_id', fields.IntField(null=True, db_index=True)),
                ('citizen_id', fields.IntField(null=True)),
                ('actor_name', fields.CharField(default='', max_length=64)),
                ('applicant_id', fields.IntField(null=True, db_index=True)),
                ('field', fields.CharField(null=True, max_length=64)),
                ('material_id', fields.CharField(null=True, max_length=36)),
                ('request_id', fields.CharField(default='', max_length=64)),
                ('client', fields.CharField(null=True, max_length=64)),
                ('detail', fields.CharField(null=True, max_length=200)),
            ],
            options={'table': 'access_log', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One access to personal data or one sign-in event: who, in what role, when, whose data, from which request.'},
            bases=['Model'],
        ),
    ]
