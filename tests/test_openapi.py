"""The API's document (domain/openapi.py, served at /api/v1/openapi.json) names every /api/v1 route of the app
and nothing else, and is valid OpenAPI 3.1. Schemathesis then holds the app to it (test_api_schemathesis.py)."""
import re

import schemathesis

from domain.openapi import document

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
    assert not routes - documented, f"routes of the app missing from domain/openapi.py: {sorted(routes - documented)}"
    assert not documented - routes, f"operations of domain/openapi.py the app does not have: {sorted(documented - routes)}"


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
