from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_case_clock_flags')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Satisfaction',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.OneToOneField('models.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='satisfaction', on_delete=OnDelete.CASCADE)),
                ('rating', fields.IntField()),
                ('comment', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'satisfaction', 'app': 'models', 'pk_attr': 'id', 'table_description': "The applicant's 1–5 rating of a case that has ended, with an optional comment."},
            bases=['Model'],
        ),
    ]
