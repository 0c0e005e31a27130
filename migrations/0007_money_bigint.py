"""Money in fen as 64-bit integers (issue 11). The API takes amounts up to 100,000,000 yuan, 10,000,000,000 fen:
beyond PostgreSQL's integer (2,147,483,647), so a fine or a purchase over 21,474,836.47 yuan was a 500
(Schemathesis found it). SQLite's INTEGER holds 64 bits already: nothing to change there."""
from peewee import *

MONEY = (("training", "fee_fen"), ("purchase", "amount_fen"), ("report", "amount_fen"), ("referral", "fine_fen"),
         ("case_event", "fine_fen"), ("lead", "fee_fen"), ("spot_check", "fine_fen"))


def up(migrator, db):
    if type(migrator).__name__ == 'SqliteMigrator':
        return
    migrator.migrate(*[migrator.alter_column_type(table, column, BigIntegerField(default=0))
                       for table, column in MONEY])


def down(migrator, db):
    if type(migrator).__name__ == 'SqliteMigrator':
        return
    migrator.migrate(*[migrator.alter_column_type(table, column, IntegerField(default=0))
                       for table, column in MONEY])
