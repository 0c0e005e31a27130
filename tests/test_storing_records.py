"""Storing a survey record in few statements (issue 11, item 5) without changing what is stored: the approved
list asked once per record, the 居委's scope decided on the row already read, the answer built from the rows
just written."""
import datetime

import pytest

from domain.common.clock import now_local
from domain.org.permissions import can_see_community, community_in_scope
from domain.public import approved
from models import Org, User, db
from tests.conftest import COMMUNITY, negative_body, survey_body


@pytest.fixture
def surveyor(world, actions):
    actions.login("surveyor")
    return world["surveyor"]


def training(institution):
    return {"institution": institution, "institution_phone": "", "trainer_identity": "institution",
            "mode": "gathering", "fee": "0", "products_pitched": False}


def test_each_training_is_checked_against_todays_approved_list(app, surveyor, world, actions):
    with app.app_context():
        add = {"credit_code": "", "address": "", "phone": "", "approval_no": ""}
        approved.add_entry(world["district"], {**add, "name": "上海正规消防培训学校", "valid_until": ""})
        yesterday = (now_local().date() - datetime.timedelta(days=1)).isoformat()
        approved.add_entry(world["district"], {**add, "name": "上海过期消防培训学校", "valid_until": yesterday})
    body = survey_body(trainings=[training("上海正规消防培训学校"), training("上海 正规消防培训学校"),
                                  training("上海过期消防培训学校"), training("上海无名消防培训学校")], purchases=[])
    reply = actions.post_survey(body)
    assert reply.status_code == 201
    assert [t["flags"] for t in reply.get_json()["trainings"]] == [[], [], ["unapproved"], ["unapproved"]]
    assert reply.get_json() == actions.client.get(f"/api/v1/surveys/{reply.get_json()['id']}").get_json()


def test_a_records_community_is_in_scope_exactly_when_the_user_may_see_it(app, world):
    with app.app_context():
        communities = list(Org.select().where(Org.kind == "community"))
        for user in User.select():
            for community in communities:
                assert community_in_scope(user, community) == can_see_community(user, community.code), \
                    (user.username, community.code)
            street = Org.get(Org.kind == "street")
            assert not community_in_scope(user, street)


class Statements:
    """Counts the SQL statements the app sends while open."""

    def __init__(self):
        self.count = 0

    def __enter__(self):
        self.original = db.obj.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            self.count += 1
            return self.original(sql, params, *args, **kwargs)

        db.obj.execute_sql = counting
        return self

    def __exit__(self, *exc):
        db.obj.execute_sql = self.original


@pytest.mark.parametrize("body, most", [
    # a tap at a unit already laid out: token or session, replay check, 居委, unit, record, audit, and the kept
    # state (issue 17): the unit's timeline, its day's change (and on PostgreSQL the unit's lock)
    (lambda: negative_body(address="长宁路1弄1号101室"), 8),
    # a detailed record that adds its unit: the approved list once, the unit (in a savepoint), one row each, the
    # kept state as above, and its suspect training kept as a mention of its institution (the mention, its row,
    # the district's decisions, the institution's other mentions, their group)
    (lambda: survey_body(unit={"type": "shop", "address": "长宁路200号", "name": "某某五金店"}), 20),
])
def test_a_new_record_takes_few_statements(surveyor, actions, body, most):
    actions.post_survey(negative_body(address="长宁路1弄1号101室"))  # the unit is laid out; the session warm
    with Statements() as statements:
        reply = actions.post_survey(body())
    assert reply.status_code == 201
    assert statements.count <= most, f"{statements.count} statements to store one record"
    assert reply.get_json()["community"] == COMMUNITY
