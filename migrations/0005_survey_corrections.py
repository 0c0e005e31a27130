"""Corrections of survey records, applied once per correction_uuid (issue 8)."""
from peewee import *


def up(migrator, db):
    class Survey(Model):
        class Meta:
            database = db
            table_name = 'survey'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class SurveyCorrection(Model):
        correction_uuid = CharField(unique=True, max_length=36)
        survey = ForeignKeyField(Survey, on_delete='CASCADE')
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        body_hash = CharField(max_length=64)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'survey_correction'
    db.create_tables([SurveyCorrection])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('survey_correction'))
