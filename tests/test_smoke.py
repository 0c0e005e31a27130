from tests.conftest import survey_body


def test_login_page_has_labelled_fields(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<label for="username">用户名</label>' in page
    assert '<label for="password">密码</label>' in page
    assert "登录" in page


def test_post_survey_then_replay(world, actions):
    actions.login("surveyor")
    body = survey_body()
    first = actions.post_survey(body)
    assert first.status_code == 201, first.get_json()
    again = actions.post_survey(body)
    assert again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    assert first.get_json()["trainings"][0]["flags"] == ["sells_products", "door_to_door_fee", "impersonation", "unapproved"]
