"""Cases to closure (issue 9): cases and their history, referrals with a lead department, a due date and an
outcome, department attachments, leads, and a survey training's 机构性质 and pitched products.

Referrals of issue 3 named a report; each becomes a referral of that report's case (anchored on the
report's institution name or phone, else on the report itself), with its step in the case's history.
"""
from peewee import *


def up(migrator, db):
    class Org(Model):
        code = CharField(primary_key=True, max_length=16)
        class Meta:
            database = db
            table_name = 'org'

    class Department(Model):
        code = CharField(primary_key=True, max_length=32)
        class Meta:
            database = db
            table_name = 'department'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Case(Model):
        anchor = CharField(max_length=220, unique=True)
        kind = CharField(max_length=16)
        important = BooleanField(default=False)
        escalated = BooleanField(default=False)
        published_at = DateTimeField(null=True)
        published_text = TextField(default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'case_record'

    class Referral(Model):
        class Meta:
            database = db
            table_name = 'referral'

    class CaseEvent(Model):
        case = ForeignKeyField(Case, on_delete='CASCADE')
        referral = ForeignKeyField(Referral, null=True, on_delete='CASCADE')
        action = CharField(max_length=24)
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        at = DateTimeField(index=True)
        note = TextField(default='')
        case_opened = BooleanField(default=False)
        fine_fen = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'case_event'

    class CaseFile(Model):
        event = ForeignKeyField(CaseEvent, on_delete='CASCADE')
        filename = CharField(max_length=64)
        width = IntegerField()
        height = IntegerField()
        class Meta:
            database = db
            table_name = 'case_file'

    class Lead(Model):
        client_uuid = CharField(max_length=36, unique=True)
        source = CharField(max_length=16)
        community = ForeignKeyField(Org, null=True, on_delete='RESTRICT')
        street = ForeignKeyField(Org, null=True, on_delete='RESTRICT', backref='street_leads')
        logged_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        department = ForeignKeyField(Department, null=True, on_delete='RESTRICT')
        institution = CharField(max_length=200, default='')
        institution_key = CharField(max_length=200, default='', index=True)
        institution_phone = CharField(max_length=40, default='')
        phone_digits = CharField(max_length=40, default='', index=True)
        institution_nature = CharField(max_length=16, default='unknown')
        url = CharField(max_length=500, default='')
        description = TextField(default='')
        mode = CharField(max_length=16, default='other')
        trainer_identity = CharField(max_length=16, default='unknown')
        fee_fen = IntegerField(default=0)
        products_pitched = BooleanField(default=False)
        engineering_solicited = BooleanField(default=False)
        pitched_products = CharField(max_length=200, default='')
        flags = CharField(max_length=200, default='')
        suspect = BooleanField(default=False)
        body_hash = CharField(max_length=64)
        created_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'lead'

    db.create_tables([Case])
    migrator.migrate(
        migrator.add_column('referral', 'case_id', ForeignKeyField(Case, field=Case.id, null=True, on_delete='CASCADE')),
        migrator.add_column('referral', 'lead', BooleanField(default=False)),
        migrator.add_column('referral', 'due', DateField(null=True)),
        migrator.add_column('referral', 'case_opened', BooleanField(default=False)),
        migrator.add_column('referral', 'fine_fen', IntegerField(default=0)),
        migrator.add_column('training', 'institution_nature', CharField(max_length=16, default='unknown')),
        migrator.add_column('training', 'pitched_products', CharField(max_length=200, default='')),
    )
    db.create_tables([CaseEvent, CaseFile, Lead])

    # Issue 3's referrals named a report: give each its case and its step in the case's history.
    rows = db.execute_sql(
        'SELECT referral.id, referral.referred_by_id, referral.referred_at, referral.note, report.id, '
        'report.institution_key, report.phone_digits FROM referral JOIN report ON report.id = referral.report_id'
    ).fetchall()
    for referral_id, user_id, at, note, report_id, key, phone in rows:
        anchor, kind = (f'n:{key}', 'institution') if key else (
            (f'p:{phone}', 'institution') if phone else (f'r:{report_id}', 'report'))
        case = Case.get_or_none(Case.anchor == anchor) or Case.create(anchor=anchor, kind=kind, created_at=at)
        db.execute_sql('UPDATE referral SET case_id = %s WHERE id = %s'.replace('%s', db.param),
                       (case.id, referral_id))
        CaseEvent.create(case=case, referral=referral_id, action='referred', user=user_id, at=at, note=note or '')

    migrator.migrate(
        migrator.drop_index('referral', 'referral_report_id'),
        migrator.drop_index('referral', 'referral_institution_key'),
    )
    # SQLite cannot ALTER away a foreign-key column: rebuild the table there (legacy=True).
    sqlite = {'legacy': True} if type(migrator).__name__ == 'SqliteMigrator' else {}
    migrator.migrate(
        migrator.drop_column('referral', 'report_id', **sqlite),
        migrator.drop_column('referral', 'institution_key', **sqlite),
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_table('lead'))
    migrator.migrate(migrator.drop_table('case_file'))
    migrator.migrate(migrator.drop_table('case_event'))
    migrator.migrate(
        migrator.drop_column('training', 'pitched_products'),
        migrator.drop_column('training', 'institution_nature'),
        migrator.drop_column('referral', 'fine_fen'),
        migrator.drop_column('referral', 'case_opened'),
        migrator.drop_column('referral', 'due'),
        migrator.drop_column('referral', 'lead'),
        migrator.drop_column('referral', 'case_id'),
    )
    migrator.migrate(migrator.drop_table('case'))
