"""Reports: the 街镇 a resident picked on /r when the 居委 is unknown (issue 3)."""
from peewee import *

def up(migrator, db):
    class Org(Model):
        code = CharField(primary_key=True, max_length=16)
        class Meta:
            database = db
            table_name = 'org'

    migrator.migrate(migrator.add_column('report', 'street_id', ForeignKeyField(Org, field=Org.code, null=True, on_delete='RESTRICT')))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('report', 'report_street_id'))
    migrator.migrate(migrator.drop_column('report', 'street_id'))
