from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('topic', fields.CharField(max_length=64)),
                ('key', fields.CharField(unique=True, max_length=128)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharField(default='pending', db_index=True, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('claimed_by', fields.CharField(null=True, max_length=64)),
                ('claimed_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outbox_message', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Work that must reach another system, written in the same transaction as the change behind it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProvinceSync',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.OneToOneField('models.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='province_sync', on_delete=OnDelete.CASCADE)),
                ('request_id', fields.CharField(unique=True, max_length=64)),
                ('reference', fields.CharField(null=True, max_length=64)),
                ('state', fields.CharField(db_index=True, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('pushed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_checked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decision', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'province_sync', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The provincial side of one 高龄津贴 case: what was sent, what came back, what is failing.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SeenNonce',
            fields=[
                ('nonce', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('seen_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'province_nonce', 'app': 'models', 'pk_attr': 'nonce', 'table_description': 'A nonce of a signed provincial callback, kept to refuse replays.'},
            bases=['Model'],
        ),
    ]
