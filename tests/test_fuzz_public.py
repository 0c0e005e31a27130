"""Property-based fuzzing of the public pages (issue 11, Build 1): whatever a phone, a bot or an attacker sends
to the report form, the status look-up or the approved-list check, the answer is never a 5xx and nothing
half-stored is left behind. Hypothesis draws the inputs; the app and its database are real."""
import io

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from domain.public import posters
from domain.public.reports import KINDS
from models import Report, ReportPhoto
from tests.conftest import COMMUNITY

SETTINGS = settings(max_examples=120, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Text as residents and bots type it: any printable Unicode, plus the awkward cases by name.
awkward = st.sampled_from(["", " ", "\x00", "\r\n", "1E+100000000000", "-0", "NaN", "Infinity", "9" * 400,
                           "<script>alert(1)</script>", "' OR 1=1 --", "２９８．００", "298,000.00", "9999-12-31",
                           "0001-01-01", "2023-02-30", "../../etc/passwd", "\u202e", "😀" * 50])
any_text = st.one_of(st.text(max_size=300), awkward)
form = st.fixed_dictionaries({}, optional={
    "description": any_text, "institution": any_text, "institution_phone": any_text, "place": any_text,
    "contact": any_text, "amount": any_text, "happened_on": any_text, "area": any_text, "website": any_text,
    "kinds": st.lists(st.one_of(st.sampled_from(list(KINDS)), any_text), max_size=8),
})


@pytest.fixture
def poster(app, world):
    with app.app_context():
        return posters.create_poster(None, COMMUNITY, "3号楼门厅")


@SETTINGS
@given(values=form)
def test_the_report_form_never_answers_5xx(client, poster, values):
    for path in (f"/r/{poster.code}", "/r"):
        reply = client.post(path, data=values)
        assert reply.status_code < 500, (path, values, reply.status_code)
        assert reply.status_code in (200, 303, 400, 413, 422)


@SETTINGS
@given(values=form, photos=st.lists(st.binary(max_size=2048), max_size=4))
def test_bad_photos_are_refused_whole_and_leave_nothing_behind(client, poster, values, photos):
    before = (Report.select().count(), ReportPhoto.select().count())
    data = {**values, "description": "上门收费", "photos": [(io.BytesIO(b), f"p{i}.jpg") for i, b in enumerate(photos)]}
    reply = client.post(f"/r/{poster.code}", data=data, content_type="multipart/form-data")
    assert reply.status_code < 500
    if reply.status_code != 303:  # refused: neither a report nor a photo was kept
        assert (Report.select().count(), ReportPhoto.select().count()) == before


@SETTINGS
@given(number=any_text, query=any_text)
def test_the_status_and_check_look_ups_never_answer_5xx(client, number, query):
    assert client.get("/r/status", query_string={"number": number}).status_code < 500
    assert client.get("/check", query_string={"q": query}).status_code < 500
    assert client.get(f"/r/{number[:40]}".replace("?", "").replace("#", "")).status_code < 500
