"""A survey training records 机构性质 and which products were pitched (issue 9 item 4), from the API, from the
form without JavaScript, and back into the edit form; the problem list shows the recorded nature."""
import uuid

from werkzeug.datastructures import MultiDict

from domain.casework import institutions
from domain.common.clock import today_local
from domain.survey.form import form_to_body, record_to_form
from domain.survey.store import survey_as_dict
from models import Survey, Unit
from tests.conftest import COMMUNITY, survey_body


def test_a_group_of_checkboxes_is_a_list_even_of_one_box():
    form = MultiDict([("trainings.0.mode", "door_to_door"), ("trainings.0.pitched_products", "fire_blanket"),
                      ("trainings.0.pitched_products", "smoke_alarm"), ("trainings.1.mode", "online"),
                      ("trainings.1.pitched_products", "fire_sticker")])
    trainings = form_to_body(form)["trainings"]
    assert trainings[0]["pitched_products"] == ["fire_blanket", "smoke_alarm"]
    assert trainings[1]["pitched_products"] == ["fire_sticker"]


def test_nature_and_pitched_products_go_through_the_api_and_back_into_the_form(world, actions):
    actions.login("surveyor")
    body = survey_body()
    body["trainings"][0].update(institution_nature="social_org", pitched_products=["fire_blanket", "smoke_alarm"],
                                products_pitched=False)
    body["purchases"] = []
    reply = actions.post_survey(body)
    assert reply.status_code == 201, reply.get_json()
    stored = reply.get_json()["trainings"][0]
    assert (stored["institution_nature"], stored["pitched_products"]) == ("social_org", ["fire_blanket", "smoke_alarm"])
    assert "sells_products" in stored["flags"]  # pitched products are a sale pitched at the training
    assert actions.post_survey(body).status_code == 200  # the same record again: the same record
    wrong = actions.post_survey({**body, "client_uuid": str(uuid.uuid4()),
                                 "trainings": [{**body["trainings"][0], "institution_nature": "alien",
                                                "pitched_products": ["nothing"]}]})
    assert set(wrong.get_json()["errors"]) == {"trainings.0.institution_nature", "trainings.0.pitched_products"}
    values = record_to_form(survey_as_dict(Survey.get()))
    assert values["trainings.0.pitched_products"] == ["fire_blanket", "smoke_alarm"]
    item = next(i for i in institutions.problem_list(today_local()) if i.names == ["上海某某消防培训中心"])
    assert item.nature == "社会组织"


def test_the_record_form_without_javascript_keeps_every_product_checked(world, actions, client):
    actions.login("surveyor")
    unit = Unit.create(community=COMMUNITY, address="长宁路5号", address_key="长宁路5号")
    page = client.get(f"/survey/units/{unit.id}/record?add=trainings")
    form = {"client_uuid": str(uuid.uuid4()), "community": COMMUNITY, "unit.address": "长宁路5号",
            "unit.type": "household", "visited_at": "", "outcome": "surveyed", "trainings.0.mode": "door_to_door",
            "trainings.0.fee": "-1", "trainings.0.institution_nature": "enterprise",
            "trainings.0.pitched_products": ["fire_blanket", "escape_descender"]}
    reply = client.post(f"/survey/units/{unit.id}/record", data=form)
    assert reply.status_code == 422  # the fee is wrong; what was ticked stays ticked
    html = reply.get_data(as_text=True)
    assert html.count("checked") >= 2 and 'value="fire_blanket" checked' in html
    assert 'value="escape_descender" checked' in html and 'value="enterprise" selected' in html
    assert page.status_code == 200
