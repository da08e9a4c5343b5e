from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_survey_and_draft_start')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PaymentBatch',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('month', fields.CharField(db_index=True, max_length=7)),
                ('created_by', fields.ForeignKeyField('models.StaffAccount', source_field='created_by_id', db_constraint=True, to_field='id', related_name='payment_batches', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('exported_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_batch', 'app': 'models', 'pk_attr': 'id', 'table_description': "One month's payments, built by finance from approved cases."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentLine',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('batch', fields.ForeignKeyField('models.PaymentBatch', source_field='batch_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='payment_lines', on_delete=OnDelete.RESTRICT)),
                ('month', fields.CharField(max_length=7)),
                ('amount', fields.DecimalField(max_digits=12, decimal_places=2)),
                ('status', fields.CharField(default='pending', db_index=True, max_length=8)),
                ('failure_reason', fields.CharField(null=True, max_length=200)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_line', 'app': 'models', 'unique_together': (('case', 'month'),), 'pk_attr': 'id', 'table_description': "One recipient's payment in a batch: pending, paid or failed (a failed line stays until paid)."},
            bases=['Model'],
        ),
    ]
