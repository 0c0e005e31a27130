"""What a screen reader (TalkBack, VoiceOver) needs from the pages as the server sends them (issue 12 item 3):
every message about a wrong field is tied to that field (the field names it with aria-describedby and says it
is wrong with aria-invalid), and where the server knows the order, the first wrong field takes the focus;
the receipt spells out the 编号; the printed poster gives its link and the hotlines as text, not only in the image.
"""
import re
from html.parser import HTMLParser

import pytest

from domain.public import posters
from tests.conftest import COMMUNITY, PASSWORD, STREET
from tests.test_permissions import samples  # noqa: F401  (a fixture: records inside each role's scope)
from tests.test_survey_ui import full_record, open_record_form, record_form_fields

# Markup and headers as the server sends them, the same over either database: run once (make test-postgres
# leaves out engine_independent tests).
pytestmark = pytest.mark.engine_independent

CONTROLS = ("input", "select", "textarea")


class Page(HTMLParser):
    """The form controls of a page in document order, and the text of its messages (.field-error) by id."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.controls, self.messages, self._open = [], {}, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in CONTROLS and attrs.get("type") != "hidden" and "hidden" not in attrs:
            self.controls.append(attrs)
        if "field-error" in (attrs.get("class") or "").split():
            assert attrs.get("id"), f"a message without an id cannot be named by its field: {attrs}"
            self._open = attrs["id"]
            self.messages[self._open] = ""

    def handle_data(self, data):
        if self._open:
            self.messages[self._open] += data

    def handle_endtag(self, tag):
        if tag == "p":
            self._open = None


def names(control):
    return (control.get("aria-describedby") or "").split()


def untied_messages(html):
    """Every way a message and its field can fail to find each other; [] when all is well."""
    page = Page(html)
    shown = {id_: text.strip() for id_, text in page.messages.items() if text.strip()}
    assert shown, "no message on the page: the test did not make an error"
    problems = []
    for id_, text in shown.items():
        naming = [c for c in page.controls if id_ in names(c)]
        if not naming:
            problems.append(f"«{text}» ({id_}) is named by no field")
        problems += [f"{c.get('name')} names «{text}» but is not aria-invalid"
                     for c in naming if c.get("aria-invalid") != "true"]
    problems += [f"{c.get('name')} is aria-invalid but names no message" for c in page.controls
                 if c.get("aria-invalid") == "true" and not any(shown.get(i) for i in names(c))]
    return problems


def focused_first(html):
    """The name of the control that takes the focus (autofocus), checked to be the first wrong one."""
    page = Page(html)
    focused = [c for c in page.controls if "autofocus" in c]
    wrong = [c for c in page.controls if c.get("aria-invalid") == "true"]
    assert len(focused) == 1, f"{len(focused)} controls with autofocus"
    assert focused[0] is wrong[0], f"the focus goes to {focused[0].get('name')}, the first wrong is {wrong[0].get('name')}"
    return focused[0].get("name") or focused[0].get("id")


@pytest.fixture
def poster(app, world):
    with app.app_context():
        return posters.create_poster(None, COMMUNITY, "3号楼门厅")


BAD_REPORT = {"kinds": ["sells_products"], "description": "", "amount": "两百", "happened_on": "2999-01-01",
              "contact": "1" * 101}


@pytest.mark.parametrize("large", [False, True], ids=["normal", "长辈模式"])
def test_the_report_forms_errors_are_tied_to_their_fields_and_the_first_takes_the_focus(client, poster, large):
    if large:
        client.get("/r/mode?large=1")
    for path in (f"/r/{poster.code}", "/r"):
        reply = client.post(path, data=BAD_REPORT)
        assert reply.status_code == 422
        page = reply.get_data(as_text=True)
        assert untied_messages(page) == []
        assert focused_first(page) == "description"
        contact = re.search(r'<input id="contact"[^>]*>', page).group(0)
        assert 'aria-describedby="contact-hint contact-error"' in contact  # its hint and its message


def test_an_unknown_number_on_the_status_page_is_said_at_the_field(client):
    page = client.get("/r/status?number=230320-NOPE00").get_data(as_text=True)
    number = re.search(r'<input id="number"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in number and 'aria-describedby="number-error"' in number and "autofocus" in number
    assert 'id="number-error"' in page


def test_the_receipt_takes_the_focus_on_the_number_and_spells_it_out(client, poster):
    reply = client.post(f"/r/{poster.code}", data={"kinds": ["sells_products"], "description": "上门推销灭火器"})
    page = client.get(reply.headers["Location"]).get_data(as_text=True)
    number = re.search(r'id="report-number"[^>]*>([^<]+)<', page).group(1)
    block = re.search(r'<div class="receipt-number" tabindex="-1" autofocus>(.*?)</div>', page, re.S).group(1)
    day, code = number.split("-")
    assert f'<p class="sr-only">{" ".join(day)}，{" ".join(code)}</p>' in block
    assert page.count("autofocus") == 1
    # Read in the order shown: the number, what to do with it, then when, where it stands and what comes next.
    order = [page.index(words) for words in ("举报编号", "请复制或截图保存编号", "收到日期", "当前进度", "接下来")]
    assert order == sorted(order)


def test_the_survey_record_form_ties_each_message_to_its_field(world, actions, client):
    actions.login("surveyor")
    _, page = open_record_form(client)
    action, data = record_form_fields(page)
    reply = client.post(action, data=full_record(data, **{"trainings.0.fee": "两百", "trainings.0.mode": "",
                                                           "purchases.0.quantity": "-1"}))
    assert reply.status_code == 422
    page = reply.get_data(as_text=True)
    assert untied_messages(page) == []
    assert focused_first(page) == "trainings.0.mode"
    # A message that is still empty is named too: the inline check fills it in while the worker types.
    institution = re.search(r'<input id="f-trainings-0-institution"[^>]*>', page).group(0)
    assert 'aria-describedby="err-trainings-0-institution"' in institution and "aria-invalid" not in institution


def test_the_other_staff_forms_tie_each_message_to_its_field(world, actions, client, samples):  # noqa: F811
    inside = samples["inside"]
    actions.login("street")
    pages = [client.post("/leads/new", data={"client_uuid": "7a0c6f2e-3b61-4c55-9d7e-0d2b8f0c9a99", "source": "",
                                               "place": "", "description": "", "fee": "abc"}),
             client.post("/posters/", data={"community": "", "location": ""}),
             client.post(f"/cases/{inside['case_id']}/referrals", data={"departments": [], "lead": ""}),
             client.post("/tables/actions", data={"client_uuid": "7a0c6f2e-3b61-4c55-9d7e-0d2b8f0c9a98",
                                                  "org": STREET, "date": "2999-01-01", "inspectors": "-1"})]
    actions.logout()
    actions.login("district")
    pages.append(client.post("/check/approved", data={"name": "", "valid_until": "不是日期"}))
    pages.append(client.post("/profile/password", data={"current_password": "wrong", "new_password": "short",
                                                        "new_password_again": "other"}))
    actions.logout()
    actions.login("department")
    pages.append(client.post(f"/cases/referrals/{inside['referral_id']}",
                             data={"status": "penalised", "fine": "-1", "note": ""}))
    pages.append(client.post("/tables/spot-checks", data={
        "client_uuid": "7a0c6f2e-3b61-4c55-9d7e-0d2b8f0c9a97", "department": "xiaofang", "channel": "",
        "product": "fire_blanket", "batches": "2", "failed": "5"}))
    for reply in pages:
        assert reply.status_code == 422, (reply.request.path, reply.status_code)
        assert untied_messages(reply.get_data(as_text=True)) == [], reply.request.path


def test_the_printed_poster_gives_its_link_and_the_hotlines_as_text(app, world, actions, client, poster):
    actions.login("surveyor", PASSWORD)
    page = client.get(f"/posters/{poster.code}").get_data(as_text=True)
    url = f"https://paimo.example.cn/r/{poster.code}"
    qr = re.search(r'<img class="qr"[^>]*>', page).group(0)
    assert f'alt="举报二维码：{url}"' in qr
    text = re.sub(r"<[^>]+>", "", page)
    assert url in text
    for number, _ in app.config["PUBLIC_HOTLINES"]:
        assert number in text
    assert "110" in text
