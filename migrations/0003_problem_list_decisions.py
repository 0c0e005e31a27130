"""The problem list: the district's manual merges and splits of suspect institutions (issue 4)."""
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class InstitutionDecision(Model):
        kind = CharField(max_length=8)
        key_a = CharField(max_length=220)
        key_b = CharField(max_length=220)
        note = TextField(default='')
        decided_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        decided_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'institution_decision'
            indexes = ((('kind', 'key_a', 'key_b'), True),)
    db.create_tables([InstitutionDecision])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('institution_decision'))
