"""Tables of supervision (强化考核, issue 19; design section 12): quality signals, 回访 rechecks, 督办 orders and
their steps; a mailbox for each org and department (orders are mailed there); an index of each account's records
by visit time, which keeping the signals reads on every record."""
# Generated from a schema diff on 2026-12-07 14:15.
from peewee import *


def up(migrator, db):
    class Department(Model):
        code = CharField(primary_key=True, max_length=32)
        class Meta:
            database = db
            table_name = 'department'

    class Org(Model):
        code = CharField(primary_key=True, max_length=16)
        class Meta:
            database = db
            table_name = 'org'

    class Survey(Model):
        class Meta:
            database = db
            table_name = 'survey'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class SupervisionOrder(Model):
        client_uuid = CharField(unique=True, max_length=36)
        body_hash = CharField(max_length=64, default='')
        issuer = ForeignKeyField(User, null=True, on_delete='SET NULL')
        issuer_org = ForeignKeyField(Org, on_delete='RESTRICT')
        to_org = ForeignKeyField(Org, null=True, on_delete='RESTRICT')
        to_department = ForeignKeyField(Department, null=True, on_delete='RESTRICT')
        subject_kind = CharField(max_length=16)
        subject_id = CharField(max_length=32, default='')
        request = TextField()
        due = DateField()
        status = CharField(max_length=16, default='open')
        response = TextField(default='')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        closed_at = DateTimeField(null=True)
        mail_status = CharField(max_length=8, default='off')
        mail_error = TextField(default='')
        overdue_mailed_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'supervision_order'
            indexes = ((('to_org', 'status'), False), (('to_department', 'status'), False), (('issuer_org', 'status'), False))
    db.create_tables([SupervisionOrder])

    class OrderStep(Model):
        order = ForeignKeyField(SupervisionOrder, on_delete='CASCADE')
        action = CharField(max_length=16)
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        at = DateTimeField()
        note = TextField(default='')
        class Meta:
            database = db
            table_name = 'order_step'
    db.create_tables([OrderStep])

    class QualitySignal(Model):
        kind = CharField(max_length=16)
        user = ForeignKeyField(User, on_delete='CASCADE')
        community = ForeignKeyField(Org, on_delete='RESTRICT')
        day = DateField()
        starts = DateTimeField()
        ends = DateTimeField()
        count = IntegerField()
        record_ids = TextField()
        holds = BooleanField(default=True)
        verdict = CharField(null=True, max_length=16)
        note = TextField(default='')
        reviewed_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        reviewed_at = DateTimeField(null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'quality_signal'
            indexes = ((('user', 'kind', 'day'), False), (('community', 'day'), False))
    db.create_tables([QualitySignal])

    class Recheck(Model):
        community = ForeignKeyField(Org, on_delete='RESTRICT')
        as_of = DateField()
        seed = CharField(max_length=32, default='')
        survey = ForeignKeyField(Survey, on_delete='CASCADE')
        drawn_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        drawn_at = DateTimeField()
        result = CharField(null=True, max_length=16)
        differs = CharField(max_length=64, default='')
        note = TextField(default='')
        checked_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        checked_at = DateTimeField(null=True)
        signal = ForeignKeyField(QualitySignal, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'recheck'
            indexes = ((('community', 'as_of', 'seed', 'survey'), True), (('community', 'checked_at'), False))
    db.create_tables([Recheck])

    migrator.migrate(migrator.add_column('org', 'mailbox', CharField(max_length=254, default='')))
    migrator.migrate(migrator.add_column('department', 'mailbox', CharField(max_length=254, default='')))
    migrator.migrate(migrator.add_index('survey', ('surveyor_id', 'visited_at')))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('survey', 'survey_surveyor_id_visited_at'))
    migrator.migrate(migrator.drop_column('department', 'mailbox'))
    migrator.migrate(migrator.drop_column('org', 'mailbox'))
    migrator.migrate(migrator.drop_table('recheck'))
    migrator.migrate(migrator.drop_table('quality_signal'))
    migrator.migrate(migrator.drop_table('order_step'))
    migrator.migrate(migrator.drop_table('supervision_order'))
