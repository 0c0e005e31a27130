"""The initial schema: organisation, people, units, survey records, approved institutions, posters, reports, referrals."""
from peewee import *


def up(migrator, db):
    class Org(Model):
        code = CharField(primary_key=True, max_length=16)
        name = CharField(max_length=100)
        kind = CharField(max_length=16)
        parent = ForeignKeyField('self', null=True, on_delete='RESTRICT')
        class Meta:
            database = db
            table_name = 'org'
    db.create_tables([Org])

    class Department(Model):
        code = CharField(primary_key=True, max_length=32)
        name = CharField(max_length=100)
        class Meta:
            database = db
            table_name = 'department'
    db.create_tables([Department])

    class User(Model):
        username = CharField(unique=True, max_length=64)
        display_name = CharField(max_length=64, default='')
        password_hash = CharField(max_length=256)
        role = CharField(max_length=16)
        org = ForeignKeyField(Org, null=True, on_delete='RESTRICT')
        department = ForeignKeyField(Department, null=True, on_delete='RESTRICT')
        active = BooleanField(default=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'user'
    db.create_tables([User])

    class ApiToken(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        name = CharField(max_length=64, default='')
        token_hash = CharField(unique=True, max_length=64)
        prefix = CharField(max_length=12)
        created_at = DateTimeField()
        last_used_at = DateTimeField(null=True)
        revoked_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'api_token'
    db.create_tables([ApiToken])

    class ApprovedInstitution(Model):
        name = CharField(max_length=200)
        name_key = CharField(index=True, max_length=200)
        credit_code = CharField(index=True, max_length=18, default='')
        address = CharField(max_length=200, default='')
        phone = CharField(max_length=40, default='')
        approval_no = CharField(max_length=64, default='')
        valid_until = DateField(null=True)
        class Meta:
            database = db
            table_name = 'approved_institution'
    db.create_tables([ApprovedInstitution])

    class AuditLog(Model):
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        at = DateTimeField(index=True)
        action = CharField(max_length=32)
        object_type = CharField(max_length=32)
        object_id = CharField(max_length=64, default='')
        detail = TextField(default='')
        class Meta:
            database = db
            table_name = 'audit_log'
    db.create_tables([AuditLog])

    class Building(Model):
        community = ForeignKeyField(Org, on_delete='RESTRICT')
        name = CharField(max_length=100)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'building'
            indexes = ((('community', 'name'), True),)
    db.create_tables([Building])

    class Poster(Model):
        code = CharField(unique=True, max_length=16)
        community = ForeignKeyField(Org, on_delete='RESTRICT')
        location = CharField(max_length=100)
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        retired_at = DateTimeField(null=True)
        scans = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'poster'
    db.create_tables([Poster])

    class Unit(Model):
        community = ForeignKeyField(Org, on_delete='RESTRICT')
        building = ForeignKeyField(Building, null=True, on_delete='SET NULL')
        address = CharField(max_length=200)
        address_key = CharField(max_length=200)
        type = CharField(max_length=16, default='household')
        name = CharField(max_length=100, default='')
        position = IntegerField(default=0)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'unit'
            indexes = ((('community', 'address_key'), True),)
    db.create_tables([Unit])

    class Survey(Model):
        client_uuid = CharField(unique=True, max_length=36)
        unit = ForeignKeyField(Unit, on_delete='RESTRICT')
        community = ForeignKeyField(Org, on_delete='RESTRICT')
        surveyor = ForeignKeyField(User, null=True, on_delete='SET NULL')
        visited_at = DateTimeField()
        outcome = CharField(max_length=16)
        unit_type = CharField(max_length=16)
        unit_name = CharField(max_length=100, default='')
        note = TextField(default='')
        trained = BooleanField(default=False)
        suspect = BooleanField(default=False)
        body_hash = CharField(max_length=64)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'survey'
            indexes = ((('unit', 'visited_at'), False), (('community', 'visited_at'), False), (('surveyor', 'created_at'), False))
    db.create_tables([Survey])

    class Training(Model):
        survey = ForeignKeyField(Survey, on_delete='CASCADE')
        position = SmallIntegerField()
        institution = CharField(max_length=200, default='')
        institution_key = CharField(index=True, max_length=200, default='')
        institution_phone = CharField(max_length=40, default='')
        phone_digits = CharField(index=True, max_length=40, default='')
        trainer_identity = CharField(max_length=16)
        mode = CharField(max_length=16)
        date = DateField(null=True)
        fee_fen = IntegerField(default=0)
        content = TextField(default='')
        products_pitched = BooleanField(default=False)
        engineering_solicited = BooleanField(default=False)
        flags = CharField(max_length=200, default='')
        suspect = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'training'
    db.create_tables([Training])

    class Purchase(Model):
        survey = ForeignKeyField(Survey, on_delete='CASCADE')
        position = SmallIntegerField()
        product = CharField(max_length=32)
        quantity = IntegerField()
        amount_fen = IntegerField(default=0)
        channel = CharField(max_length=16)
        training = ForeignKeyField(Training, null=True, on_delete='SET NULL')
        ccc_mark = BooleanField(null=True)
        id_label = BooleanField(null=True)
        sample_available = BooleanField(null=True)
        class Meta:
            database = db
            table_name = 'purchase'
    db.create_tables([Purchase])

    class Report(Model):
        number = CharField(unique=True, max_length=16)
        poster = ForeignKeyField(Poster, null=True, on_delete='SET NULL')
        community = ForeignKeyField(Org, null=True, on_delete='RESTRICT')
        kinds = CharField(max_length=200, default='')
        description = TextField()
        institution = CharField(max_length=200, default='')
        institution_key = CharField(index=True, max_length=200, default='')
        institution_phone = CharField(max_length=40, default='')
        phone_digits = CharField(index=True, max_length=40, default='')
        happened_on = DateField(null=True)
        place = CharField(max_length=200, default='')
        amount_fen = IntegerField(default=0)
        contact = CharField(max_length=100, default='')
        status = CharField(index=True, max_length=16, default='new')
        flags = CharField(max_length=200, default='')
        suspect = BooleanField(default=False)
        created_at = DateTimeField(index=True)
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'report'
    db.create_tables([Report])

    class Referral(Model):
        department = ForeignKeyField(Department, on_delete='RESTRICT')
        report = ForeignKeyField(Report, null=True, on_delete='CASCADE')
        institution_key = CharField(index=True, max_length=200, default='')
        community = ForeignKeyField(Org, null=True, on_delete='RESTRICT')
        referred_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        referred_at = DateTimeField(index=True)
        status = CharField(max_length=16, default='referred')
        note = TextField(default='')
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'referral'
    db.create_tables([Referral])

    class ReportEvent(Model):
        report = ForeignKeyField(Report, on_delete='CASCADE')
        status = CharField(max_length=16)
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        at = DateTimeField()
        note = TextField(default='')
        class Meta:
            database = db
            table_name = 'report_event'
    db.create_tables([ReportEvent])

    class ReportPhoto(Model):
        report = ForeignKeyField(Report, on_delete='CASCADE')
        filename = CharField(max_length=64)
        width = IntegerField()
        height = IntegerField()
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'report_photo'
    db.create_tables([ReportPhoto])

    class UserSession(Model):
        key = CharField(primary_key=True, max_length=64)
        user = ForeignKeyField(User, on_delete='CASCADE')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'user_session'
    db.create_tables([UserSession])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('user_session'))
    migrator.migrate(migrator.drop_table('report_photo'))
    migrator.migrate(migrator.drop_table('report_event'))
    migrator.migrate(migrator.drop_table('referral'))
    migrator.migrate(migrator.drop_table('report'))
    migrator.migrate(migrator.drop_table('purchase'))
    migrator.migrate(migrator.drop_table('training'))
    migrator.migrate(migrator.drop_table('survey'))
    migrator.migrate(migrator.drop_table('unit'))
    migrator.migrate(migrator.drop_table('poster'))
    migrator.migrate(migrator.drop_table('building'))
    migrator.migrate(migrator.drop_table('audit_log'))
    migrator.migrate(migrator.drop_table('approved_institution'))
    migrator.migrate(migrator.drop_table('api_token'))
    migrator.migrate(migrator.drop_table('user'))
    migrator.migrate(migrator.drop_table('department'))
    migrator.migrate(migrator.drop_table('org'))
