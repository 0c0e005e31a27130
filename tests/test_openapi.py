"""The API's document (domain/api/openapi.py, served at /api/v1/openapi.json) names every /api/v1 route of the app
and nothing else, and is valid OpenAPI 3.1. Schemathesis then holds the app to it (test_api_schemathesis.py)."""
import datetime
import re
import uuid

import jsonschema_rs
import schemathesis

from domain.api.openapi import REQUEST_SHAPES, document

API = "/api/v1"
UNSERVED_METHODS = {"HEAD", "OPTIONS"}  # answered by Flask itself for every route


def openapi_path(rule):
    """/api/v1/surveys/<int:survey_id> → /surveys/{survey_id}"""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len(API):])


def api_routes(app):
    """{(method, path as in the document): endpoint} of every /api/v1 route of the app."""
    return {(method.lower(), openapi_path(rule)): rule.endpoint for rule in app.url_map.iter_rules()
            if rule.rule.startswith(API + "/") for method in rule.methods - UNSERVED_METHODS}


def documented_operations(doc):
    return {(method, path) for path, item in doc["paths"].items() for method in item
            if method in ("get", "put", "post", "patch", "delete")}


def test_every_api_route_is_documented_and_nothing_else(app):
    routes, documented = set(api_routes(app)), documented_operations(document())
    assert not routes - documented, f"routes of the app missing from domain/api/openapi.py: {sorted(routes - documented)}"
    assert not documented - routes, f"operations in domain/api/openapi.py the app lacks: {sorted(documented - routes)}"


def test_path_parameters_are_the_routes_own(app):
    doc = document()
    for (method, path), endpoint in api_routes(app).items():
        names = set(re.findall(r"{([^}]+)}", path))
        declared = {p["name"] for p in doc["paths"][path][method].get("parameters", []) if p["in"] == "path"}
        assert names == declared, f"{method.upper()} {path}: path parameters {declared}, the route has {names}"


def test_the_document_is_served_to_anyone_and_is_valid_openapi_3_1(client):
    reply = client.get("/api/v1/openapi.json")
    assert reply.status_code == 200 and reply.mimetype == "application/json"
    assert reply.json == document()
    assert reply.json["openapi"] == "3.1.0"
    schemathesis.openapi.from_dict(reply.json).validate()  # raises on anything OpenAPI 3.1 does not allow


def test_links_lead_to_operations_and_their_parameters():
    doc = document()
    parameters = {op["operationId"]: {p["name"] for p in op.get("parameters", [])}
                  for item in doc["paths"].values() for op in item.values()}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for status, answer in op["responses"].items():
                for name, link in answer.get("links", {}).items():
                    assert link["operationId"] in parameters, f"{method} {path} {status}: {name}"
                    assert set(link["parameters"]) <= parameters[link["operationId"]], f"{method} {path}: {name}"


def test_every_operation_says_how_to_authenticate_and_what_it_answers():
    doc = document()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert op["responses"], f"{method} {path}"
            if path == "/openapi.json":
                assert op["security"] == []
                continue
            assert {"bearerToken": []} in op["security"], f"{method} {path}"
            expected = {"sessionCookie": [], "csrfToken": []} if method != "get" else {"sessionCookie": []}
            assert expected in op["security"], f"{method} {path}"
            assert {"400", "401", "404"} <= set(op["responses"]), f"{method} {path}"
            if "requestBody" in op:
                assert {"413", "422"} <= set(op["responses"]), f"{method} {path}"


# --- the answers Schemathesis seldom meets, held to the document here --------------------------------------


