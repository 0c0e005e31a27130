"""The roster (底数清单, issue 18; design section 11): each unit's spans on its 居委's roster, and the coverage figures
kept per 居委 and day beside the others (domain/survey/unit_state.py)."""
# Generated from a schema diff on 2026-12-07 05:06.
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

    class RosterSpan(Model):
        unit = ForeignKeyField(Unit, on_delete='CASCADE')
        community = ForeignKeyField(Org, on_delete='RESTRICT')
        added_on = DateField()
        retired_on = DateField(null=True)
        class Meta:
            database = db
            table_name = 'roster_span'
            indexes = ((('unit', 'added_on'), False), (('community', 'retired_on'), False))
    db.create_tables([RosterSpan])

    migrator.migrate(migrator.add_column('community_day', 'roster', IntegerField(default=0)))
    migrator.migrate(migrator.add_column('community_day', 'roster_visited', IntegerField(default=0)))
    migrator.migrate(migrator.add_column('community_day', 'roster_surveyed', IntegerField(default=0)))
    migrator.migrate(migrator.add_column('community_day', 'roster_not_reached', IntegerField(default=0)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('community_day', 'roster_not_reached'))
    migrator.migrate(migrator.drop_column('community_day', 'roster_surveyed'))
    migrator.migrate(migrator.drop_column('community_day', 'roster_visited'))
    migrator.migrate(migrator.drop_column('community_day', 'roster'))
    migrator.migrate(migrator.drop_table('roster_span'))
