"""附件2 spot checks, 附件3 entries, survey samples, the campaign calendar and submissions (issue 10)."""
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

    class ActionEntry(Model):
        client_uuid = CharField(unique=True, max_length=36)
        street = ForeignKeyField(Org, null=True, on_delete='RESTRICT')
        department = ForeignKeyField(Department, null=True, on_delete='RESTRICT')
        date = DateField()
        inspectors = IntegerField(default=0)
        units_checked = IntegerField(default=0)
        publicity_events = IntegerField(default=0)
        body_hash = CharField(max_length=64)
        entered_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'action_entry'
            indexes = ((('street', 'date'), False), (('department', 'date'), False))
    db.create_tables([ActionEntry])

    class Campaign(Model):
        name = CharField(max_length=200)
        document = CharField(max_length=300, default='')
        starts = DateField()
        ends = DateField()
        contact_name = CharField(max_length=64, default='')
        contact_org = CharField(max_length=100, default='')
        contact_phone = CharField(max_length=40, default='')
        contact_mailbox = CharField(max_length=200, default='')
        contact_fax = CharField(max_length=40, default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'campaign'
    db.create_tables([Campaign])

    class CampaignDeadline(Model):
        campaign = ForeignKeyField(Campaign, on_delete='CASCADE')
        kind = CharField(max_length=16)
        label = CharField(max_length=100)
        due = DateField()
        weekly_until = DateField(null=True)
        class Meta:
            database = db
            table_name = 'campaign_deadline'
    db.create_tables([CampaignDeadline])

    class CampaignPhase(Model):
        campaign = ForeignKeyField(Campaign, on_delete='CASCADE')
        position = SmallIntegerField()
        name = CharField(max_length=64)
        period = CharField(max_length=64, default='')
        starts = DateField()
        ends = DateField()
        class Meta:
            database = db
            table_name = 'campaign_phase'
    db.create_tables([CampaignPhase])

    class Sample(Model):
        survey = ForeignKeyField(Survey, on_delete='RESTRICT')
        position = SmallIntegerField()
        community = ForeignKeyField(Org, on_delete='RESTRICT')
        product = CharField(max_length=32)
        collected_on = DateField()
        collected_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        result = CharField(null=True, max_length=8)
        tested_on = DateField(null=True)
        recorded_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        note = TextField(default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'sample'
            indexes = ((('survey', 'position'), True),)
    db.create_tables([Sample])

    class SpotCheck(Model):
        client_uuid = CharField(unique=True, max_length=36)
        department = ForeignKeyField(Department, on_delete='RESTRICT')
        channel = CharField(max_length=16)
        product = CharField(max_length=32)
        date = DateField()
        batches = IntegerField(default=0)
        failed = IntegerField(default=0)
        cases_opened = IntegerField(default=0)
        fine_fen = IntegerField(default=0)
        body_hash = CharField(max_length=64)
        entered_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'spot_check'
            indexes = ((('department', 'date'), False),)
    db.create_tables([SpotCheck])

    class Submission(Model):
        client_uuid = CharField(unique=True, max_length=36)
        street = ForeignKeyField(Org, null=True, on_delete='RESTRICT')
        department = ForeignKeyField(Department, null=True, on_delete='RESTRICT')
        as_of = DateField()
        submitted_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        submitted_at = DateTimeField(index=True)
        document = BlobField()
        workbook = BlobField()
        workbook_name = CharField(max_length=200)
        body_hash = CharField(max_length=64)
        mail_status = CharField(max_length=8, default='off')
        mail_error = TextField(default='')
        mailed_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'submission'
            indexes = ((('street', 'submitted_at'), False), (('department', 'submitted_at'), False))
    db.create_tables([Submission])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('submission'))
    migrator.migrate(migrator.drop_table('spot_check'))
    migrator.migrate(migrator.drop_table('sample'))
    migrator.migrate(migrator.drop_table('campaign_phase'))
    migrator.migrate(migrator.drop_table('campaign_deadline'))
    migrator.migrate(migrator.drop_table('campaign'))
    migrator.migrate(migrator.drop_table('action_entry'))
