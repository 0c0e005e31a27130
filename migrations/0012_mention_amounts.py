"""Each kept mention with its amount (a training's fee and what was bought at it; a report's or a lead's fee), so that
the problem list sorts a page of institutions by amount without reading every record. `init-db` fills it
(commands.upgrade_database)."""
from peewee import *

def up(migrator, db):
    migrator.migrate(migrator.add_column('mention', 'amount_fen', BigIntegerField(default=0)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('mention', 'amount_fen'))