def conforms(reply, path, method):
    """Whether `reply` is an answer the document gives for this operation (its status and JSON schema)."""
    import jsonschema_rs

    doc = document()
    answers = doc["paths"][path][method]["responses"]
    assert str(reply.status_code) in answers, f"{method} {path}: {reply.status_code} is not in the document"
    answer = answers[str(reply.status_code)]
    if "$ref" in answer:
        answer = doc["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    schema = answer["content"]["application/json"]["schema"]
    errors = list(jsonschema_rs.Draft202012Validator({**schema, "components": doc["components"]},
                                                     validate_formats=True).iter_errors(reply.get_json()))
    assert not errors, f"{method} {path} {reply.status_code}: {[str(e) for e in errors][:3]}"
    return reply.status_code


def test_conflicts_are_answered_as_documented(world, client, actions):
    from tests.conftest import STREET, survey_body

    actions.login("surveyor")
    body = survey_body()
    assert conforms(client.post("/api/v1/surveys", json=body), "/surveys", "post") == 201
    assert conforms(client.post("/api/v1/surveys", json=body), "/surveys", "post") == 200
    assert conforms(client.post("/api/v1/surveys", json={**body, "note": "改了"}), "/surveys", "post") == 409
    actions.logout()
    actions.login("street")
    entries = {
        "/leads": {"client_uuid": str(uuid.uuid4()), "source": "online", "street": STREET, "description": "线索"},
        "/actions": {"client_uuid": str(uuid.uuid4()), "org": STREET, "date": "2023-03-20", "inspectors": 1},
        "/submissions": {"client_uuid": str(uuid.uuid4()), "as_of": "2023-03-20"},
    }
    for path, entry in entries.items():
        assert conforms(client.post(f"/api/v1{path}", json=entry), path, "post") == 201
        changed = {**entry, "description": "另一条"} if path == "/leads" else \
            {**entry, "inspectors": 2} if path == "/actions" else {**entry, "as_of": "2023-03-21"}
        assert conforms(client.post(f"/api/v1{path}", json=changed), path, "post") == 409
    actions.logout()
    actions.login("department")
    spot_check = {"client_uuid": str(uuid.uuid4()), "department": "xiaofang", "channel": "in_use",
                  "product": "fire_blanket", "date": "2023-03-20", "batches": 1}
    assert conforms(client.post("/api/v1/spot-checks", json=spot_check), "/spot-checks", "post") == 201
    assert conforms(client.post("/api/v1/spot-checks", json={**spot_check, "batches": 2}), "/spot-checks",
                    "post") == 409


def test_a_session_without_its_csrf_token_nobody_and_a_body_too_large_are_answered_as_documented(make_app, world):
    from tests.conftest import PASSWORD

    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    assert conforms(client.post("/api/v1/surveys", json={}), "/surveys", "post") == 401
    assert conforms(client.get("/api/v1/me"), "/me", "get") == 401
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "surveyor", "password": PASSWORD, "csrf_token": token})
    assert conforms(client.get("/api/v1/me"), "/me", "get") == 200
    reply = client.post("/api/v1/surveys", json={})  # no X-CSRFToken
    assert conforms(reply, "/surveys", "post") == 400 and reply.get_json()["error"] == "csrf"
    csrf = client.get("/api/v1/csrf").get_json()["csrf_token"]
    assert conforms(client.post("/api/v1/surveys", json={}, headers={"X-CSRFToken": csrf}), "/surveys", "post") == 422
    huge = b'{"note": "' + b"x" * (26 * 1024 * 1024) + b'"}'
    reply = client.post("/api/v1/surveys", data=huge, content_type="application/json", headers={"X-CSRFToken": csrf})
    assert conforms(reply, "/surveys", "post") == 413
    assert conforms(client.get("/api/v1/surveys/1?x=%00"), "/surveys/{survey_id}", "get") == 400


# --- each request shape written once (issue 16) ----------------------------------------------------------------


def request_bodies(doc):
    """{schema name: example} of every operation that takes a body."""
    return {op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]:
            op["requestBody"]["content"]["application/json"]["example"]
            for item in doc["paths"].values() for op in item.values() if "requestBody" in op}


class NothingReferredYet:
    def open_referral_to(self, department):
        return None


def test_every_request_body_is_described_by_the_shape_that_reads_it():
    doc = document()
    shapes = {shape.name: shape for shape in REQUEST_SHAPES}
    assert set(request_bodies(doc)) == set(shapes)
    for name, shape in shapes.items():
        assert doc["components"]["schemas"][name] == shape.schema(), name


def test_what_the_document_requires_is_what_the_reader_refuses_to_miss(app):
    """Each documented example is read without an error; leaving out a field is an error at that field exactly
    when the document says the body is then invalid: the reader and the document are one definition."""
    doc = document()
    with app.app_context():
        for name, example in request_bodies(doc).items():
            shape = next(shape for shape in REQUEST_SHAPES if shape.name == name)
            valid = jsonschema_rs.validator_for({"components": doc["components"],
                                                 "$ref": f"#/components/schemas/{name}"}).is_valid
            if shape.extends is not None:  # its own fields are read apart from those of the shape it extends
                example = {key: value for key, value in example.items() if key in shape.fields}
                valid = jsonschema_rs.validator_for(shape.schema()["allOf"][1]).is_valid
            context = {"now": datetime.datetime(2023, 3, 31, 12), "view": NothingReferredYet(), "due_days": 10,
                       "known_departments": {"shichang", "xiaofang"}}
            _, errors = shape.read(example, **context)
            assert not errors and valid(example), (name, errors)
            for field in shape.fields:
                body = {key: value for key, value in example.items() if key != field}
                _, errors = shape.read(body, **context)
                missed = any(path == field or path.startswith(field + ".") for path in errors)
                assert missed == (not valid(body)), (name, field, errors)
