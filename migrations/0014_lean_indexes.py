"""Drop the indexes that a composite index beginning with the same column already serves (survey.unit_id,
community_id and surveyor_id; unit.community_id; community_day.community_id): every record wrote them for nothing."""
# Generated from a schema diff on 2026-12-07 14:12.
from peewee import *

def up(migrator, db):
    migrator.migrate(migrator.drop_index('community_day', 'communityday_community_id'))
    migrator.migrate(migrator.drop_index('unit', 'unit_community_id'))
    migrator.migrate(migrator.drop_index('survey', 'survey_community_id'))
    migrator.migrate(migrator.drop_index('survey', 'survey_surveyor_id'))
    migrator.migrate(migrator.drop_index('survey', 'survey_unit_id'))


def down(migrator, db):
    migrator.migrate(migrator.add_index('survey', ('unit_id',)))
    migrator.migrate(migrator.add_index('survey', ('surveyor_id',)))
    migrator.migrate(migrator.add_index('survey', ('community_id',)))
    migrator.migrate(migrator.add_index('unit', ('community_id',)))
    migrator.migrate(migrator.add_index('community_day', ('community_id',), name='communityday_community_id'))
