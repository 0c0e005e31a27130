"""Each Case row with the key of the group of mentions it is a case of today (issue 17): the case list is then one
query. `init-db` fills it (commands.upgrade_database)."""
# Generated from a schema diff on 2026-12-07 04:03.
from peewee import *

def up(migrator, db):
    migrator.migrate(migrator.add_column('case_record', 'group_key', CharField(index=True, max_length=220, default='')))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('case_record', 'case_record_group_key'))
    migrator.migrate(migrator.drop_column('case_record', 'group_key'))
