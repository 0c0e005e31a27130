"""A city in one deployment (issue 17): departments belong to a district and carry their code in the plan's division
of duties, and each report and lead is in a district's queue. Existing data keeps its codes: a department's plan code
is its code, and departments, reports and leads belong to the one district of the deployment."""
# Generated from a schema diff on 2026-12-07 02:37.
from peewee import *

def up(migrator, db):
    class Org(Model):
        code = CharField(primary_key=True, max_length=16)
        class Meta:
            database = db
            table_name = 'org'

    migrator.migrate(migrator.add_column('department', 'plan', CharField(max_length=16, default='')))
    migrator.migrate(migrator.add_column('department', 'district_id', ForeignKeyField(Org, field=Org.code, null=True, on_delete='RESTRICT')))
    migrator.migrate(migrator.add_column('lead', 'district_id', ForeignKeyField(Org, field=Org.code, null=True, on_delete='RESTRICT')))
    migrator.migrate(migrator.add_column('report', 'district_id', ForeignKeyField(Org, field=Org.code, null=True, on_delete='RESTRICT')))
    db.execute_sql("UPDATE department SET plan = code")
    districts = db.execute_sql("SELECT code FROM org WHERE kind = 'district'").fetchall()
    if len(districts) == 1:
        for table in ("department", "lead", "report"):
            db.execute_sql(f"UPDATE {table} SET district_id = {db.param}", (districts[0][0],))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('report', 'report_district_id'))
    migrator.migrate(migrator.drop_index('lead', 'lead_district_id'))
    migrator.migrate(migrator.drop_index('department', 'department_district_id'))
    migrator.migrate(migrator.drop_column('report', 'district_id'))
    migrator.migrate(migrator.drop_column('lead', 'district_id'))
    migrator.migrate(migrator.drop_column('department', 'district_id'))
    migrator.migrate(migrator.drop_column('department', 'plan'))
