"""Real Chromium, phone viewport (issue 9 item 4): a worker records 机构性质 and the products pitched at a
training, through the outbox (JavaScript on); the stored record has both, and the problem list shows the
recorded nature."""
import re

import pytest
from playwright.sync_api import expect

from domain.casework import institutions
from domain.common.clock import today_local
from models import Survey, Unit, db
from tests.conftest import COMMUNITY, log_in

pytestmark = pytest.mark.browser


def test_a_worker_records_the_nature_and_the_products_pitched(live_server, live_world, phone):
    with live_server.app.app_context():
        unit = Unit.create(community=COMMUNITY, address="长宁路8号", address_key="长宁路8号", type="shop")
        unit_id = unit.id
        db.close()
    log_in(phone, live_server.url, "surveyor")
    phone.goto(f"{live_server.url}/survey/units/{unit_id}/record")
    phone.get_by_role("button", name="增加一条培训").click()
    phone.get_by_label("机构名称").fill("安心消防科普服务社")
    phone.get_by_label("培训方式").select_option(label="集中授课")
    phone.get_by_label("机构性质").select_option(label="社会组织")
    phone.get_by_label("灭火毯").check()
    phone.get_by_label("逃生缓降器").check()
    expect(phone.locator("#flags")).to_contain_text("推销产品")  # pitched products flag the training at once
    phone.get_by_role("button", name="保存记录").click()
    phone.wait_for_url(re.compile(r".*/survey/(buildings/\d+|records/\d+|\?community=.*|)(#.*)?$"))

    with live_server.app.app_context():
        training = Survey.get().trainings.get()
        assert (training.institution_nature, training.pitched_products) == ("social_org", "fire_blanket escape_descender")
        assert "sells_products" in training.flags.split()
        item = next(i for i in institutions.problem_list(today_local()) if "安心消防科普服务社" in i.names)
        assert item.nature == "社会组织"
        db.close()
