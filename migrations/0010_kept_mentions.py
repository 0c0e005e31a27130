"""The mentions of institutions kept as their sources change (issue 17): domain/casework/mentions.py. `init-db`
fills the new table from the records, reports and leads already stored (commands.upgrade_database)."""
# Generated from a schema diff on 2026-12-07 03:12.
from peewee import *

def up(migrator, db):
    class Org(Model):
        code = CharField(primary_key=True, max_length=16)
        class Meta:
            database = db
            table_name = 'org'

    class Unit(Model):
        class Meta:
            database = db
            table_name = 'unit'

    class Mention(Model):
        kind = CharField(max_length=16)
        source = BigIntegerField()
        position = SmallIntegerField(default=0)
        valid_from = DateField()
        valid_to = DateField(null=True)
        unit = ForeignKeyField(Unit, null=True, on_delete='CASCADE')
        community = ForeignKeyField(Org, null=True, on_delete='RESTRICT', backref='+')
        street = ForeignKeyField(Org, null=True, on_delete='RESTRICT', backref='+')
        district = ForeignKeyField(Org, null=True, on_delete='RESTRICT', backref='+')
        name_key = CharField(index=True, max_length=200, default='')
        phone = CharField(index=True, max_length=40, default='')
        suspect = BooleanField(default=False)
        group_key = CharField(index=True, max_length=220, default='')
        class Meta:
            database = db
            table_name = 'mention'
            indexes = ((('kind', 'source', 'position'), False), (('valid_to', 'district'), False))
    db.create_tables([Mention])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('mention'))
