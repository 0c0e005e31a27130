"""Each 居委's figures kept per day as records arrive (issue 17): domain/survey/unit_state.py. `init-db` fills the
new table from the records already stored (commands.upgrade_database)."""
# Generated from a schema diff on 2026-12-07 02:20.
from peewee import *

def up(migrator, db):
    class Org(Model):
        code = CharField(primary_key=True, max_length=16)
        class Meta:
            database = db
            table_name = 'org'

    class CommunityDay(Model):
        community = ForeignKeyField(Org, on_delete='RESTRICT')
        day = DateField()
        units = IntegerField(default=0)
        household_units = IntegerField(default=0)
        visited = IntegerField(default=0)
        surveyed = IntegerField(default=0)
        households = IntegerField(default=0)
        organisations = IntegerField(default=0)
        not_reached = IntegerField(default=0)
        trained = IntegerField(default=0)
        suspect = IntegerField(default=0)
        products = IntegerField(default=0)
        amount_fen = BigIntegerField(default=0)
        class Meta:
            database = db
            table_name = 'community_day'
            indexes = ((('community', 'day'), True),)
    db.create_tables([CommunityDay])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('community_day'))
