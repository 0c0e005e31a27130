"""Marks asking for an account's quality signals to be looked at again (issue 19): written by a record that may
raise or change a signal, settled by the next read of the signals."""
# Generated from a schema diff on 2026-12-07 14:25.
from peewee import *

def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class SignalCheck(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        kind = CharField(max_length=16)
        day = DateField()
        class Meta:
            database = db
            table_name = 'signal_check'
    db.create_tables([SignalCheck])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('signal_check'))
